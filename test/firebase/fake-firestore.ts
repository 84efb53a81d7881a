/**
 * A small Firestore for translation tests that count reads: `jest.mock('firebase/firestore', () =>
 * require('./fake-firestore').fakeFirestoreModule())`. The real SDK module with its query functions
 * replaced: constraints become plain records, and getDocs / getCountFromServer / onSnapshot evaluate
 * them over an in-memory dataset with Firestore's semantics, written from its documentation and from
 * the web SDK's own local matching (FieldFilter.matches, NotInFilter, queryMatchesOrderBy,
 * queryNormalizedOrderBy, valueCompare in @firebase/firestore):
 * - a filter on a field the document lacks never matches; `!=` and `not-in` also skip null, and a
 *   `not-in` list holding null matches nothing; comparisons hold only within one type;
 * - the ordering is the explicit orderBy, then the inequality fields it does not name (field-path
 *   order, the last direction), then `__name__`; a document lacking an ordered field is left out;
 * - types order null < boolean < number < timestamp < string < array < map; strings by UTF-8 bytes;
 * - refused like the SDK or the backend: `__name__` not last in the ordering, equality on the key
 *   with inequalities on other fields, the SDK's operator conflicts, more than 30 disjunctions, two
 *   array-contains in one disjunction, a field filter beside a top-level composite.
 * Every call is recorded with the constraints it carried and the documents it returned. It is our
 * reading of Firestore, not Firestore: no indexes, no security rules, no billing minimums.
 *
 * Writes (`writeBatch`, `runTransaction`) apply at commit, all at once; the SDK's FieldValues are
 * resolved there (`serverTimestamp()` → the commit time, strictly increasing, with microseconds;
 * `increment`, `arrayUnion`, `arrayRemove`, `deleteField`), and an update's dotted keys are paths.
 * Transactions never conflict here (one process, no contention): what their retries protect against
 * is the live target's to show.
 */
import type { Value } from '../../src/types.js'

export type Data = Record<string, Value>
type Op = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not-in' | 'array-contains' | 'array-contains-any'

const KEY = '__name__'

export interface WhereConstraint {
  $: 'where'
  field: string
  op: Op
  value: unknown
}
export interface CompositeConstraint {
  $: 'and' | 'or'
  filters: FilterConstraint[]
}
type FilterConstraint = WhereConstraint | CompositeConstraint
interface OrderConstraint {
  $: 'orderBy'
  field: string
  direction: 'asc' | 'desc'
}
type Constraint = FilterConstraint | OrderConstraint | { $: 'limit'; n: number } | { $: 'startAfter'; values: unknown[] }

export interface FakeQuery {
  $: 'query'
  collection: string
  filters: FilterConstraint[]
  orderBy: OrderConstraint[]
  limit?: number
  startAfter?: unknown[]
}

/** One SDK call: what was asked, and what came back. */
export interface Call {
  fn: 'getDocs' | 'getCountFromServer' | 'onSnapshot' | 'getDoc'
  query?: FakeQuery
  /** Documents the call returned (a snapshot listener: added or modified ones per snapshot). */
  documents: number
  ids: string[]
  count?: number
}

export class FakeFirestoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

// ---------- values, in Firestore's order ----------

type TimestampLike = { seconds: number; nanoseconds: number; toDate(): Date }
const isTimestamp = (v: unknown): v is TimestampLike => v !== null && typeof v === 'object' && typeof (v as TimestampLike).toDate === 'function' && typeof (v as TimestampLike).nanoseconds === 'number'
/** A time as [seconds, nanoseconds]: a Date has milliseconds, a Timestamp (a server stamp) nanoseconds. */
const timeOf = (v: Date | TimestampLike): [number, number] =>
  v instanceof Date ? [Math.floor(v.getTime() / 1000), (((v.getTime() % 1000) + 1000) % 1000) * 1e6] : [v.seconds, v.nanoseconds]

function typeOrder(v: unknown): number {
  if (v === null) return 0
  if (typeof v === 'boolean') return 1
  if (typeof v === 'number') return 2
  if (v instanceof Date || isTimestamp(v)) return 3
  if (typeof v === 'string') return 5
  if (Array.isArray(v)) return 9
  return 11
}

const utf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))

export function valueCompare(a: unknown, b: unknown): number {
  const ta = typeOrder(a)
  const tb = typeOrder(b)
  if (ta !== tb) return ta - tb
  switch (ta) {
    case 0:
      return 0
    case 1:
      return Number(a) - Number(b)
    case 2:
      return (a as number) - (b as number)
    case 3: {
      const [sa, na] = timeOf(a as Date | TimestampLike)
      const [sb, nb] = timeOf(b as Date | TimestampLike)
      return sa - sb || na - nb
    }
    case 5:
      return utf8(a as string, b as string)
    case 9: {
      const x = a as unknown[]
      const y = b as unknown[]
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = valueCompare(x[i], y[i])
        if (c !== 0) return c
      }
      return x.length - y.length
    }
    default: {
      const x = a as Record<string, unknown>
      const y = b as Record<string, unknown>
      const kx = Object.keys(x).sort(utf8)
      const ky = Object.keys(y).sort(utf8)
      for (let i = 0; i < Math.min(kx.length, ky.length); i++) {
        const c = utf8(kx[i]!, ky[i]!) || valueCompare(x[kx[i]!], y[ky[i]!])
        if (c !== 0) return c
      }
      return kx.length - ky.length
    }
  }
}

const equal = (a: unknown, b: unknown): boolean => typeOrder(a) === typeOrder(b) && valueCompare(a, b) === 0

interface StoredDoc {
  id: string
  data: Data
}

/** A field's value; undefined when the document lacks it. The key reads as the id. */
function read(doc: StoredDoc, field: string): unknown {
  if (field === KEY) return doc.id
  let current: unknown = doc.data
  for (const part of field.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current) || current instanceof Date) return undefined
    current = (current as Record<string, unknown>)[part]
  }
  return current
}

// ---------- matching ----------

function matchesWhere(f: WhereConstraint, doc: StoredDoc): boolean {
  const other = read(doc, f.field)
  const list = f.value as unknown[]
  switch (f.op) {
    case '!=':
      return other !== undefined && other !== null && valueCompare(other, f.value) !== 0
    case 'in':
      return other !== undefined && list.some((x) => equal(other, x))
    case 'not-in':
      if (list.some((x) => x === null)) return false
      return other !== undefined && other !== null && !list.some((x) => equal(other, x))
    case 'array-contains':
      return Array.isArray(other) && other.some((x) => equal(x, f.value))
    case 'array-contains-any':
      return Array.isArray(other) && other.some((x) => list.some((y) => equal(x, y)))
    default: {
      if (other === undefined || typeOrder(other) !== typeOrder(f.value)) return false
      const c = valueCompare(other, f.value)
      return f.op === '==' ? c === 0 : f.op === '<' ? c < 0 : f.op === '<=' ? c <= 0 : f.op === '>' ? c > 0 : c >= 0
    }
  }
}

function matches(f: FilterConstraint, doc: StoredDoc): boolean {
  if (f.$ === 'where') return matchesWhere(f, doc)
  return f.$ === 'and' ? f.filters.every((g) => matches(g, doc)) : f.filters.some((g) => matches(g, doc))
}

const flatten = (filters: readonly FilterConstraint[]): WhereConstraint[] => filters.flatMap((f) => (f.$ === 'where' ? [f] : flatten(f.filters)))
const INEQUALITY = new Set<Op>(['<', '<=', '>', '>=', '!=', 'not-in'])

/** queryNormalizedOrderBy: explicit, then unnamed inequality fields, then the key. */
function normalizedOrder(q: FakeQuery): OrderConstraint[] {
  const out = [...q.orderBy]
  const named = new Set(out.map((o) => o.field))
  const direction = out[out.length - 1]?.direction ?? 'asc'
  const fields = [...new Set(flatten(q.filters).filter((f) => INEQUALITY.has(f.op) && f.field !== KEY).map((f) => f.field))]
  fields.sort((a, b) => {
    const sa = a.split('.')
    const sb = b.split('.')
    for (let i = 0; i < Math.min(sa.length, sb.length); i++) if (sa[i] !== sb[i]) return utf8(sa[i]!, sb[i]!)
    return sa.length - sb.length
  })
  for (const field of fields) if (!named.has(field)) out.push({ $: 'orderBy', field, direction })
  if (!named.has(KEY)) out.push({ $: 'orderBy', field: KEY, direction })
  return out
}

// ---------- what the SDK and the backend refuse ----------

const invalid = (message: string): FakeFirestoreError => new FakeFirestoreError('invalid-argument', message)

function dnf(f: FilterConstraint): WhereConstraint[][] {
  if (f.$ === 'where') {
    if (f.op === 'in' || f.op === 'array-contains-any') {
      const op = f.op === 'in' ? '==' : 'array-contains'
      return (f.value as unknown[]).map((value) => [{ $: 'where', field: f.field, op, value }])
    }
    return [[f]]
  }
  const parts = f.filters.map(dnf)
  if (f.$ === 'or') return parts.flat()
  return parts.reduce<WhereConstraint[][]>((acc, part) => acc.flatMap((l) => part.map((r) => [...l, ...r])), [[]])
}

function validate(q: FakeQuery): void {
  const leaves = flatten(q.filters)
  const has = (op: Op): number => leaves.filter((f) => f.op === op).length
  // The SDK's validateNewFieldFilter.
  if (has('!=') > 1) throw invalid("Invalid query. You cannot use more than one '!=' filter.")
  if (has('not-in') > 1) throw invalid("Invalid query. You cannot use more than one 'not-in' filter.")
  if (has('not-in') > 0 && (has('!=') > 0 || has('in') > 0 || has('array-contains-any') > 0)) throw invalid("Invalid query. You cannot use 'not-in' filters with '!=', 'in' or 'array-contains-any' filters.")
  // Documented limits.
  if (has('not-in') > 0 && JSON.stringify(q.filters).includes('"$":"or"')) throw invalid("You can't combine not-in with or in the same query.")
  if (q.filters.length > 0) {
    const terms = dnf({ $: 'and', filters: q.filters })
    if (terms.length > 30) throw invalid('Cloud Firestore limits a query to a maximum of 30 disjunctions in disjunctive normal form.')
    if (terms.some((t) => t.filter((f) => f.op === 'array-contains').length > 1)) throw invalid('You can use at most one array-contains clause per disjunction.')
  }
  // The backend (asserted by the SDK's integration tests).
  const order = normalizedOrder(q)
  if (order[order.length - 1]!.field !== KEY) throw invalid('order by clause cannot contain more fields after the key')
  const inequalities = leaves.filter((f) => INEQUALITY.has(f.op))
  const keyEquality = leaves.some((f) => f.field === KEY && (f.op === '==' || f.op === 'in'))
  if (keyEquality && inequalities.some((f) => f.field !== KEY) && !inequalities.some((f) => f.field === KEY)) {
    throw invalid('Equality on key is not allowed if there are other inequality fields and key does not appear in inequalities.')
  }
}

// ---------- the store ----------

export class FakeStore {
  readonly collections = new Map<string, Map<string, Data>>()
  readonly calls: Call[] = []
  private readonly listeners = new Set<{ q: FakeQuery; emit: () => void }>()

  seed(collection: string, docs: Record<string, Data>): void {
    this.collections.set(collection, new Map(Object.entries(docs)))
  }

  /** A write from elsewhere: listeners whose result changes get a new snapshot. */
  set(collection: string, id: string, data: Data | undefined): void {
    const docs = this.collections.get(collection) ?? new Map<string, Data>()
    this.collections.set(collection, docs)
    if (data === undefined) docs.delete(id)
    else docs.set(id, data)
    for (const listener of [...this.listeners]) if (listener.q.collection === collection) listener.emit()
  }

  reset(): void {
    this.collections.clear()
    this.calls.length = 0
    this.listeners.clear()
  }

  /** Runs a query: the documents Firestore would return (and bill), in its order. */
  run(q: FakeQuery, paged = true): StoredDoc[] {
    validate(q)
    const order = normalizedOrder(q)
    const all = [...(this.collections.get(q.collection) ?? new Map<string, Data>())].map(([id, data]) => ({ id, data }))
    const compare = (a: StoredDoc, b: StoredDoc): number => {
      for (const o of order) {
        const c = valueCompare(read(a, o.field), read(b, o.field))
        if (c !== 0) return o.direction === 'desc' ? -c : c
      }
      return 0
    }
    let docs = all.filter((doc) => order.every((o) => read(doc, o.field) !== undefined) && q.filters.every((f) => matches(f, doc))).sort(compare)
    if (!paged) return docs
    if (q.startAfter) {
      const bound = q.startAfter
      docs = docs.filter((doc) => {
        for (let i = 0; i < bound.length; i++) {
          const o = order[i]!
          const c = valueCompare(read(doc, o.field), bound[i])
          if (c !== 0) return (o.direction === 'desc' ? -c : c) > 0
        }
        return false
      })
    }
    return q.limit === undefined ? docs : docs.slice(0, q.limit)
  }

  listen(q: FakeQuery, next: (docs: StoredDoc[]) => void, fail: (error: unknown) => void): () => void {
    let previous = new Map<string, string>()
    const emit = (): void => {
      let docs: StoredDoc[]
      try {
        docs = this.run(q)
      } catch (error) {
        fail(error)
        return
      }
      const current = new Map(docs.map((d) => [d.id, JSON.stringify(d.data)]))
      const changed = docs.filter((d) => previous.get(d.id) !== current.get(d.id))
      const first = this.calls.every((c) => c.query !== q)
      if (!first && changed.length === 0 && current.size === previous.size) return
      previous = current
      this.calls.push({ fn: 'onSnapshot', query: q, documents: changed.length, ids: docs.map((d) => d.id) })
      next(docs)
    }
    const listener = { q, emit }
    this.listeners.add(listener)
    queueMicrotask(emit)
    return () => this.listeners.delete(listener)
  }
}

// ---------- the module ----------

type Timestamps = { fromDate(date: Date): unknown }

/** Stored values as the SDK hands them out: Dates as Timestamps, recursively. */
function toSdk(value: unknown, Timestamp: Timestamps): unknown {
  if (value instanceof Date) return Timestamp.fromDate(value)
  if (Array.isArray(value)) return value.map((v) => toSdk(v, Timestamp))
  // Plain maps only: SDK values (a stamped Timestamp, GeoPoint…) are stored as the SDK made them.
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toSdk(v, Timestamp)]))
  return value
}

const METADATA = Object.freeze({ fromCache: false, hasPendingWrites: false })

export function fakeFirestoreModule(): Record<string, unknown> & { __store: FakeStore } {
  const actual = jest.requireActual('firebase/firestore') as Record<string, unknown> & { Timestamp: Timestamps }
  const store = new FakeStore()
  const snapshotOf = (collection: string, doc: StoredDoc) => ({
    id: doc.id,
    ref: { id: doc.id, path: `${collection}/${doc.id}` },
    metadata: METADATA,
    exists: () => true,
    data: () => toSdk(doc.data, actual.Timestamp),
    get: (field: string) => toSdk(read(doc, field), actual.Timestamp),
  })
  const querySnapshot = (q: FakeQuery, docs: StoredDoc[]) => ({ docs: docs.map((d) => snapshotOf(q.collection, d)), size: docs.length, empty: docs.length === 0, metadata: METADATA })

  function query(base: { $: 'collection'; name: string }, ...constraints: Constraint[]): FakeQuery {
    const q: FakeQuery = { $: 'query', collection: base.name, filters: [], orderBy: [] }
    for (const c of constraints) {
      if (c.$ === 'orderBy') q.orderBy.push(c)
      else if (c.$ === 'limit') q.limit = c.n
      else if (c.$ === 'startAfter') q.startAfter = c.values
      else q.filters.push(c)
    }
    if (q.startAfter && q.startAfter.length > q.orderBy.length) throw invalid('Too many arguments provided to startAfter(): at most one per orderBy() clause.')
    // The SDK's validateQueryConstraintArray.
    const composites = q.filters.filter((f) => f.$ !== 'where').length
    if (composites > 1 || (composites > 0 && q.filters.length > composites)) throw invalid('InvalidQuery. When using composite filters, you cannot use more than one filter at the top level.')
    return q
  }

  type FieldValueImpl = { _methodName?: string; _operand?: number; _elements?: unknown[] }
  type Staged = { ref: { collection: string; id: string }; kind: 'set' | 'update' | 'delete'; data?: Record<string, unknown> }
  let clockMicros = Date.now() * 1000
  const Timestamp = actual.Timestamp as unknown as { new (seconds: number, nanoseconds: number): { toDate(): Date; seconds: number; nanoseconds: number } }
  /** A value as stored (Dates for Timestamps), FieldValues resolved against the current one. */
  const resolve = (value: unknown, current: unknown, now: { toDate(): Date }): unknown => {
    const field = value as FieldValueImpl | null
    switch (field !== null && typeof field === 'object' ? field._methodName : undefined) {
      case 'serverTimestamp':
        return now
      case 'increment':
        return (typeof current === 'number' ? current : 0) + field!._operand!
      case 'arrayUnion': {
        const base = Array.isArray(current) ? [...(current as unknown[])] : []
        for (const e of field!._elements!) if (!base.some((b) => valueCompare(b, e) === 0)) base.push(e)
        return base
      }
      case 'arrayRemove':
        return Array.isArray(current) ? (current as unknown[]).filter((b) => !field!._elements!.some((e) => valueCompare(b, e) === 0)) : []
      case 'deleteField':
        return undefined
    }
    if (value instanceof (actual.Timestamp as unknown as new (...args: never[]) => { toDate(): Date })) return value
    if (Array.isArray(value)) return value.map((v) => resolve(v, undefined, now))
    if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) {
        const r = resolve(v, undefined, now)
        if (r !== undefined) out[k] = r
      }
      return out
    }
    return value
  }
  const setPath = (target: Record<string, unknown>, path: string[], value: unknown): void => {
    const [head, ...rest] = path
    if (rest.length === 0) {
      if (value === undefined) delete target[head!]
      else target[head!] = value
      return
    }
    const next = target[head!]
    const child = next !== null && typeof next === 'object' && !Array.isArray(next) ? { ...(next as Record<string, unknown>) } : {}
    target[head!] = child
    setPath(child, rest, value)
  }
  const getPath = (target: Record<string, unknown> | undefined, path: string[]): unknown =>
    path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), target)
  /** Applies staged writes at once, at one commit time. */
  const commit = (staged: Staged[]): void => {
    clockMicros = Math.max(clockMicros + 1, Date.now() * 1000)
    const now = new Timestamp(Math.floor(clockMicros / 1e6), (clockMicros % 1e6) * 1000)
    for (const w of staged) {
      const existing = store.collections.get(w.ref.collection)?.get(w.ref.id) as Record<string, unknown> | undefined
      if (w.kind === 'delete') store.set(w.ref.collection, w.ref.id, undefined)
      else if (w.kind === 'set') store.set(w.ref.collection, w.ref.id, resolve(w.data, undefined, now) as Data)
      else {
        if (!existing) throw Object.assign(new Error(`No document to update: ${w.ref.collection}/${w.ref.id}`), { code: 'not-found' })
        const next = { ...existing }
        for (const [key, value] of Object.entries(w.data!)) setPath(next, key.split('.'), resolve(value, getPath(existing, key.split('.')), now))
        store.set(w.ref.collection, w.ref.id, next as Data)
      }
    }
  }
  const stager = (staged: Staged[]) => ({
    set: (ref: Staged['ref'], data: Record<string, unknown>) => void staged.push({ ref, kind: 'set', data }),
    update: (ref: Staged['ref'], data: Record<string, unknown>) => void staged.push({ ref, kind: 'update', data }),
    delete: (ref: Staged['ref']) => void staged.push({ ref, kind: 'delete' }),
  })
  const getDoc = async (ref: { collection: string; id: string }) => {
    const data = store.collections.get(ref.collection)?.get(ref.id)
    store.calls.push({ fn: 'getDoc', documents: data ? 1 : 0, ids: data ? [ref.id] : [] })
    return data
      ? snapshotOf(ref.collection, { id: ref.id, data })
      : { id: ref.id, exists: () => false, data: () => undefined, get: () => undefined, metadata: METADATA }
  }

  return {
    ...actual,
    __store: store,
    writeBatch: () => {
      const staged: Staged[] = []
      return { ...stager(staged), commit: async () => commit(staged) }
    },
    runTransaction: async <T>(_db: unknown, fn: (tx: unknown) => Promise<T>): Promise<T> => {
      const staged: Staged[] = []
      const result = await fn({ ...stager(staged), get: getDoc })
      commit(staged)
      return result
    },
    getFirestore: () => ({ type: 'fake-firestore' }),
    connectFirestoreEmulator: () => undefined,
    terminate: async () => undefined,
    collection: (_db: unknown, name: string) => ({ $: 'collection', name }),
    doc: (_db: unknown, collection: string, id: string) => ({ $: 'doc', collection, id }),
    documentId: () => KEY,
    where: (field: string, op: Op, value: unknown): WhereConstraint => ({ $: 'where', field, op, value }),
    and: (...filters: FilterConstraint[]): CompositeConstraint => ({ $: 'and', filters }),
    or: (...filters: FilterConstraint[]): CompositeConstraint => ({ $: 'or', filters }),
    orderBy: (field: string, direction: 'asc' | 'desc' = 'asc'): OrderConstraint => ({ $: 'orderBy', field, direction }),
    limit: (n: number) => ({ $: 'limit', n }),
    startAfter: (...values: unknown[]) => ({ $: 'startAfter', values }),
    query,
    getDocs: async (q: FakeQuery) => {
      const docs = store.run(q)
      store.calls.push({ fn: 'getDocs', query: q, documents: docs.length, ids: docs.map((d) => d.id) })
      return querySnapshot(q, docs)
    },
    getCountFromServer: async (q: FakeQuery) => {
      const count = store.run(q, false).length
      store.calls.push({ fn: 'getCountFromServer', query: q, documents: 0, ids: [], count })
      return { data: () => ({ count }) }
    },
    getDoc,
    onSnapshot: (q: FakeQuery, _options: unknown, next: (s: unknown) => void, error: (e: unknown) => void) =>
      store.listen(q, (docs) => next(querySnapshot(q, docs)), error),
  }
}

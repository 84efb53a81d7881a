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
 *
 * Connectivity, as the SDK behaves without a network (read from @firebase/firestore's
 * executeQueryViaSnapshotListener, readDocumentViaSnapshotListener and TransactionRunner):
 * `__setOnline(db, false)` cuts one instance off. Then `getDocs` answers from the instance's cache
 * (`fromCache: true`), `getDoc` too or fails `unavailable` for a document it never read;
 * `getDocsFromServer`, `getCountFromServer` and transactions fail `unavailable`; a batch's commit
 * waits for the connection; listeners get nothing until it is back.
 *
 * Security rules (`store.rules`) see the signed-in uid of the instance's app (firebase/auth) and are
 * checked as Firestore does: a get and each written document by the document, a query by its
 * constraints ("rules are not filters"). A fixture writes both halves by hand, as its rules say.
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
  /** The Firestore instance that built it (its network switch and cache). */
  db?: FakeDb
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

/** What a security rule sees: one document read or written, by whom. */
export interface RuleRequest {
  op: 'read' | 'create' | 'update' | 'delete'
  collection: string
  id: string
  /** The stored document (absent when it does not exist). */
  before?: Data
  /** The document as the write leaves it (create and update). */
  after?: Data
  uid: string | null
}
/** A query as rules see it: its constraints, not its results. */
export interface QueryRuleRequest {
  collection: string
  filters: FakeQuery['filters']
  uid: string | null
}
export interface Rules {
  /** A get, or a document as a write leaves it. */
  document(request: RuleRequest): boolean
  /** A query (get, count, listen), allowed or refused whatever it would return ("rules are not filters"). */
  query(request: QueryRuleRequest): boolean
}

/**
 * One Firestore instance (one per app): its connection (`__setOnline`) and its cache, the documents
 * its server reads have returned, which `getDocs` answers from while it cannot reach the server.
 */
export interface FakeDb {
  type: 'fake-firestore'
  app: unknown
  online: boolean
  cache: FakeStore
  /** Called when the connection comes back: queued batches commit, listeners catch up. */
  reconnected: Set<() => void>
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

// The SDK's value classes (a map that looks like one is still a map).
type BytesLike = { toUint8Array(): Uint8Array }
type GeoPointLike = { latitude: number; longitude: number }
type RefLike = { $: 'doc'; collection: string; id: string }
const sdkClass = (name: 'Bytes' | 'GeoPoint' | 'DocumentReference') => (jest.requireActual('firebase/firestore') as Record<string, new (...args: never[]) => object>)[name]!
const isBytes = (v: object): v is BytesLike => v instanceof sdkClass('Bytes')
const isGeoPoint = (v: object): v is GeoPointLike => v instanceof sdkClass('GeoPoint')
const isRef = (v: object): v is RefLike => v instanceof sdkClass('DocumentReference')

/** Firestore's type order: null, boolean, number, timestamp, string, bytes, reference, geopoint, array, map. */
function typeOrder(v: unknown): number {
  if (v === null) return 0
  if (typeof v === 'boolean') return 1
  if (typeof v === 'number') return 2
  if (v instanceof Date || isTimestamp(v)) return 3
  if (typeof v === 'string') return 5
  if (Array.isArray(v)) return 9
  if (typeof v === 'object') {
    if (isBytes(v)) return 6
    if (isRef(v)) return 7
    if (isGeoPoint(v)) return 8
  }
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
    case 6:
      return Buffer.compare((a as BytesLike).toUint8Array(), (b as BytesLike).toUint8Array())
    case 7:
      return utf8((a as RefLike).collection, (b as RefLike).collection) || utf8((a as RefLike).id, (b as RefLike).id)
    case 8:
      return (a as GeoPointLike).latitude - (b as GeoPointLike).latitude || (a as GeoPointLike).longitude - (b as GeoPointLike).longitude
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
  /** Security rules, checked per document (see fakeFirestoreModule). None: everything is allowed. */
  rules: Rules | undefined
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
    this.rules = undefined
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

  /** A snapshot listener; `connected` false holds back server updates (they arrive on `poke`). */
  listen(q: FakeQuery, next: (docs: StoredDoc[]) => void, fail: (error: unknown) => void, run = () => this.run(q), connected = () => true): () => void {
    let previous = new Map<string, string>()
    const emit = (): void => {
      if (!connected()) return
      let docs: StoredDoc[]
      try {
        docs = run()
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

  /** Every listener re-evaluates (a connection came back). */
  poke(): void {
    for (const listener of [...this.listeners]) listener.emit()
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

type Metadata = Readonly<{ fromCache: boolean; hasPendingWrites: boolean }>
const METADATA: Metadata = Object.freeze({ fromCache: false, hasPendingWrites: false })
const CACHED: Metadata = Object.freeze({ fromCache: true, hasPendingWrites: false })

type FakeRef = { $: 'doc'; collection: string; id: string; db?: FakeDb }

export function fakeFirestoreModule(): Record<string, unknown> & { __store: FakeStore } {
  const actual = jest.requireActual('firebase/firestore') as Record<string, unknown> & { Timestamp: Timestamps }
  const store = new FakeStore()
  const FirestoreError = actual.FirestoreError as new (code: string, message: string) => Error
  const auth = jest.requireActual('firebase/auth') as typeof import('firebase/auth')
  /** A DocumentReference (instanceof works, as the codec checks) to a top-level collection's document. */
  const refOf = (db: FakeDb, collection: string, id: string): FakeRef => {
    const DocumentReference = actual.DocumentReference as unknown as { prototype: object }
    const path = `${collection}/${id}`
    const values = { $: 'doc', collection, id, db, path, parent: { id: collection, path: collection, parent: null }, toJSON: () => ({ path }), isEqual: (other: RefLike) => other?.$ === 'doc' && other.collection === collection && other.id === id }
    return Object.defineProperties(Object.create(DocumentReference.prototype), Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value, enumerable: ['$', 'collection', 'id', 'path'].includes(k) }]))) as FakeRef
  }
  const newDb = (app: unknown): FakeDb => ({ type: 'fake-firestore', app, online: true, cache: new FakeStore(), reconnected: new Set() })
  const dbs = new WeakMap<object, FakeDb>()
  const defaultDb = newDb(undefined)
  /** Throws permission-denied where the rules refuse. */
  const uidOf = (db: FakeDb): string | null => (db.app ? (auth.getAuth(db.app as Parameters<typeof auth.getAuth>[0]).currentUser?.uid ?? null) : null)
  const denied = (what: string) => new FirestoreError('permission-denied', `Missing or insufficient permissions (${what}).`)
  const allowed = (db: FakeDb, request: Omit<RuleRequest, 'uid'>): void => {
    if (store.rules && !store.rules.document({ ...request, uid: uidOf(db) })) throw denied(`${request.op} ${request.collection}/${request.id}`)
  }
  /** Each committed document's update time, as the SDK's snapshot holds it (`_document.version`). */
  const versions = new Map<string, unknown>()
  const snapshotOf = (collection: string, doc: StoredDoc, metadata = METADATA) => ({
    _document: { version: { toTimestamp: () => versions.get(`${collection}/${doc.id}`) } },
    id: doc.id,
    ref: { id: doc.id, path: `${collection}/${doc.id}` },
    metadata,
    exists: () => true,
    data: () => toSdk(doc.data, actual.Timestamp),
    get: (field: string) => toSdk(read(doc, field), actual.Timestamp),
  })
  const querySnapshot = (q: FakeQuery, docs: StoredDoc[], metadata = METADATA) => ({ docs: docs.map((d) => snapshotOf(q.collection, d, metadata)), size: docs.length, empty: docs.length === 0, metadata })

  function query(base: { $: 'collection'; name: string; db?: FakeDb }, ...constraints: Constraint[]): FakeQuery {
    const q: FakeQuery = { $: 'query', ...(base.db ? { db: base.db } : {}), collection: base.name, filters: [], orderBy: [] }
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
  type Staged = { ref: FakeRef; kind: 'set' | 'update' | 'delete'; data?: Record<string, unknown> }
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
  const commit = (staged: Staged[], db: FakeDb): void => {
    clockMicros = Math.max(clockMicros + 1, Date.now() * 1000)
    const now = new Timestamp(Math.floor(clockMicros / 1e6), (clockMicros % 1e6) * 1000)
    // Computed first, written after: a commit the rules refuse writes nothing.
    const results = new Map<string, { collection: string; id: string; before?: Data; after?: Data }>()
    for (const w of staged) {
      const key = `${w.ref.collection}/${w.ref.id}`
      const stored = store.collections.get(w.ref.collection)?.get(w.ref.id)
      const entry = results.get(key) ?? { collection: w.ref.collection, id: w.ref.id, ...(stored ? { before: stored } : {}) }
      const existing = (results.has(key) ? entry.after : stored) as Record<string, unknown> | undefined
      if (w.kind === 'delete') delete entry.after
      else if (w.kind === 'set') entry.after = resolve(w.data, undefined, now) as Data
      else {
        if (!existing) throw new FirestoreError('not-found', `No document to update: ${w.ref.collection}/${w.ref.id}`)
        const next = { ...existing }
        for (const [field, value] of Object.entries(w.data!)) setPath(next, field.split('.'), resolve(value, getPath(existing, field.split('.')), now))
        entry.after = next as Data
      }
      results.set(key, entry)
    }
    for (const r of results.values()) {
      const op = r.after === undefined ? 'delete' : r.before === undefined ? 'create' : 'update'
      if (r.after === undefined && r.before === undefined) continue
      allowed(db, { op, collection: r.collection, id: r.id, before: r.before, after: r.after })
    }
    for (const r of results.values()) {
      // The version first: listeners read it while `set` notifies them.
      if (r.after) versions.set(`${r.collection}/${r.id}`, now)
      else versions.delete(`${r.collection}/${r.id}`)
      store.set(r.collection, r.id, r.after)
    }
  }
  const stager = (staged: Staged[]) => ({
    set: (ref: Staged['ref'], data: Record<string, unknown>) => void staged.push({ ref, kind: 'set', data }),
    update: (ref: Staged['ref'], data: Record<string, unknown>) => void staged.push({ ref, kind: 'update', data }),
    delete: (ref: Staged['ref']) => void staged.push({ ref, kind: 'delete' }),
  })
  const getDoc = async (ref: FakeRef, source: 'default' | 'server' = 'default') => {
    const db = ref.db ?? defaultDb
    if (!db.online) {
      const cached = db.cache.collections.get(ref.collection)?.get(ref.id)
      if (source === 'server' || !cached) throw new FirestoreError('unavailable', 'Failed to get document because the client is offline.')
      return snapshotOf(ref.collection, { id: ref.id, data: cached }, CACHED)
    }
    const data = store.collections.get(ref.collection)?.get(ref.id)
    allowed(db, { op: 'read', collection: ref.collection, id: ref.id, before: data })
    store.calls.push({ fn: 'getDoc', documents: data ? 1 : 0, ids: data ? [ref.id] : [] })
    if (data) db.cache.set(ref.collection, ref.id, data)
    return data
      ? snapshotOf(ref.collection, { id: ref.id, data })
      : { id: ref.id, exists: () => false, data: () => undefined, get: () => undefined, metadata: METADATA }
  }
  /** A query on the server: rules checked on every document it returns, results cached. */
  const serverQuery = (q: FakeQuery, paged = true): StoredDoc[] => {
    const db = q.db ?? defaultDb
    if (store.rules && !store.rules.query({ collection: q.collection, filters: q.filters, uid: uidOf(db) })) throw denied(`query on ${q.collection}`)
    const docs = store.run(q, paged)
    for (const d of docs) db.cache.set(q.collection, d.id, d.data)
    return docs
  }
  const connected = (db: FakeDb): void => {
    if (!db.online) throw new FirestoreError('unavailable', 'Failed to get documents from server. (However, these documents may exist in the local cache.)')
  }
  const getDocs = async (q: FakeQuery, source: 'default' | 'server' = 'default') => {
    const db = q.db ?? defaultDb
    if (!db.online && source === 'default') return querySnapshot(q, db.cache.run(q), CACHED)
    connected(db)
    const docs = serverQuery(q)
    store.calls.push({ fn: 'getDocs', query: q, documents: docs.length, ids: docs.map((d) => d.id) })
    return querySnapshot(q, docs)
  }

  return {
    ...actual,
    __store: store,
    __setOnline: (db: FakeDb, online: boolean) => {
      db.online = online
      if (!online) return
      for (const resume of [...db.reconnected]) resume()
      db.reconnected.clear()
      store.poke()
    },
    writeBatch: (db: FakeDb = defaultDb) => {
      const staged: Staged[] = []
      return {
        ...stager(staged),
        // The SDK keeps a batch until the server acknowledges it: offline, that is when the connection is back.
        commit: async () => {
          while (!db.online) await new Promise<void>((resume) => db.reconnected.add(resume))
          commit(staged, db)
        },
      }
    },
    runTransaction: async <T>(db: FakeDb, fn: (tx: unknown) => Promise<T>): Promise<T> => {
      connected(db)
      const staged: Staged[] = []
      const result = await fn({ ...stager(staged), get: (ref: FakeRef) => getDoc(ref, 'server') })
      connected(db)
      commit(staged, db)
      return result
    },
    getFirestore: (app?: object) => {
      if (!app) return defaultDb
      let db = dbs.get(app)
      if (!db) dbs.set(app, (db = newDb(app)))
      return db
    },
    connectFirestoreEmulator: () => undefined,
    terminate: async () => undefined,
    collection: (db: FakeDb, name: string) => ({ $: 'collection', name, db }),
    doc: (db: FakeDb, collection: string, id: string): FakeRef => refOf(db, collection, id),
    documentId: () => KEY,
    where: (field: string, op: Op, value: unknown): WhereConstraint => ({ $: 'where', field, op, value }),
    and: (...filters: FilterConstraint[]): CompositeConstraint => ({ $: 'and', filters }),
    or: (...filters: FilterConstraint[]): CompositeConstraint => ({ $: 'or', filters }),
    orderBy: (field: string, direction: 'asc' | 'desc' = 'asc'): OrderConstraint => ({ $: 'orderBy', field, direction }),
    limit: (n: number) => ({ $: 'limit', n }),
    startAfter: (...values: unknown[]) => ({ $: 'startAfter', values }),
    query,
    getDocs: (q: FakeQuery) => getDocs(q),
    getDocsFromServer: (q: FakeQuery) => getDocs(q, 'server'),
    getCountFromServer: async (q: FakeQuery) => {
      connected(q.db ?? defaultDb)
      const count = serverQuery(q, false).length
      store.calls.push({ fn: 'getCountFromServer', query: q, documents: 0, ids: [], count })
      return { data: () => ({ count }) }
    },
    getDoc: (ref: FakeRef) => getDoc(ref),
    getDocFromServer: (ref: FakeRef) => getDoc(ref, 'server'),
    onSnapshot: (q: FakeQuery, _options: unknown, next: (s: unknown) => void, error: (e: unknown) => void) =>
      store.listen(
        q,
        (docs) => next(querySnapshot(q, docs)),
        error,
        () => serverQuery(q),
        () => (q.db ?? defaultDb).online,
      ),
  }
}

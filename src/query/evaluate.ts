import type { DocumentData, Value } from '../types.js'
import { valueTypeOf } from '../value-types.js'
import { compareStrings, compareValues, typeRank, valuesEqual } from './compare.js'
import { DOC_ID, type Cursor, type Filter, type OrderBy, type Query } from './model.js'

/** What the evaluator needs of a document: its id and its data. */
export interface Evaluable {
  id: string
  data: DocumentData
}

export type Predicate = (doc: Evaluable) => boolean
export type Comparator = (a: Evaluable, b: Evaluable) => number

/** Reads a field path; a missing field reads as `undefined` (treated as null by comparisons). */
export function getField(doc: Evaluable, path: string): Value | undefined {
  if (path === DOC_ID) return doc.id
  if (!path.includes('.')) return doc.data[path]
  let current: Value | undefined = doc.data
  for (const part of path.split('.')) {
    // Only maps have fields: a path does not reach into a Date or a neutral value (a GeoPoint's latitude).
    if (current === null || typeof current !== 'object' || Array.isArray(current) || current instanceof Date || valueTypeOf(current) !== undefined) return undefined
    current = (current as Record<string, Value>)[part]
  }
  return current
}

function fieldReader(path: string): (doc: Evaluable) => Value | undefined {
  if (path === DOC_ID) return (doc) => doc.id
  if (!path.includes('.')) return (doc) => doc.data[path]
  return (doc) => getField(doc, path)
}

/** Range comparisons only hold between values of the same type (as in Firestore and typed SQL columns). */
function rangeTest(op: '<' | '<=' | '>' | '>=', bound: Value): (v: Value | undefined) => boolean {
  const rank = typeRank(bound)
  const sameType = (v: Value | undefined): boolean => v !== null && v !== undefined && typeRank(v) === rank
  switch (op) {
    case '<':
      return (v) => sameType(v) && compareValues(v, bound) < 0
    case '<=':
      return (v) => sameType(v) && compareValues(v, bound) <= 0
    case '>':
      return (v) => sameType(v) && compareValues(v, bound) > 0
    default:
      return (v) => sameType(v) && compareValues(v, bound) >= 0
  }
}

function valueTest(op: Filter & { kind: 'field' }): (v: Value | undefined) => boolean {
  const { value } = op
  switch (op.op) {
    case '==':
      if (value === null) return (v) => v === null || v === undefined
      if (typeof value !== 'object') return (v) => v === value
      return (v) => valuesEqual(v, value)
    case '!=':
      if (value === null) return (v) => v !== null && v !== undefined
      if (typeof value !== 'object') return (v) => v !== value
      return (v) => !valuesEqual(v, value)
    case '<':
    case '<=':
    case '>':
    case '>=':
      return rangeTest(op.op, value)
    case 'in': {
      const list = value as Value[]
      return (v) => list.some((x) => valuesEqual(v, x))
    }
    case 'not-in': {
      const list = value as Value[]
      return (v) => !list.some((x) => valuesEqual(v, x))
    }
    case 'array-contains':
      return (v) => Array.isArray(v) && v.some((x) => valuesEqual(x, value))
    case 'array-contains-any': {
      const list = value as Value[]
      return (v) => Array.isArray(v) && v.some((x) => list.some((y) => valuesEqual(x, y)))
    }
  }
}

export function compileFilter(filter: Filter): Predicate {
  if (filter.kind === 'field') {
    const read = fieldReader(filter.field)
    const test = valueTest(filter)
    return (doc) => test(read(doc))
  }
  const parts = filter.filters.map(compileFilter)
  if (filter.kind === 'and') return (doc) => parts.every((p) => p(doc))
  return (doc) => parts.some((p) => p(doc))
}

export function compileFilters(filters: readonly Filter[]): Predicate {
  if (filters.length === 0) return () => true
  if (filters.length === 1) return compileFilter(filters[0]!)
  return compileFilter({ kind: 'and', filters: [...filters] })
}

/** compareValues with the scalar cases first (same order, no type-rank dispatch for numbers and strings). */
export function compareSortValues(a: Value | undefined, b: Value | undefined): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'string' && typeof b === 'string') return a === b ? 0 : compareStrings(a, b)
  return compareValues(a, b)
}

export function compileOrder(orderBy: readonly OrderBy[]): Comparator {
  const reads = orderBy.map((o) => fieldReader(o.field))
  const desc = orderBy.map((o) => o.direction === 'desc')
  const n = reads.length
  return (a, b) => {
    for (let i = 0; i < n; i++) {
      const read = reads[i]!
      const c = compareSortValues(read(a), read(b))
      if (c !== 0) return desc[i] ? -c : c
    }
    return 0
  }
}

/** Sort values of a document under an ordering: what a cursor records. */
export function cursorOf(doc: Evaluable, orderBy: readonly OrderBy[]): Cursor {
  return { values: orderBy.filter((o) => o.field !== DOC_ID).map((o) => getField(doc, o.field) ?? null), id: doc.id }
}

/** True when `doc` comes strictly after the cursor position (compared field by field, id last). */
export function compileCursor(cursor: Cursor, orderBy: readonly OrderBy[]): Predicate {
  let valueIndex = 0
  const keys = orderBy.map((o) => ({
    read: fieldReader(o.field),
    sign: o.direction === 'desc' ? -1 : 1,
    bound: o.field === DOC_ID ? cursor.id : (cursor.values[valueIndex++] ?? null),
  }))
  return (doc) => {
    for (const key of keys) {
      const c = compareValues(key.read(doc), key.bound)
      if (c !== 0) return c * key.sign > 0
    }
    return false
  }
}

export interface CompiledQuery {
  matches: Predicate
  compare: Comparator
  /** Filters plus the cursor: what a result must satisfy to be on this page. */
  accepts: Predicate
  limit: number
  /** The first sort key: lets a top-k pass reject most documents with one field read and one comparison. */
  lead: { field: string; direct: boolean; read: (doc: Evaluable) => Value | undefined; desc: boolean } | null
}

export function compileQuery(query: Query): CompiledQuery {
  const matches = compileFilters(query.filters)
  const compare = compileOrder(query.orderBy)
  const after = query.startAfter ? compileCursor(query.startAfter, query.orderBy) : undefined
  return {
    matches,
    compare,
    accepts: after ? (doc) => matches(doc) && after(doc) : matches,
    limit: query.limit ?? Infinity,
    lead: query.orderBy[0]
      ? {
          field: query.orderBy[0].field,
          direct: query.orderBy[0].field !== DOC_ID && !query.orderBy[0].field.includes('.'),
          read: fieldReader(query.orderBy[0].field),
          desc: query.orderBy[0].direction === 'desc',
        }
      : null,
  }
}

/** Binary search: first index whose element sorts after `item`. */
export function insertionIndex<T>(sorted: readonly T[], item: T, compare: (a: T, b: T) => number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compare(sorted[mid]!, item) <= 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

export interface RunOptions {
  /** `docs` arrive sorted by the query's ordering (see OrderedIndex), so reading stops at the limit. */
  ordered?: boolean
}

/**
 * Documents `runQuery` has examined, in total since the process started: lets a test check that a
 * query read only its page (work counted, not timed).
 */
export const queryProbe = { examined: 0 }

/**
 * Runs a query over any iterable of documents in one pass. With a limit it keeps only the best
 * `limit` candidates (top-k selection), so a 20-row page over 100k docs never sorts 100k docs.
 */
export function runQuery<D extends Evaluable>(docs: Iterable<D>, query: Query | CompiledQuery, options?: RunOptions): D[] {
  const compiled = 'accepts' in query ? query : compileQuery(query)
  const { accepts, compare, limit } = compiled
  const out: D[] = []
  let examined = 0
  if (options?.ordered) {
    // Already in the query's order (an OrderedIndex): the page is the first `limit` matches.
    for (const doc of docs) {
      examined++
      if (!accepts(doc)) continue
      out.push(doc)
      if (out.length >= limit) break
    }
    queryProbe.examined += examined
    return out
  }
  if (limit === Infinity) {
    for (const doc of docs) {
      examined++
      if (accepts(doc)) out.push(doc)
    }
    queryProbe.examined += examined
    return out.sort(compare)
  }
  const { lead } = compiled
  if (!lead) {
    for (const doc of docs) {
      examined++
      if (out.length === limit && compare(doc, out[limit - 1]!) >= 0) continue
      if (!accepts(doc)) continue
      out.splice(insertionIndex(out, doc, compare), 0, doc)
      if (out.length > limit) out.pop()
    }
    queryProbe.examined += examined
    return out
  }
  const { field, direct, read, desc } = lead
  // Once the window is full, `bound` is the first sort value of its last member: a document
  // strictly worse on that key is rejected without the full comparator or the filters.
  let full = false
  let bound: Value | undefined
  for (const doc of docs) {
    examined++
    if (full) {
      const v = direct ? doc.data[field] : read(doc)
      let c = typeof v === 'number' && typeof bound === 'number' ? v - bound : compareSortValues(v, bound)
      if (desc) c = -c
      if (c > 0) continue
      if (c === 0 && compare(doc, out[limit - 1]!) >= 0) continue
    }
    if (!accepts(doc)) continue
    out.splice(insertionIndex(out, doc, compare), 0, doc)
    if (out.length > limit) out.pop()
    if (out.length === limit) {
      full = true
      bound = read(out[limit - 1]!)
    }
  }
  queryProbe.examined += examined
  return out
}

/** Counts matches (cursor and limit ignored, as count() in every vendor). */
export function countMatches(docs: Iterable<Evaluable>, filters: readonly Filter[]): number {
  const matches = compileFilters(filters)
  let n = 0
  for (const doc of docs) if (matches(doc)) n++
  return n
}

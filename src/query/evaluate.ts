import type { DocumentData, Value } from '../types.js'
import { compareValues, typeRank, valuesEqual } from './compare.js'
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
    if (current === null || typeof current !== 'object' || Array.isArray(current) || current instanceof Date) return undefined
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

export function compileOrder(orderBy: readonly OrderBy[]): Comparator {
  const keys = orderBy.map((o) => ({ read: fieldReader(o.field), sign: o.direction === 'desc' ? -1 : 1 }))
  return (a, b) => {
    for (const key of keys) {
      const c = compareValues(key.read(a), key.read(b))
      if (c !== 0) return c * key.sign
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

/**
 * Runs a query over any iterable of documents in one pass. With a limit it keeps only the best
 * `limit` candidates (top-k selection), so a 20-row page over 100k docs never sorts 100k docs.
 */
export function runQuery<D extends Evaluable>(docs: Iterable<D>, query: Query | CompiledQuery): D[] {
  const compiled = 'accepts' in query ? query : compileQuery(query)
  const { accepts, compare, limit } = compiled
  const out: D[] = []
  if (limit === Infinity) {
    for (const doc of docs) if (accepts(doc)) out.push(doc)
    return out.sort(compare)
  }
  for (const doc of docs) {
    if (out.length === limit && compare(doc, out[limit - 1]!) >= 0) continue
    if (!accepts(doc)) continue
    out.splice(insertionIndex(out, doc, compare), 0, doc)
    if (out.length > limit) out.pop()
  }
  return out
}

/** Counts matches (cursor and limit ignored, as count() in every vendor). */
export function countMatches(docs: Iterable<Evaluable>, filters: readonly Filter[]): number {
  const matches = compileFilters(filters)
  let n = 0
  for (const doc of docs) if (matches(doc)) n++
  return n
}

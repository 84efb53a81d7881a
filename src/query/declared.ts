/**
 * The evaluator under declared query semantics (semantics.ts): what an adapter whose vendor differs
 * from the reference answers — the memory adapter emulating Firestore, Firestore's client-side plans.
 * Reference semantics take the reference evaluator (evaluate.ts) unchanged; the others wrap its
 * filters and replace its comparisons, as docs/semantics.md states each rule.
 */
import type { Value } from '../types.js'
import { compareStrings, compareValues, typeRank, TypeRank } from './compare.js'
import { compileFilter, compileQuery, getField, type CompiledQuery, type Evaluable, type Predicate } from './evaluate.js'
import { DOC_ID, type Cursor, type Filter, type OrderBy, type Query } from './model.js'
import { isReferenceSemantics, type QuerySemantics } from './semantics.js'

const isNull = (v: Value | undefined): boolean => v === null || v === undefined

function compileLeaf(filter: Filter & { kind: 'field' }, s: QuerySemantics): Predicate {
  const reference = compileFilter(filter)
  const { field, op, value } = filter
  const notEqual = op === '!=' || op === 'not-in'
  // Each declared rule only narrows the reference's matches.
  if (s.notEqualNull === 'skipped' && op === 'not-in' && (value as Value[]).some(isNull)) return () => false
  const skipNull = s.notEqualNull === 'skipped' && notEqual
  const skipMissing = s.missingFields === 'excluded' && field !== DOC_ID
  if (!skipNull && !skipMissing) return reference
  return (doc) => {
    const v = getField(doc, field)
    if (skipMissing && v === undefined) return false
    if (skipNull && isNull(v)) return false
    return reference(doc)
  }
}

function compileDeclaredFilter(filter: Filter, s: QuerySemantics): Predicate {
  if (filter.kind === 'field') return compileLeaf(filter, s)
  const parts = filter.filters.map((f) => compileDeclaredFilter(f, s))
  if (filter.kind === 'and') return (doc) => parts.every((p) => p(doc))
  return (doc) => parts.some((p) => p(doc))
}

/** compareValues with null (and missing) below every value, at any depth (`nullOrder: 'first'`). */
export function compareNullFirst(a: Value | undefined, b: Value | undefined): number {
  if (isNull(a) || isNull(b)) return isNull(a) ? (isNull(b) ? 0 : -1) : 1
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareNullFirst(a[i], b[i])
      if (c !== 0) return c
    }
    return a.length - b.length
  }
  if (typeRank(a) === TypeRank.Object && typeRank(b) === TypeRank.Object) {
    // As compareValues: key by key in sorted order, each key then its value.
    const oa = a as Record<string, Value>
    const ob = b as Record<string, Value>
    const ka = Object.keys(oa).sort(compareStrings)
    const kb = Object.keys(ob).sort(compareStrings)
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      const c = compareStrings(ka[i]!, kb[i]!) || compareNullFirst(oa[ka[i]!], ob[kb[i]!])
      if (c !== 0) return c
    }
    return ka.length - kb.length
  }
  return compareValues(a, b)
}

interface SortKey {
  field: string
  sign: number
}

function compareBy(keys: readonly SortKey[], compare: (a: Value | undefined, b: Value | undefined) => number, a: Evaluable, b: Evaluable): number {
  for (const { field, sign } of keys) {
    const c = compare(getField(a, field), getField(b, field))
    if (c !== 0) return c * sign
  }
  return 0
}

function cursorPredicate(cursor: Cursor, orderBy: readonly OrderBy[], compare: (a: Value | undefined, b: Value | undefined) => number): Predicate {
  let valueIndex = 0
  const bounds = orderBy.map((o) => ({
    field: o.field,
    sign: o.direction === 'desc' ? -1 : 1,
    bound: o.field === DOC_ID ? cursor.id : (cursor.values[valueIndex++] ?? null),
  }))
  return (doc) => {
    for (const { field, sign, bound } of bounds) {
      const c = compare(getField(doc, field), bound)
      if (c !== 0) return c * sign > 0
    }
    return false
  }
}

/**
 * Compiles a query as an adapter with these semantics answers it: filters narrowed by the declared
 * rules, documents missing an ordered field left out (`missingFields: 'excluded'`), null placed by
 * `nullOrder`. `matches` includes that exclusion, so it is also what `count()` counts.
 */
export function compileDeclared(query: Query, s: QuerySemantics): CompiledQuery {
  if (isReferenceSemantics(s)) return compileQuery(query)
  const filters = query.filters.map((f) => compileDeclaredFilter(f, s))
  const ordered = query.orderBy.filter((o) => o.field !== DOC_ID).map((o) => o.field)
  const present = s.missingFields === 'excluded' ? (doc: Evaluable) => ordered.every((f) => getField(doc, f) !== undefined) : () => true
  const matches: Predicate = (doc) => present(doc) && filters.every((p) => p(doc))
  const compareValue = s.nullOrder === 'first' ? compareNullFirst : compareValues
  const keys = query.orderBy.map((o) => ({ field: o.field, sign: o.direction === 'desc' ? -1 : 1 }))
  const after = query.startAfter ? cursorPredicate(query.startAfter, query.orderBy, compareValue) : undefined
  return {
    matches,
    compare: (a, b) => compareBy(keys, compareValue, a, b),
    accepts: after ? (doc) => matches(doc) && after(doc) : matches,
    limit: query.limit ?? Infinity,
    // The reference's early rejection compares by the reference order: not valid here.
    lead: null,
  }
}

/** What `count()` answers under these semantics: the matches of the query, limit and cursor aside. */
export function countDeclared(docs: Iterable<Evaluable>, query: Query, s: QuerySemantics): number {
  const { matches } = compileDeclared({ ...query, limit: undefined, startAfter: undefined }, s)
  let n = 0
  for (const doc of docs) if (matches(doc)) n++
  return n
}

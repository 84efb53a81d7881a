/**
 * What Cloud Firestore runs natively. The rules are its documented query limitations (Query data →
 * "Limitations", "Query with range and inequality filters on multiple fields", "Order and limit
 * data") and what the web SDK and the backend refuse (the SDK's `validateNewFieldFilter`, the
 * backend's "order by clause cannot contain more fields after the key" and "Equality on key is not
 * allowed if there are other inequality fields", both asserted by the SDK's integration tests).
 * `nativeProblem` names the first rule a query breaks, or answers null.
 */
import { DOC_ID, fieldFilters, usesOr, type FieldFilter, type Filter, type Query } from '../../src/query/model.js'
import { inequalityFields, INEQUALITY_OPERATORS } from '../../src/query/semantics.js'
import type { AdapterLimits } from '../../src/spi.js'

/** Disjunctions in disjunctive normal form (an `in` or `array-contains-any` list counts one per value). */
export const MAX_DISJUNCTIONS = 30
export const MAX_INEQUALITY_FIELDS = 10
/** Filters plus sort orders of one query. */
export const MAX_FILTERS_AND_ORDERS = 100

/** The limits the client enforces for Firestore (capabilities.limits): 500 writes per batch (writeBatch), 30 values per list filter. */
export const FIRESTORE_LIMITS: AdapterLimits = Object.freeze({ maxBatchWrites: 500, maxInValues: MAX_DISJUNCTIONS })

export function nativeProblem(query: Query): string | null {
  return orderProblem(query) ?? operatorProblem(query.filters) ?? disjunctionProblem(query.filters) ?? keyProblem(query.filters) ?? sizeProblem(query)
}

function orderProblem({ filters, orderBy }: Query): string | null {
  const idAt = orderBy.findIndex((o) => o.field === DOC_ID)
  if (idAt >= 0 && idAt < orderBy.length - 1) return `orderBy('${orderBy[idAt + 1]!.field}') after orderBy(DOC_ID): a Firestore ordering ends with the document id`
  const fields = inequalityFields(filters)
  if (fields.length > MAX_INEQUALITY_FIELDS) return `inequality filters on ${fields.length} fields (Firestore allows ${MAX_INEQUALITY_FIELDS})`
  // The client names them (implicitOrder); Firestore would append them after the id and refuse.
  const unordered = fields.find((field) => !orderBy.some((o) => o.field === field))
  if (unordered !== undefined) return `an inequality on '${unordered}' that the ordering does not name`
  return null
}

function operatorProblem(filters: readonly Filter[]): string | null {
  const leaves = fieldFilters(filters)
  const count = (op: FieldFilter['op']): number => leaves.filter((f) => f.op === op).length
  const onId = leaves.find((f) => f.field === DOC_ID && (f.op === 'array-contains' || f.op === 'array-contains-any'))
  if (onId) return `'${onId.op}' on DOC_ID`
  if (count('!=') > 1) return "more than one '!=' filter"
  const notIn = count('not-in')
  if (notIn === 0) return null
  if (notIn > 1) return "more than one 'not-in' filter"
  for (const op of ['!=', 'in', 'array-contains-any'] as const) if (count(op) > 0) return `'not-in' combined with '${op}'`
  if (usesOr(filters)) return "'not-in' in a query with or()"
  return null
}

/** DNF size with `in` lists expanded, stopping once past the limit. */
function disjunctions(filter: Filter): number {
  if (filter.kind === 'field') return filter.op === 'in' || filter.op === 'array-contains-any' ? (filter.value as unknown[]).length : 1
  const parts = filter.filters.map(disjunctions)
  const total = filter.kind === 'or' ? parts.reduce((a, b) => a + b, 0) : parts.reduce((a, b) => a * b, 1)
  return Math.min(total, MAX_DISJUNCTIONS + 1)
}

/** The conjunctions of the DNF, or() branches expanded (lists kept whole); only for small trees. */
function terms(filter: Filter): FieldFilter[][] {
  if (filter.kind === 'field') return [[filter]]
  const parts = filter.filters.map(terms)
  if (filter.kind === 'or') return parts.flat()
  return parts.reduce<FieldFilter[][]>((acc, part) => acc.flatMap((left) => part.map((right) => [...left, ...right])), [[]])
}

function disjunctionProblem(filters: readonly Filter[]): string | null {
  if (filters.length === 0) return null
  const root: Filter = { kind: 'and', filters: [...filters] }
  if (disjunctions(root) > MAX_DISJUNCTIONS) return `more than ${MAX_DISJUNCTIONS} disjunctions once or() and the in / array-contains-any lists are expanded`
  // Expanded, each array-contains-any is one array-contains per disjunction; one is allowed there.
  for (const term of terms(root)) {
    if (term.filter((f) => f.op === 'array-contains' || f.op === 'array-contains-any').length > 1) return "more than one 'array-contains' / 'array-contains-any' in one disjunction"
  }
  return null
}

function keyProblem(filters: readonly Filter[]): string | null {
  const leaves = fieldFilters(filters)
  const idEquality = leaves.some((f) => f.field === DOC_ID && (f.op === '==' || f.op === 'in'))
  const idInequality = leaves.some((f) => f.field === DOC_ID && INEQUALITY_OPERATORS.has(f.op))
  const other = inequalityFields(filters)[0]
  if (idEquality && !idInequality && other !== undefined) return `an equality on DOC_ID with an inequality on '${other}'`
  return null
}

function sizeProblem(query: Query): string | null {
  const size = fieldFilters(query.filters).length + query.orderBy.length
  return size > MAX_FILTERS_AND_ORDERS ? `${size} filters and sort orders (Firestore allows ${MAX_FILTERS_AND_ORDERS})` : null
}

/**
 * Plans a neutral query on Firestore. Firestore leaves out documents that lack an orderBy field or
 * a `!=`/`not-in` field, matches `== null` only for explicit nulls, and sorts null first; portabase
 * reads missing as null, matches them in `!=`/`not-in`, and sorts null last. So:
 * - native: the query is sent as is when those differences cannot show (every ordered field is
 *   pinned non-null by an AND filter, no `!=`/`not-in`/null operands, ranges on the leading orderBy field);
 * - local: otherwise the adapter reads the documents matching the query's top-level `==` filters
 *   (all of the collection when there are none) and runs the query with the portabase evaluator.
 *   Correct by construction; costs one read per document read (documented in README.md).
 */
import { DOC_ID, type FieldFilter, type Filter, type Query } from '../../src/query/model.js'

export type QueryPlan =
  | { mode: 'native'; query: Query }
  | { mode: 'local'; query: Query; serverFilters: FieldFilter[]; reason: string }

const RANGE = new Set(['<', '<=', '>', '>='])
/** Operators whose Firestore result equals the neutral one for documents that hold the field. */
const NON_NULL_PINNING = new Set(['==', '<', '<=', '>', '>=', 'in', 'array-contains', 'array-contains-any'])

function hasNull(value: unknown): boolean {
  return value === null || (Array.isArray(value) && value.some((v) => v === null))
}

/** A leaf Firestore answers exactly as portabase does. */
function leafIsNative(f: FieldFilter): string | null {
  if (f.op === '!=' || f.op === 'not-in') return `'${f.op}' (Firestore leaves out documents missing the field)`
  if (hasNull(f.value)) return 'a null operand (Firestore does not match missing fields as null)'
  return null
}

function nonNative(filters: readonly Filter[]): string | null {
  for (const f of filters) {
    const reason = f.kind === 'field' ? leafIsNative(f) : nonNative(f.filters)
    if (reason) return reason
  }
  return null
}

export function planQuery(query: Query): QueryPlan {
  const local = (reason: string): QueryPlan => ({
    mode: 'local',
    query,
    reason,
    serverFilters: query.filters.filter((f): f is FieldFilter => f.kind === 'field' && f.op === '==' && f.field !== DOC_ID && !hasNull(f.value)),
  })
  const reason = nonNative(query.filters)
  if (reason) return local(reason)

  const topLeaves = query.filters.filter((f): f is FieldFilter => f.kind === 'field')
  const pinned = new Set(topLeaves.filter((f) => NON_NULL_PINNING.has(f.op)).map((f) => f.field))
  const fieldOrders = query.orderBy.filter((o) => o.field !== DOC_ID)
  const unpinned = fieldOrders.find((o) => !pinned.has(o.field))
  if (unpinned) return local(`orderBy('${unpinned.field}') without a filter excluding null (Firestore drops missing fields and sorts null first)`)

  // Firestore orders by inequality fields first; that equals the neutral order only when the one
  // range field is the leading orderBy field.
  const rangeFields = new Set<string>()
  const collect = (filters: readonly Filter[]): void =>
    filters.forEach((f) => (f.kind === 'field' ? RANGE.has(f.op) && rangeFields.add(f.field) : collect(f.filters)))
  collect(query.filters)
  if (rangeFields.size > 1) return local('range filters on several fields')
  const [rangeField] = [...rangeFields]
  if (rangeField !== undefined && query.orderBy[0]?.field !== rangeField) return local(`a range on '${rangeField}' that is not the first orderBy field`)
  return { mode: 'native', query }
}

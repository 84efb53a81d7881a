import type { Value } from '../types.js'

export const FILTER_OPERATORS = ['==', '!=', '<', '<=', '>', '>=', 'in', 'not-in', 'array-contains', 'array-contains-any'] as const
export type FilterOp = (typeof FILTER_OPERATORS)[number]

/** A field path is a field name or a dotted path into nested objects. `DOC_ID` addresses the document id. */
export const DOC_ID = '__id__'

export interface FieldFilter {
  kind: 'field'
  field: string
  op: FilterOp
  value: Value
}

export interface CompositeFilter {
  kind: 'and' | 'or'
  filters: Filter[]
}

export type Filter = FieldFilter | CompositeFilter

export type Direction = 'asc' | 'desc'

export interface OrderBy {
  field: string
  direction: Direction
}

/** Position after which a page starts: the sort values of the last doc seen, then its id (the tie-breaker). */
export interface Cursor {
  values: Value[]
  id: string
}

/**
 * The app's consent to a client-side plan for one query (`QueryRef.allowClientPlan`): an adapter
 * whose vendor cannot run the query natively may read up to `maxReads` documents and evaluate the
 * query on the device; past that it fails with `resource-exhausted`. Adapters that run the query
 * natively ignore it; without it such a query fails with `unsupported`.
 */
export interface ClientPlan {
  maxReads: number
}

/**
 * The neutral query every adapter receives. `orderBy` always ends with the id (added by the client),
 * so results and cursors are total and stable; with `implicitOrder: 'inequality-fields'` the client
 * also names every inequality field before the id (semantics.ts).
 */
export interface Query {
  filters: Filter[]
  orderBy: OrderBy[]
  limit?: number
  startAfter?: Cursor
  clientPlan?: ClientPlan
}

export const emptyQuery = (): Query => ({ filters: [], orderBy: [{ field: DOC_ID, direction: 'asc' }] })

/** Every field filter in a filter tree, depth first. */
export function fieldFilters(filters: readonly Filter[]): FieldFilter[] {
  const out: FieldFilter[] = []
  const visit = (f: Filter): void => {
    if (f.kind === 'field') out.push(f)
    else f.filters.forEach(visit)
  }
  filters.forEach(visit)
  return out
}

export function usesOr(filters: readonly Filter[]): boolean {
  return filters.some((f) => f.kind === 'or' || (f.kind === 'and' && usesOr(f.filters)))
}

/** The ordering with the document id last (added ascending if absent): results and cursors become total and stable. */
export function withIdOrder(orderBy: readonly OrderBy[]): OrderBy[] {
  return orderBy.some((o) => o.field === DOC_ID) ? [...orderBy] : [...orderBy, { field: DOC_ID, direction: 'asc' }]
}

import type { Value } from '../types.js'
import type { CompositeFilter, FieldFilter, Filter, FilterOp } from './model.js'

/** A field condition, for use inside `or()` / `and()`. */
export function where(field: string, op: FilterOp, value: Value): FieldFilter {
  return { kind: 'field', field, op, value }
}

/** Matches documents that satisfy any of the filters (capability `orQueries`). */
export function or(...filters: Filter[]): CompositeFilter {
  return { kind: 'or', filters }
}

export function and(...filters: Filter[]): CompositeFilter {
  return { kind: 'and', filters }
}

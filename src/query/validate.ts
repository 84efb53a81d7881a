import { invalidArgument } from '../errors.js'
import { isSentinel } from '../sentinels.js'
import type { Capabilities } from '../spi.js'
import type { Value } from '../types.js'
import { assertFieldPath, assertValue } from '../values.js'
import { typeRank, TypeRank } from './compare.js'
import { DOC_ID, FILTER_OPERATORS, fieldFilters, usesOr, type Filter, type FilterOp, type Query } from './model.js'
import { PortabaseError } from '../errors.js'
import { assertFieldNotReserved, assertListSize } from '../limits.js'

/** The top-level field a field path starts with. */
function fieldHead(path: string): string {
  return path.split('.', 1)[0]!
}

export const MAX_LIMIT = 10_000

const LIST_OPS: ReadonlySet<FilterOp> = new Set(['in', 'not-in', 'array-contains-any'])
const RANGE_OPS: ReadonlySet<FilterOp> = new Set(['<', '<=', '>', '>='])

export function assertFilter(filter: Filter): void {
  if (filter.kind !== 'field') {
    if (filter.filters.length === 0) throw invalidArgument(`An ${filter.kind}() filter needs at least one condition`)
    filter.filters.forEach(assertFilter)
    return
  }
  const { field, op, value } = filter
  if (field !== DOC_ID) assertFieldPath(field)
  if (!(FILTER_OPERATORS as readonly string[]).includes(op)) throw invalidArgument(`Unknown query operator ${JSON.stringify(op)}`)
  if (value === undefined) throw invalidArgument(`where('${field}', '${op}', …) needs a value; use null to match missing fields`)
  if (isSentinel(value)) throw invalidArgument('Write sentinels cannot be used in queries')
  if (LIST_OPS.has(op)) {
    // The most values a list may hold is the adapter's limit (maxInValues, checked in assertQuery).
    if (!Array.isArray(value) || value.length === 0) throw invalidArgument(`'${op}' needs a non-empty array of values`)
    value.forEach((v, i) => assertValue(v, `${field}[${i}]`))
    return
  }
  assertValue(value, field)
  if (RANGE_OPS.has(op)) {
    const rank = typeRank(value as Value)
    if (rank !== TypeRank.Number && rank !== TypeRank.String && rank !== TypeRank.Date) {
      throw invalidArgument(`'${op}' compares numbers, strings or dates; got ${value === null ? 'null' : typeof value}`)
    }
  }
}

/** Most documents a client-side plan may be allowed to read per run (as many as one page may hold). */
export const MAX_CLIENT_PLAN_READS = MAX_LIMIT

function assertClientPlan(plan: unknown): void {
  const maxReads = typeof plan === 'object' && plan !== null ? (plan as { maxReads?: unknown }).maxReads : undefined
  if (typeof maxReads !== 'number' || !Number.isInteger(maxReads) || maxReads < 1 || maxReads > MAX_CLIENT_PLAN_READS) {
    throw invalidArgument(`allowClientPlan() needs { maxReads }: an integer from 1 to ${MAX_CLIENT_PLAN_READS}`)
  }
}

/** Checks a query is well formed and that the adapter can run it, before the adapter sees it. */
export function assertQuery(query: Query, capabilities: Capabilities, provider: string): void {
  query.filters.forEach(assertFilter)
  for (const order of query.orderBy) {
    if (order.field !== DOC_ID) assertFieldPath(order.field)
    if (order.direction !== 'asc' && order.direction !== 'desc') throw invalidArgument(`orderBy direction must be 'asc' or 'desc'`)
  }
  if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_LIMIT)) {
    throw invalidArgument(`limit must be an integer from 1 to ${MAX_LIMIT}`)
  }
  if (query.clientPlan !== undefined) assertClientPlan(query.clientPlan)
  if (usesOr(query.filters) && !capabilities.orQueries) {
    throw new PortabaseError('unsupported', `or() queries are not supported by the ${provider} adapter`, { provider })
  }
  const adapter = { name: provider }
  for (const order of query.orderBy) if (order.field !== DOC_ID) assertFieldNotReserved(adapter, capabilities.limits, fieldHead(order.field))
  for (const filter of fieldFilters(query.filters)) {
    if (filter.field !== DOC_ID) assertFieldNotReserved(adapter, capabilities.limits, fieldHead(filter.field))
    if (!capabilities.queryOperators.includes(filter.op)) {
      throw new PortabaseError('unsupported', `The '${filter.op}' operator is not supported by the ${provider} adapter`, { provider })
    }
    if (LIST_OPS.has(filter.op)) assertListSize(adapter, capabilities.limits, filter.op, (filter.value as readonly Value[]).length)
    if (filter.field.includes('.') && !capabilities.nestedFieldQueries) {
      throw new PortabaseError('unsupported', `Queries on nested fields are not supported by the ${provider} adapter`, { provider })
    }
  }
  if (!capabilities.nestedFieldQueries && query.orderBy.some((o) => o.field.includes('.'))) {
    throw new PortabaseError('unsupported', `Ordering by nested fields is not supported by the ${provider} adapter`, { provider })
  }
}

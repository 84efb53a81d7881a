/**
 * A portabase query as PostgREST query parameters over the `data jsonb` column (sql.ts), following
 * PostgREST's grammar and SQL (its QueryParams.hs and SqlFragment.hs): every filter compares
 * `data->field` as jsonb with the value as JSON text, so types are compared as JSON types.
 *
 * Where jsonb and portabase's rules differ, the translation closes the gap:
 * - range operators only match the bound's own type: each gets two bracketing filters, from
 *   PostgreSQL's documented jsonb order (String < Number < Boolean < Array < Object);
 * - `!=` and `not-in` also match missing/null fields (`is.null` branches), as the reference does;
 * - `== null` matches null and missing (top-level nulls are stored as missing, see sql.ts);
 * - keyset cursors expand into or/and trees, with the null branches the ordering needs.
 * What stays different is declared by the adapter: ordering across types within one field follows
 * jsonb's type order, and `array-contains` of an object element is refused (jsonb containment is
 * partial for objects).
 */
import { PortabaseError } from '../../src/errors.js'
import { DOC_ID, type Cursor, type FieldFilter, type Filter, type OrderBy, type Query } from '../../src/query/model.js'
import type { Value } from '../../src/types.js'
import { encodeValue } from './codec.js'
import { valueTypeOf } from '../../src/value-types.js'

/** A PostgREST condition: a filter on one column, or an and/or group (each may be negated). */
export type Condition =
  | { kind: 'filter'; column: string; not?: boolean; op: 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'cs'; value: string }
  | { kind: 'filter'; column: string; not?: boolean; op: 'in'; values: string[] }
  | { kind: 'filter'; column: string; not?: boolean; op: 'is'; value: 'null' }
  | { kind: 'and' | 'or'; not?: boolean; conditions: Condition[] }

/** Query-string pairs, in order. */
export type Params = Array<[string, string]>

const MIN_NUMBER = '-1.7976931348623157e308'
/** Bounds of each JSON type in jsonb's order; a Date is the one-key object {"$date": ISO}. */
const TYPE_BOUNDS = {
  number: { gte: MIN_NUMBER, lt: 'false' },
  string: { gte: '""', lt: MIN_NUMBER },
  date: { gte: '{"$date":""}', lt: '{"$datf":""}' },
} as const

/** PostgREST's column expression for a field path: `id`, or `data->a->b`. */
export function columnOf(field: string): string {
  return field === DOC_ID ? 'id' : `data->${field.split('.').join('->')}`
}

/** The JSON text PostgREST hands to PostgreSQL for a value compared with a jsonb path. */
function json(value: Value): string {
  return JSON.stringify(encodeValue(value))
}

const TRUE_FOR_ALL: Condition = { kind: 'filter', column: 'id', not: true, op: 'is', value: 'null' }
const FALSE_FOR_ALL: Condition = { kind: 'filter', column: 'id', op: 'is', value: 'null' }

function all(conditions: Condition[]): Condition {
  return conditions.length === 1 ? conditions[0]! : { kind: 'and', conditions }
}
function any(conditions: Condition[]): Condition {
  return conditions.length === 1 ? conditions[0]! : { kind: 'or', conditions }
}

function typeOf(value: Value): keyof typeof TYPE_BOUNDS | null {
  if (typeof value === 'number') return 'number'
  if (typeof value === 'string') return 'string'
  if (value instanceof Date) return 'date'
  return null
}

/** One field filter as PostgREST conditions with portabase's semantics. */
export function fieldCondition(filter: FieldFilter): Condition {
  const { field, op, value } = filter
  if (field === DOC_ID) return idCondition(filter)
  const column = columnOf(field)
  const isNull: Condition = { kind: 'filter', column, op: 'is', value: 'null' }
  const jsonNull: Condition = { kind: 'filter', column, op: 'eq', value: 'null' }
  const missingOrNull = any([isNull, jsonNull])
  const present: Condition = all([{ ...isNull, not: true }, { kind: 'filter', column, op: 'neq', value: 'null' }])
  switch (op) {
    case '==':
      return value === null ? missingOrNull : { kind: 'filter', column, op: 'eq', value: json(value) }
    case '!=':
      return value === null ? present : any([isNull, { kind: 'filter', column, op: 'neq', value: json(value) }])
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const type = typeOf(value)
      if (type === null) throw new PortabaseError('invalid-argument', `A range filter needs a number, string or Date bound (${field})`, { provider: 'supabase' })
      const bounds = TYPE_BOUNDS[type]
      const rangeOp = ({ '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte' } as const)[op]
      return all([
        { kind: 'filter', column, op: rangeOp, value: json(value) },
        { kind: 'filter', column, op: 'gte', value: bounds.gte },
        { kind: 'filter', column, op: 'lt', value: bounds.lt },
      ])
    }
    case 'in':
    case 'not-in': {
      const values = value as Value[]
      const withNull = values.some((v) => v === null)
      const rest = values.filter((v) => v !== null).map(json)
      const inRest: Condition | null = rest.length > 0 ? { kind: 'filter', column, op: 'in', values: rest } : null
      if (op === 'in') return any([...(withNull ? [missingOrNull] : []), ...(inRest ? [inRest] : [])])
      // not-in: missing and null match unless null is listed.
      const notRest: Condition[] = inRest ? [{ ...inRest, not: true }] : []
      return withNull ? all([present, ...notRest]) : any([isNull, ...(notRest.length > 0 ? notRest : [TRUE_FOR_ALL])])
    }
    case 'array-contains':
      return contains(column, value, field)
    case 'array-contains-any':
      return any((value as Value[]).map((v) => contains(column, v, field)))
  }
}

function contains(column: string, element: Value, field: string): Condition {
  // Dates and neutral values are one-key tags of fixed shape (codec.ts): containment is equality for them.
  if (element !== null && typeof element === 'object' && !(element instanceof Date) && valueTypeOf(element) === undefined) {
    throw new PortabaseError('unsupported', `array-contains of an object or array value (${field}): jsonb containment would also match partial objects`, { provider: 'supabase' })
  }
  return { kind: 'filter', column, op: 'cs', value: JSON.stringify([encodeValue(element)]) }
}

/** Filters on the id (a text column, collation "C"): values are the id strings themselves. */
function idCondition({ op, value }: FieldFilter): Condition {
  const column = 'id'
  const text = typeof value === 'string' ? value : null
  switch (op) {
    case '==':
      return text === null ? FALSE_FOR_ALL : { kind: 'filter', column, op: 'eq', value: text }
    case '!=':
      return text === null ? TRUE_FOR_ALL : { kind: 'filter', column, op: 'neq', value: text }
    case '<':
    case '<=':
    case '>':
    case '>=':
      return text === null ? FALSE_FOR_ALL : { kind: 'filter', column, op: ({ '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte' } as const)[op], value: text }
    case 'in':
    case 'not-in': {
      const ids = (value as Value[]).filter((v): v is string => typeof v === 'string')
      const inIds: Condition = ids.length > 0 ? { kind: 'filter', column, op: 'in', values: ids } : FALSE_FOR_ALL
      return op === 'in' ? inIds : ids.length > 0 ? { ...inIds, not: true } : TRUE_FOR_ALL
    }
    default:
      return FALSE_FOR_ALL
  }
}

export function filterCondition(filter: Filter): Condition {
  if (filter.kind === 'field') return fieldCondition(filter)
  const conditions = filter.filters.map(filterCondition)
  return filter.kind === 'and' ? all(conditions) : any(conditions)
}

/**
 * The rows after a cursor in the query's order: for some i, equal on the first i sort keys and after
 * on key i. "After" follows the ORDER BY (jsonb order; missing sorts last ascending, first descending).
 */
export function cursorCondition(orderBy: readonly OrderBy[], cursor: Cursor): Condition {
  const keys = orderBy.map((o, i) => ({ ...o, at: o.field === DOC_ID ? cursor.id : (cursor.values[i] ?? null) }))
  const branches: Condition[] = []
  keys.forEach((key, i) => {
    const after = afterCondition(key.field, key.direction, key.at)
    if (after === null) return
    branches.push(all([...keys.slice(0, i).map((k) => equalCondition(k.field, k.at)), after]))
  })
  return branches.length === 0 ? FALSE_FOR_ALL : any(branches)
}

function equalCondition(field: string, at: Value): Condition {
  const column = columnOf(field)
  if (field === DOC_ID) return { kind: 'filter', column, op: 'eq', value: String(at) }
  return at === null ? { kind: 'filter', column, op: 'is', value: 'null' } : { kind: 'filter', column, op: 'eq', value: json(at) }
}

function afterCondition(field: string, direction: 'asc' | 'desc', at: Value): Condition | null {
  const column = columnOf(field)
  if (field === DOC_ID) return { kind: 'filter', column, op: direction === 'asc' ? 'gt' : 'lt', value: String(at) }
  if (at === null) return direction === 'asc' ? null : { kind: 'filter', column, not: true, op: 'is', value: 'null' }
  const beyond: Condition = { kind: 'filter', column, op: direction === 'asc' ? 'gt' : 'lt', value: json(at) }
  return direction === 'asc' ? any([beyond, { kind: 'filter', column, op: 'is', value: 'null' }]) : beyond
}

/** `"` + backslash-escaped text + `"`: how a value is written inside `in.(…)` and logic trees. */
function quoted(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

function operand(condition: Extract<Condition, { kind: 'filter' }>, inTree: boolean): string {
  const not = condition.not ? 'not.' : ''
  if (condition.op === 'in') return `${not}in.(${condition.values.map(quoted).join(',')})`
  if (condition.op === 'is') return `${not}is.null`
  return `${not}${condition.op}.${inTree ? quoted(condition.value) : condition.value}`
}

function inner(condition: Condition): string {
  if (condition.kind === 'filter') return `${condition.column}.${operand(condition, true)}`
  return `${condition.not ? 'not.' : ''}${condition.kind}(${condition.conditions.map(inner).join(',')})`
}

/** One top-level condition as a query-string pair (top-level pairs are ANDed by PostgREST). */
function param(condition: Condition): [string, string] {
  if (condition.kind === 'filter') return [condition.column, operand(condition, false)]
  return [`${condition.not ? 'not.' : ''}${condition.kind}`, `(${condition.conditions.map(inner).join(',')})`]
}

/** Filters (and the cursor) as query-string pairs; without order and limit (for count, too). */
export function filterParams(query: Pick<Query, 'filters' | 'orderBy' | 'startAfter'>): Params {
  const conditions = query.filters.map(filterCondition)
  if (query.startAfter) conditions.push(cursorCondition(query.orderBy, query.startAfter))
  // A top-level AND group is the same as its members side by side.
  return conditions.flatMap((c) => (c.kind === 'and' && !c.not ? c.conditions : [c])).map(param)
}

/** `order=…` as PostgREST reads it: missing fields last ascending, first descending. */
export function orderParam(orderBy: readonly OrderBy[]): [string, string] {
  return ['order', orderBy.map((o) => `${columnOf(o.field)}.${o.direction}${o.field === DOC_ID ? '' : o.direction === 'asc' ? '.nullslast' : '.nullsfirst'}`).join(',')]
}

/** The whole read: filters, cursor, order, limit. */
export function queryParams(query: Query): Params {
  const params = filterParams(query)
  params.push(orderParam(query.orderBy))
  if (query.limit !== undefined) params.push(['limit', String(query.limit)])
  return params
}

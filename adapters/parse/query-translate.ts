/**
 * The neutral query model → Parse REST query JSON (`where`, `order`, `limit`), matching the neutral
 * semantics of src/query (missing == null; `!=` and `not-in` match missing fields; range operators
 * only match values of the bound's type; nulls last ascending, first descending).
 *
 * Parse on PostgreSQL needs care, and this module is where it is taken:
 * - columns are typed: comparing a column with a value of another type is an SQL error (HTTP 500)
 *   or a silent coercion (Date ↔ ISO string). With the column's type known, such conditions fold
 *   to a constant (`==` matches nothing, `!=` matches everything) before they are sent;
 * - a condition on a column the class does not have makes the whole query return nothing (the
 *   server swallows "column does not exist"): fields no readable document holds fold as null;
 * - `$ne` on an array column means "does not contain"; `$all` on arrays compares as text and
 *   misses duplicates; `$eq`/`$ne` with a Date value are server errors; `$gt: ''` is refused:
 *   none of these forms is generated;
 * - arrays: `$in` on an array column is "contains any element" with exact jsonb equality, which is
 *   what array-contains and array-contains-any mean.
 * Refused with `unsupported`: `==`/`in`/`not-in` with an array value (Parse cannot compare whole
 * arrays), ordering by an array or object field (jsonb orders them differently), nested paths.
 */
import { PortabaseError } from '../../src/errors.js'
import { compileFilter } from '../../src/query/evaluate.js'
import { DOC_ID, type Cursor, type FieldFilter, type Filter, type FilterOp, type OrderBy, type Query } from '../../src/query/model.js'
import type { Value } from '../../src/types.js'
import { encodeDate, encodeValue, neutralTypeOf, toColumn, type FieldType } from './codec.js'
import { PROVIDER } from './errors.js'

/** What the adapter knows about a field of a class, for the reading user. */
export type FieldKnowledge =
  /** No readable document holds a value: the field reads as null everywhere (or the column does not exist). */
  | { state: 'absent' }
  /** The column exists with this Parse type. */
  | { state: 'typed'; type: FieldType }
  /** The column exists; its type could not be learned (e.g. reads of it were denied). */
  | { state: 'untyped' }

export type KnowledgeOf = (field: string) => FieldKnowledge

export type ParseWhere = { [key: string]: unknown }
/** A translated condition, or a constant: `true` matches every document, `false` none. */
export type Condition = ParseWhere | boolean

export interface ParseFind {
  where: ParseWhere
  /** Parse's `order` parameter: comma-separated columns, `-` for descending. */
  order: string
  limit?: number
}

const unsupported = (what: string): PortabaseError => new PortabaseError('unsupported', `${what} is not supported by the parse adapter`, { provider: PROVIDER })

export const columnOf = (field: string): string => (field === DOC_ID ? 'objectId' : toColumn(field))

const ID_KNOWLEDGE: FieldKnowledge = { state: 'typed', type: 'String' }

export function all(parts: readonly Condition[]): Condition {
  const out: ParseWhere[] = []
  for (const part of parts) {
    if (part === false) return false
    if (part === true) continue
    const keys = Object.keys(part)
    if (keys.length === 1 && keys[0] === '$and') out.push(...(part.$and as ParseWhere[]))
    else out.push(part)
  }
  if (out.length === 0) return true
  return out.length === 1 ? out[0]! : { $and: out }
}

export function any(parts: readonly Condition[]): Condition {
  const out: ParseWhere[] = []
  for (const part of parts) {
    if (part === true) return true
    if (part === false) continue
    const keys = Object.keys(part)
    if (keys.length === 1 && keys[0] === '$or') out.push(...(part.$or as ParseWhere[]))
    else out.push(part)
  }
  if (out.length === 0) return false
  return out.length === 1 ? out[0]! : { $or: out }
}

export function not(part: Condition): Condition {
  if (typeof part === 'boolean') return !part
  return { $nor: [part] }
}

const RANGE: Record<'<' | '<=' | '>' | '>=', string> = { '<': '$lt', '<=': '$lte', '>': '$gt', '>=': '$gte' }
const isScalarType = (type: FieldType | null): boolean => type === 'String' || type === 'Number' || type === 'Boolean'

function dedupe(values: readonly Value[]): Value[] {
  const seen = new Set<string>()
  return values.filter((v) => {
    const key = JSON.stringify(encodeValue(v))
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** One field condition, given what is known of the field. */
export function translateField(filter: FieldFilter, knowledge: FieldKnowledge): Condition {
  const { field, op, value } = filter
  if (field !== DOC_ID && field.includes('.')) throw unsupported('Querying nested field paths')
  if (knowledge.state === 'absent') {
    // Every readable document reads null here: the condition is a constant.
    return compileFilter({ kind: 'field', field, op, value })({ id: '', data: {} })
  }
  const type = knowledge.state === 'typed' ? knowledge.type : null
  if (type === 'Other') throw unsupported(`Querying ${field} (it holds a Parse type such as Pointer, File or GeoPoint)`)
  const column = columnOf(field)
  const isNull: ParseWhere = { [column]: null }
  const notNull: ParseWhere = { [column]: { $exists: true } }

  const mismatched = (v: Value): boolean => type !== null && neutralTypeOf(v) !== type
  const eq = (v: Value): Condition => {
    if (v === null) return isNull
    if (mismatched(v)) return false
    const vt = neutralTypeOf(v)
    if (vt === 'Date') return { [column]: encodeDate(v as Date) }
    if (vt === 'Array') throw unsupported(`'${op}' with an array value`)
    return { [column]: { $eq: encodeValue(v) } }
  }
  const range = (rangeOp: keyof typeof RANGE, v: Value): Condition => {
    if (v === null || mismatched(v)) return false
    if (typeof v === 'boolean') {
      // Only cursors compare booleans (false < true); Parse drops a `$gt: false` constraint.
      if (rangeOp === '>') return v ? false : eq(true)
      if (rangeOp === '<') return v ? eq(false) : false
      return any([eq(v), range(rangeOp === '>=' ? '>' : '<', v)])
    }
    if (v === '') {
      // Parse refuses `$gt: ''` and friends ("Postgres doesn't support this query type").
      if (rangeOp === '<') return false
      if (rangeOp === '<=') return eq('')
      if (rangeOp === '>=') return notNull
      return all([notNull, { [column]: { $ne: '' } }])
    }
    const vt = neutralTypeOf(v)
    if (vt === 'Array' || vt === 'Object') throw unsupported('Range conditions on arrays or objects')
    return { [column]: { [RANGE[rangeOp]]: encodeValue(v) } }
  }

  switch (op) {
    case '==':
      return eq(value)
    case '!=': {
      if (value === null) return notNull
      const equal = eq(value)
      if (equal === false) return true
      if (type !== null && isScalarType(neutralTypeOf(value))) return { [column]: { $ne: value } }
      return any([isNull, not(equal)])
    }
    case '<':
    case '<=':
    case '>':
    case '>=':
      return range(op, value)
    case 'in': {
      const list = dedupe(value as Value[])
      const parts: Condition[] = []
      const scalars: Value[] = []
      for (const v of list) {
        if (v !== null && type !== null && !mismatched(v) && isScalarType(type)) scalars.push(v)
        else parts.push(eq(v))
      }
      if (scalars.length === 1) parts.push(eq(scalars[0]!))
      else if (scalars.length > 1) parts.push({ [column]: { $in: scalars } })
      return any(parts)
    }
    case 'not-in': {
      const list = dedupe(value as Value[])
      const hasNull = list.includes(null)
      const others = list.filter((v) => v !== null && !mismatched(v))
      if (others.length === 0) return hasNull ? notNull : true
      // SQL `NOT IN` / `NOT (…)` is unknown for NULL: missing fields are added back explicitly.
      const base: Condition = type !== null && isScalarType(type) ? { [column]: { $nin: others } } : not(any(others.map(eq)))
      return hasNull ? all([notNull, base]) : any([isNull, base])
    }
    case 'array-contains': {
      if (type !== null && type !== 'Array') return false
      if (Array.isArray(value)) return false
      return { [column]: { $in: [encodeValue(value)] } }
    }
    case 'array-contains-any': {
      if (type !== null && type !== 'Array') return false
      const elements = dedupe((value as Value[]).filter((v) => !Array.isArray(v)))
      if (elements.length === 0) return false
      return { [column]: { $in: elements.map(encodeValue) } }
    }
  }
}

export function translateFilter(filter: Filter, knowledgeOf: KnowledgeOf): Condition {
  if (filter.kind === 'field') return translateField(filter, filter.field === DOC_ID ? ID_KNOWLEDGE : knowledgeOf(filter.field))
  const parts = filter.filters.map((f) => translateFilter(f, knowledgeOf))
  return filter.kind === 'and' ? all(parts) : any(parts)
}

export function translateFilters(filters: readonly Filter[], knowledgeOf: KnowledgeOf): Condition {
  return all(filters.map((f) => translateFilter(f, knowledgeOf)))
}

/**
 * "Strictly after the cursor" under the ordering (keyset pagination): an OR over the sort keys of
 * "equal on every earlier key, after on this one", with the neutral null placement (asc: nulls
 * last; desc: nulls first). Stable under concurrent inserts: it names a position, not an offset.
 */
export function translateCursor(orderBy: readonly OrderBy[], cursor: Cursor, knowledgeOf: KnowledgeOf): Condition {
  const terms: Condition[] = []
  const equalSoFar: Condition[] = []
  let valueIndex = 0
  for (const order of orderBy) {
    const isId = order.field === DOC_ID
    const anchor: Value = isId ? cursor.id : (cursor.values[valueIndex++] ?? null)
    const knowledge = isId ? ID_KNOWLEDGE : knowledgeOf(order.field)
    const cond = (op: FilterOp, value: Value): Condition => translateField({ kind: 'field', field: order.field, op, value }, knowledge)
    const anchorType = neutralTypeOf(anchor)
    if (anchorType === 'Array' || anchorType === 'Object') throw unsupported('Ordering by an array or object field')
    let after: Condition
    // Ids are never null.
    if (isId) after = cond(order.direction === 'asc' ? '>' : '<', anchor)
    else if (order.direction === 'asc') after = anchor === null ? false : any([cond('>', anchor), cond('==', null)])
    else after = anchor === null ? cond('!=', null) : cond('<', anchor)
    terms.push(all([...equalSoFar, after]))
    if (isId) break
    equalSoFar.push(cond('==', anchor))
  }
  return any(terms)
}

/** Parse's `order` parameter; fields every document reads as null are left out (they order nothing). */
export function translateOrder(orderBy: readonly OrderBy[], knowledgeOf: KnowledgeOf): string {
  const keys: string[] = []
  for (const order of orderBy) {
    if (order.field !== DOC_ID) {
      if (order.field.includes('.')) throw unsupported('Ordering by nested field paths')
      const knowledge = knowledgeOf(order.field)
      if (knowledge.state === 'absent') continue
      if (knowledge.state === 'typed' && (knowledge.type === 'Array' || knowledge.type === 'Object' || knowledge.type === 'Other')) {
        throw unsupported(`Ordering by ${order.field} (an ${knowledge.type === 'Array' ? 'array' : 'object'} field; PostgreSQL orders those differently)`)
      }
    }
    keys.push(`${order.direction === 'desc' ? '-' : ''}${columnOf(order.field)}`)
    if (order.field === DOC_ID) break
  }
  return keys.join(',')
}

export interface TranslateOptions {
  /** Include `query.startAfter` (false for count()). Default true. */
  cursor?: boolean
  /** Include `query.limit`. Default true. */
  limit?: boolean
}

/** The whole query, or null when it can match nothing (no request needed). */
export function translateQuery(query: Query, knowledgeOf: KnowledgeOf, options: TranslateOptions = {}): ParseFind | null {
  const parts = [translateFilters(query.filters, knowledgeOf)]
  if (options.cursor !== false && query.startAfter) parts.push(translateCursor(query.orderBy, query.startAfter, knowledgeOf))
  const where = all(parts)
  if (where === false) return null
  const find: ParseFind = { where: where === true ? {} : where, order: translateOrder(query.orderBy, knowledgeOf) }
  if (options.limit !== false && query.limit !== undefined) find.limit = query.limit
  return find
}

/** Fields whose column knowledge the translation needs (filters, and sort keys when there is a cursor). */
export function fieldsToResolve(query: Query, options: TranslateOptions = {}): string[] {
  const fields = new Set<string>()
  const visit = (filter: Filter): void => {
    if (filter.kind === 'field') {
      // Nested paths are refused by the translation; nothing to learn about them.
      if (filter.field !== DOC_ID && !filter.field.includes('.')) fields.add(filter.field)
    } else filter.filters.forEach(visit)
  }
  query.filters.forEach(visit)
  if (options.cursor !== false && query.startAfter) for (const o of query.orderBy) if (o.field !== DOC_ID && !o.field.includes('.')) fields.add(o.field)
  return [...fields]
}

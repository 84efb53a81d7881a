/**
 * The GraphQL the documents service sends (raw strings for `client.graphql`, against the models
 * `portabaseModels` builds: schema.ts), the value codec, and the filter translation.
 *
 * Values: declared fields only, each of its declared type (`mixedFieldTypes: false`). Dates travel
 * as ISO AWSDateTime strings (`toISOString()`: fixed width, so string order is time order for
 * years 0–9999), json fields as AWSJSON strings (AppSync stores the parsed value), arrays as lists.
 * A top-level null is recorded in `pbNulls` and never stored as an attribute: a create leaves the
 * field out, an update's null REMOVEs it. A stored value always wins over a stale `pbNulls` entry.
 *
 * Filters (ModelXFilterInput, applied by DynamoDB as a filter expression):
 * - "present" (neither missing nor NULL) is written with comparisons only, `or(ge 0, lt 0)` for
 *   numbers, `or(le "a", gt "a")` for strings and dates, `or(eq true, eq false)` for booleans —
 *   `attributeExists`, `attributeType` and `size` would say it more directly, but the AppSync
 *   simulator mistranslates all three (see DESIGN.md); comparisons mean the same on AWS.
 * - `== null` is `not(present)`; `!= null` is present; `!= v` is `or(ne v, not(present))` (DynamoDB's
 *   `<>` holds for a missing attribute; the `or` states it rather than relying on it); `in` / `not-in`
 *   are an or of `==` / an and of `!=`.
 * - A bound of another type than the field (`n > "x"`, `flag == 3`) is decided here, as the
 *   neutral evaluator decides it: the clause becomes true or false and folds away. So do filters
 *   on undeclared fields (missing everywhere). Integer fields round fractional bounds.
 * - `array-contains(-any)` on string[] fields is DynamoDB's `contains`; other filters on json and
 *   array fields are `unsupported`.
 * - The document id is the pbById index's sort key, which DynamoDB accepts in key conditions
 *   only: id filters narrow the key condition (idKeyCondition) and are checked on what was read.
 */
import { PortabaseError } from '../../src/errors.js'
import { compileFilter } from '../../src/query/evaluate.js'
import { DOC_ID, type FieldFilter, type Filter } from '../../src/query/model.js'
import { isSentinel, type WriteData } from '../../src/sentinels.js'
import type { Doc, DocumentData, Value } from '../../src/types.js'
import { fromTaggedJson, toTaggedJson } from '../../src/values.js'
import { amplifyError, PROVIDER } from './errors.js'
import { orderKey } from './order-key.js'
import { attributeOf, indexNameOf, modelNameOf, OWNER, queryFieldOf, type AmplifyCollection, type AmplifyFieldType } from './schema.js'

export interface ModelInfo {
  collection: string
  model: string
  /** The document's fields and their types (an `owner` collection's `owner`: the uid, a string). */
  fields: Readonly<Record<string, AmplifyFieldType>>
  /** Document field → the model attribute it is stored in (schema.ts `attributeOf`). */
  attributes: Readonly<Record<string, string>>
  owner: boolean
  /** Declared orderings: fields, and the index whose sort-key attribute has the same name (order-key.ts). */
  orderings: readonly { index: string; fields: readonly string[] }[]
  /** The fields every document selection reads. */
  selection: string
}

/** The attribute of a document field. */
export const attr = (m: ModelInfo, field: string): string => m.attributes[field] ?? field

/** The document field stored in an attribute, or undefined for bookkeeping attributes. */
export function fieldOfAttribute(m: ModelInfo, attribute: string): string | undefined {
  return Object.keys(m.attributes).find((f) => m.attributes[f] === attribute)
}

/** The uid in an owner value (`<sub>::<username>`; a bare value is its own uid). */
export const uidOfOwner = (value: string): string => value.split('::')[0]!

export function modelInfos(collections: readonly AmplifyCollection[]): Map<string, ModelInfo> {
  const out = new Map<string, ModelInfo>()
  for (const c of collections) {
    if (out.has(c.name)) throw new TypeError(`amplify(): collection "${c.name}" is listed twice`)
    const model = modelNameOf(c)
    const owner = c.access === 'owner'
    const fields: Record<string, AmplifyFieldType> = { ...c.fields, ...(owner ? { [OWNER]: 'string' as const } : {}) }
    const attributes = Object.fromEntries(Object.keys(fields).map((f) => [f, attributeOf(f, c.access)]))
    const selection = ['id', ...Object.values(attributes), 'pbWriteId', 'pbDeleted', 'pbNulls', 'updatedAt', 'createdAt'].join(' ')
    const orderings = (c.orderBy ?? []).map((ordering) => Object.freeze({ index: indexNameOf(ordering), fields: Object.freeze([...ordering]) }))
    out.set(c.name, { collection: c.name, model, fields: Object.freeze(fields), attributes: Object.freeze(attributes), owner, orderings: Object.freeze(orderings), selection })
  }
  return out
}

// ------------------------------------------------------------------ operations

export const getDocument = (m: ModelInfo): string => `query PbGet($id: ID!) { get${m.model}(id: $id) { ${m.selection} } }`

/** The pbById index (`pbPart` = 'all', sorted by id): every id-ordered query and count. */
export const listById = (m: ModelInfo, selection = m.selection): string =>
  `query PbList($pbPart: String!, $id: ModelIDKeyConditionInput, $sortDirection: ModelSortDirection, $filter: Model${m.model}FilterInput, $limit: Int, $nextToken: String) ` +
  `{ ${queryFieldOf(m.model, 'pbById')}(pbPart: $pbPart, id: $id, sortDirection: $sortDirection, filter: $filter, limit: $limit, nextToken: $nextToken) { items { ${selection} } nextToken } }`

/** A declared ordering's index (`pbPart` = 'all', sorted by its key attribute of the same name). */
export const listByOrdering = (m: ModelInfo, index: string): string =>
  `query PbListOrdered($pbPart: String!, $key: ModelStringKeyConditionInput, $sortDirection: ModelSortDirection, $filter: Model${m.model}FilterInput, $limit: Int, $nextToken: String) ` +
  `{ ${queryFieldOf(m.model, index)}(pbPart: $pbPart, ${index}: $key, sortDirection: $sortDirection, filter: $filter, limit: $limit, nextToken: $nextToken) { items { ${m.selection} } nextToken } }`

/** The sort keys of every declared ordering for a document's data (order-key.ts). */
export function orderKeysOf(m: ModelInfo, data: DocumentData, id: string): Record<string, string> {
  return Object.fromEntries(m.orderings.map((o) => [o.index, orderKey(o.fields, m.fields, data, id)]))
}

/** The data a document has after an update, for its new order keys (sentinels other than deleteField are refused earlier). */
export function updatedData(before: DocumentData, data: WriteData): DocumentData {
  const after: DocumentData = { ...before }
  for (const [field, value] of Object.entries(data)) {
    if (isSentinel(value)) delete after[field]
    else after[field] = value as Value
  }
  return after
}

/** True when an update changes a field some ordering uses: its keys must be written with it. */
export function touchesOrderings(m: ModelInfo, data: WriteData): boolean {
  return m.orderings.some((o) => o.fields.some((f) => f in data))
}

export const createDocument = (m: ModelInfo): string =>
  `mutation PbCreate($input: Create${m.model}Input!, $condition: Model${m.model}ConditionInput) { create${m.model}(input: $input, condition: $condition) { ${m.selection} } }`

export const updateDocument = (m: ModelInfo): string =>
  `mutation PbUpdate($input: Update${m.model}Input!, $condition: Model${m.model}ConditionInput) { update${m.model}(input: $input, condition: $condition) { ${m.selection} } }`

export const listFieldOf = (m: ModelInfo): string => queryFieldOf(m.model, 'pbById')

// ------------------------------------------------------------------ values

const INT_MIN = -2147483648
const INT_MAX = 2147483647

function invalid(m: ModelInfo, field: string, message: string): PortabaseError {
  return amplifyError('invalid-argument', `${m.collection}.${field}: ${message}`)
}

/** A value as the GraphQL input of its declared field (never null: the caller handles nulls). */
export function encodeValue(m: ModelInfo, field: string, value: Value): unknown {
  const type = m.fields[field]
  if (type === undefined) throw invalid(m, field, `the field is not declared for this collection (declared: ${Object.keys(m.fields).join(', ') || 'none'})`)
  const wrong = (): PortabaseError => invalid(m, field, `expected ${type}, got ${value instanceof Date ? 'a Date' : Array.isArray(value) ? 'an array' : typeof value}`)
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw wrong()
      return value
    case 'number':
      if (typeof value !== 'number') throw wrong()
      return value
    case 'integer':
      if (typeof value !== 'number') throw wrong()
      if (!Number.isInteger(value) || value < INT_MIN || value > INT_MAX) throw invalid(m, field, `expected a 32-bit integer, got ${value}`)
      return value
    case 'boolean':
      if (typeof value !== 'boolean') throw wrong()
      return value
    case 'date': {
      if (!(value instanceof Date)) throw wrong()
      const year = value.getUTCFullYear()
      if (Number.isNaN(value.getTime()) || year < 0 || year > 9999) throw invalid(m, field, 'dates must fall in the years 0–9999')
      return value.toISOString()
    }
    case 'json':
      // Dates inside as {"$date": iso}, as every adapter's JSON columns and the offline store keep them.
      return JSON.stringify(toTaggedJson(value))
    case 'string[]':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw wrong()
      return value
    case 'number[]':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'number')) throw wrong()
      return value
  }
}

export interface EncodedWrite {
  /** Attribute → GraphQL input value (null: REMOVE on update, left out on create). */
  values: Record<string, unknown>
  /** Attributes written as explicit nulls. */
  nulls: string[]
  /** Attributes given `deleteField()`. */
  deleted: string[]
  /** The owner value the document names (an `owner` collection's `owner` field), if any. */
  owner?: string
  /** The data as given (a create's or set's order keys are made from it). */
  data: WriteData
}

/** Checks and encodes a write's data (before any request): undeclared fields and wrong types → invalid-argument. */
export function encodeWrite(m: ModelInfo, data: WriteData, allowDelete: boolean): EncodedWrite {
  const out: EncodedWrite = { values: {}, nulls: [], deleted: [], data }
  for (const [field, value] of Object.entries(data)) {
    if (!(field in m.fields)) throw invalid(m, field, `the field is not declared for this collection (declared: ${Object.keys(m.fields).join(', ') || 'none'})`)
    if (isSentinel(value)) {
      if (value.kind !== 'deleteField' || !allowDelete) throw new PortabaseError('unsupported', `The ${value.kind}() sentinel is not supported by the amplify adapter here`, { provider: PROVIDER })
      if (m.owner && field === OWNER) throw invalid(m, field, 'the owner of a document cannot be removed')
      out.values[attr(m, field)] = null
      out.deleted.push(attr(m, field))
    } else if (m.owner && field === OWNER) {
      if (typeof value !== 'string' || value === '') throw invalid(m, field, "the owner is the owner's uid (a non-empty string)")
      out.owner = value
    } else if (value === null) {
      out.values[attr(m, field)] = null
      out.nulls.push(attr(m, field))
    } else {
      out.values[attr(m, field)] = encodeValue(m, field, value)
    }
  }
  return out
}

/** A stored item as returned by the selection set. */
export type Item = Record<string, unknown> & { id: string; updatedAt?: string | null; pbDeleted?: boolean | null; pbNulls?: (string | null)[] | null }

export function isTombstone(item: Item): boolean {
  return item.pbDeleted === true
}

export function decodeItem(m: ModelInfo, item: Item): Doc {
  const data: DocumentData = {}
  for (const attribute of item.pbNulls ?? []) {
    const field = attribute ? fieldOfAttribute(m, attribute) : undefined
    if (field !== undefined) data[field] = null
  }
  for (const [field, type] of Object.entries(m.fields)) {
    const raw = item[attr(m, field)]
    if (raw === null || raw === undefined) continue
    if (m.owner && field === OWNER) data[field] = uidOfOwner(String(raw))
    else if (type === 'date') data[field] = new Date(raw as string)
    else if (type === 'json') data[field] = fromTaggedJson(typeof raw === 'string' ? JSON.parse(raw) : raw)
    else data[field] = raw as Value
  }
  const updated = item.updatedAt ?? (item.createdAt as string | undefined) ?? new Date(0).toISOString()
  return { id: item.id, data, meta: { updateTime: new Date(updated), version: updated, fromCache: false, hasPendingWrites: false } }
}

// ------------------------------------------------------------------ filters

/** A GraphQL filter, or a constant the translation decided. */
export type GqlFilter = Record<string, unknown> | boolean

export function andOf(parts: readonly GqlFilter[]): GqlFilter {
  const kept: Record<string, unknown>[] = []
  for (const p of parts) {
    if (p === false) return false
    if (p !== true) kept.push(p)
  }
  if (kept.length === 0) return true
  return kept.length === 1 ? kept[0]! : { and: kept }
}

export function orOf(parts: readonly GqlFilter[]): GqlFilter {
  const kept: Record<string, unknown>[] = []
  for (const p of parts) {
    if (p === true) return true
    if (p !== false) kept.push(p)
  }
  if (kept.length === 0) return false
  return kept.length === 1 ? kept[0]! : { or: kept }
}

const notOf = (p: GqlFilter): GqlFilter => (typeof p === 'boolean' ? !p : { not: p })

type ScalarType = 'string' | 'number' | 'integer' | 'boolean' | 'date'

/** Neither missing nor NULL (see the file comment for why comparisons). */
function present(field: string, type: ScalarType): GqlFilter {
  switch (type) {
    case 'number':
    case 'integer':
      return { or: [{ [field]: { ge: 0 } }, { [field]: { lt: 0 } }] }
    case 'boolean':
      return { or: [{ [field]: { eq: true } }, { [field]: { eq: false } }] }
    default:
      return { or: [{ [field]: { le: 'a' } }, { [field]: { gt: 'a' } }] }
  }
}

/** The value as a comparable of the field's type, or undefined when it is of another type (or unrepresentable). */
function comparable(type: ScalarType, value: Value): string | number | boolean | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : undefined
    case 'number':
      return typeof value === 'number' ? value : undefined
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && value >= INT_MIN && value <= INT_MAX ? value : undefined
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined
    case 'date': {
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) return undefined
      const year = value.getUTCFullYear()
      return year >= 0 && year <= 9999 ? value.toISOString() : undefined
    }
  }
}

function equals(field: string, type: ScalarType, value: Value): GqlFilter {
  if (value === null) return notOf(present(field, type))
  const v = comparable(type, value)
  return v === undefined ? false : { [field]: { eq: v } }
}

function notEquals(field: string, type: ScalarType, value: Value): GqlFilter {
  if (value === null) return present(field, type)
  const v = comparable(type, value)
  return v === undefined ? true : orOf([{ [field]: { ne: v } }, notOf(present(field, type))])
}

const RANGE = { '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' } as const

function range(field: string, type: ScalarType, op: keyof typeof RANGE, bound: Value): GqlFilter {
  if (type === 'integer') {
    if (typeof bound !== 'number') return false
    // i > x ⇔ i > floor(x); i >= x ⇔ i >= ceil(x); i < x ⇔ i < ceil(x); i <= x ⇔ i <= floor(x)
    const k = op === '>' || op === '<=' ? Math.floor(bound) : Math.ceil(bound)
    const upward = op === '>' || op === '>='
    if (upward ? k > INT_MAX || (op === '>' && k === INT_MAX) : k < INT_MIN || (op === '<' && k === INT_MIN)) return false
    if (upward ? k < INT_MIN : k > INT_MAX) return present(field, type)
    return { [field]: { [RANGE[op]]: k } }
  }
  if (type === 'date' && bound instanceof Date) {
    const year = bound.getUTCFullYear()
    const upward = op === '>' || op === '>='
    // Stored dates are in 0–9999: a bound outside decides the clause.
    if (year > 9999) return upward ? false : present(field, type)
    if (year < 0) return upward ? present(field, type) : false
  }
  if (type === 'boolean') {
    // Booleans have no lt/le/gt/ge filter; false < true, so a range is one value, both or none.
    if (typeof bound !== 'boolean') return false
    const within = (b: boolean): boolean => ({ '<': Number(b) < Number(bound), '<=': Number(b) <= Number(bound), '>': Number(b) > Number(bound), '>=': Number(b) >= Number(bound) })[op]
    return orOf([false, true].filter(within).map((b) => ({ [field]: { eq: b } })))
  }
  const v = comparable(type, bound)
  if (v === undefined || typeof v === 'boolean') return false
  return { [field]: { [RANGE[op]]: v } }
}

function fieldFilter(m: ModelInfo, f: FieldFilter): GqlFilter {
  // The id is the index's sort key, which DynamoDB allows in the key condition only (idKeyCondition),
  // never in a filter: here the clause widens to true, and the documents are checked after the read.
  if (f.field === DOC_ID) return true
  const type = m.fields[f.field]
  // Undeclared: missing on every document, so the neutral evaluator decides the clause.
  if (type === undefined) return compileFilter(f)({ id: '', data: {} })
  if (type === 'string[]' && (f.op === 'array-contains' || f.op === 'array-contains-any')) {
    // DynamoDB's contains() on a list: an element equal to the value (a string: never anything else).
    const a = attr(m, f.field)
    const contains = (v: Value): GqlFilter => (typeof v === 'string' ? { [a]: { contains: v } } : false)
    return f.op === 'array-contains' ? contains(f.value as Value) : orOf((f.value as Value[]).map(contains))
  }
  if (type === 'json' || type === 'string[]' || type === 'number[]') {
    throw new PortabaseError('unsupported', `Filters on ${type} fields (${m.collection}.${f.field}: '${f.op}') are not supported by the amplify adapter (array-contains works on string[] fields)`, { provider: PROVIDER })
  }
  if (f.op === 'array-contains' || f.op === 'array-contains-any') return compileFilter(f)({ id: '', data: {} }) // never an array here: no match
  if (m.owner && f.field === OWNER) return ownerFilter(f)
  const value = f.value
  const a = attr(m, f.field)
  switch (f.op) {
    case '==':
      return equals(a, type, value)
    case '!=':
      return notEquals(a, type, value)
    case 'in':
      return orOf((value as Value[]).map((v) => equals(a, type, v)))
    case 'not-in':
      return andOf((value as Value[]).map((v) => notEquals(a, type, v)))
    case '<':
    case '<=':
    case '>':
    case '>=':
      return range(a, type, f.op, value)
    default:
      throw new PortabaseError('unsupported', `The '${f.op}' operator is not supported by the amplify adapter`, { provider: PROVIDER })
  }
}

/**
 * A filter on an owner collection's `owner` (the uid) over the stored `<uid>::<username>`: equal to
 * a uid is "begins with `<uid>::`"; ranges compare the uid part (uids have no `:`); never null.
 */
function ownerFilter(f: FieldFilter): GqlFilter {
  const of = (uid: string): GqlFilter => ({ [OWNER]: { beginsWith: `${uid}::` } })
  const eq = (v: Value): GqlFilter => (typeof v === 'string' ? of(v) : false)
  const ne = (v: Value): GqlFilter => (typeof v === 'string' ? notOf(of(v)) : true)
  const v = f.value
  switch (f.op) {
    case '==':
      return eq(v)
    case '!=':
      return ne(v)
    case 'in':
      return orOf((v as Value[]).map(eq))
    case 'not-in':
      return andOf((v as Value[]).map(ne))
    case '<':
    case '>=':
      return typeof v === 'string' ? { [OWNER]: { [f.op === '<' ? 'lt' : 'ge']: v } } : false
    case '<=':
      return typeof v === 'string' ? orOf([{ [OWNER]: { lt: v } }, of(v)]) : false
    case '>':
      return typeof v === 'string' ? andOf([{ [OWNER]: { gt: v } }, notOf(of(v))]) : false
    default:
      throw new PortabaseError('unsupported', `The '${f.op}' operator is not supported by the amplify adapter`, { provider: PROVIDER })
  }
}

export function translateFilter(m: ModelInfo, filter: Filter): GqlFilter {
  if (filter.kind === 'field') return fieldFilter(m, filter)
  const parts = filter.filters.map((f) => translateFilter(m, f))
  return filter.kind === 'and' ? andOf(parts) : orOf(parts)
}

/** The query's filters, and-ed with "not a tombstone". False: nothing can match (no request needed). */
/** True when a filter mentions the document id: the query's results are then checked here too (see fieldFilter). */
export function filtersOnId(filters: readonly Filter[]): boolean {
  return filters.some((f) => (f.kind === 'field' ? f.field === DOC_ID : filtersOnId(f.filters)))
}

export function translateFilters(m: ModelInfo, filters: readonly Filter[]): GqlFilter {
  return andOf([...filters.map((f) => translateFilter(m, f)), { pbDeleted: { ne: true } }])
}

// ------------------------------------------------------------------ sync feed (sync.ts)

/** The `pbFeed` index (`pbPart` = 'all', sorted by the `updatedAt#id` string): the delta feed of sync.ts. */
export const listFeed = (m: ModelInfo, selection = m.selection): string =>
  `query PbFeed($pbPart: String!, $updatedAtId: Model${m.model}PbFeedCompositeKeyConditionInput, $sortDirection: ModelSortDirection, $limit: Int, $nextToken: String) ` +
  `{ ${queryFieldOf(m.model, 'pbFeed')}(pbPart: $pbPart, updatedAtId: $updatedAtId, sortDirection: $sortDirection, limit: $limit, nextToken: $nextToken) { items { ${selection} } nextToken } }`

export const feedFieldOf = (m: ModelInfo): string => queryFieldOf(m.model, 'pbFeed')

// ------------------------------------------------------------------ key conditions

/**
 * The narrowest range of ids the query can match, as a key condition on the pbById index (its sort
 * key is the id): from top-level `DOC_ID` filters (==, in with one value, ranges) and the cursor. A
 * key condition bounds what DynamoDB reads, where a filter only drops what it has read: a doc
 * watch (`where(DOC_ID, '==', id)`) reads one item, not the collection. The filters stay in the
 * filter expression too, so exclusive bounds and the rest of the query are still exact.
 */
export function idKeyCondition(filters: readonly Filter[], cursor: { id: string; desc: boolean } | undefined): Record<string, unknown> | undefined {
  let lo: { v: string; open: boolean } | undefined
  let hi: { v: string; open: boolean } | undefined
  const raise = (v: string, open: boolean): void => {
    if (!lo || v > lo.v || (v === lo.v && open)) lo = { v, open }
  }
  const lower = (v: string, open: boolean): void => {
    if (!hi || v < hi.v || (v === hi.v && open)) hi = { v, open }
  }
  for (const f of filters) {
    if (f.kind !== 'field' || f.field !== DOC_ID) continue
    const values = f.op === 'in' && Array.isArray(f.value) && f.value.length === 1 ? f.value : [f.value]
    const v = values[0]
    if (typeof v !== 'string') continue
    if (f.op === '==' || (f.op === 'in' && values.length === 1)) {
      raise(v, false)
      lower(v, false)
    } else if (f.op === '>' || f.op === '>=') raise(v, f.op === '>')
    else if (f.op === '<' || f.op === '<=') lower(v, f.op === '<')
  }
  if (cursor) {
    if (cursor.desc) lower(cursor.id, true)
    else raise(cursor.id, true)
  }
  if (lo && hi) return lo.v === hi.v && !lo.open && !hi.open ? { eq: lo.v } : { between: [lo.v, hi.v] }
  if (lo) return { [lo.open ? 'gt' : 'ge']: lo.v }
  if (hi) return { [hi.open ? 'lt' : 'le']: hi.v }
  return undefined
}

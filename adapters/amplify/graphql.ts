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
 * - json and array fields, and the document id, are not filterable yet: `unsupported`.
 */
import { PortabaseError } from '../../src/errors.js'
import { compileFilter } from '../../src/query/evaluate.js'
import { DOC_ID, type FieldFilter, type Filter } from '../../src/query/model.js'
import { isSentinel, type WriteData } from '../../src/sentinels.js'
import type { Doc, DocumentData, Value } from '../../src/types.js'
import { amplifyError, PROVIDER } from './errors.js'
import { modelNameOf, queryFieldOf, type AmplifyCollection, type AmplifyFieldType } from './schema.js'

export interface ModelInfo {
  collection: string
  model: string
  fields: Readonly<Record<string, AmplifyFieldType>>
  owner: boolean
  /** The fields every document selection reads. */
  selection: string
}

export function modelInfos(collections: readonly AmplifyCollection[]): Map<string, ModelInfo> {
  const out = new Map<string, ModelInfo>()
  for (const c of collections) {
    if (out.has(c.name)) throw new TypeError(`amplify(): collection "${c.name}" is listed twice`)
    const model = modelNameOf(c)
    const owner = c.access === 'owner'
    const selection = ['id', ...Object.keys(c.fields), 'pbWriteId', 'pbDeleted', 'pbNulls', 'updatedAt', 'createdAt', ...(owner ? ['owner'] : [])].join(' ')
    out.set(c.name, { collection: c.name, model, fields: Object.freeze({ ...c.fields }), owner, selection })
  }
  return out
}

// ------------------------------------------------------------------ operations

export const getDocument = (m: ModelInfo): string => `query PbGet($id: ID!) { get${m.model}(id: $id) { ${m.selection} } }`

/** The pbById index (`pbPart` = 'all', sorted by id): every id-ordered query and count. */
export const listById = (m: ModelInfo, selection = m.selection): string =>
  `query PbList($pbPart: String!, $id: ModelIDKeyConditionInput, $sortDirection: ModelSortDirection, $filter: Model${m.model}FilterInput, $limit: Int, $nextToken: String) ` +
  `{ ${queryFieldOf(m.model, 'pbById')}(pbPart: $pbPart, id: $id, sortDirection: $sortDirection, filter: $filter, limit: $limit, nextToken: $nextToken) { items { ${selection} } nextToken } }`

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

function plainJson(value: Value): boolean {
  if (value instanceof Date) return false
  if (Array.isArray(value)) return value.every(plainJson)
  if (value !== null && typeof value === 'object') return Object.values(value).every(plainJson)
  return true
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
      if (!plainJson(value)) throw invalid(m, field, 'a json field holds JSON only (no Dates inside)')
      return JSON.stringify(value)
    case 'string[]':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw wrong()
      return value
    case 'number[]':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'number')) throw wrong()
      return value
  }
}

export interface EncodedWrite {
  /** Field → GraphQL input value (null: REMOVE on update, left out on create). */
  values: Record<string, unknown>
  /** Fields written as explicit nulls. */
  nulls: string[]
  /** Fields given `deleteField()`. */
  deleted: string[]
}

/** Checks and encodes a write's data (before any request): undeclared fields and wrong types → invalid-argument. */
export function encodeWrite(m: ModelInfo, data: WriteData, allowDelete: boolean): EncodedWrite {
  const out: EncodedWrite = { values: {}, nulls: [], deleted: [] }
  for (const [field, value] of Object.entries(data)) {
    if (!(field in m.fields)) throw invalid(m, field, `the field is not declared for this collection (declared: ${Object.keys(m.fields).join(', ') || 'none'})`)
    if (isSentinel(value)) {
      if (value.kind !== 'deleteField' || !allowDelete) throw new PortabaseError('unsupported', `The ${value.kind}() sentinel is not supported by the amplify adapter here`, { provider: PROVIDER })
      out.values[field] = null
      out.deleted.push(field)
    } else if (value === null) {
      out.values[field] = null
      out.nulls.push(field)
    } else {
      out.values[field] = encodeValue(m, field, value)
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
  for (const field of item.pbNulls ?? []) if (field && field in m.fields) data[field] = null
  for (const [field, type] of Object.entries(m.fields)) {
    const raw = item[field]
    if (raw === null || raw === undefined) continue
    if (type === 'date') data[field] = new Date(raw as string)
    else if (type === 'json') data[field] = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Value
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
  const v = comparable(type, bound)
  if (v === undefined || typeof v === 'boolean') return false
  return { [field]: { [RANGE[op]]: v } }
}

function fieldFilter(m: ModelInfo, f: FieldFilter): GqlFilter {
  if (f.field === DOC_ID) throw new PortabaseError('unsupported', 'Filters on the document id are not supported by the amplify adapter yet', { provider: PROVIDER })
  const type = m.fields[f.field]
  // Undeclared: missing on every document, so the neutral evaluator decides the clause.
  if (type === undefined) return compileFilter(f)({ id: '', data: {} })
  if (type === 'json' || type === 'string[]' || type === 'number[]') {
    throw new PortabaseError('unsupported', `Filters on ${type} fields (${m.collection}.${f.field}) are not supported by the amplify adapter`, { provider: PROVIDER })
  }
  const value = f.value
  switch (f.op) {
    case '==':
      return equals(f.field, type, value)
    case '!=':
      return notEquals(f.field, type, value)
    case 'in':
      return orOf((value as Value[]).map((v) => equals(f.field, type, v)))
    case 'not-in':
      return andOf((value as Value[]).map((v) => notEquals(f.field, type, v)))
    case '<':
    case '<=':
    case '>':
    case '>=':
      return range(f.field, type, f.op, value)
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
export function translateFilters(m: ModelInfo, filters: readonly Filter[]): GqlFilter {
  return andOf([...filters.map((f) => translateFilter(m, f)), { pbDeleted: { ne: true } }])
}

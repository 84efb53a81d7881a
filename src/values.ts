import { invalidArgument } from './errors.js'
import { isSentinel } from './sentinels.js'
import type { DocumentData, Value } from './types.js'

/** Top-level field names every vendor accepts (Parse is the strictest: a letter, then letters, digits, `_`). */
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,127}$/
/**
 * Names no adapter can store as plain fields. Vendor-reserved names that apps commonly use
 * (`id`, `createdAt`, `updatedAt`) stay allowed: adapters map them (see each adapter's README).
 */
export const RESERVED_FIELDS: ReadonlySet<string> = new Set(['objectId', 'ACL', 'sessionToken', 'authData'])
const COLLECTION_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/
const DOC_ID = /^[A-Za-z0-9_-]{1,128}$/

export function assertCollectionName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !COLLECTION_NAME.test(name) || name.startsWith('_')) {
    throw invalidArgument(`Invalid collection name ${describe(name)}: use a letter then letters, digits or _ (max 64)`)
  }
}

export function assertDocId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !DOC_ID.test(id)) {
    throw invalidArgument(`Invalid document id ${describe(id)}: use 1–128 of A–Z a–z 0–9 _ -`)
  }
}

export function assertFieldName(name: string): void {
  if (!FIELD_NAME.test(name) || RESERVED_FIELDS.has(name)) {
    throw invalidArgument(`Invalid field name ${describe(name)}: use a letter then letters, digits or _; reserved: ${[...RESERVED_FIELDS].join(', ')}`)
  }
}

/** A field path for queries: top-level name, optionally followed by `.key` parts into nested objects. */
export function assertFieldPath(path: unknown): asserts path is string {
  if (typeof path !== 'string') throw invalidArgument(`Invalid field path ${describe(path)}`)
  const [head, ...rest] = path.split('.')
  assertFieldName(head!)
  for (const key of rest) assertNestedKey(key)
}

function assertNestedKey(key: string): void {
  if (key.length === 0 || key.length > 256 || key.includes('.') || key.startsWith('$') || key.startsWith('__')) {
    throw invalidArgument(`Invalid nested key ${describe(key)}: non-empty, no '.', not starting with '$' or '__'`)
  }
}

/**
 * Checks a value is storable everywhere: JSON plus Date, finite numbers, no undefined, plain objects.
 * Write sentinels are accepted only where `allowSentinel` says (top-level fields of a write).
 */
export function assertValue(value: unknown, path: string, allowSentinel = false): asserts value is Value {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalidArgument(`Field ${path} holds ${value}; only finite numbers can be stored`, { field: path })
    return
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalidArgument(`Field ${path} holds an invalid Date`, { field: path })
    return
  }
  if (isSentinel(value)) {
    if (allowSentinel) return
    throw invalidArgument(`Field ${path}: write sentinels are only allowed as top-level field values of a write`, { field: path })
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (Array.isArray(item)) throw invalidArgument(`Field ${path}[${i}] is an array inside an array, which Firestore cannot store`, { field: path })
      assertValue(item, `${path}[${i}]`)
    })
    return
  }
  if (typeof value === 'object' && isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      assertNestedKey(key)
      if (item === undefined) throw invalidArgument(`Field ${path}.${key} is undefined; use null or leave it out`, { field: `${path}.${key}` })
      assertValue(item, `${path}.${key}`)
    }
    return
  }
  throw invalidArgument(`Field ${path} holds an unsupported ${value === undefined ? 'undefined' : typeof value === 'object' ? 'object type' : typeof value}`, { field: path })
}

export function assertDocumentData(data: unknown, allowSentinels = false): asserts data is DocumentData {
  if (typeof data !== 'object' || data === null || !isPlainObject(data)) {
    throw invalidArgument('Document data must be a plain object')
  }
  for (const [key, value] of Object.entries(data)) {
    assertFieldName(key)
    if (value === undefined) throw invalidArgument(`Field ${key} is undefined; use null or leave it out`, { field: key })
    assertValue(value, key, allowSentinels)
  }
}

export function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  return typeof value
}

/** Deep copy of a value (Dates copied), so stored documents never alias app objects. */
export function cloneValue<T extends Value>(value: T): T {
  if (value === null || typeof value !== 'object') return value
  if (value instanceof Date) return new Date(value.getTime()) as T
  if (Array.isArray(value)) return value.map((v) => cloneValue(v)) as T
  const out: Record<string, Value> = {}
  for (const key in value) out[key] = cloneValue((value as Record<string, Value>)[key]!)
  return out as T
}

/** Tagged JSON (Dates as `{"$date": iso}`), for cursors and persisted state. */
export function toTaggedJson(value: Value): unknown {
  if (value instanceof Date) return { $date: value.toISOString() }
  if (Array.isArray(value)) return value.map(toTaggedJson)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = toTaggedJson(v)
    return out
  }
  return value
}

export function fromTaggedJson(json: unknown): Value {
  if (Array.isArray(json)) return json.map(fromTaggedJson)
  if (json !== null && typeof json === 'object') {
    const record = json as Record<string, unknown>
    if (typeof record.$date === 'string' && Object.keys(record).length === 1) return new Date(record.$date)
    const out: Record<string, Value> = {}
    for (const [k, v] of Object.entries(record)) out[k] = fromTaggedJson(v)
    return out
  }
  return json as Value
}

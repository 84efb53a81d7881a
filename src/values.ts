import { invalidArgument } from './errors.js'
import { describe } from './names.js'
import { isSentinel } from './sentinels.js'
import type { DocumentData, Value } from './types.js'
import { Bytes, GeoPoint, Reference, valueTypeOf } from './value-types.js'

export { assertCollectionName, assertDocId } from './names.js'

/** Top-level field names every vendor accepts (Parse is the strictest: a letter, then letters, digits, `_`). */
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,127}$/
/** Names a vendor keeps for itself are the adapter's to declare (`capabilities.limits.reservedFieldNames`, src/limits.ts). */
export function assertFieldName(name: string): void {
  if (!FIELD_NAME.test(name)) throw invalidArgument(`Invalid field name ${describe(name)}: use a letter then letters, digits or _`)
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
 * Checks a value is storable everywhere: JSON plus Date, finite numbers, no undefined, plain objects,
 * and the neutral value types (validated when made; whether the adapter stores them is
 * `capabilities.valueTypes`, checked by the client). Write sentinels are accepted only where
 * `allowSentinel` says (top-level fields of a write).
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
  if (valueTypeOf(value) !== undefined) return
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    throw invalidArgument(`Field ${path} holds raw binary data; store it as Bytes.fromUint8Array(…)`, { field: path })
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

/** Deep copy of a value (Dates copied; neutral value types are immutable, so shared), so stored documents never alias app objects. */
export function cloneValue<T extends Value>(value: T): T {
  // -0 is stored as 0: JSON, PostgreSQL's jsonb and every vendor's wire lose the sign, so the
  // reference must too, or the same write would read back differently by backend.
  if (value === 0) return 0 as T
  if (value === null || typeof value !== 'object') return value
  if (value instanceof Date) return new Date(value.getTime()) as T
  if (valueTypeOf(value) !== undefined) return value
  if (Array.isArray(value)) return value.map((v) => cloneValue(v)) as T
  const out: Record<string, Value> = {}
  for (const key in value) out[key] = cloneValue((value as Record<string, Value>)[key]!)
  return out as T
}

/**
 * Tagged JSON, for cursors and persisted state: Dates as `{"$date": iso}`, geo points as
 * `{"$geo": [lat, lng]}`, references as `{"$ref": [collection, id]}`, bytes as `{"$bytes": base64}`.
 * App data cannot clash with a tag: nested keys starting with `$` are refused (assertValue).
 */
export function toTaggedJson(value: Value): unknown {
  if (value instanceof Date) return { $date: value.toISOString() }
  switch (valueTypeOf(value)) {
    case 'geoPoint':
      return { $geo: [(value as GeoPoint).latitude, (value as GeoPoint).longitude] }
    case 'reference':
      return { $ref: [(value as Reference).collection, (value as Reference).id] }
    case 'bytes':
      return { $bytes: (value as Bytes).toBase64() }
  }
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
    const tagged = Object.keys(record).length === 1 ? fromTag(record) : undefined
    if (tagged !== undefined) return tagged
    const out: Record<string, Value> = {}
    for (const [k, v] of Object.entries(record)) out[k] = fromTaggedJson(v)
    return out
  }
  return json as Value
}

/** The value a one-key tagged object stands for, or undefined when it is not a tag. */
function fromTag(record: Record<string, unknown>): Value | undefined {
  const { $date, $geo, $ref, $bytes } = record
  if (typeof $date === 'string') return new Date($date)
  if (isPair($geo, 'number')) return new GeoPoint($geo[0], $geo[1])
  if (isPair($ref, 'string')) return new Reference($ref[0], $ref[1])
  if (typeof $bytes === 'string') return Bytes.fromBase64($bytes)
  return undefined
}

function isPair<T extends 'number' | 'string'>(value: unknown, type: T): value is [T extends 'number' ? number : string, T extends 'number' ? number : string] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === type && typeof value[1] === type
}

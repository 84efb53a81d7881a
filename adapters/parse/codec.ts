/**
 * Neutral values and field names ⇄ Parse REST JSON.
 *
 * Field names: a neutral field is stored under the same Parse column, except names Parse keeps or
 * refuses (`createdAt`, `updatedAt`, `className`, `length`) and names starting with the adapter's
 * prefix `pb_`: those are stored as `pb_<name>`. Columns `pb_v`, `pb_nulls` and `pb_w` (a `pb_` prefix on a
 * name that needs no escaping) belong to the adapter:
 * - `pb_v`: a random nonce written by every write, so `meta.version` changes on every write even
 *   when two writes land in the same millisecond of `updatedAt`;
 * - `pb_nulls`: `{ field: true }` for top-level fields written as `null`. Parse on PostgreSQL stores
 *   null as SQL NULL and leaves the key out of every read; a field reads back as `null` when its
 *   column is NULL and this marker is present, and as missing otherwise;
 * - `pb_w`: the writeId of the last write (the offline engine's id for a queued write), `''` when
 *   the write carried none. Every write through the adapter sets it.
 */
import { PortabaseError } from '../../src/errors.js'
import type { ValueTypeSupport } from '../../src/spi.js'
import type { Doc, DocumentData, Value } from '../../src/types.js'
import { Bytes, GeoPoint, Reference, valueTypeOf, type ValueTypeName } from '../../src/value-types.js'
import { PROVIDER } from './errors.js'

/**
 * Parse stores geo points and references as its own GeoPoint and Pointer (className = the
 * collection: every collection is the class of that name), at any depth (nested ones in the jsonb of
 * an Object or Array column, as Parse Server keeps them). Queries on them are not translated: a
 * top-level GeoPoint is a PostgreSQL `point` column (no ordering), a Pointer column keeps only the
 * objectId of one target class. Parse allows one GeoPoint column per class, and a Pointer column
 * points into one class: another is refused as `invalid-argument`.
 *
 * Bytes are not declared: Parse Server's PostgreSQL adapter creates a Bytes column but cannot update
 * one ("Postgres doesn't support update {"__type":"Bytes",…} yet"), so a second write of the
 * document would fail. Bytes written by other tools still read as Bytes.
 */
export const PARSE_VALUE_TYPES: Readonly<Record<ValueTypeName, ValueTypeSupport>> = Object.freeze({ geoPoint: 'stored', reference: 'stored', bytes: 'none' })

export const PREFIX = 'pb_'
export const VERSION_COLUMN = 'pb_v'
export const NULLS_COLUMN = 'pb_nulls'
export const WRITE_ID_COLUMN = 'pb_w'
/** Neutral names Parse refuses (`className`, `length`) or silently ignores in writes (`createdAt`, `updatedAt`). */
const ESCAPED: ReadonlySet<string> = new Set(['createdAt', 'updatedAt', 'className', 'length'])
/** Columns Parse adds to every object; never user data. */
const SYSTEM_COLUMNS: ReadonlySet<string> = new Set(['objectId', 'createdAt', 'updatedAt', 'ACL', 'className', '__type', '_rperm', '_wperm'])
/** PostgreSQL truncates identifiers longer than this many bytes (NAMEDATALEN - 1). */
export const MAX_COLUMN_LENGTH = 63
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]*$/

export function toColumn(field: string): string {
  const column = ESCAPED.has(field) || field.startsWith(PREFIX) ? `${PREFIX}${field}` : field
  if (column.length > MAX_COLUMN_LENGTH) {
    throw new PortabaseError('invalid-argument', `Field name ${field.slice(0, 40)}… is too long for Parse on PostgreSQL (at most ${MAX_COLUMN_LENGTH} characters once stored)`, {
      provider: PROVIDER,
      details: { field },
    })
  }
  return column
}

/** The neutral field a column stores, or null for system and adapter columns. */
export function fromColumn(column: string): string | null {
  if (SYSTEM_COLUMNS.has(column)) return null
  if (!column.startsWith(PREFIX)) return column
  const rest = column.slice(PREFIX.length)
  return ESCAPED.has(rest) || rest.startsWith(PREFIX) ? rest : null
}

export interface ParseDate {
  __type: 'Date'
  iso: string
}

export function encodeDate(date: Date): ParseDate {
  return { __type: 'Date', iso: date.toISOString() }
}

/** A neutral value as Parse REST JSON (Dates and neutral value types at any depth become Parse's `__type` objects). */
export function encodeValue(value: Value): unknown {
  if (value === null || typeof value !== 'object') return value
  if (value instanceof Date) return encodeDate(value)
  switch (valueTypeOf(value)) {
    case 'geoPoint':
      return { __type: 'GeoPoint', latitude: (value as GeoPoint).latitude, longitude: (value as GeoPoint).longitude }
    case 'reference':
      return { __type: 'Pointer', className: (value as Reference).collection, objectId: (value as Reference).id }
    case 'bytes':
      return { __type: 'Bytes', base64: (value as Bytes).toBase64() }
  }
  if (Array.isArray(value)) return value.map(encodeValue)
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) out[key] = encodeValue(item)
  return out
}

/**
 * Parse REST JSON → a neutral value: GeoPoint, Pointer and Bytes as the neutral types. Parse values
 * portabase does not model come back as plain objects: File → `{ name, url }`, Polygon →
 * `{ coordinates }`, Relation → `{ className }`, and what only other tools can write (a Pointer to
 * a class or id no portabase collection has, like `_User`; invalid base64) as its plain fields.
 */
export function decodeValue(json: unknown): Value {
  if (json === null || json === undefined) return null
  if (typeof json !== 'object') return json as Value
  if (Array.isArray(json)) return json.map(decodeValue)
  const record = json as Record<string, unknown>
  switch (record.__type) {
    case 'Date':
      return new Date(String(record.iso))
    case 'Pointer':
      return modelled(() => new Reference(String(record.className), String(record.objectId)), { className: String(record.className), objectId: String(record.objectId) })
    case 'Object': {
      const { __type: _type, ...fields } = record
      return decodeValue(fields)
    }
    case 'File':
      return { name: String(record.name), url: String(record.url) }
    case 'GeoPoint':
      return modelled(() => new GeoPoint(Number(record.latitude), Number(record.longitude)), { latitude: Number(record.latitude), longitude: Number(record.longitude) })
    case 'Bytes':
      return modelled(() => Bytes.fromBase64(String(record.base64)), { base64: String(record.base64) })
    case 'Polygon':
      return { coordinates: decodeValue(record.coordinates) }
    case 'Relation':
      return { className: String(record.className) }
    default: {
      const out: Record<string, Value> = {}
      for (const [key, item] of Object.entries(record)) if (item !== undefined) out[key] = decodeValue(item)
      return out
    }
  }
}

/** The neutral value, or (for what only other tools can write: `_User` pointers, bad base64) the plain description. */
function modelled(make: () => Value, plain: Record<string, Value>): Value {
  try {
    return make()
  } catch {
    return plain
  }
}

/** The type Parse gives a column, from a (non-null) REST JSON value. */
export type FieldType = 'String' | 'Number' | 'Boolean' | 'Date' | 'Array' | 'Object' | 'Other'

export function parseTypeOf(json: unknown): FieldType | null {
  if (json === null || json === undefined) return null
  switch (typeof json) {
    case 'string':
      return 'String'
    case 'number':
      return 'Number'
    case 'boolean':
      return 'Boolean'
    case 'object':
      if (Array.isArray(json)) return 'Array'
      switch ((json as { __type?: unknown }).__type) {
        case undefined:
          return 'Object'
        case 'Date':
          return 'Date'
        default:
          return 'Other'
      }
    default:
      return 'Other'
  }
}

/** The column type a neutral (non-null) value gets. */
export function neutralTypeOf(value: Value): FieldType | null {
  if (value === null) return null
  if (value instanceof Date) return 'Date'
  if (Array.isArray(value)) return 'Array'
  if (valueTypeOf(value) !== undefined) return 'Other'
  switch (typeof value) {
    case 'string':
      return 'String'
    case 'number':
      return 'Number'
    case 'boolean':
      return 'Boolean'
    default:
      return 'Object'
  }
}

/** A Parse object as REST JSON (query results, GET, LiveQuery objects after `toJSON()`). */
export type ParseObjectJSON = Record<string, unknown> & { objectId?: unknown }

/** User data of a Parse object: its columns minus system/adapter ones, plus the null markers. */
export function decodeData(json: ParseObjectJSON): DocumentData {
  const data: DocumentData = {}
  for (const [column, raw] of Object.entries(json)) {
    if (raw === null || raw === undefined) continue
    const field = fromColumn(column)
    if (field !== null) data[field] = decodeValue(raw)
  }
  for (const field of nullMarkers(json)) if (!(field in data)) data[field] = null
  return data
}

/** Fields the `pb_nulls` column marks as null. */
export function nullMarkers(json: ParseObjectJSON): string[] {
  const markers = json[NULLS_COLUMN]
  if (markers === null || typeof markers !== 'object' || Array.isArray(markers)) return []
  return Object.keys(markers).filter((key) => FIELD_NAME.test(key))
}

/** User columns that hold a value (not NULL) in a stored object. */
export function storedColumns(json: ParseObjectJSON): string[] {
  return Object.keys(json).filter((column) => json[column] !== null && json[column] !== undefined && fromColumn(column) !== null)
}

/** The writeId of an object's last write, or null (none, or written before portabase recorded them). */
export function writeIdOf(json: ParseObjectJSON): string | null {
  const value = json[WRITE_ID_COLUMN]
  return typeof value === 'string' && value.length > 0 ? value : null
}

/** `meta.version` of a write: `updatedAt` plus the write's nonce (docs: `pb_v`; tombstones: their own). */
export function versionOf(updateTime: Date, nonce: string): string {
  return nonce ? `${updateTime.toISOString()}~${nonce}` : updateTime.toISOString()
}

export function parseTime(value: unknown): Date | null {
  if (typeof value === 'string') return new Date(value)
  if (value !== null && typeof value === 'object' && (value as { __type?: unknown }).__type === 'Date') return new Date(String((value as ParseDate).iso))
  if (value instanceof Date) return value
  return null
}

/** A Parse object as a neutral, frozen Doc: `updateTime` is `updatedAt`, `version` adds the `pb_v` nonce. */
export function decodeDoc(json: ParseObjectJSON): Doc {
  const updateTime = parseTime(json.updatedAt) ?? parseTime(json.createdAt) ?? new Date(0)
  const nonce = typeof json[VERSION_COLUMN] === 'string' ? (json[VERSION_COLUMN] as string) : ''
  return deepFreeze({
    id: String(json.objectId),
    data: decodeData(json),
    meta: { updateTime, version: versionOf(updateTime, nonce), fromCache: false, hasPendingWrites: false },
  })
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    if (!(value instanceof Date)) for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
  }
  return value
}

/** A fresh write nonce: 16 random alphanumerics. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  let out = ''
  for (const b of bytes) out += alphabet[b % alphabet.length]
  return out
}

/** PostgreSQL cannot store U+0000 in text or jsonb: such values are refused before they are sent. */
export function assertStorable(value: unknown, path: string): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) {
      throw new PortabaseError('invalid-argument', `Field ${path} holds the character U+0000, which Parse on PostgreSQL cannot store`, {
        provider: PROVIDER,
        details: { field: path },
      })
    }
    return
  }
  if (value === null || typeof value !== 'object' || value instanceof Date || valueTypeOf(value) !== undefined) return
  if (Array.isArray(value)) {
    value.forEach((item, i) => assertStorable(item, `${path}[${i}]`))
    return
  }
  for (const [key, item] of Object.entries(value)) {
    assertStorable(key, `${path} (a key)`)
    assertStorable(item, `${path}.${key}`)
  }
}

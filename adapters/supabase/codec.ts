/**
 * Documents as JSON for the `data jsonb` column. Dates are `{"$date": ISO-8601 UTC with ms}`:
 * one fixed-length string under one key, so two dates compare chronologically as jsonb. The neutral
 * value types are one-key objects too, shaped so that jsonb equality, containment (`array-contains`)
 * and ordering within the type are portabase's:
 * - a geo point `{"$geo": {"lat": …, "lng": …}}` (an object, not a pair: jsonb array containment
 *   ignores order; keys of one length compare in this order: latitude, then longitude);
 * - a reference `{"$ref": {"col": collection, "doc": id}}` (collection, then id);
 * - bytes `{"$bytes": lower-case hex}` (hex orders as the bytes do; base64 does not).
 * Sentinels travel to `portabase_write` as `{"$pb": kind, …}` and are resolved by the database
 * (`portabase.patch`). Field names starting with `$` are refused by core, so no tag can clash
 * with app data.
 */
import { isSentinel, type Sentinel, type WriteData } from '../../src/sentinels.js'
import type { ValueTypeSupport } from '../../src/spi.js'
import type { DocumentData, Value } from '../../src/types.js'
import { Bytes, GeoPoint, Reference, valueTypeOf, type ValueTypeName } from '../../src/value-types.js'

/** Every neutral type round-trips in jsonb and compares as portabase's (see above). */
export const SUPABASE_VALUE_TYPES: Readonly<Record<ValueTypeName, ValueTypeSupport>> = Object.freeze({ geoPoint: 'queryable', reference: 'queryable', bytes: 'queryable' })

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

export function encodeValue(value: Value): Json {
  if (value instanceof Date) return { $date: value.toISOString() }
  switch (valueTypeOf(value)) {
    case 'geoPoint':
      return { $geo: { lat: (value as GeoPoint).latitude, lng: (value as GeoPoint).longitude } }
    case 'reference':
      return { $ref: { col: (value as Reference).collection, doc: (value as Reference).id } }
    case 'bytes':
      return { $bytes: toHex((value as Bytes).toUint8Array()) }
  }
  if (Array.isArray(value)) return value.map(encodeValue)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Json> = {}
    for (const [k, v] of Object.entries(value)) out[k] = encodeValue(v as Value)
    return out
  }
  return value as Json
}

export function decodeValue(json: Json): Value {
  if (Array.isArray(json)) return json.map(decodeValue)
  if (json !== null && typeof json === 'object') {
    const keys = Object.keys(json)
    const tagged = keys.length === 1 ? fromTag(json) : undefined
    if (tagged !== undefined) return tagged
    const out: Record<string, Value> = {}
    for (const [k, v] of Object.entries(json)) out[k] = decodeValue(v)
    return out
  }
  return json
}

/** The value of a one-key tagged object; undefined when it is not a well-formed tag (left as a map). */
function fromTag(json: { [key: string]: Json }): Value | undefined {
  const { $date, $geo, $ref, $bytes } = json
  if (typeof $date === 'string') return new Date($date)
  try {
    if (isRecord($geo) && typeof $geo.lat === 'number' && typeof $geo.lng === 'number') return new GeoPoint($geo.lat, $geo.lng)
    if (isRecord($ref) && typeof $ref.col === 'string' && typeof $ref.doc === 'string') return new Reference($ref.col, $ref.doc)
    if (typeof $bytes === 'string' && HEX.test($bytes)) return Bytes.fromUint8Array(fromHex($bytes))
  } catch {
    // Out of range or an invalid name: written by another tool, not by portabase. Read as the map it is.
  }
  return undefined
}

const isRecord = (json: Json | undefined): json is { [key: string]: Json } => json !== null && typeof json === 'object' && !Array.isArray(json)

const HEX = /^(?:[0-9a-f]{2})*$/

function toHex(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}

function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return bytes
}

export function decodeData(json: Json): DocumentData {
  return decodeValue(json) as DocumentData
}

/** A write's data for `portabase_write`: values encoded, sentinels as `{"$pb": kind, …}`. */
export function encodeWriteData(data: WriteData): Record<string, Json> {
  const out: Record<string, Json> = {}
  for (const [field, value] of Object.entries(data)) out[field] = isSentinel(value) ? encodeSentinel(value) : encodeValue(value)
  return out
}

function encodeSentinel(sentinel: Sentinel): Json {
  switch (sentinel.kind) {
    case 'increment':
      return { $pb: 'increment', by: sentinel.by }
    case 'arrayUnion':
    case 'arrayRemove':
      return { $pb: sentinel.kind, values: sentinel.values.map(encodeValue) }
    default:
      return { $pb: sentinel.kind }
  }
}

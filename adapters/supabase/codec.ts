/**
 * Documents as JSON for the `data jsonb` column. Dates are `{"$date": ISO-8601 UTC with ms}`:
 * one fixed-length string under one key, so two dates compare chronologically as jsonb. Sentinels
 * travel to `portabase_write` as `{"$pb": kind, …}` and are resolved by the database
 * (`portabase.patch`). Field names starting with `$` are refused by core, so neither tag can clash
 * with app data.
 */
import { isSentinel, type Sentinel, type WriteData } from '../../src/sentinels.js'
import type { DocumentData, Value } from '../../src/types.js'

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

export function encodeValue(value: Value): Json {
  if (value instanceof Date) return { $date: value.toISOString() }
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
    if (keys.length === 1 && keys[0] === '$date' && typeof json.$date === 'string') return new Date(json.$date)
    const out: Record<string, Value> = {}
    for (const [k, v] of Object.entries(json)) out[k] = decodeValue(v)
    return out
  }
  return json
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

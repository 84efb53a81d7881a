/** Document data and queued writes as JSON for the local store (Dates, neutral value types and sentinels tagged: values.ts). */
import { PortabaseError } from '../errors.js'
import { arrayRemove, arrayUnion, deleteField, increment, isSentinel, serverTimestamp, type Sentinel, type WriteData } from '../sentinels.js'
import type { DocumentData, Value } from '../types.js'
import { fromTaggedJson, toTaggedJson } from '../values.js'
import type { StoredValue } from './store.js'

/**
 * Data without Dates or neutral value types is its own JSON: stored as is, without a copy (the
 * store copies or serialises what it keeps).
 */
export function encodeData(data: DocumentData): StoredValue {
  return isPlainJson(data) ? (data as StoredValue) : (toTaggedJson(data) as StoredValue)
}

/**
 * JSON without tags decodes to itself: kept as is, without a copy (what `entries()` returns is
 * the reader's own; the engine freezes it).
 */
export function decodeData(json: StoredValue): DocumentData {
  return isUntagged(json) ? (json as DocumentData) : (fromTaggedJson(json) as DocumentData)
}

/** Only plain objects, arrays and JSON scalars (no Date, GeoPoint, Reference, Bytes; no `$`-keyed one-key object, which reads as a tag). */
function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'number' || Number.isFinite(value)
  if (Array.isArray(value)) return value.every(isPlainJson)
  if (Object.getPrototypeOf(value) !== Object.prototype) return false
  return isUntaggedObject(value as Record<string, unknown>, isPlainJson)
}

/** No one-key object whose key starts with `$` anywhere (tags: values.ts). */
function isUntagged(json: unknown): boolean {
  if (json === null || typeof json !== 'object') return true
  if (Array.isArray(json)) return json.every(isUntagged)
  return isUntaggedObject(json as Record<string, unknown>, isUntagged)
}

function isUntaggedObject(record: Record<string, unknown>, inner: (value: unknown) => boolean): boolean {
  let keys = 0
  let dollar = false
  for (const key in record) {
    keys++
    if (key.charCodeAt(0) === 36) dollar = true
    if (!inner(record[key])) return false
  }
  return !(keys === 1 && dollar)
}

export function encodeWriteData(data: WriteData): StoredValue {
  const out: Record<string, StoredValue> = {}
  for (const [field, value] of Object.entries(data)) out[field] = isSentinel(value) ? { $sentinel: encodeSentinel(value) } : (toTaggedJson(value) as StoredValue)
  return out
}

export function decodeWriteData(json: StoredValue): WriteData {
  const out: WriteData = {}
  for (const [field, value] of Object.entries(json as Record<string, StoredValue>)) {
    const tagged = value !== null && typeof value === 'object' && !Array.isArray(value) && '$sentinel' in value && Object.keys(value).length === 1
    out[field] = tagged ? decodeSentinel((value as { $sentinel: StoredValue }).$sentinel) : fromTaggedJson(value)
  }
  return out
}

function encodeSentinel(sentinel: Sentinel): StoredValue {
  switch (sentinel.kind) {
    case 'increment':
      return { kind: 'increment', by: sentinel.by }
    case 'arrayUnion':
    case 'arrayRemove':
      return { kind: sentinel.kind, values: sentinel.values.map((v) => toTaggedJson(v) as StoredValue) }
    default:
      return { kind: sentinel.kind }
  }
}

function decodeSentinel(json: StoredValue): Sentinel {
  const s = json as { kind?: string; by?: number; values?: StoredValue[] }
  const values = (): Value[] => (s.values ?? []).map((v) => fromTaggedJson(v))
  switch (s.kind) {
    case 'serverTimestamp':
      return serverTimestamp()
    case 'deleteField':
      return deleteField()
    case 'increment':
      return increment(Number(s.by))
    case 'arrayUnion':
      return arrayUnion(...values())
    case 'arrayRemove':
      return arrayRemove(...values())
    default:
      throw new PortabaseError('internal', `The local store holds an unknown write sentinel: ${String(s.kind)}`)
  }
}

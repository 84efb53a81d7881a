/** Document data and queued writes as JSON for the local store (Dates, neutral value types and sentinels tagged: values.ts). */
import { PortabaseError } from '../errors.js'
import { arrayRemove, arrayUnion, deleteField, increment, isSentinel, serverTimestamp, type Sentinel, type WriteData } from '../sentinels.js'
import type { DocumentData, Value } from '../types.js'
import { fromTaggedJson, toTaggedJson } from '../values.js'
import type { StoredValue } from './store.js'

export function encodeData(data: DocumentData): StoredValue {
  return toTaggedJson(data) as StoredValue
}

export function decodeData(json: StoredValue): DocumentData {
  return fromTaggedJson(json) as DocumentData
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

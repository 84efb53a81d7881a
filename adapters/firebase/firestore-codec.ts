/** Values and documents between portabase and Firestore. */
import {
  arrayRemove,
  arrayUnion,
  deleteField,
  increment,
  serverTimestamp,
  Timestamp,
  type DocumentData as FirestoreData,
  type DocumentSnapshot,
  type FieldValue,
} from 'firebase/firestore'
import { isSentinel, type WriteData } from '../../src/sentinels.js'
import type { Doc, DocumentData, Value } from '../../src/types.js'

/**
 * Written by the adapter on every write: the server time of the write. The web SDK does not expose a
 * document's updateTime, so this field is `meta.updateTime`, and its exact value (ns) is `meta.version`
 * (a document's commit times strictly increase). App field names cannot start with `_`.
 */
export const UPDATED_AT = '_updatedAt'

/** Firestore Timestamps back to Date, recursively; everything else is already neutral. */
export function fromFirestore(value: unknown): Value {
  if (value instanceof Timestamp) return value.toDate()
  if (Array.isArray(value)) return value.map(fromFirestore)
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, Value> = {}
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = fromFirestore(v)
    return out
  }
  return value as Value
}

/** Neutral write data → Firestore data, sentinels → FieldValues, plus the adapter's `_updatedAt`. */
export function toFirestoreData(data: WriteData): Record<string, Value | FieldValue> {
  const out: Record<string, Value | FieldValue> = {}
  for (const [field, value] of Object.entries(data)) {
    if (!isSentinel(value)) {
      out[field] = value
      continue
    }
    switch (value.kind) {
      case 'serverTimestamp':
        out[field] = serverTimestamp()
        break
      case 'increment':
        out[field] = increment(value.by)
        break
      case 'arrayUnion':
        out[field] = arrayUnion(...value.values)
        break
      case 'arrayRemove':
        out[field] = arrayRemove(...value.values)
        break
      case 'deleteField':
        out[field] = deleteField()
        break
    }
  }
  out[UPDATED_AT] = serverTimestamp()
  return out
}

/** A stable text for data without `_updatedAt` (written by other tools): the version still changes with the content. */
function contentVersion(data: FirestoreData): string {
  const text = JSON.stringify(data, (_k, v: unknown) => (v instanceof Timestamp ? `t:${v.seconds}.${v.nanoseconds}` : v))
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return `h:${(hash >>> 0).toString(16)}`
}

const timestampVersion = (t: Timestamp): string => `${t.seconds}.${String(t.nanoseconds).padStart(9, '0')}`

/** A snapshot of an existing document → Doc; null when it does not exist. */
export function toDoc(snapshot: DocumentSnapshot): Doc | null {
  if (!snapshot.exists()) return null
  // Pending server timestamps read as the local estimate until the write is acknowledged.
  const raw = snapshot.data({ serverTimestamps: 'estimate' })
  const { [UPDATED_AT]: stamp, ...rest } = raw
  const pending = snapshot.metadata.hasPendingWrites
  const updated = stamp instanceof Timestamp ? stamp : undefined
  const version = updated ? timestampVersion(updated) : contentVersion(rest)
  return {
    id: snapshot.id,
    data: fromFirestore(rest) as DocumentData,
    meta: {
      updateTime: updated ? updated.toDate() : new Date(0),
      version: pending ? `pending:${version}` : version,
      fromCache: snapshot.metadata.fromCache,
      hasPendingWrites: pending,
    },
  }
}

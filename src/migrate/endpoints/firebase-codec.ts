/**
 * Neutral values ⇄ firebase-admin Firestore values, the admin-SDK twin of the firebase adapter's
 * codec (adapters/firebase/firestore-codec.ts) with the same mapping, so the adapter reads back what
 * the migration wrote: Date ⇄ Timestamp, GeoPoint ⇄ GeoPoint, Reference ⇄ DocumentReference to a
 * top-level document, Bytes ⇄ bytes (Buffer), at any depth. That codec cannot be reused as is: it
 * converts to the web SDK's classes (`firebase/firestore`, which the admin SDK rejects) and importing
 * it would make the CLI load the web SDK. The neutral side (src/value-types.ts) is shared.
 */
import type { DocumentData as FirestoreData, DocumentSnapshot, Firestore } from 'firebase-admin/firestore'
import type { Doc, DocumentData, Value } from '../../types.js'
import { Bytes, GeoPoint, Reference, valueTypeOf } from '../../value-types.js'
import type { FirestoreValueClasses } from './firebase-admin.js'
import { fromFirestoreReference } from '../../../adapters/firebase/reference.js'

/** The firebase adapter's metadata map field (firestore-codec.ts METADATA_FIELD): not app data. */
export const METADATA_FIELD = '_portabase'

export class AdminFirestoreCodec {
  constructor(
    private readonly db: Firestore,
    private readonly values: FirestoreValueClasses,
  ) {}

  toFirestore(value: Value): unknown {
    // Dates go as they are: the admin SDK stores a Date as a Timestamp.
    if (value === null || typeof value !== 'object' || value instanceof Date) return value
    switch (valueTypeOf(value)) {
      case 'geoPoint':
        return new this.values.GeoPoint((value as GeoPoint).latitude, (value as GeoPoint).longitude)
      case 'bytes':
        return Buffer.from((value as Bytes).toUint8Array())
      case 'reference':
        return this.db.collection((value as Reference).collection).doc((value as Reference).id)
    }
    if (Array.isArray(value)) return value.map((v) => this.toFirestore(v))
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = this.toFirestore(v)
    return out
  }

  toData(data: DocumentData): FirestoreData {
    return this.toFirestore(data as Value) as FirestoreData
  }

  fromFirestore(value: unknown): Value {
    if (value === null || typeof value !== 'object' || value instanceof Date) return value as Value
    const { Timestamp, GeoPoint: AdminGeoPoint, DocumentReference: AdminReference } = this.values
    if (value instanceof Timestamp) return value.toDate()
    if (value instanceof AdminGeoPoint) return new GeoPoint(value.latitude, value.longitude)
    if (value instanceof Uint8Array) return Bytes.fromUint8Array(value)
    if (value instanceof AdminReference) return fromFirestoreReference(value)
    if (Array.isArray(value)) return value.map((v) => this.fromFirestore(v))
    const out: Record<string, Value> = {}
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = this.fromFirestore(v)
    return out
  }

  /** An existing document's snapshot → Doc, without the adapter's metadata field; `updateTime` is the server's. */
  toDoc(snapshot: DocumentSnapshot): Doc {
    const { [METADATA_FIELD]: _metadata, ...fields } = snapshot.data() ?? {}
    const updated = snapshot.updateTime
    return {
      id: snapshot.id,
      data: this.fromFirestore(fields) as DocumentData,
      meta: {
        updateTime: updated ? updated.toDate() : new Date(0),
        version: updated ? `${updated.seconds}.${String(updated.nanoseconds).padStart(9, '0')}` : '0',
        fromCache: false,
        hasPendingWrites: false,
      },
    }
  }
}


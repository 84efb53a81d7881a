/**
 * Values and documents between portabase and Firestore.
 *
 * Values: Date ⇄ Timestamp, GeoPoint ⇄ GeoPoint, Reference ⇄ DocumentReference (`doc(db, collection,
 * id)`), Bytes ⇄ Bytes, at any depth of maps and arrays, both ways. What Firestore holds and
 * portabase does not model comes back as plain fields: a reference into a subcollection (or to an
 * id portabase refuses) as `{ path }`.
 *
 * Metadata: none by default. Documents carry only the app's fields, so rules such as
 * `request.resource.data.keys().hasOnly([...])` hold. `meta.updateTime` and `meta.version` come from
 * the snapshot: the server's update time of the document, whoever wrote it (see `snapshotUpdateTime`).
 * With `writeMetadata` (`firestore({ offline })`), every write also stamps the map field `_portabase`
 * with `{ updatedAt: serverTimestamp(), writeId }`: a field a query can filter and order by (the
 * change feed, firestore-sync.ts; the web SDK cannot query by update time). App fields cannot start
 * with `_`, so it never clashes with app data; rules
 * allow it by name (adapters/firebase/README.md has the snippet).
 */
import {
  arrayRemove,
  arrayUnion,
  Bytes as FirestoreBytes,
  deleteField,
  doc,
  DocumentReference,
  GeoPoint as FirestoreGeoPoint,
  increment,
  serverTimestamp,
  Timestamp,
  type DocumentData as FirestoreData,
  type DocumentSnapshot,
  type FieldValue,
  type Firestore,
} from 'firebase/firestore'
import { PortabaseError } from '../../src/errors.js'
import { isSentinel, type Sentinel, type WriteData } from '../../src/sentinels.js'
import type { ValueTypeSupport } from '../../src/spi.js'
import type { Doc, DocumentData, Value } from '../../src/types.js'
import { isPlainObject } from '../../src/values.js'
import { Bytes, GeoPoint, Reference, valueTypeOf, type ValueTypeName } from '../../src/value-types.js'
import { PROVIDER } from './errors.js'
import { fromFirestoreReference } from './reference.js'

/** Firestore stores and queries every neutral type natively, in the type order portabase follows. */
export const FIRESTORE_VALUE_TYPES: Readonly<Record<ValueTypeName, ValueTypeSupport>> = Object.freeze({ geoPoint: 'queryable', reference: 'queryable', bytes: 'queryable' })

/** The map field `writeMetadata` adds to every document: `{ updatedAt, writeId }` (the server time of the write, the offline write id or null). */
export const METADATA_FIELD = '_portabase'
/** Tombstones of collection `c` live in `_portabase_deleted_<c>`, one per deleted id (offline collections). */
export const TOMBSTONES_PREFIX = '_portabase_deleted_'

export interface FirestoreCodecOptions {
  /**
   * Stamp every write with `_portabase: { updatedAt: serverTimestamp() }`. Off by default: only a
   * change feed that queries by update time needs it (the offline engine's sync). Security rules
   * must then allow the field (adapters/firebase/README.md).
   */
  writeMetadata?: boolean
}

/** A write's data for `set` (whole document) or `update` (the fields given; dotted keys are paths). */
export type FirestoreWriteMode = 'set' | 'update'

export class FirestoreCodec {
  /** `db` makes DocumentReferences; without it a Reference cannot be encoded (decoding needs none). */
  constructor(
    private readonly db: Firestore | undefined,
    private readonly options: FirestoreCodecOptions = {},
  ) {}

  /** A neutral value as a Firestore value, at any depth (also for query values and cursors). */
  toFirestore(value: Value): unknown {
    if (value === 0) return 0 // Firestore would keep -0 as a double; every other backend stores 0 (cloneValue)
    if (value === null || typeof value !== 'object' || value instanceof Date) return value
    switch (valueTypeOf(value)) {
      case 'geoPoint':
        return new FirestoreGeoPoint((value as GeoPoint).latitude, (value as GeoPoint).longitude)
      case 'bytes':
        return FirestoreBytes.fromUint8Array((value as Bytes).toUint8Array())
      case 'reference': {
        if (!this.db) throw new PortabaseError('internal', 'A Reference can only be written through the adapter (its codec needs the Firestore instance)', { provider: PROVIDER })
        return doc(this.db, (value as Reference).collection, (value as Reference).id)
      }
    }
    if (Array.isArray(value)) return value.map((v) => this.toFirestore(v))
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = this.toFirestore(v)
    return out
  }

  /**
   * Neutral write data → Firestore data: values encoded, sentinels as FieldValues, and the metadata
   * stamp when enabled: `{ updatedAt, writeId }`, the offline engine's write id or null (every write
   * replaces the recorded one, firestore-sync.ts).
   */
  /** Whether writes carry the metadata stamp (offline collections need it, and tombstones). */
  get stamps(): boolean {
    return this.options.writeMetadata === true
  }

  toWriteData(data: WriteData, mode: FirestoreWriteMode, writeId: string | null = null): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const [field, value] of Object.entries(data)) out[field] = isSentinel(value) ? this.fieldValue(value) : this.toFirestore(value)
    if (this.options.writeMetadata) {
      // An update names the nested paths, so other keys a later version keeps under `_portabase` survive.
      if (mode === 'update') {
        out[`${METADATA_FIELD}.updatedAt`] = serverTimestamp()
        out[`${METADATA_FIELD}.writeId`] = writeId
      } else out[METADATA_FIELD] = { updatedAt: serverTimestamp(), writeId }
    }
    return out
  }

  private fieldValue(sentinel: Sentinel): FieldValue {
    switch (sentinel.kind) {
      case 'serverTimestamp':
        return serverTimestamp()
      case 'increment':
        return increment(sentinel.by)
      case 'arrayUnion':
        return arrayUnion(...sentinel.values.map((v) => this.toFirestore(v)))
      case 'arrayRemove':
        return arrayRemove(...sentinel.values.map((v) => this.toFirestore(v)))
      case 'deleteField':
        return deleteField()
    }
  }

  /** A snapshot of an existing document → Doc (without the metadata field); null when it does not exist. */
  toDoc(snapshot: DocumentSnapshot): Doc | null {
    if (!snapshot.exists()) return null
    // Pending server timestamps read as the local estimate until the write is acknowledged.
    const { [METADATA_FIELD]: metadata, ...fields } = snapshot.data({ serverTimestamps: 'estimate' })
    const pending = snapshot.metadata.hasPendingWrites
    const updated = snapshotUpdateTime(snapshot) ?? stampOf(metadata)
    const data = fromFirestore(fields) as DocumentData
    // A committed write has a new update time (ns, strictly increasing per document). A local write
    // not yet acknowledged has none: its content (or its estimated stamp) tells it apart.
    const version = updated ? timestampVersion(updated) : contentVersion(fields)
    return {
      id: snapshot.id,
      data,
      meta: {
        updateTime: updated ? toDate(updated) : pending ? new Date() : new Date(0),
        version: pending ? `pending:${version}` : version,
        fromCache: snapshot.metadata.fromCache,
        hasPendingWrites: pending,
      },
    }
  }
}

/** Firestore values back to neutral ones, recursively. */
export function fromFirestore(value: unknown): Value {
  if (value === null || typeof value !== 'object' || value instanceof Date) return value as Value
  if (value instanceof Timestamp) return value.toDate()
  if (value instanceof FirestoreGeoPoint) return new GeoPoint(value.latitude, value.longitude)
  if (value instanceof FirestoreBytes) return Bytes.fromUint8Array(value.toUint8Array())
  if (value instanceof DocumentReference) return fromFirestoreReference(value)
  if (Array.isArray(value)) return value.map(fromFirestore)
  const out: Record<string, Value> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = fromFirestore(v)
  return out
}


type TimestampLike = { seconds: number; nanoseconds: number }

const isTimestampLike = (value: unknown): value is TimestampLike =>
  typeof value === 'object' && value !== null && typeof (value as TimestampLike).seconds === 'number' && typeof (value as TimestampLike).nanoseconds === 'number'

/**
 * The document's update time as the server reported it. The web SDK has no public getter for it:
 * `DocumentSnapshot.metadata` holds only `fromCache`/`hasPendingWrites`, and `toJSON()` (whose bundle
 * has it) builds a whole bundle per call and throws on pending writes. Its snapshot keeps the
 * document as `_document` (a `MutableDocument`, declared `public` in the SDK's source, stable across
 * v9–v12), whose `version` is the update time of the version read (`SnapshotVersion.min()`, 0, while
 * a local write is pending). Read defensively: when the shape is not there, undefined, and the
 * caller falls back to the metadata stamp, then to the content.
 */
export function snapshotUpdateTime(snapshot: DocumentSnapshot): TimestampLike | undefined {
  const version = (snapshot as unknown as { _document?: { version?: { toTimestamp?: () => unknown } } | null })._document?.version
  const time = typeof version?.toTimestamp === 'function' ? version.toTimestamp() : undefined
  return isTimestampLike(time) && (time.seconds !== 0 || time.nanoseconds !== 0) ? time : undefined
}

function stampOf(metadata: unknown): TimestampLike | undefined {
  if (typeof metadata !== 'object' || metadata === null || !isPlainObject(metadata)) return undefined
  const stamp = (metadata as { updatedAt?: unknown }).updatedAt
  return isTimestampLike(stamp) ? stamp : undefined
}

const toDate = (t: TimestampLike): Date => new Date(t.seconds * 1000 + Math.floor(t.nanoseconds / 1e6))

const timestampVersion = (t: TimestampLike): string => `${t.seconds}.${String(t.nanoseconds).padStart(9, '0')}`

/** A stable text for data without an update time (a pending local write): changes with the content. */
function contentVersion(data: FirestoreData): string {
  // The SDK's value classes serialise their content (toJSON: Timestamp, GeoPoint, Bytes, DocumentReference).
  const text = JSON.stringify(data)
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return `h:${(hash >>> 0).toString(16)}`
}

/**
 * The Firestore codec (adapters/firebase/firestore-codec.ts) against the real `firebase/firestore`
 * module, unmocked and offline: neutral values ⇄ the SDK's GeoPoint, DocumentReference, Bytes and
 * Timestamp at any depth, both ways; the optional metadata stamp; and documents read from real
 * DocumentSnapshots, built by the SDK's own `documentSnapshotFromJSON` from a bundle (what a server
 * sends), so the update time is read where the SDK keeps it. No request leaves the process.
 */
import { deleteApp, initializeApp, type FirebaseApp } from 'firebase/app'
import {
  arrayUnion as firestoreArrayUnion,
  Bytes as FirestoreBytes,
  doc,
  documentSnapshotFromJSON,
  DocumentReference,
  GeoPoint as FirestoreGeoPoint,
  getFirestore,
  increment as firestoreIncrement,
  serverTimestamp as firestoreServerTimestamp,
  Timestamp,
  type DocumentSnapshot,
  type FieldValue,
  type Firestore,
} from 'firebase/firestore'
import { FIRESTORE_VALUE_TYPES, FirestoreCodec, fromFirestore, METADATA_FIELD, snapshotUpdateTime } from '../../adapters/firebase/firestore-codec.js'
import { arrayUnion, Bytes, GeoPoint, increment, Reference, type DocumentData } from '../../src/index.js'

const PROJECT = 'demo-codec'
let app: FirebaseApp
let db: Firestore

beforeAll(() => {
  app = initializeApp({ projectId: PROJECT, apiKey: 'test', appId: 'test' }, 'firestore-codec-test')
  db = getFirestore(app)
})
afterAll(async () => {
  await deleteApp(app)
})

const bytes = (...b: number[]): Bytes => Bytes.fromUint8Array(new Uint8Array(b))
const NEUTRAL: DocumentData = {
  geo: new GeoPoint(48.8584, 2.2945),
  ref: new Reference('users', 'u1'),
  bin: bytes(0, 1, 254, 255),
  when: new Date(1_700_000_000_123),
  nested: { deep: { list: [new GeoPoint(-1, -2), new Reference('teams', 't_1'), bytes(7), new Date(5), { at: new GeoPoint(0, 0) }] } },
  list: [bytes(), new Reference('users', 'u2')],
  plain: { latitude: 1, longitude: 2 },
}

describe('values', () => {
  it('declares every neutral type queryable', () => {
    expect(FIRESTORE_VALUE_TYPES).toEqual({ geoPoint: 'queryable', reference: 'queryable', bytes: 'queryable' })
  })

  it('encodes each type as the SDK class, at any depth (Dates stay Dates: the SDK stores them as Timestamps)', () => {
    const out = new FirestoreCodec(db).toFirestore(NEUTRAL) as Record<string, unknown>
    expect(out.geo).toBeInstanceOf(FirestoreGeoPoint)
    expect((out.geo as FirestoreGeoPoint).isEqual(new FirestoreGeoPoint(48.8584, 2.2945))).toBe(true)
    expect(out.ref).toBeInstanceOf(DocumentReference)
    expect((out.ref as DocumentReference).path).toBe('users/u1')
    expect((out.ref as DocumentReference).firestore).toBe(db)
    expect((out.bin as FirestoreBytes).isEqual(FirestoreBytes.fromUint8Array(new Uint8Array([0, 1, 254, 255])))).toBe(true)
    expect(out.when).toEqual(new Date(1_700_000_000_123))
    const deep = (out.nested as { deep: { list: unknown[] } }).deep.list
    expect(deep[0]).toBeInstanceOf(FirestoreGeoPoint)
    expect((deep[1] as DocumentReference).path).toBe('teams/t_1')
    expect(deep[2]).toBeInstanceOf(FirestoreBytes)
    expect((deep[4] as { at: unknown }).at).toBeInstanceOf(FirestoreGeoPoint)
    expect(out.plain).toEqual({ latitude: 1, longitude: 2 })
    expect(out.plain).not.toBeInstanceOf(FirestoreGeoPoint)
  })

  it('decodes the SDK classes back, at any depth: a round trip gives the same values', () => {
    const codec = new FirestoreCodec(db)
    // Dates come back from the server as Timestamps.
    const stored = { ...(codec.toFirestore(NEUTRAL) as object), when: Timestamp.fromDate(NEUTRAL.when as Date) }
    expect(fromFirestore(stored)).toStrictEqual(NEUTRAL)
  })

  it('a reference Firestore holds that portabase cannot name (a subcollection, a foreign id) reads as { path }', () => {
    expect(fromFirestore(doc(db, 'users', 'u1', 'posts', 'p1'))).toEqual({ path: 'users/u1/posts/p1' })
    expect(fromFirestore(doc(db, 'users', 'an id with spaces'))).toEqual({ path: 'users/an id with spaces' })
  })

  it('a Reference needs the adapter’s Firestore instance to be written', () => {
    expect(() => new FirestoreCodec(undefined).toFirestore(new Reference('users', 'u1'))).toThrow(expect.objectContaining({ code: 'internal' }))
  })
})

describe('write data and the metadata stamp', () => {
  const equal = (a: unknown, b: FieldValue): boolean => (a as FieldValue).isEqual(b)

  it('sentinels become FieldValues, their operands encoded; no metadata field by default', () => {
    const out = new FirestoreCodec(db).toWriteData({ n: increment(2), tags: arrayUnion(new GeoPoint(1, 2), bytes(3)), at: new GeoPoint(0, 1) }, 'set')
    expect(Object.keys(out).sort()).toEqual(['at', 'n', 'tags'])
    expect(equal(out.n, firestoreIncrement(2))).toBe(true)
    expect(equal(out.tags, firestoreArrayUnion(new FirestoreGeoPoint(1, 2), FirestoreBytes.fromUint8Array(new Uint8Array([3]))))).toBe(true)
    expect(equal(out.tags, firestoreArrayUnion({ latitude: 1, longitude: 2 }))).toBe(false)
  })

  it('writeMetadata stamps `_portabase` { updatedAt: server time, writeId }: a map on set, field paths on update', () => {
    const codec = new FirestoreCodec(db, { writeMetadata: true })
    const set = codec.toWriteData({ a: 1 }, 'set', 'w1')
    expect(Object.keys(set)).toEqual(['a', METADATA_FIELD])
    expect(equal((set[METADATA_FIELD] as { updatedAt: unknown }).updatedAt, firestoreServerTimestamp())).toBe(true)
    expect((set[METADATA_FIELD] as { writeId: unknown }).writeId).toBe('w1')
    const update = codec.toWriteData({ a: 2 }, 'update')
    expect(Object.keys(update)).toEqual(['a', `${METADATA_FIELD}.updatedAt`, `${METADATA_FIELD}.writeId`])
    expect(equal(update[`${METADATA_FIELD}.updatedAt`], firestoreServerTimestamp())).toBe(true)
    // A write without a writeId (not from the offline engine) replaces the recorded one.
    expect(update[`${METADATA_FIELD}.writeId`]).toBeNull()
  })
})

/** A DocumentSnapshot as the SDK builds one from a bundle a server wrote. */
function serverSnapshot(path: string, fields: Record<string, unknown>, updateTime: string): DocumentSnapshot {
  const name = `projects/${PROJECT}/databases/(default)/documents/${path}`
  const elements = [
    { metadata: { id: 'test', createTime: updateTime, version: 1, totalDocuments: 1, totalBytes: 0 } },
    { documentMetadata: { name, readTime: updateTime, exists: true } },
    { document: { name, fields, createTime: '2020-01-01T00:00:00Z', updateTime } },
  ]
  const bundle = elements.map((e) => JSON.stringify(e)).map((text) => `${text.length}${text}`).join('')
  return documentSnapshotFromJSON(db, { type: 'firestore/documentSnapshot/1.0', bundleSource: 'DocumentSnapshot', bundleName: path, bundle })
}

const ref = (path: string) => ({ referenceValue: `projects/${PROJECT}/databases/(default)/documents/${path}` })

describe('documents from snapshots', () => {
  const fields = {
    geo: { geoPointValue: { latitude: 48.8584, longitude: 2.2945 } },
    ref: ref('users/u1'),
    bin: { bytesValue: 'AAH+/w==' },
    when: { timestampValue: '2023-11-14T22:13:20.123Z' },
    nested: {
      mapValue: {
        fields: {
          list: { arrayValue: { values: [{ geoPointValue: { latitude: -1, longitude: -2 } }, ref('teams/t_1'), { bytesValue: 'Bw==' }, { mapValue: { fields: { at: { timestampValue: '1970-01-01T00:00:00.005Z' } } } }] } },
        },
      },
    },
  }
  const expected: DocumentData = {
    geo: new GeoPoint(48.8584, 2.2945),
    ref: new Reference('users', 'u1'),
    bin: bytes(0, 1, 254, 255),
    when: new Date('2023-11-14T22:13:20.123Z'),
    nested: { list: [new GeoPoint(-1, -2), new Reference('teams', 't_1'), bytes(7), { at: new Date(5) }] },
  }

  it('a document another tool wrote (no portabase field): every type decoded at any depth, update time and version from the snapshot', () => {
    const snapshot = serverSnapshot('things/a', fields, '2024-05-01T10:00:00.123456789Z')
    expect(snapshotUpdateTime(snapshot)).toEqual(expect.objectContaining({ seconds: 1714557600, nanoseconds: 123456789 }))
    expect(new FirestoreCodec(db).toDoc(snapshot)).toStrictEqual({
      id: 'a',
      data: expected,
      meta: { updateTime: new Date('2024-05-01T10:00:00.123Z'), version: '1714557600.123456789', fromCache: false, hasPendingWrites: false },
    })
  })

  it('the version changes with every write (each has a new update time), whatever its content', () => {
    const codec = new FirestoreCodec(db)
    const first = codec.toDoc(serverSnapshot('things/a', { n: { integerValue: '1' } }, '2024-05-01T10:00:00.000000001Z'))!
    const second = codec.toDoc(serverSnapshot('things/a', { n: { integerValue: '1' } }, '2024-05-01T10:00:00.000000002Z'))!
    expect(first.meta.version).not.toBe(second.meta.version)
    expect(first.data).toStrictEqual({ n: 1 })
  })

  it('the portabase field is left out of the data; the snapshot’s update time wins over a stale stamp', () => {
    const stale = { mapValue: { fields: { updatedAt: { timestampValue: '2020-01-01T00:00:00Z' } } } }
    const snapshot = serverSnapshot('things/a', { n: { integerValue: '1' }, [METADATA_FIELD]: stale }, '2024-05-01T10:00:00Z')
    const result = new FirestoreCodec(db, { writeMetadata: true }).toDoc(snapshot)!
    expect(result.data).toStrictEqual({ n: 1 })
    expect(result.meta.updateTime).toEqual(new Date('2024-05-01T10:00:00Z'))
  })

  /** A snapshot shaped as the SDK hands out for a local write not yet acknowledged (version 0). */
  function pendingSnapshot(data: Record<string, unknown>, version: unknown = { toTimestamp: () => new Timestamp(0, 0) }): DocumentSnapshot {
    return {
      id: 'p',
      exists: () => true,
      data: () => ({ ...data }),
      metadata: { hasPendingWrites: true, fromCache: true },
      _document: { version },
    } as unknown as DocumentSnapshot
  }

  it('a pending local write: version from its content (changes with it), update time the local estimate', () => {
    const codec = new FirestoreCodec(db)
    const before = Date.now()
    const a = codec.toDoc(pendingSnapshot({ n: 1, at: new FirestoreGeoPoint(1, 2) }))!
    const b = codec.toDoc(pendingSnapshot({ n: 1, at: new FirestoreGeoPoint(2, 1) }))!
    expect(a.meta.version).toMatch(/^pending:h:/)
    expect(a.meta.version).not.toBe(b.meta.version)
    expect(a.meta.updateTime.getTime()).toBeGreaterThanOrEqual(before)
    expect(a.data).toStrictEqual({ n: 1, at: new GeoPoint(1, 2) })
  })

  it('without the SDK’s internal shape, the metadata stamp (then the content) stands in', () => {
    const stamp = new Timestamp(100, 5_000_000)
    const snapshot = { ...pendingSnapshot({ n: 1, [METADATA_FIELD]: { updatedAt: stamp } }), metadata: { hasPendingWrites: false, fromCache: false }, _document: undefined }
    expect(new FirestoreCodec(db).toDoc(snapshot as unknown as DocumentSnapshot)?.meta).toEqual({ updateTime: new Date(100_005), version: '100.005000000', fromCache: false, hasPendingWrites: false })
    const bare = { ...snapshot, data: () => ({ n: 1 }) }
    expect(new FirestoreCodec(db).toDoc(bare as unknown as DocumentSnapshot)?.meta).toEqual(expect.objectContaining({ updateTime: new Date(0), version: expect.stringMatching(/^h:/) }))
  })

  it('a snapshot of a missing document is null', () => {
    expect(new FirestoreCodec(db).toDoc({ exists: () => false } as unknown as DocumentSnapshot)).toBeNull()
  })
})

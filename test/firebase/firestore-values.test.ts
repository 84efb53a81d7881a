/**
 * Neutral values through the Firestore documents service (translation level: `firebase/firestore`
 * is the real module with the calls that reach a server recorded): writes, filters and cursors carry
 * the SDK's GeoPoint, DocumentReference and Bytes at any depth, and snapshots come back as the
 * neutral types (the codec itself: firestore-codec.test.ts).
 */
import type { Call } from './recording-batch.js'

jest.mock('firebase/firestore', () => {
  const { recordingBatch } = jest.requireActual<typeof import('./recording-batch.js')>('./recording-batch')
  const actual = jest.requireActual<Record<string, unknown>>('firebase/firestore')
  const state = { batches: [] as Call[][], wheres: [] as unknown[][], cursors: [] as unknown[][], docs: [] as unknown[] }
  return {
    ...actual,
    __state: state,
    writeBatch: recordingBatch(() => state.batches, async () => undefined),
    where: (...args: unknown[]) => {
      state.wheres.push(args)
      return (actual.where as (...a: unknown[]) => unknown)(...args)
    },
    startAfter: (...args: unknown[]) => {
      state.cursors.push(args)
      return (actual.startAfter as (...a: unknown[]) => unknown)(...args)
    },
    getDocs: async () => ({ docs: state.docs, metadata: { fromCache: false, hasPendingWrites: false } }),
  }
})

import { deleteApp, initializeApp, type FirebaseApp } from 'firebase/app'
import { Bytes as FirestoreBytes, doc, DocumentReference, GeoPoint as FirestoreGeoPoint, getFirestore, type Firestore } from 'firebase/firestore'
import { FirestoreDocuments } from '../../adapters/firebase/firestore.js'
import { Bytes, GeoPoint, Reference } from '../../src/index.js'
import { DOC_ID } from '../../src/query/model.js'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { __state: state } = require('firebase/firestore') as { __state: { batches: Call[][]; wheres: unknown[][]; cursors: unknown[][]; docs: unknown[] } }

let app: FirebaseApp
let db: Firestore
beforeAll(() => {
  app = initializeApp({ projectId: 'demo-values', apiKey: 'test', appId: 'test' }, 'firestore-values-test')
  db = getFirestore(app)
})
afterAll(async () => {
  await deleteApp(app)
})
beforeEach(() => {
  state.batches = []
  state.wheres = []
  state.cursors = []
  state.docs = []
})

const byId = [{ field: DOC_ID, direction: 'asc' as const }]

it('writes carry the SDK classes at any depth, and no metadata field by default', async () => {
  await new FirestoreDocuments(db).write([{ type: 'set', collection: 't', id: 'a', data: { at: new GeoPoint(1, 2), nested: { list: [new Reference('users', 'u1'), Bytes.fromBase64('AQI=')] } } }], { atomic: true })
  const data = state.batches[0]![0]!.args[1] as { at: unknown; nested: { list: unknown[] } }
  expect(Object.keys(data)).toEqual(['at', 'nested'])
  expect(data.at).toBeInstanceOf(FirestoreGeoPoint)
  expect(data.nested.list[0]).toBeInstanceOf(DocumentReference)
  expect((data.nested.list[0] as DocumentReference).path).toBe('users/u1')
  expect(data.nested.list[1]).toBeInstanceOf(FirestoreBytes)
})

it('filters and cursors compare with the SDK classes', async () => {
  const documents = new FirestoreDocuments(db)
  await documents.query('t', {
    filters: [
      { kind: 'field', field: 'at', op: '==', value: new GeoPoint(1, 2) },
      { kind: 'field', field: 'refs', op: 'array-contains-any', value: [new Reference('users', 'u1')] },
    ],
    orderBy: [{ field: 'bin', direction: 'asc' }, ...byId],
    startAfter: { values: [Bytes.fromBase64('AQI=')], id: 'k' },
    limit: 1,
  })
  expect(state.wheres[0]![2]).toBeInstanceOf(FirestoreGeoPoint)
  expect(((state.wheres[1]![2] as unknown[])[0] as DocumentReference).path).toBe('users/u1')
  expect(state.cursors[0]![0]).toBeInstanceOf(FirestoreBytes)
})

it('query results come back as the neutral types', async () => {
  state.docs = [
    {
      id: 'a',
      exists: () => true,
      data: () => ({ at: new FirestoreGeoPoint(1, 2), nested: { list: [FirestoreBytes.fromBase64String('AQI='), doc(db, 'users', 'u1')] } }),
      metadata: { fromCache: false, hasPendingWrites: false },
    },
  ]
  const [result] = await new FirestoreDocuments(db).query('t', { filters: [], orderBy: byId })
  expect(result?.data).toStrictEqual({ at: new GeoPoint(1, 2), nested: { list: [Bytes.fromBase64('AQI='), new Reference('users', 'u1')] } })
})

/**
 * The offline suite (test/offline/suite.ts, every case) on `firestore({ offline: firestoreOffline() })`,
 * translation level: Firestore is the fake of fake-firestore.ts — the real SDK module with its
 * server calls answered by our reading of Firestore (queries, commits and FieldValues, the SDK's
 * behaviour without a connection, security rules checked per document). Auth is real: the Firebase
 * auth emulator (test/backends/firebase), so sign-up, sign-in and the uid the rules see are
 * Firebase's own.
 *
 * What it proves: the adapter's SyncService and the offline engine over it do what the suite asks
 * (exactly-once replays, tombstones, the change feed, one user per queue, conflicts) given the
 * answers Firestore documents. What it cannot: commit-time visibility, transaction contention, the
 * SDK's real offline timings, rules evaluated on queries rather than documents. Those are the live
 * target's (test/live/firebase-offline.test.ts, FIRESTORE_EMULATOR_HOST).
 *
 * A device is offline while its Firestore instance is cut off (`__setOnline`); `failNextWrites(n)`
 * fails its next n sync writes with `internal` before they reach the SDK.
 */
jest.mock('firebase/firestore', () => (jest.requireActual('./fake-firestore') as typeof import('./fake-firestore.js')).fakeFirestoreModule())

import * as sdk from 'firebase/firestore'
import { firebase, firebaseAuth, firestore, firestoreOffline } from '../../adapters/firebase/index.js'
import type { Adapter } from '../../src/spi.js'
import { startFirebaseEmulators, type FirebaseEmulators } from '../backends/firebase/emulators.js'
import { runOfflineSuite } from '../offline/suite.js'
import { failingSyncWrites } from '../offline/sync-write-faults.js'
import type { FakeDb, FakeStore } from './fake-firestore.js'
import { ownedRules } from './owned-rules.js'

jest.setTimeout(120_000)

const fake = sdk as unknown as { __store: FakeStore; __setOnline(db: FakeDb, online: boolean): void; getFirestore(app: unknown): FakeDb }

let emulators: FirebaseEmulators | undefined
let collections = 0

runOfflineSuite({
  name: 'firebase (translation: fake Firestore, real auth emulator)',
  async setup() {
    emulators = await startFirebaseEmulators()
    fake.__store.rules = ownedRules
  },
  async teardown() {
    await emulators?.stop()
  },
  async device() {
    if (!emulators) throw new Error('The Firebase auth emulator is not running (setup failed)')
    const { host, authPort, projectId } = emulators
    const adapter = firebase({
      config: { apiKey: 'demo-key', projectId, appId: 'demo-app' },
      emulators: { auth: { host, port: authPort } },
      services: { auth: firebaseAuth(), documents: firestore({ offline: firestoreOffline() }) },
    })
    const db = fake.getFirestore(adapter.app)
    return {
      adapter: adapter as Adapter,
      goOffline: async () => fake.__setOnline(db, false),
      goOnline: async () => fake.__setOnline(db, true),
      failNextWrites: failingSyncWrites(adapter, 'firebase'),
    }
  },
  freshCollection: () => `o${++collections}`,
  ownedCollection: () => 'owned',
  propertyRuns: 20,
})

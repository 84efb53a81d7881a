/**
 * The contract suite's Firestore sections (documents, queries, realtime, permissions, errors,
 * lifecycle, values, limits) on the Firebase adapter, translation level: Firestore is the fake of
 * fake-firestore.ts (the real SDK module, server calls answered by our reading of Firestore's
 * semantics and rules), auth is the real auth emulator. The expected values are the reference's
 * (the suite's evaluator under the adapter's declared semantics), so this checks the adapter's
 * translation and the declared differences against that reading; Firestore itself is the live
 * target's (test/live/firebase.test.ts, FIRESTORE_EMULATOR_HOST). The other sections run on the
 * real emulators in test/contract/firebase-emulators.test.ts.
 */
jest.mock('firebase/firestore', () => (jest.requireActual('./fake-firestore') as typeof import('./fake-firestore.js')).fakeFirestoreModule())

import * as sdk from 'firebase/firestore'
import { firebase, firebaseAuth, firestore } from '../../adapters/firebase/index.js'
import { startFirebaseEmulators, type FirebaseEmulators } from '../backends/firebase/emulators.js'
import { runContractSuite } from '../contract/suite.js'
import type { FakeStore } from './fake-firestore.js'
import { ownedRules } from './owned-rules.js'

jest.setTimeout(60_000)

const store = (sdk as unknown as { __store: FakeStore }).__store
let emulators: FirebaseEmulators | undefined
let collections = 0

runContractSuite(
  {
    name: 'firebase (translation: fake Firestore, real auth emulator)',
    async setup() {
      emulators = await startFirebaseEmulators()
      store.rules = ownedRules
    },
    async teardown() {
      await emulators?.stop()
    },
    async createAdapter() {
      if (!emulators) throw new Error('The Firebase auth emulator is not running (setup failed)')
      const { host, authPort, projectId } = emulators
      return firebase({
        config: { apiKey: 'demo-key', projectId, appId: 'demo-app' },
        emulators: { auth: { host, port: authPort } },
        services: { auth: firebaseAuth(), documents: firestore() },
      })
    },
    freshCollection: () => `c${++collections}`,
    ownedCollection: () => 'owned',
  },
  { sections: ['documents', 'queries', 'realtime', 'permissions', 'errors', 'lifecycle', 'values', 'limits'] },
)

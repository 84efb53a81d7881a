/**
 * The FULL contract suite on Firebase, with Firestore from an emulator you run yourself (it needs
 * Java 21, which this project's machines lack): `FIRESTORE_EMULATOR_HOST=127.0.0.1:8080 npm run
 * test:live`. Auth, functions and storage come from test/backends/firebase as in the emulator test;
 * the `owned` collection's rules (FIXTURES.md) are loaded into the Firestore emulator first.
 * Without FIRESTORE_EMULATOR_HOST every test fails with a message saying so.
 */
import { firebase, firebaseAuth, firebaseFunctions, firebaseStorage, firestore } from '../../adapters/firebase/index.js'
import { generateId } from '../../src/index.js'
import { startFirebaseEmulators, type FirebaseEmulators } from '../backends/firebase/emulators.js'
import { runContractSuite } from '../contract/suite.js'

jest.setTimeout(60_000)

const OWNED_RULES = `rules_version = '2';
service cloud.firestore {
  match /databases/{database}/documents {
    match /owned/{id} {
      allow read, update, delete: if request.auth != null && resource.data.owner == request.auth.uid;
      allow create: if request.auth != null && request.resource.data.owner == request.auth.uid;
    }
    match /{collection}/{id} {
      allow read, write: if collection != 'owned';
    }
  }
}`

function firestoreHost(): { host: string; port: number } {
  const value = process.env.FIRESTORE_EMULATOR_HOST
  const match = value ? /^(.+):(\d+)$/.exec(value) : null
  if (!match) {
    throw new Error(
      'test:live needs a running Firestore emulator: set FIRESTORE_EMULATOR_HOST=host:port (e.g. `firebase emulators:start --only firestore` on a machine with Java 21)',
    )
  }
  return { host: match[1]!, port: Number(match[2]) }
}

let emulators: FirebaseEmulators | undefined
let collections = 0
const run = generateId(6)

runContractSuite({
  name: 'firebase (live Firestore emulator)',
  async setup() {
    const { host, port } = firestoreHost()
    emulators = await startFirebaseEmulators()
    const response = await fetch(`http://${host}:${port}/emulator/v1/projects/${emulators.projectId}:securityRules`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rules: { files: [{ name: 'firestore.rules', content: OWNED_RULES }] } }),
    })
    if (!response.ok) throw new Error(`Could not load the owned-collection rules into the Firestore emulator: HTTP ${response.status} ${await response.text()}`)
  },
  async teardown() {
    await emulators?.stop()
  },
  async createAdapter() {
    const store = firestoreHost()
    if (!emulators) throw new Error('The Firebase emulators are not running (setup failed)')
    const { host, authPort, functionsPort, storagePort, projectId, storageBucket } = emulators
    return firebase({
      config: { apiKey: 'demo-key', projectId, appId: 'demo-app', storageBucket },
      emulators: { auth: { host, port: authPort }, functions: { host, port: functionsPort }, storage: { host, port: storagePort }, firestore: store },
      services: { auth: firebaseAuth(), documents: firestore(), storage: firebaseStorage(), functions: firebaseFunctions() },
    })
  },
  freshCollection: () => `c${run}_${++collections}`,
  ownedCollection: () => 'owned',
})

/**
 * The live Firebase target's shared set-up: Firestore from an emulator you run yourself (it needs
 * Java 21, which this project's machines lack; FIRESTORE_EMULATOR_HOST=host:port), auth, functions
 * and storage from test/backends/firebase, and the `owned` collection's rules (FIXTURES.md) loaded
 * into the Firestore emulator. Without FIRESTORE_EMULATOR_HOST every test fails saying so.
 */
import { firebase, firebaseAuth, firebaseFunctions, firebaseStorage, firestore, type FirebaseAdapter, type FirestoreOptions } from '../../adapters/firebase/index.js'
import { startFirebaseEmulators, type FirebaseEmulators } from '../backends/firebase/emulators.js'

const OWNED_RULES = `rules_version = '2';
service cloud.firestore {
  match /databases/{database}/documents {
    match /owned/{id} {
      // A get of a missing document is allowed: the sync service's transaction reads before it creates.
      allow read: if request.auth != null && (resource == null || resource.data.owner == request.auth.uid);
      allow update, delete: if request.auth != null && resource.data.owner == request.auth.uid;
      allow create: if request.auth != null && request.resource.data.owner == request.auth.uid;
    }
    match /{collection}/{id} {
      allow read, write: if collection != 'owned';
    }
  }
}`

export function firestoreHost(): { host: string; port: number } {
  const value = process.env.FIRESTORE_EMULATOR_HOST
  const match = value ? /^(.+):(\d+)$/.exec(value) : null
  if (!match) {
    throw new Error(
      'test:live needs a running Firestore emulator: set FIRESTORE_EMULATOR_HOST=host:port (e.g. `firebase emulators:start --only firestore` on a machine with Java 21)',
    )
  }
  return { host: match[1]!, port: Number(match[2]) }
}

/** The emulators of one test file: started in `setup`, with the owned rules loaded. */
export function liveFirebase(): {
  setup(): Promise<void>
  teardown(): Promise<void>
  /** An adapter on the emulators; `firestoreAt` reaches Firestore through another address (a relay). */
  adapter(documents?: FirestoreOptions, firestoreAt?: { host: string; port: number }): FirebaseAdapter
} {
  let emulators: FirebaseEmulators | undefined
  return {
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
    adapter(documents = {}, firestoreAt) {
      const store = firestoreAt ?? firestoreHost()
      if (!emulators) throw new Error('The Firebase emulators are not running (setup failed)')
      const { host, authPort, functionsPort, storagePort, projectId, storageBucket } = emulators
      return firebase({
        config: { apiKey: 'demo-key', projectId, appId: 'demo-app', storageBucket },
        emulators: { auth: { host, port: authPort }, functions: { host, port: functionsPort }, storage: { host, port: storagePort }, firestore: store },
        services: { auth: firebaseAuth(), documents: firestore(documents), storage: firebaseStorage(), functions: firebaseFunctions() },
      })
    },
  }
}

/**
 * The contract suite against the Firebase emulators this machine can run: auth + functions (the
 * firebase CLI) and storage (firebase-tools' StorageEmulator with allow-all rules). Firestore cannot
 * run here (Java 21), so the adapter is built without documents; Remote Config has no emulator, so it
 * is left out too and the `config` section checks the `unsupported` refusals.
 */
import { firebase, firebaseAuth, firebaseFunctions, firebaseStorage } from '../../adapters/firebase/index.js'
import { startFirebaseEmulators, type FirebaseEmulators } from '../backends/firebase/emulators.js'
import { runContractSuite } from './suite.js'

jest.setTimeout(60_000)

let emulators: FirebaseEmulators | undefined
let collections = 0

runContractSuite(
  {
    name: 'firebase (emulators)',
    async setup() {
      try {
        emulators = await startFirebaseEmulators()
      } catch (error) {
        throw new Error(`The Firebase emulators did not start, so the firebase contract suite cannot run: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
      }
    },
    async teardown() {
      await emulators?.stop()
    },
    async createAdapter() {
      if (!emulators) throw new Error('The Firebase emulators are not running (setup failed)')
      const { host, authPort, functionsPort, storagePort, projectId, storageBucket } = emulators
      return firebase({
        config: { apiKey: 'demo-key', projectId, appId: 'demo-app', storageBucket },
        emulators: { auth: { host, port: authPort }, functions: { host, port: functionsPort }, storage: { host, port: storagePort } },
        services: { auth: firebaseAuth(), storage: firebaseStorage(), functions: firebaseFunctions() },
      })
    },
    freshCollection: () => `c${++collections}`,
    ownedCollection: () => 'owned',
  },
  { sections: ['auth', 'secrets', 'storage', 'functions', 'config'] },
)

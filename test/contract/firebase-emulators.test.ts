/**
 * The contract suite against the Firebase emulators this machine can run: auth + functions (the
 * firebase CLI) and storage (firebase-tools' StorageEmulator with allow-all rules). Firestore cannot
 * run here (Java 21), so the adapter is built without documents. Remote Config has no emulator: the
 * real `firebase/remote-config` SDK runs against a local server serving FIXTURE_CONFIG
 * (test/backends/firebase/remote-config-server.ts), with the browser globals it needs installed
 * for this file only (restored in teardown).
 */
import { setLogLevel } from 'firebase/app'
import { firebase, firebaseAuth, firebaseFunctions, firebaseRemoteConfig, firebaseStorage } from '../../adapters/firebase/index.js'
import { startFirebaseEmulators, type FirebaseEmulators } from '../backends/firebase/emulators.js'
import { installRemoteConfigGlobals, startRemoteConfigServer, type RemoteConfigServer } from '../backends/firebase/remote-config-server.js'
import { runContractSuite } from './suite.js'
import { FIXTURE_CONFIG } from './target.js'

jest.setTimeout(60_000)

let emulators: FirebaseEmulators | undefined
let remoteConfig: RemoteConfigServer | undefined
let restoreGlobals: (() => void) | undefined
let collections = 0

runContractSuite(
  {
    name: 'firebase (emulators)',
    async setup() {
      remoteConfig = await startRemoteConfigServer(FIXTURE_CONFIG)
      restoreGlobals = installRemoteConfigGlobals(remoteConfig)
      // With IndexedDB present every app writes heartbeats, which race deleteApp() at dispose and
      // warn "already deleted"; keep errors only.
      setLogLevel('error')
      try {
        emulators = await startFirebaseEmulators()
      } catch (error) {
        throw new Error(`The Firebase emulators did not start, so the firebase contract suite cannot run: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
      }
    },
    async teardown() {
      await Promise.all([emulators?.stop(), remoteConfig?.close()])
      // Last: the SDKs' pending IndexedDB callbacks (heartbeat checks) still read `self` and co.
      restoreGlobals?.()
      setLogLevel('info')
    },
    async createAdapter() {
      if (!emulators) throw new Error('The Firebase emulators are not running (setup failed)')
      const { host, authPort, functionsPort, storagePort, projectId, storageBucket } = emulators
      return firebase({
        config: { apiKey: 'demo-key', projectId, appId: 'demo-app', storageBucket },
        emulators: { auth: { host, port: authPort }, functions: { host, port: functionsPort }, storage: { host, port: storagePort } },
        // minimumFetchIntervalMillis 0: every fetch reaches the server. The SDK arms (and never
        // clears) a fetchTimeoutMillis timer per fetch, so keep that short.
        services: { auth: firebaseAuth(), storage: firebaseStorage(), functions: firebaseFunctions(), config: firebaseRemoteConfig({ minimumFetchIntervalMillis: 0, fetchTimeoutMillis: 5_000 }) },
      })
    },
    freshCollection: () => `c${++collections}`,
    ownedCollection: () => 'owned',
  },
  { sections: ['auth', 'secrets', 'storage', 'functions', 'config'] },
)

describe('firebase (emulators): Remote Config transport', () => {
  it('the config section went through the SDK to the local server, and nothing reached a Google host', () => {
    expect(remoteConfig).toBeDefined()
    expect(remoteConfig!.count('installations')).toBeGreaterThan(0)
    expect(remoteConfig!.count('fetch')).toBeGreaterThan(0)
    expect(remoteConfig!.count('unknown')).toBe(0)
    expect(remoteConfig!.blocked).toEqual([])
  })
})

/**
 * `portabase/firebase`: the Firebase adapter over the modular `firebase` SDK (optional peer
 * dependency). Services are plug-ins, each in its own module, so a bundle holds only what the app
 * passes in:
 *
 *   import { firebase, firebaseAuth, firestore } from 'portabase/firebase'
 *   const adapter = firebase({ config, services: { auth: firebaseAuth(), documents: firestore() } })
 *
 * A service left out is refused with `unsupported` (its capabilities are false). See README.md.
 */
import { deleteApp, initializeApp, type FirebaseApp, type FirebaseOptions } from 'firebase/app'
import { BehaviorSubject, Observable } from 'rxjs'
import { invalidArgument, unsupported, type PortabaseError } from '../../src/errors.js'
import type { Adapter, AuthService, Capabilities, ConfigService, DocumentsService, FunctionsService, StorageService, SyncService } from '../../src/spi.js'
import type { ConnectionState, User } from '../../src/types.js'
import type { FirebaseContext, FirebaseEmulators, FirebaseServicePlugin } from './context.js'
import { authCodes } from './auth-errors.js'
import { mapError, PROVIDER } from './errors.js'
import { firestoreCodes } from './firestore-errors.js'
import { remoteConfigCodes } from './remote-config-errors.js'
import { storageCodes } from './storage-errors.js'

export interface FirebaseServices {
  auth?: FirebaseServicePlugin<AuthService>
  documents?: FirebaseServicePlugin<DocumentsService>
  storage?: FirebaseServicePlugin<StorageService>
  functions?: FirebaseServicePlugin<FunctionsService>
  config?: FirebaseServicePlugin<ConfigService>
}

export interface FirebaseAdapterOptions {
  /** An app you initialised (you own it: dispose() leaves it alone). Sessions are per FirebaseApp. */
  app?: FirebaseApp
  /** Or the web config: the adapter creates its own uniquely named app, deleted on dispose(). */
  config?: FirebaseOptions
  /** Emulator hosts per service (connected before first use). */
  emulators?: FirebaseEmulators
  services: FirebaseServices
}

export const NO_CAPABILITIES: Capabilities = Object.freeze({
  emailPasswordAuth: false,
  anonymousAuth: false,
  oauthProviders: Object.freeze([]) as readonly string[],
  passwordReset: false,
  updateProfile: false,
  queryOperators: Object.freeze([]),
  orQueries: false,
  nestedFieldQueries: false,
  mixedFieldTypes: false,
  mixedTypeOrder: false,
  // firestore() declares what Firestore stores (firestore-codec.ts: FIRESTORE_VALUE_TYPES).
  valueTypes: Object.freeze({ geoPoint: 'none', reference: 'none', bytes: 'none' }),
  fieldOrdering: 'any',
  // Without a documents service nothing is queried; firestore() declares Firestore's own.
  missingFields: 'null',
  nullOrder: 'last',
  notEqualNull: 'matched',
  implicitOrder: 'none',
  readRules: 'deny',
  transactions: false,
  realtime: false,
  serverTimestamp: false,
  increment: false,
  arrayOps: false,
  storage: false,
  signedUrls: false,
  functions: false,
  remoteConfig: false,
  configUpdates: false,
  // firestore() declares Firestore's (firestore-limits.ts: FIRESTORE_LIMITS).
  limits: Object.freeze({}),
})

let appCounter = 0

/** Stand-ins for services not passed in: the client refuses them by capability; these are the backstop. */
function missing<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get: (_target, key) => (key === 'then' ? undefined : () => Promise.reject(unsupported(`${name} (not configured)`, PROVIDER))),
  })
}

const signedOutAuth = (): AuthService => {
  const user$ = new BehaviorSubject<User | null>(null)
  const refuse = (what: string) => () => Promise.reject(unsupported(`${what} (no auth service configured)`, PROVIDER))
  return {
    user$: user$.asObservable(),
    currentUser: () => null,
    signUp: refuse('signUp'),
    signIn: refuse('signIn'),
    signInAnonymously: refuse('signInAnonymously'),
    signInWithOAuth: refuse('signInWithOAuth'),
    signOut: async () => undefined,
    getIdToken: async () => null,
    sendPasswordReset: refuse('sendPasswordReset'),
    updateProfile: refuse('updateProfile'),
  }
}

function connectionState(): { state$: Observable<ConnectionState>; close(): void } {
  const initial: ConnectionState = typeof navigator !== 'undefined' && navigator.onLine === false ? 'offline' : 'online'
  const subject = new BehaviorSubject<ConnectionState>(initial)
  // Browsers tell online/offline; elsewhere the SDKs retry by themselves and we report online.
  const target = typeof window !== 'undefined' && typeof window.addEventListener === 'function' ? window : undefined
  const online = (): void => subject.next('online')
  const offline = (): void => subject.next('offline')
  target?.addEventListener('online', online)
  target?.addEventListener('offline', offline)
  return {
    state$: subject.asObservable(),
    close() {
      target?.removeEventListener('online', online)
      target?.removeEventListener('offline', offline)
      subject.complete()
    },
  }
}

export interface FirebaseAdapter extends Adapter {
  readonly name: 'firebase'
  readonly app: FirebaseApp
}

export function firebase(options: FirebaseAdapterOptions): FirebaseAdapter {
  if (!options || (!options.app && !options.config)) throw invalidArgument('firebase(): pass { app } or { config }')
  if (!options.services || typeof options.services !== 'object') throw invalidArgument('firebase(): pass services, e.g. { auth: firebaseAuth(), documents: firestore() }')
  const ownsApp = !options.app
  // Each adapter gets its own named app, so two clients in one process keep separate sessions.
  const app = options.app ?? initializeApp(options.config!, `portabase-${++appCounter}-${Math.random().toString(36).slice(2, 8)}`)
  const context: FirebaseContext = { app, emulators: options.emulators ?? {} }

  let capabilities: Capabilities = { ...NO_CAPABILITIES }
  const disposers: (() => Promise<void> | void)[] = []
  let sync: SyncService | undefined
  function build<S>(plugin: FirebaseServicePlugin<S> | undefined, fallback: () => S): S {
    if (!plugin) return fallback()
    const created = plugin.create(context)
    capabilities = { ...capabilities, ...created.capabilities }
    if (created.dispose) disposers.push(created.dispose.bind(created))
    sync ??= created.sync
    return created.service
  }
  const { services } = options
  const auth = build(services.auth, signedOutAuth)
  const documents = build(services.documents, () => missing<DocumentsService>('Documents'))
  const storage = build(services.storage, () => missing<StorageService>('Storage'))
  const functions = build(services.functions, () => missing<FunctionsService>('Functions'))
  const config = build(services.config, () => missing<ConfigService>('Remote Config'))
  const connection = connectionState()

  let disposed: Promise<void> | undefined
  return {
    name: 'firebase',
    app,
    capabilities: Object.freeze(capabilities),
    auth,
    documents,
    storage,
    functions,
    config,
    ...(sync ? { sync } : {}),
    connection$: connection.state$,
    dispose() {
      disposed ??= (async () => {
        for (const dispose of disposers.reverse()) await dispose()
        connection.close()
        if (ownsApp) await deleteApp(app)
      })()
      return disposed
    },
  }
}

export type { EmulatorHost, FirebaseContext, FirebaseEmulators, FirebaseServicePlugin } from './context.js'
export { firebaseAuth, type FirebaseAuthOptions } from './auth.js'
export { firestore, type FirestoreOptions } from './firestore.js'
export { firestoreOffline, type FirestoreOffline, type FirestoreSyncOptions } from './firestore-sync.js'
export { firebaseStorage, type FirebaseStorageOptions } from './storage.js'
export { firebaseFunctions, type FirebaseFunctionsOptions } from './functions.js'
export { firebaseRemoteConfig, type FirebaseRemoteConfigOptions } from './remote-config.js'

/**
 * Maps anything a Firebase SDK throws, of any service, to a PortabaseError (PortabaseErrors pass
 * through): for app code that calls the Firebase SDK beside portabase. The adapter's services each
 * map with their own codes only, so an app bundles just the tables of the services it uses.
 */
export function mapFirebaseError(error: unknown, what?: string): PortabaseError {
  return mapError(error, what, (e, code, w) => authCodes(e, code, w) ?? storageCodes(e, code, w) ?? remoteConfigCodes(e, code, w) ?? firestoreCodes(e, code, w))
}

/**
 * firebase-admin, loaded on first use. It is an optional peer dependency: nothing imports it
 * statically, so the CLI runs without it until a config names `adapter: 'firebase'`. The specifiers
 * are passed through a variable so the bundler leaves the imports to run time (tsup would otherwise
 * inline the SDK into dist/cli.js).
 *
 * The endpoint sees firebase-admin only through `FirebaseAdmin` (the few calls it makes), which is
 * what the translation tests record.
 */
import { readFile } from 'node:fs/promises'
import type * as AppSdk from 'firebase-admin/app'
import type * as AuthSdk from 'firebase-admin/auth'
import type * as FirestoreSdk from 'firebase-admin/firestore'
import type * as RemoteConfigSdk from 'firebase-admin/remote-config'
import type * as StorageSdk from 'firebase-admin/storage'
import { PortabaseError } from '../../errors.js'

type App = AppSdk.App
type Auth = AuthSdk.Auth
type Firestore = FirestoreSdk.Firestore
type RemoteConfig = RemoteConfigSdk.RemoteConfig
type Bucket = ReturnType<StorageSdk.Storage['bucket']>

/** The Firestore value classes the codec converts to and from. */
export interface FirestoreValueClasses {
  Timestamp: typeof FirestoreSdk.Timestamp
  GeoPoint: typeof FirestoreSdk.GeoPoint
  DocumentReference: typeof FirestoreSdk.DocumentReference
  FieldPath: typeof FirestoreSdk.FieldPath
  FieldValue: typeof FirestoreSdk.FieldValue
}

export interface FirebaseAdmin {
  firestore(): Promise<{ db: Firestore; values: FirestoreValueClasses }>
  auth(): Promise<Auth>
  bucket(): Promise<Bucket>
  remoteConfig(): Promise<RemoteConfig>
  close(): Promise<void>
}

export type FirebaseBucket = Bucket

export interface FirebaseAdminOptions {
  projectId: string
  /** A service account key: its JSON as an object, or the path of the JSON file (relative to the working directory). */
  serviceAccount?: string | Record<string, unknown>
  storageBucket?: string
  /** A named Firestore database; default `(default)`. */
  databaseId?: string
  /** `host:port` of emulators: sets the SDK's *_EMULATOR_HOST variables for this process. */
  emulators?: { auth?: string; storage?: string; firestore?: string }
}

// Through a variable: the bundler leaves `import(name)` to run time.
const load = <T>(name: string): Promise<T> =>
  (import(name) as Promise<T>).catch((error: unknown) => {
    throw new PortabaseError('failed-precondition', `The firebase migration endpoint needs the firebase-admin package (npm install firebase-admin); ${name} could not be loaded`, { cause: error })
  })

let apps = 0

export function loadFirebaseAdmin(options: FirebaseAdminOptions): FirebaseAdmin {
  const { emulators = {} } = options
  // Read by the SDKs when a service is created (auth: on every request).
  if (emulators.firestore) process.env.FIRESTORE_EMULATOR_HOST = emulators.firestore
  if (emulators.auth) process.env.FIREBASE_AUTH_EMULATOR_HOST = emulators.auth
  if (emulators.storage) process.env.STORAGE_EMULATOR_HOST = `http://${emulators.storage}`

  let app: Promise<App> | undefined
  const appOf = (): Promise<App> =>
    (app ??= (async () => {
      const sdk = await load<typeof AppSdk>('firebase-admin/app')
      const account = typeof options.serviceAccount === 'string' ? await readServiceAccount(options.serviceAccount) : options.serviceAccount
      const credential = account ? sdk.cert(account) : undefined
      return sdk.initializeApp(
        { projectId: options.projectId, storageBucket: options.storageBucket, ...(credential ? { credential } : {}) },
        // One app per endpoint: a firebase → firebase run holds two.
        `portabase-migrate-${++apps}`,
      )
    })())

  let firestore: ReturnType<FirebaseAdmin['firestore']> | undefined
  return {
    firestore: () =>
      (firestore ??= (async () => {
        const sdk = await load<typeof FirestoreSdk>('firebase-admin/firestore')
        const db = options.databaseId ? sdk.getFirestore(await appOf(), options.databaseId) : sdk.getFirestore(await appOf())
        return { db, values: { Timestamp: sdk.Timestamp, GeoPoint: sdk.GeoPoint, DocumentReference: sdk.DocumentReference, FieldPath: sdk.FieldPath, FieldValue: sdk.FieldValue } }
      })()),
    auth: async () => (await load<typeof AuthSdk>('firebase-admin/auth')).getAuth(await appOf()),
    async bucket() {
      if (!options.storageBucket) throw new PortabaseError('invalid-argument', 'A firebase endpoint needs options.storageBucket to move files')
      return (await load<typeof StorageSdk>('firebase-admin/storage')).getStorage(await appOf()).bucket(options.storageBucket)
    },
    remoteConfig: async () => (await load<typeof RemoteConfigSdk>('firebase-admin/remote-config')).getRemoteConfig(await appOf()),
    async close() {
      if (!app) return
      const started = await app.catch(() => undefined)
      if (started) await (await load<typeof AppSdk>('firebase-admin/app')).deleteApp(started)
    },
  }
}

async function readServiceAccount(file: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
  } catch {
    // The file holds a private key: name the option, never the content (a JSON error quotes it).
    throw new PortabaseError('invalid-argument', 'options.serviceAccount: cannot read the service account JSON file', { details: { option: 'serviceAccount' } })
  }
}

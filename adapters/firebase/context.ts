/** What every service plug-in receives: the adapter's own FirebaseApp and emulator settings. */
import type { FirebaseApp } from 'firebase/app'
import type { Capabilities, SyncService } from '../../src/spi.js'

export interface EmulatorHost {
  host: string
  port: number
}

export interface FirebaseEmulators {
  auth?: EmulatorHost
  firestore?: EmulatorHost
  storage?: EmulatorHost
  functions?: EmulatorHost
}

export interface FirebaseContext {
  readonly app: FirebaseApp
  readonly emulators: FirebaseEmulators
}

/**
 * A service plug-in: `firebaseAuth()`, `firestore()`, … Each lives in its own module that imports
 * only its own Firebase SDK, so an app bundles only the services it passes to `firebase()`.
 */
export interface FirebaseServicePlugin<S> {
  readonly kind: 'auth' | 'documents' | 'storage' | 'functions' | 'config'
  /** `sync`: a documents plug-in that can back offline collections (firestore({ offline })). */
  create(context: FirebaseContext): { service: S; capabilities: Partial<Capabilities>; sync?: SyncService; dispose?(): Promise<void> | void }
}

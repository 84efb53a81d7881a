import { FILTER_OPERATORS } from '../../src/query/model.js'
import type { Adapter, Capabilities, SyncService } from '../../src/spi.js'
import { MemoryAuth } from './auth.js'
import { createMemoryBackend, MemoryBackend, type MemoryBackendOptions } from './backend.js'
import { MemoryDocuments } from './documents.js'
import { MemoryNetwork } from './network.js'
import { MemoryConfig, MemoryFunctions } from './services.js'
import { MemoryStorage } from './storage.js'
import { MemorySync } from './sync.js'

export interface MemoryOptions extends MemoryBackendOptions {
  /** Share one backend between several clients (two devices, two users). Default: a new one. */
  backend?: MemoryBackend
  /** OAuth providers this client can sign in with, and the profile each returns. */
  oauth?: Record<string, { email?: string; displayName?: string }>
  /**
   * Narrow the capabilities, to test how an app behaves on a less capable vendor. Declared query
   * semantics are emulated too: `memory({ capabilities: { missingFields: 'excluded', nullOrder:
   * 'first', notEqualNull: 'skipped', implicitOrder: 'inequality-fields' } })` answers queries as
   * Firestore does (docs/semantics.md).
   */
  capabilities?: Partial<Capabilities>
}

/** A memory adapter: the SPI plus the handles tests use to steer it. */
export interface MemoryAdapter extends Adapter {
  readonly backend: MemoryBackend
  readonly network: MemoryNetwork
  readonly sync: SyncService
}

export const memoryCapabilities: Capabilities = Object.freeze({
  emailPasswordAuth: true,
  anonymousAuth: true,
  oauthProviders: [],
  passwordReset: true,
  updateProfile: true,
  queryOperators: FILTER_OPERATORS,
  orQueries: true,
  nestedFieldQueries: true,
  mixedFieldTypes: true,
  mixedTypeOrder: true,
  // The reference: neutral values are stored as they are, and queried in portabase's type order.
  valueTypes: { geoPoint: 'queryable', reference: 'queryable', bytes: 'queryable' } as const,
  fieldOrdering: 'any',
  // Query semantics: the reference's (docs/semantics.md).
  missingFields: 'null',
  nullOrder: 'last',
  notEqualNull: 'matched',
  implicitOrder: 'none',
  readRules: 'deny',
  transactions: true,
  realtime: true,
  serverTimestamp: true,
  increment: true,
  arrayOps: true,
  storage: true,
  signedUrls: true,
  functions: true,
  remoteConfig: true,
  // The reference keeps no vendor's limits; declare one to test against it (memory({ capabilities: { limits } })).
  limits: {},
  configUpdates: true,
})

/**
 * The in-memory adapter: the reference implementation of every service, and the backend for
 * app unit tests (see `portabase/testing`). Nothing leaves the process.
 *
 * Offline support (`sync`, the SyncService the offline engine uses; sync.ts): every write records
 * its writeId on the document (null for plain writes), and every deletion of an existing document
 * leaves a tombstone (data null, a new version, the deletion time, the delete's writeId) until the
 * document is created again. Tombstones are kept `tombstoneTtlMs` (backend option, default 30 days,
 * measured on the backend's clock, so a ManualClock moves it) and purged after; `sync.changes` with
 * a checkpoint older than that fails with `failed-precondition` (details.reason
 * 'checkpoint-expired'): the engine then syncs in full. Sync calls pass the simulated network like
 * every call (`sync.fetch`, `sync.changes`, `sync.write` for `failNext` filters); read rules leave
 * unreadable documents and tombstones out of `fetch`/`changes` (a tombstone is judged on the
 * document as it was when deleted); write rules make a sync write fail with `permission-denied`.
 */
export function memory(options: MemoryOptions = {}): MemoryAdapter {
  const { backend = createMemoryBackend(options), oauth = {}, capabilities = {} } = options
  const network = new MemoryNetwork()
  const auth = new MemoryAuth(backend, network, oauth)
  const caller = () => auth.caller()
  const declared: Capabilities = Object.freeze({ ...memoryCapabilities, oauthProviders: Object.keys(oauth), ...capabilities })
  const documents = new MemoryDocuments(backend, network, caller, !declared.mixedFieldTypes, declared.readRules === 'filter', declared)
  return {
    name: 'memory',
    capabilities: declared,
    backend,
    network,
    auth,
    documents,
    sync: new MemorySync(backend, network, documents),
    storage: new MemoryStorage(backend, network, declared.signedUrls),
    functions: new MemoryFunctions(backend, network, caller),
    config: new MemoryConfig(backend, network),
    connection$: network.state$.asObservable(),
    async dispose() {
      documents.close()
      auth.close()
      network.state$.complete()
    },
  }
}

export { createMemoryBackend, MemoryBackend } from './backend.js'
export { DEFAULT_TOMBSTONE_TTL_MS } from './backend.js'
export type { CollectionRules, FunctionContext, MemoryBackendOptions, MemoryFunction, RuleContext, StoredBlob } from './backend.js'
export { ManualClock, systemClock, type Clock } from './clock.js'
export { MemoryNetwork, type FaultFilter, type FaultOptions } from './network.js'

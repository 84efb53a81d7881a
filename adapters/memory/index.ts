import { FILTER_OPERATORS } from '../../src/query/model.js'
import type { Adapter, Capabilities } from '../../src/spi.js'
import { MemoryAuth } from './auth.js'
import { createMemoryBackend, MemoryBackend, type MemoryBackendOptions } from './backend.js'
import { MemoryDocuments } from './documents.js'
import { MemoryNetwork } from './network.js'
import { MemoryConfig, MemoryFunctions } from './services.js'
import { MemoryStorage } from './storage.js'

export interface MemoryOptions extends MemoryBackendOptions {
  /** Share one backend between several clients (two devices, two users). Default: a new one. */
  backend?: MemoryBackend
  /** OAuth providers this client can sign in with, and the profile each returns. */
  oauth?: Record<string, { email?: string; displayName?: string }>
  /** Narrow the capabilities, to test how an app behaves on a less capable vendor. */
  capabilities?: Partial<Capabilities>
}

/** A memory adapter: the SPI plus the handles tests use to steer it. */
export interface MemoryAdapter extends Adapter {
  readonly backend: MemoryBackend
  readonly network: MemoryNetwork
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
  transactions: true,
  realtime: true,
  serverTimestamp: true,
  increment: true,
  arrayOps: true,
  storage: true,
  signedUrls: true,
  functions: true,
  remoteConfig: true,
})

/**
 * The in-memory adapter: the reference implementation of every service, and the backend for
 * app unit tests (see `portabase/testing`). Nothing leaves the process.
 */
export function memory(options: MemoryOptions = {}): MemoryAdapter {
  const { backend = createMemoryBackend(options), oauth = {}, capabilities = {} } = options
  const network = new MemoryNetwork()
  const auth = new MemoryAuth(backend, network, oauth)
  const caller = () => auth.caller()
  const declared: Capabilities = Object.freeze({ ...memoryCapabilities, oauthProviders: Object.keys(oauth), ...capabilities })
  const documents = new MemoryDocuments(backend, network, caller, !declared.mixedFieldTypes)
  return {
    name: 'memory',
    capabilities: declared,
    backend,
    network,
    auth,
    documents,
    storage: new MemoryStorage(backend, network),
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
export type { CollectionRules, FunctionContext, MemoryBackendOptions, MemoryFunction, RuleContext, StoredBlob } from './backend.js'
export { ManualClock, systemClock, type Clock } from './clock.js'
export { MemoryNetwork, type FaultFilter } from './network.js'

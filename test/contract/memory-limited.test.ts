/**
 * The contract suite on a memory adapter that declares few capabilities, so every capability-gated
 * test runs its `unsupported` branch (a vendor without realtime, storage, sentinels, or(), neutral
 * value types (references stored but not queryable)…).
 */
import { memory, type MemoryBackend } from '../../adapters/memory/index.js'
import { createFixtureBackend } from './memory-fixtures.js'
import { runContractSuite } from './suite.js'

let backend: MemoryBackend
let collections = 0

runContractSuite({
  name: 'memory (limited capabilities)',
  async setup() {
    backend = createFixtureBackend()
  },
  async teardown() {},
  async createAdapter() {
    return memory({
      backend,
      capabilities: {
        anonymousAuth: false,
        passwordReset: false,
        updateProfile: false,
        queryOperators: ['==', '<', '>', '>=', 'in'],
        orQueries: false,
        nestedFieldQueries: false,
        mixedFieldTypes: false,
        transactions: false,
        realtime: false,
        serverTimestamp: false,
        increment: false,
        arrayOps: false,
        storage: false,
        signedUrls: false,
        functions: false,
        remoteConfig: false,
        valueTypes: { geoPoint: 'none', reference: 'stored', bytes: 'none' },
      },
    })
  },
  freshCollection: () => `l${++collections}`,
  ownedCollection: () => 'owned',
})

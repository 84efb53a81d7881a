/**
 * The contract suite on a memory adapter that declares few capabilities, so every capability-gated
 * test runs its `unsupported` branch (a vendor without realtime, storage, sentinels, or(), neutral
 * value types (references stored but not queryable)…), and that declares vendor limits (small ones).
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
        // Small limits (above what the other cases use), so both sides of each run cheaply; objectId reserved, ACL (the suite's other probe) not.
        limits: { maxBatchWrites: 10, maxInValues: 10, reservedFieldNames: ['objectId'] },
      },
    })
  },
  freshCollection: () => `l${++collections}`,
  ownedCollection: () => 'owned',
})

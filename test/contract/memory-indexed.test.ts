/**
 * The contract suite on a memory backend that answers every limited query from an ordered index
 * (`indexes: { minDocs: 0 }`), so the index path (created on first use, kept up to date by every
 * commit, read in order up to the limit) meets the same cases as the scanning path in memory.test.ts.
 * It also declares row-level-security reads (`readRules: 'filter'`: hidden documents read as
 * absent, also through the index and in live queries) and a vendor type order across types
 * (`mixedTypeOrder: false`), so those declared branches of the suite run on the reference.
 */
import { memory, type MemoryBackend } from '../../adapters/memory/index.js'
import { createFixtureBackend } from './memory-fixtures.js'
import { runContractSuite } from './suite.js'

let backend: MemoryBackend
let collections = 0

runContractSuite({
  name: 'memory (ordered indexes, rules that filter)',
  async setup() {
    backend = createFixtureBackend({ indexes: { minDocs: 0 } })
  },
  async teardown() {},
  async createAdapter() {
    return memory({ backend, capabilities: { readRules: 'filter', mixedTypeOrder: false } })
  },
  freshCollection: () => `i${++collections}`,
  ownedCollection: () => 'owned',
  setConfig: async (values) => backend.setConfig(values),
})

/**
 * The contract suite on a memory backend that answers every limited query from an ordered index
 * (`indexes: { minDocs: 0 }`), so the index path (created on first use, kept up to date by every
 * commit, read in order up to the limit) meets the same cases as the scanning path in memory.test.ts.
 */
import { memory, type MemoryBackend } from '../../adapters/memory/index.js'
import { createFixtureBackend } from './memory-fixtures.js'
import { runContractSuite } from './suite.js'

let backend: MemoryBackend
let collections = 0

runContractSuite({
  name: 'memory (ordered indexes)',
  async setup() {
    backend = createFixtureBackend({ indexes: { minDocs: 0 } })
  },
  async teardown() {},
  async createAdapter() {
    return memory({ backend })
  },
  freshCollection: () => `i${++collections}`,
  ownedCollection: () => 'owned',
})

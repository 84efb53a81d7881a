import { memory, type MemoryBackend } from '../../adapters/memory/index.js'
import { createFixtureBackend } from './memory-fixtures.js'
import { runContractSuite } from './suite.js'

let backend: MemoryBackend
let collections = 0

runContractSuite({
  name: 'memory',
  async setup() {
    backend = createFixtureBackend()
  },
  async teardown() {},
  async createAdapter() {
    return memory({ backend })
  },
  freshCollection: () => `c${++collections}`,
  ownedCollection: () => 'owned',
  setConfig: async (values) => backend.setConfig(values),
})

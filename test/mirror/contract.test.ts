/**
 * The whole contract suite through a mirror (memory primary with the fixtures, memory secondary):
 * the mirror is a transparent adapter, whatever the app does.
 */
import { createMemoryBackend, memory, type MemoryBackend } from '../../adapters/memory/index.js'
import { mirror } from '../../adapters/mirror/index.js'
import { createFixtureBackend } from '../contract/memory-fixtures.js'
import { runContractSuite } from '../contract/suite.js'

let primary: MemoryBackend
let secondary: MemoryBackend
let collections = 0

runContractSuite({
  name: 'mirror (memory → memory)',
  async setup() {
    primary = createFixtureBackend()
    secondary = createMemoryBackend()
  },
  async teardown() {},
  async createAdapter() {
    return mirror({ primary: memory({ backend: primary }), secondary: memory({ backend: secondary }) })
  },
  freshCollection: () => `c${++collections}`,
  ownedCollection: () => 'owned',
  setConfig: async (values) => primary.setConfig(values),
})

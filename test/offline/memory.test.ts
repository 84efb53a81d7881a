/** The offline suite on the memory adapter: devices share one backend; each has its own network switch. */
import { memory, type MemoryBackend } from '../../adapters/memory/index.js'
import { createFixtureBackend } from '../contract/memory-fixtures.js'
import { runOfflineSuite } from './suite.js'

let backend: MemoryBackend
let collections = 0

runOfflineSuite({
  name: 'memory',
  async setup() {
    backend = createFixtureBackend()
  },
  async teardown() {},
  async device() {
    const adapter = memory({ backend })
    return {
      adapter,
      goOffline: async () => adapter.network.goOffline(),
      goOnline: async () => adapter.network.goOnline(),
      failNextWrites: (n: number) => adapter.network.failNext(n, 'internal', { service: 'sync', method: 'write' }),
    }
  },
  freshCollection: () => `o${++collections}`,
  ownedCollection: () => 'owned',
  propertyRuns: 40,
})

/** Child of keepalive.test.ts: a script whose only work left is awaiting waitForSync(). */
import { memory } from '../../adapters/memory/index.js'
import { createClient } from '../../src/index.js'
import { offline, memoryStore } from '../../src/offline/index.js'

const adapter = memory()
const app = createClient({ adapter, offline: offline({ store: memoryStore(), collections: { todos: {} }, retryDelayMs: { initial: 20, max: 50 } }) })
adapter.network.goOffline()
await app.db.collection('todos').doc('a').set({ v: 1 })
// The network comes back later; this timer alone would not keep Node running.
setTimeout(() => adapter.network.goOnline(), 300).unref()
await app.sync.waitForSync()
console.log(`synced ${adapter.backend.collection('todos').size}`)
await app.dispose()

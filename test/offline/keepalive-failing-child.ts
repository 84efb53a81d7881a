/** Child of keepalive.test.ts: the server never comes back; waitForSync() gives up at its deadline and the script ends. */
import { memory } from '../../adapters/memory/index.js'
import { createClient } from '../../src/index.js'
import { offline, memoryStore } from '../../src/offline/index.js'

const adapter = memory()
const app = createClient({ adapter, offline: offline({ store: memoryStore(), collections: { todos: {} }, retryDelayMs: { initial: 20, max: 50 } }) })
adapter.network.goOffline()
await app.db.collection('todos').doc('a').set({ v: 1 })
const started = Date.now()
try {
  await app.sync.waitForSync({ timeoutMs: 400 })
  console.log('synced?')
} catch (error) {
  // libuv starts a timer from the loop's cached time, which can be a millisecond or two behind Date.now()
  // when the timer is set: a 400 ms deadline can fire 398–399 ms after `started` (CI saw it once).
  console.log(`${(error as { code?: string }).code} after ${Date.now() - started >= 395 ? '≥' : '<'}400ms, pending ${(await app.sync.queues())[0]?.pending}`)
}

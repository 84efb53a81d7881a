/**
 * The offline engine on top of a mirror: its queued writes reach the primary through the mirror's
 * SyncService, and from there the secondary, in order; a write the primary rejects never does.
 */
import { mirror } from '../../adapters/mirror/index.js'
import { createClient, increment } from '../../src/index.js'
import { offline } from '../../src/offline/index.js'
import { memoryStore } from '../../src/offline/stores/memory.js'
import { contents, FAST_RETRY, history, side } from './harness.js'

test('offline writes pushed by the engine reach both backends', async () => {
  const primary = side({ rules: { todos: { write: ({ doc }) => doc?.data.title !== 'forbidden' } } })
  const secondary = side()
  const m = mirror({ primary: primary.adapter, secondary: secondary.adapter, retry: FAST_RETRY })
  const app = createClient({ adapter: m, offline: offline({ store: memoryStore(), collections: { todos: {} } }) })
  try {
    primary.adapter.network.goOffline()
    const todos = app.db.collection('todos')
    await todos.doc('a').set({ title: 'A', n: 0 })
    await todos.doc('a').update({ n: increment(2) })
    await todos.doc('b').set({ title: 'forbidden' })
    primary.adapter.network.goOnline()
    await app.sync.waitForSync()
    await m.drain()
    expect(contents(primary.backend, 'todos')).toEqual({ a: { title: 'A', n: 2 } })
    expect(contents(secondary.backend, 'todos')).toEqual(contents(primary.backend, 'todos'))
    expect(history(secondary.events, 'todos/a')).toEqual(history(primary.events, 'todos/a'))
    expect(history(secondary.events, 'todos/b')).toEqual([])
  } finally {
    await app.dispose()
  }
})

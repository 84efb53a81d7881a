/**
 * The engine on each local store: writes queued offline survive a restart of the client on the
 * same store (IndexedDB through fake-indexeddb, the Node file store in a temp directory) and reach
 * the server exactly once. (A restart in a new process, killed mid-flush, is test/offline/crash.test.ts.)
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IDBFactory } from 'fake-indexeddb'
import { firstValueFrom } from 'rxjs'
import { memory, createMemoryBackend } from '../../adapters/memory/index.js'
import { createClient, increment, type LocalStore, type PortabaseClient } from '../../src/index.js'
import { offline, memoryStore, indexedDbStore } from '../../src/offline/index.js'
import { fileStore } from '../../src/offline/node/index.js'

const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

const stores: Array<[string, () => Promise<() => LocalStore>]> = [
  ['memoryStore', async () => {
    const store = memoryStore()
    return () => store
  }],
  ['indexedDbStore (fake-indexeddb)', async () => {
    const indexedDB = new IDBFactory()
    return () => indexedDbStore({ name: 'portabase-test', indexedDB })
  }],
  ['fileStore', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'portabase-offline-'))
    dirs.push(directory)
    return () => fileStore({ directory })
  }],
]

describe.each(stores)('offline engine on %s', (_name, makeStore) => {
  it('queued writes survive a client restart and are applied once; the cache is still there offline', async () => {
    const backend = createMemoryBackend()
    const open = await makeStore()
    const device = (): { app: PortabaseClient; adapter: ReturnType<typeof memory> } => {
      const adapter = memory({ backend })
      return { adapter, app: createClient({ adapter, offline: offline({ store: open(), collections: { todos: {} }, retryDelayMs: { initial: 10, max: 50 } }) }) }
    }
    backend.seed('todos', { seeded: { title: 'from the server' } })

    const first = device()
    await first.app.sync.waitForSync()
    first.adapter.network.goOffline()
    const todos = first.app.db.collection('todos')
    await todos.doc('a').set({ title: 'a', n: 0 })
    await todos.doc('a').update({ n: increment(2) })
    await todos.doc('seeded').delete()
    await first.app.dispose()

    const second = device()
    second.adapter.network.goOffline()
    expect((await firstValueFrom(second.app.sync.status$)).pending).toBe(3)
    expect((await second.app.db.collection('todos').get()).docs.map((d) => [d.id, d.data])).toEqual([['a', { title: 'a', n: 2 }]])
    second.adapter.network.goOnline()
    await second.app.sync.waitForSync()
    expect([...backend.collection('todos').values()].map((d) => [d.id, d.data])).toEqual([['a', { title: 'a', n: 2 }]])
    await second.app.dispose()

    // A third start finds nothing pending and the synced cache.
    const third = device()
    third.adapter.network.goOffline()
    expect((await firstValueFrom(third.app.sync.status$)).pending).toBe(0)
    expect((await third.app.db.collection('todos').doc('a').get())?.meta.hasPendingWrites).toBe(false)
    await third.app.dispose()
  })
})

it('a store that cannot open fails every offline call and shows on status$, with a clear error', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'portabase-offline-'))
  dirs.push(directory)
  const holder = fileStore({ directory })
  await holder.open()
  const app = createClient({ adapter: memory(), offline: offline({ store: fileStore({ directory }), collections: { todos: {} } }) })
  await expect(app.db.collection('todos').doc('x').get()).rejects.toMatchObject({ code: 'failed-precondition' })
  expect((await firstValueFrom(app.sync.status$)).error).toMatchObject({ code: 'failed-precondition' })
  await app.dispose()
  await holder.close()
})

it('an adapter without sync refuses offline collections with unsupported', () => {
  const adapter = memory()
  const withoutSync = Object.create(adapter, { sync: { value: undefined } })
  expect(() => createClient({ adapter: withoutSync, offline: offline({ store: memoryStore(), collections: { todos: {} } }) })).toThrow(expect.objectContaining({ code: 'unsupported' }))
})

it('the plain options object of earlier versions is refused with invalid-argument naming offline() from portabase/offline', () => {
  const adapter = memory()
  for (const value of [{ store: memoryStore(), collections: { todos: {} } }, null, 'offline', { kind: 'portabase.offline' }]) {
    expect(() => createClient({ adapter, offline: value as never })).toThrow(
      expect.objectContaining({ code: 'invalid-argument', message: expect.stringContaining("offline({ store, collections }) from 'portabase/offline'") }),
    )
  }
})

/**
 * Several tabs on one IndexedDB store (fake-indexeddb; two connections = two tabs), coordinated by
 * tabs/coordinator.ts with an in-process Web Locks stand-in and Node's BroadcastChannel. The real
 * browser runs the same cases in test/browser (Chromium, navigator.locks).
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import { filter, firstValueFrom } from 'rxjs'
import { createMemoryBackend, memory, type MemoryAdapter, type MemoryBackend } from '../../adapters/memory/index.js'
import { createClient, increment, type PortabaseClient } from '../../src/index.js'
import { indexedDbStore, offline } from '../../src/offline/index.js'
import { tabCoordinator, type TabLocks, type TabMessage } from '../../src/offline/tabs/coordinator.js'

/** Web Locks' exclusive mode for one process: FIFO per name, `ifAvailable` and `signal` honoured. */
function inProcessLocks(): TabLocks {
  const queues = new Map<string, Array<() => void>>()
  const held = new Set<string>()
  const release = (name: string): void => {
    const next = queues.get(name)?.shift()
    if (next) next()
    else held.delete(name)
  }
  return {
    async request(name, options, callback) {
      if (held.has(name)) {
        if (options.ifAvailable) return callback(null)
        await new Promise<void>((resolve, reject) => {
          const grant = (): void => {
            options.signal?.removeEventListener('abort', abort)
            resolve()
          }
          const abort = (): void => {
            queues.set(name, (queues.get(name) ?? []).filter((g) => g !== grant))
            reject(new DOMException('aborted', 'AbortError'))
          }
          options.signal?.addEventListener('abort', abort, { once: true })
          queues.set(name, [...(queues.get(name) ?? []), grant])
        })
      } else held.add(name)
      try {
        return await callback({ name })
      } finally {
        release(name)
      }
    },
  }
}

interface Tab {
  adapter: MemoryAdapter
  app: PortabaseClient
}

let backend: MemoryBackend
let factory: IDBFactory
let locks: TabLocks
let tabs: Tab[]
let dbName = 0
let name: string

beforeEach(() => {
  backend = createMemoryBackend()
  factory = new IDBFactory()
  locks = inProcessLocks()
  tabs = []
  name = `tabs-${++dbName}`
})

afterEach(async () => {
  for (const tab of tabs) await tab.app.dispose()
})

/** A tab: its own adapter (own network switch) to the one server, its own connection to the one database. */
async function openTab(): Promise<Tab> {
  const adapter = memory({ backend })
  const store = indexedDbStore({ name, indexedDB: factory, IDBKeyRange, tabs: { locks } })
  const app = createClient({ adapter, offline: offline({ store, collections: { todos: {}, counters: {} }, crashGraceMs: 20 }) })
  const tab = { adapter, app }
  tabs.push(tab)
  // Opened: the store is read, and the leader (if this tab leads) has synced once.
  await firstValueFrom(app.sync.status$)
  return tab
}

/** What the server holds, read by a plain online client (never through the tabs). */
async function serverState(): Promise<{ todos: string[]; n: unknown }> {
  const app = createClient({ adapter: memory({ backend }) })
  try {
    const todos = (await app.db.collection<{ title: string }>('todos').get()).docs.map((d) => d.data.title).sort()
    const counter = await app.db.collection('counters').doc('c').get()
    return { todos, n: counter?.data.n ?? 0 }
  } finally {
    await app.dispose()
  }
}

const sentBy = (tab: Tab): number => tab.adapter.network.calls.get('sync.write') ?? 0
const titles = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`)

test('two tabs write at once: one leader sends, and the server applies every write exactly once', async () => {
  const a = await openTab()
  await a.app.db.collection('counters').doc('c').set({ n: 0 })
  await a.app.sync.waitForSync({ timeoutMs: 10_000 })
  const b = await openTab()
  const write = (tab: Tab, title: string) =>
    Promise.all([tab.app.db.collection('todos').doc(title).set({ title }), tab.app.db.collection('counters').doc('c').update({ n: increment(1) })])
  // Interleaved: both tabs queue into the one outbox while the leader is sending.
  await Promise.all([...titles('a', 15).map((t) => write(a, t)), ...titles('b', 15).map((t) => write(b, t))])
  await b.app.sync.waitForSync({ timeoutMs: 10_000 })
  await a.app.sync.waitForSync({ timeoutMs: 10_000 })

  // 30 increments applied once each: a write sent twice would show as n > 30.
  expect(await serverState()).toEqual({ todos: [...titles('a', 15), ...titles('b', 15)], n: 30 })
  expect(sentBy(b)).toBe(0) // the follower sent nothing itself
  expect(sentBy(a)).toBeGreaterThan(0)
  // Both tabs see the synced state, nothing pending.
  for (const tab of [a, b]) {
    expect((await tab.app.db.collection('counters').doc('c').get())?.data).toEqual({ n: 30 })
    expect((await firstValueFrom(tab.app.sync.status$)).pending).toBe(0)
  }
})

test('writes queued in both tabs while offline reach the server once, after the leader tab closed', async () => {
  const a = await openTab()
  await a.app.db.collection('counters').doc('c').set({ n: 0 })
  await a.app.sync.waitForSync({ timeoutMs: 10_000 })
  const b = await openTab()
  const sentBefore = sentBy(a)
  a.adapter.network.goOffline()
  b.adapter.network.goOffline()
  for (const t of titles('a', 5)) await Promise.all([a.app.db.collection('todos').doc(t).set({ title: t }), a.app.db.collection('counters').doc('c').update({ n: increment(1) })])
  for (const t of titles('b', 5)) await Promise.all([b.app.db.collection('todos').doc(t).set({ title: t }), b.app.db.collection('counters').doc('c').update({ n: increment(1) })])
  // Each tab sees the other's queued writes (one outbox), once it heard of them.
  await firstValueFrom(a.app.db.collection('counters').doc('c').watch().pipe(filter((d) => d?.data.n === 10)))
  expect((await firstValueFrom(b.app.sync.status$)).pending).toBe(20)
  expect(await serverState()).toEqual({ todos: [], n: 0 })

  // The leader goes away with everything queued; the other tab takes over and sends it.
  await a.app.dispose()
  tabs = tabs.filter((t) => t !== a)
  b.adapter.network.goOnline()
  await b.app.sync.waitForSync({ timeoutMs: 10_000 })
  expect(await serverState()).toEqual({ todos: [...titles('a', 5), ...titles('b', 5)], n: 10 })
  expect(sentBy(a)).toBe(sentBefore) // what was queued went out from the tab that took over
})

test('a follower sees what the leader pulls, and its flush() and pull() go through the leader', async () => {
  const a = await openTab()
  const b = await openTab()
  const seen = firstValueFrom(b.app.db.collection<{ title: string }>('todos').watch().pipe(filter((s) => s.docs.some((d) => d.data.title === 'from elsewhere'))))
  // Another device writes to the server: the leader's live watch pulls it, the follower catches up.
  const other = createClient({ adapter: memory({ backend }) })
  await other.db.collection('todos').doc('x').set({ title: 'from elsewhere' })
  await other.dispose()
  expect((await seen).docs.map((d) => d.data.title)).toEqual(['from elsewhere'])

  await b.app.db.collection('todos').doc('y').set({ title: 'typed in b' })
  const result = await b.app.sync.flush()
  expect(result.sent).toBe(1)
  expect((await serverState()).todos).toEqual(['from elsewhere', 'typed in b'])
  await expect(b.app.sync.pull()).resolves.toBeUndefined()
  expect(sentBy(b)).toBe(0)
  expect(sentBy(a)).toBe(1)
})

test('a follower waitForSync() waits for the leader, and rejects by its deadline while the server is out of reach', async () => {
  const a = await openTab()
  const b = await openTab()
  a.adapter.network.goOffline()
  await b.app.db.collection('todos').doc('z').set({ title: 'waiting' })
  await expect(b.app.sync.waitForSync({ timeoutMs: 300 })).rejects.toMatchObject({ code: 'deadline-exceeded' })
  a.adapter.network.goOnline()
  await b.app.sync.waitForSync({ timeoutMs: 10_000 })
  expect((await serverState()).todos).toEqual(['waiting'])
})

describe('tabCoordinator', () => {
  test('is undefined without Web Locks (one client per store, as before)', () => {
    expect(tabCoordinator({ name: 'x', locks: undefined })).toBeUndefined() // Node 20 has no navigator.locks
  })

  test('one leader at a time; the next takes over when it closes, as a takeover', async () => {
    const shared = inProcessLocks()
    const first = tabCoordinator({ name: 'lead', locks: shared })!
    const second = tabCoordinator({ name: 'lead', locks: shared })!
    const leads: string[] = []
    first.lead((after) => leads.push(`first${after ? ' after another' : ''}`))
    await new Promise((resolve) => setTimeout(resolve, 10))
    second.lead((after) => leads.push(`second${after ? ' after another' : ''}`))
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(leads).toEqual(['first'])
    first.close()
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(leads).toEqual(['first', 'second after another'])
    second.close()
  })

  test('messages reach the other tabs, not the sender; unknown messages are ignored', async () => {
    const shared = inProcessLocks()
    const one = tabCoordinator({ name: 'talk', locks: shared })!
    const two = tabCoordinator({ name: 'talk', locks: shared })!
    const heard: Array<[string, TabMessage]> = []
    one.onMessage((m) => heard.push(['one', m]))
    two.onMessage((m) => heard.push(['two', m]))
    const raw = new BroadcastChannel('portabase:talk')
    raw.postMessage({ type: 'nonsense' })
    one.post({ type: 'sync', id: 'r1' })
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(heard).toEqual([['two', { type: 'sync', id: 'r1' }]])
    raw.close()
    one.close()
    two.close()
  })
})

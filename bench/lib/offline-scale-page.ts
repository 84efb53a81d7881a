/**
 * The offline-scale device in a real browser page (bench/suites/offline-scale-browser.ts): a memory
 * backend seeded in the page, a device on `indexedDbStore` (the browser's own IndexedDB), then
 * pull, and close/reopen/first query against a floor measured in the same page: reading one
 * IndexedDB record holding the same documents' JSON text and JSON.parse-ing it.
 */
import { createMemoryBackend, memory, type MemoryBackend } from '../../adapters/memory/index.js'
import { createClient, type PortabaseClient } from '../../src/index.js'
import { indexedDbStore, offline } from '../../src/offline/index.js'
import { makeTodos, type Todo } from '../datasets.js'

export interface PageReport {
  docs: number
  jsonBytes: number
  pullMs: number
  reopenPulled: number[]
  reopenPulledFloor: number[]
  queuedWrites: number
  reopen: number[]
  reopenFloor: number[]
}

const NO_RETRY = { initial: 3_600_000, max: 3_600_000 }
const FLOOR_DB = 'portabase-bench-floor'

function openDevice(backend: MemoryBackend, name: string, offlineStart: boolean): { app: PortabaseClient; adapter: ReturnType<typeof memory> } {
  const adapter = memory({ backend })
  if (offlineStart) adapter.network.goOffline()
  const app = createClient({ adapter, offline: offline({ store: indexedDbStore({ name }), collections: { todos: { sync: 'delta' } }, retryDelayMs: NO_RETRY }) })
  return { app, adapter }
}

const topQuery = (app: PortabaseClient) => app.db.collection<Todo>('todos').where('done', '==', false).orderBy('priority', 'desc').limit(20).get()

function idb<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

async function floorDb(): Promise<IDBDatabase> {
  const open = indexedDB.open(FLOOR_DB, 1)
  open.onupgradeneeded = () => open.result.createObjectStore('json')
  return idb(open)
}

/** One IndexedDB read of the documents' JSON text, then JSON.parse: the floor. */
async function floorOnce(db: IDBDatabase, count: number): Promise<number> {
  const t = performance.now()
  const text = await idb(db.transaction('json').objectStore('json').get('docs') as IDBRequest<string>)
  const parsed = JSON.parse(text) as unknown[]
  const ms = performance.now() - t
  if (parsed.length !== count) throw new Error('floor: wrong document count')
  return ms
}

async function reopenOnce(backend: MemoryBackend, name: string, expected: string[]): Promise<number> {
  const t = performance.now()
  const { app } = openDevice(backend, name, true)
  const page = await topQuery(app)
  const ms = performance.now() - t
  await app.dispose()
  if (page.docs.map((d) => d.id).join() !== expected.join()) throw new Error('reopen: a different top 20')
  return ms
}

/** Samples interleaved with the floor, the first of each dropped (warm-up). */
async function sampled(samples: number, db: IDBDatabase, count: number, run: () => Promise<number>): Promise<[number[], number[]]> {
  const mine: number[] = []
  const floor: number[] = []
  for (let i = 0; i <= samples; i++) {
    const a = await run()
    const b = await floorOnce(db, count)
    if (i > 0) {
      mine.push(a)
      floor.push(b)
    }
  }
  return [mine, floor]
}

export async function runScale(count: number, samples: number): Promise<PageReport> {
  const name = `scale-${Date.now().toString(36)}`
  const rows = makeTodos(count, 14)
  const backend = createMemoryBackend()
  backend.seed('todos', Object.fromEntries(rows.map((r) => [r.id, { ...r.data }])))
  const json = JSON.stringify(rows.map((r) => ({ id: r.id, ...r.data })))
  const db = await floorDb()
  await idb(db.transaction('json', 'readwrite').objectStore('json').put(json, 'docs'))

  const device = openDevice(backend, name, false)
  const t = performance.now()
  await device.app.sync.waitForSync({ timeoutMs: 600_000 })
  const pullMs = performance.now() - t
  device.adapter.network.goOffline()
  const expected = (await topQuery(device.app)).docs.map((d) => d.id)
  await device.app.dispose()

  const [reopenPulled, reopenPulledFloor] = await sampled(samples, db, count, () => reopenOnce(backend, name, expected))

  // 8,400 writes queued, as the Node figures leave them: each an update of one document's score.
  const writer = openDevice(backend, name, true)
  const todos = writer.app.db.collection<Todo>('todos')
  const queuedWrites = 8_400
  for (let done = 0; done < queuedWrites; done += 1_050) {
    await Promise.all(Array.from({ length: 1_050 }, (_, i) => todos.doc(rows[((done + i) * 7919) % rows.length]!.id).update({ score: done + i })))
  }
  const expectedQueued = (await topQuery(writer.app)).docs.map((d) => d.id)
  await writer.app.dispose()
  const [reopen, reopenFloor] = await sampled(samples, db, count, () => reopenOnce(backend, name, expectedQueued))

  db.close()
  await idb(indexedDB.deleteDatabase(FLOOR_DB))
  await idb(indexedDB.deleteDatabase(name)).catch(() => undefined)
  return { docs: count, jsonBytes: new TextEncoder().encode(json).length, pullMs, reopenPulled, reopenPulledFloor, queuedWrites, reopen, reopenFloor }
}

;(globalThis as { runScale?: typeof runScale }).runScale = runScale

/**
 * One store kind of the offline-scale suite (bench/suites/offline-scale.ts), run in a child process
 * of its own so its peak RSS is its own: seeds a memory backend, pulls it onto a device on the given
 * store, then samples the device figures interleaved with their floors, all in this process.
 *
 * Forked by the suite, bundled (`offline-scale-device.mjs`) and run as `node --expose-gc … <store>
 * <docs>`; reports a DeviceReport over IPC.
 */
import { Buffer } from 'node:buffer'
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import { createMemoryBackend, memory, type MemoryBackend } from '../../adapters/memory/index.js'
import { createClient, type LocalStore, type PortabaseClient } from '../../src/index.js'
import { offline, memoryStore, indexedDbStore } from '../../src/offline/index.js'
import { fileStore } from '../../src/offline/node/index.js'
import { encodeRecord } from '../../src/offline/node/records.js'
import { makeTodos, type FlatTodo, type Todo } from '../datasets.js'
import { topK } from './floor.js'
import { collectGarbage, interleaved, now, settle, type Stats } from './measure.js'

export type StoreKind = 'memoryStore' | 'fileStore' | 'indexedDbStore'

export interface DeviceReport {
  store: StoreKind
  docs: number
  /** Bytes of JSON.stringify of the documents ([{ id, …data }]). */
  jsonBytes: number
  pullMs: number
  /** Peak RSS of the process, and the part of it that is the harness's (backend, floors' data). */
  peakRssMb: number
  harnessRssMb: number
  query: Stats
  queryFloor: Stats
  sequential: Stats
  concurrent: Stats
  appendFloor: Stats
  /** Close, reopen, first query with the pulled documents only. */
  reopenPulled: Stats
  reopenPulledFloor: Stats
  /** The same after the update figures, their writes still queued (the network is off). */
  queuedWrites: number
  reopen: Stats
  reopenFloor: Stats
}

const LIMIT = 20
const SEQUENTIAL = 50
const CONCURRENT = 1_000
const NO_RETRY = { initial: 3_600_000, max: 3_600_000 }
const mb = (bytes: number): number => bytes / 2 ** 20

export async function measureDevice(kind: StoreKind, count: number, quick: boolean, log: (line: string) => void): Promise<DeviceReport> {
  const rssAtStart = process.memoryUsage().rss
  const rows = makeTodos(count, 14)
  const flat: FlatTodo[] = rows.map((r) => ({ id: r.id, ...r.data }))
  const backend = createMemoryBackend()
  backend.seed('todos', Object.fromEntries(rows.map((r) => [r.id, { ...r.data }])))
  const expected = topK(flat, LIMIT, (r) => r.done === false, compare).map((r) => r.id)
  const scratch = await mkdtemp(join(tmpdir(), 'portabase-bench-scale-'))
  const dataFile = join(scratch, 'docs.json')
  const json = JSON.stringify(flat)
  await writeFile(dataFile, json)
  const jsonBytes = Buffer.byteLength(json)
  collectGarbage()
  await settle(50)
  const harnessRss = process.memoryUsage().rss - rssAtStart
  const makeStore = storeFactory(kind, join(scratch, 'store'))
  const appendFile = await open(join(scratch, 'append-floor'), 'a')

  try {
    // ------------------------------------------------------------ initial pull
    let device = openDevice(backend, makeStore(), false)
    const pullStart = now()
    await device.app.sync.waitForSync({ timeoutMs: 600_000 })
    const pullMs = now() - pullStart
    const peakRss = process.resourceUsage().maxRSS * 1024
    log(`    ${kind}: pull ${count.toLocaleString('en-US')} docs ${pullMs.toFixed(0)} ms, peak RSS ${mb(peakRss).toFixed(0)} MB (harness ${mb(harnessRss).toFixed(0)} MB, JSON ${mb(jsonBytes).toFixed(1)} MB)`)
    device.adapter.network.goOffline()
    let todos = device.app.db.collection<Todo>('todos')
    const topQuery = () => todos.where('done', '==', false).orderBy('priority', 'desc').limit(LIMIT)
    same(`${kind} query`, (await topQuery().get()).docs.map((d) => d.id), expected)

    // ------------------------------------------------------------ device query vs a top-k scan
    const runs = quick ? 7 : 41
    const query = await interleaved(
      { warmup: 3, runs },
      {
        portabase: { once: () => timed(() => topQuery().get()) },
        floor: { once: () => timed(async () => topK(flat, LIMIT, (r) => r.done === false, compare)) },
      },
    )
    log(`    ${kind}: query ${query.portabase.median.toFixed(3)} ms, top-k scan ${query.floor.median.toFixed(3)} ms`)

    // ------------------------------------------------------------ close, reopen, first query vs read + JSON.parse
    // Twice: here, with the pulled documents only, and after the updates below, with their writes queued.
    const reopenRuns = quick ? 2 : 9
    const measureReopen = async (what: string) => {
      const stats = await interleaved(
        { warmup: 1, runs: reopenRuns },
        {
          portabase: {
            async once() {
              collectGarbage()
              const start = now()
              device = openDevice(backend, makeStore(), true)
              todos = device.app.db.collection<Todo>('todos')
              const page = await topQuery().get()
              const ms = now() - start
              same(`${kind} reopened query`, page.docs.map((d) => d.id), expected)
              await device.app.dispose()
              return ms
            },
          },
          floor: {
            async once() {
              collectGarbage()
              const start = now()
              const parsed = JSON.parse(await readFile(dataFile, 'utf8')) as FlatTodo[]
              const ms = now() - start
              if (parsed.length !== count) throw new Error('floor: wrong document count')
              return ms
            },
          },
        },
      )
      log(`    ${kind}: reopen + first query (${what}) ${stats.portabase.median.toFixed(0)} ms, read + JSON.parse ${stats.floor.median.toFixed(0)} ms`)
      return stats
    }
    await device.app.dispose()
    const reopenPulled = await measureReopen('pulled documents only')
    device = openDevice(backend, makeStore(), true)
    todos = device.app.db.collection<Todo>('todos')

    // ------------------------------------------------------------ offline updates vs an fsync'd append
    // The same record the engine queues for such an update: the write, its base being the document's row (`b: 0`).
    const sample = rows[0]!
    const record = encodeRecord([{ table: 'outbox', key: 'guest/0000000000000001', value: { s: 1, w: 'x'.repeat(20), type: 'update', c: 'todos', i: sample.id, d: { score: 1 }, b: 0, t: Date.now() } }])
    let n = 0
    const target = (i: number): string => rows[(i * 7919) % rows.length]!.id
    const writeRuns = quick ? 3 : 7
    const queuedWrites = (1 + writeRuns) * (SEQUENTIAL + CONCURRENT)
    const writes = await interleaved(
      { warmup: 1, runs: writeRuns },
      {
        sequential: {
          async once() {
            const start = now()
            for (let i = 0; i < SEQUENTIAL; i++) await todos.doc(target(n++)).update({ score: n })
            return (now() - start) / SEQUENTIAL
          },
        },
        concurrent: {
          async once() {
            const start = now()
            await Promise.all(Array.from({ length: CONCURRENT }, () => todos.doc(target(n++)).update({ score: n })))
            return (now() - start) / CONCURRENT
          },
        },
        append: {
          async once() {
            const start = now()
            for (let i = 0; i < SEQUENTIAL; i++) {
              await appendFile.write(record)
              await appendFile.datasync()
            }
            return (now() - start) / SEQUENTIAL
          },
        },
      },
    )
    log(`    ${kind}: update sequential ${writes.sequential.median.toFixed(3)} ms, concurrent ${writes.concurrent.median.toFixed(3)} ms/write, fsync'd append ${writes.append.median.toFixed(3)} ms`)

    // ------------------------------------------------------------ close, reopen, first query, with the updates above queued
    await device.app.dispose()
    const reopen = await measureReopen(`with ${queuedWrites.toLocaleString('en-US')} queued writes`)
    return {
      store: kind,
      docs: count,
      jsonBytes,
      pullMs,
      peakRssMb: mb(peakRss),
      harnessRssMb: mb(harnessRss),
      query: query.portabase,
      queryFloor: query.floor,
      sequential: writes.sequential,
      concurrent: writes.concurrent,
      appendFloor: writes.append,
      reopenPulled: reopenPulled.portabase,
      reopenPulledFloor: reopenPulled.floor,
      queuedWrites,
      reopen: reopen.portabase,
      reopenFloor: reopen.floor,
    }
  } finally {
    await appendFile.close()
    await rm(scratch, { recursive: true, force: true })
  }
}

/** `priority desc`, then the id: the order of `orderBy('priority', 'desc')` (ties by id ascending). */
function compare(a: FlatTodo, b: FlatTodo): number {
  if (a.priority !== b.priority) return b.priority - a.priority
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

function openDevice(backend: MemoryBackend, store: LocalStore, startOffline: boolean): { app: PortabaseClient; adapter: ReturnType<typeof memory> } {
  const adapter = memory({ backend })
  if (startOffline) adapter.network.goOffline()
  const app = createClient({ adapter, offline: offline({ store, collections: { todos: { sync: 'delta' } }, retryDelayMs: NO_RETRY }) })
  return { app, adapter }
}

/** A new store object on the same data each call: a restart of the app. */
function storeFactory(kind: StoreKind, directory: string): () => LocalStore {
  switch (kind) {
    case 'memoryStore': {
      const store = memoryStore() // survives close() + open() of the same object
      return () => store
    }
    case 'fileStore':
      return () => fileStore({ directory })
    case 'indexedDbStore': {
      const indexedDB = new IDBFactory()
      return () => indexedDbStore({ name: 'bench', indexedDB, IDBKeyRange })
    }
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = now()
  await fn()
  return now() - start
}

function same(what: string, got: readonly string[], expected: readonly string[]): void {
  if (got.length !== expected.length || got.some((id, i) => id !== expected[i])) {
    throw new Error(`${what}: got ${got.slice(0, 5).join(',')}…, expected ${expected.slice(0, 5).join(',')}…`)
  }
}

/** Child entry: `offline-scale-device.ts <store> <docs> [--quick]`. */
if (/offline-scale-device\.(ts|mjs)$/.test(process.argv[1] ?? '') && process.send) {
  const [kind, docs] = process.argv.slice(2) as [StoreKind, string]
  measureDevice(kind, Number(docs), process.argv.includes('--quick'), (line) => void process.stderr.write(`${line}\n`)).then(
    (report) => process.send!(report, () => process.exit(0)),
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    },
  )
}

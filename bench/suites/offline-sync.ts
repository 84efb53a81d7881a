/**
 * Offline sync on Parse (issue #6, item 9) — one Parse Server on PGlite (test/backends/parse/server.ts,
 * a child process), portabase's offline engine in this process:
 *
 * (a) Flush of queued writes: `set`s of small new documents ({ i, label, done }), queued while the
 *     device was offline, sent by `app.sync.flush()` with batching (`batchSize` 100, the engine's
 *     default: per chunk one fetch of the server records + one sync write = a /batch) vs one by one
 *     (`batchSize` 1: the same requests per write). Only `flush()` is timed. Queueing is not: the
 *     writes are queued into a memoryStore by a client on the memory adapter with its network off
 *     (the Parse SDK holds one server URL per process, so an unreachable Parse URL is not an option
 *     here), 500 per `db.batch`; then a client on the Parse adapter opens that store with
 *     `online$: of(false)`, so the engine starts no round by itself, and `flush()` is called. Each
 *     sample goes to a fresh collection; the server count is checked after each flush. One by one,
 *     10,000 writes take minutes: it is sampled on ONE_BY_ONE writes and scaled per write to
 *     FLUSH_WRITES (said in the figure's notes). One small untimed flush of each kind first: the
 *     first flushes of a process ran 2–4× slower.
 * (b) Delta vs full pull: FLUSH_WRITES documents on the server (the first batched sample's
 *     collection), one device syncing `delta` and one `full` (memoryStore, pulled once, untimed;
 *     `online$: of(false)` here too, so no round of the engine's own overlaps a measured pull).
 *     Each round, an online client changes 1 % of the documents (one `db.batch` of updates), then
 *     each device pulls (`app.sync.pull()`, order alternating); the records returned by
 *     `adapter.sync.changes` are counted (wrapped as test/offline/suite.ts does) and the pull timed.
 *
 * Figures: `floor` = the reference of each figure (one-by-one flush; full pull), no RxDB column.
 */
import { firstValueFrom, of } from 'rxjs'
import { memory } from '../../adapters/memory/index.js'
import { parse } from '../../adapters/parse/index.js'
import { createClient, generateId, increment, type Adapter, type LocalStore, type PortabaseClient } from '../../src/index.js'
import { offline, memoryStore } from '../../src/offline/index.js'
import { startParseServer, type ParseTestServer } from '../../test/backends/parse/server.js'
import { countingChanges } from '../../test/offline/counting.js'
import type { Measurement } from '../lib/figure.js'
import { interleaved, now, stats, type Stats } from '../lib/measure.js'
import type { Suite } from '../lib/suite.js'

/** Writes per `db.batch`: Firestore's limit (FIRESTORE_LIMITS.maxBatchWrites), the lowest an adapter declares. */
const MAX_BATCH_WRITES = 500
/** Writes per flush figure, and documents on the server for the pull figures. */
const FLUSH_WRITES = 10_000
/** Writes actually flushed per one-by-one sample (scaled to FLUSH_WRITES). */
const ONE_BY_ONE = 1_000
const BATCH_SIZE = 100
/** Share of the documents changed before each pull. */
const CHANGED = 0.01
/** No background retry during a sample (a round the engine would start on its own). */
const NO_RETRY = { initial: 3_600_000, max: 3_600_000 }

export const offlineSync: Suite = {
  name: 'offline-sync',
  summary: 'Parse offline engine: flush of 10,000 queued writes batched (100) vs one by one; delta vs full pull after 1 % of 10,000 docs changed',
  async run({ quick, log }) {
    const total = quick ? 2_000 : FLUSH_WRITES
    const oneByOne = quick ? 200 : ONE_BY_ONE
    const flushRuns = quick ? 1 : 3
    const pullRounds = quick ? 2 : 5
    const started = now()
    const server = await startParseServer()
    log(`  Parse Server (PGlite) up in ${((now() - started) / 1000).toFixed(1)} s at ${server.serverURL}`)
    const run = generateId(6)
    let collections = 0
    const freshCollection = (): string => `bo${run}_${++collections}`
    const reader = createClient({ adapter: parseAdapter(server) })
    const clients: PortabaseClient[] = [reader]
    try {
      // ---------------------------------------------------------------- (a) flush
      let pullCollection: string | undefined
      const flushSample = async (writes: number, batchSize: number): Promise<number> => {
        const collection = freshCollection()
        const store = await queueOffline(collection, writes)
        const app = createClient({ adapter: parseAdapter(server), online$: of(false), offline: offline({ store, collections: { [collection]: {} }, batchSize, retryDelayMs: NO_RETRY }) })
        try {
          const start = now()
          const result = await app.sync.flush()
          const ms = now() - start
          if (result.sent !== writes || result.rejected !== 0) throw new Error(`flush of ${writes} writes: ${JSON.stringify(result)}`)
          const onServer = await reader.db.collection(collection).count()
          if (onServer !== writes) throw new Error(`flush of ${writes} writes: ${onServer} documents on the server`)
          log(`    flush ${writes.toLocaleString('en-US')} writes, batchSize ${batchSize}: ${ms.toFixed(0)} ms (${(ms / writes).toFixed(2)} ms/write)`)
          if (writes === total) pullCollection ??= collection
          return ms
        } finally {
          await app.dispose()
        }
      }
      // Warm-up, thrown away: the first flushes of a process run 2–4× slower (JIT, PGlite caches).
      await flushSample(Math.min(total, 1_000), BATCH_SIZE)
      await flushSample(Math.min(oneByOne, 100), 1)
      const flushed = await interleaved(
        { warmup: 0, runs: flushRuns },
        {
          batched: { once: () => flushSample(total, BATCH_SIZE) },
          oneByOne: { once: () => flushSample(oneByOne, 1) },
        },
      )
      const scale = total / oneByOne
      const oneByOneScaled = scaleStats(flushed.oneByOne, scale)
      log(`  flush: batched ${flushed.batched.median.toFixed(0)} ms / ${total} writes; one by one ${oneByOneScaled.median.toFixed(0)} ms / ${total} writes (measured on ${oneByOne}, ×${scale}); ratio ${(oneByOneScaled.median / flushed.batched.median).toFixed(1)}×`)

      // ---------------------------------------------------------------- (b) delta vs full pull
      const collection = pullCollection!
      const changedPerRound = Math.round(total * CHANGED)
      const devices = {
        delta: countingDevice(server, collection, 'delta'),
        full: countingDevice(server, collection, 'full'),
      }
      clients.push(devices.delta.app, devices.full.app)
      for (const d of Object.values(devices)) {
        await d.app.sync.pull()
        if (d.fetched !== total) throw new Error(`the initial pull fetched ${d.fetched} records, expected ${total}`)
      }
      const counts = { delta: [] as number[], full: [] as number[] }
      const times = { delta: [] as number[], full: [] as number[] }
      const docs = reader.db.collection(collection)
      for (let round = 0; round < pullRounds; round++) {
        // 1 %: every 100th document, a different slice each round (ids are `d<i>` from queueOffline).
        const ids = Array.from({ length: changedPerRound }, (_, k) => docId(k * Math.round(1 / CHANGED) + round))
        for (let i = 0; i < ids.length; i += MAX_BATCH_WRITES) {
          await reader.db.batch((b) => {
            for (const id of ids.slice(i, i + MAX_BATCH_WRITES)) b.update(docs.doc(id), { v: increment(1) })
          })
        }
        const order: Array<keyof typeof devices> = round % 2 === 0 ? ['delta', 'full'] : ['full', 'delta']
        for (const mode of order) {
          const device = devices[mode]
          const before = device.fetched
          const start = now()
          await device.app.sync.pull()
          times[mode].push(now() - start)
          counts[mode].push(device.fetched - before)
        }
        const changed = await devices.delta.app.db.collection(collection).doc(ids[0]!).get()
        if (changed?.data.v !== 1) throw new Error(`after the delta pull, ${ids[0]} has v = ${String(changed?.data.v)} locally, expected 1`)
        log(`    pull round ${round + 1}: delta ${counts.delta[round]} records ${times.delta[round]!.toFixed(0)} ms, full ${counts.full[round]} records ${times.full[round]!.toFixed(0)} ms`)
      }
      const fetched = { delta: stats(counts.delta), full: stats(counts.full) }
      const pullMs = { delta: stats(times.delta), full: stats(times.full) }
      log(`  pull: delta ${fetched.delta.median} / full ${fetched.full.median} records (${((fetched.delta.median / fetched.full.median) * 100).toFixed(2)} %); ${pullMs.delta.median.toFixed(0)} / ${pullMs.full.median.toFixed(0)} ms`)

      const where = `Parse Server 9 on PGlite (child process, test/backends/parse), client in this process, no proxy, no realtime.`
      return [
        {
          name: 'offline-flush-10k',
          title: `Offline: flush ${total.toLocaleString('en-US')} queued writes to Parse, batched (${BATCH_SIZE}) vs one by one`,
          unit: 'ms',
          better: 'lower',
          portabase: flushed.batched,
          rxdb: null,
          floor: oneByOneScaled,
          target: { against: 'floor', ratio: 0.1 },
          notes:
            `FLOOR = THE SAME ENGINE WITH batchSize 1 (one by one). ms for ${total.toLocaleString('en-US')} queued sets of new small docs, app.sync.flush() only, ` +
            `batchSize ${BATCH_SIZE} (default) vs 1; the one-by-one figure is MEASURED ON ${oneByOne.toLocaleString('en-US')} WRITES AND SCALED ×${scale} (per write). ` +
            `Writes queued untimed (memory adapter offline, memoryStore), flushed by a client on the Parse adapter with online$ = of(false) (no round of its own); ` +
            `fresh collection per sample, server count checked. ${flushed.batched.runs} samples each, interleaved, after an untimed warm-up flush of each kind. ${where}`,
        },
        {
          name: 'offline-delta-docs',
          title: `Offline: records fetched by a pull after 1 % of ${total.toLocaleString('en-US')} docs changed, delta vs full`,
          // A count of records, not a duration: figure.ts knows only ms and ops/s.
          unit: 'records' as Measurement['unit'],
          better: 'lower',
          portabase: fetched.delta,
          rxdb: null,
          floor: fetched.full,
          target: { against: 'floor', ratio: 0.02 },
          notes: `FLOOR = A FULL PULL. Records returned by adapter.sync.changes during app.sync.pull() on a device syncing 'delta' vs one syncing 'full', after an online client updated ${changedPerRound} of ${total.toLocaleString('en-US')} docs (1 %), ${pullRounds} rounds. pageSize 500. ${where}`,
        },
        {
          name: 'offline-delta-time',
          title: `Offline: pull after 1 % of ${total.toLocaleString('en-US')} docs changed, delta vs full (wall time)`,
          unit: 'ms',
          better: 'lower',
          portabase: pullMs.delta,
          rxdb: null,
          floor: pullMs.full,
          notes: `FLOOR = A FULL PULL. Wall time of app.sync.pull() (requests + memoryStore commits), same rounds as offline-delta-docs, order alternating. ${where}`,
        },
      ]
    } finally {
      await Promise.allSettled(clients.map((c) => c.dispose()))
      await server.stop()
    }
  },
}

function parseAdapter(server: ParseTestServer): Adapter {
  return parse({ serverURL: server.serverURL, appId: server.appId, javascriptKey: server.javascriptKey, liveQueryServerURL: false, transactions: false })
}

function docId(i: number): string {
  return `d${String(i).padStart(5, '0')}`
}

/** A memoryStore holding `writes` queued sets to `collection` (queued by a client whose network is off). */
async function queueOffline(collection: string, writes: number): Promise<LocalStore> {
  const store = memoryStore()
  const adapter = memory()
  const app = createClient({ adapter, offline: offline({ store, collections: { [collection]: {} }, retryDelayMs: NO_RETRY }) })
  try {
    await app.sync.waitForSync()
    adapter.network.goOffline()
    const docs = app.db.collection(collection)
    for (let start = 0; start < writes; start += MAX_BATCH_WRITES) {
      await app.db.batch((b) => {
        for (let i = start; i < Math.min(writes, start + MAX_BATCH_WRITES); i++) b.set(docs.doc(docId(i)), { i, label: `doc ${i}`, done: i % 3 === 0 })
      })
    }
    const { pending } = await firstValueFrom(app.sync.status$)
    if (pending !== writes) throw new Error(`queued ${pending} writes, expected ${writes}`)
  } finally {
    await app.dispose()
  }
  return store
}

/** A device on the Parse adapter that counts the records `sync.changes` returns. */
function countingDevice(server: ParseTestServer, collection: string, sync: 'delta' | 'full'): { app: PortabaseClient; readonly fetched: number } {
  const counted = countingChanges(parseAdapter(server))
  // online$ false: the engine starts no round by itself, so each pull() is the only one running.
  const app = createClient({ adapter: counted.adapter, online$: of(false), offline: offline({ store: memoryStore(), collections: { [collection]: { sync } } }) })
  return {
    app,
    get fetched() {
      return counted.fetched()
    },
  }
}

function scaleStats(s: Stats, k: number): Stats {
  return { median: s.median * k, min: s.min * k, max: s.max * k, mean: s.mean * k, runs: s.runs }
}

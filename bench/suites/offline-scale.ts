/**
 * Offline at scale (issue #14): a device holding 100,000 small todos, on each local store —
 * memoryStore, fileStore, and indexedDbStore THROUGH fake-indexeddb (an in-memory IndexedDB in
 * JavaScript, not a browser's: its figures say what the engine and the store's code cost, not what
 * a browser's disk does).
 *
 * Each store runs in a child process of its own (bench/lib/offline-scale-device.ts, bundled by
 * esbuild and run by plain node, as an app ships), so its peak RSS is its own. The child seeds a
 * memory backend (same process) with the todos, then:
 *   - initial pull: createClient → sync.waitForSync() on an empty store, delta sync; peak RSS of
 *     the process during it, less the harness's share (the seeded backend and the floors' data,
 *     measured after seeding: RSS then minus RSS at start);
 *   - offline (the memory network off), interleaved with floors measured in the same process:
 *     the top-20 query `where('done','==',false).orderBy('priority','desc').limit(20)` vs a plain
 *     single-pass top-k scan over an array of the same documents; 50 sequential awaited
 *     `update()`s and 1,000 concurrent ones (ms per write) vs one fsync'd (fdatasync) append of the
 *     same record; close (dispose), reopen a client on the same store, first query answered vs
 *     reading one JSON file of the same documents and JSON.parse-ing it: once as pulled, and once
 *     after the update figures, with their writes still queued.
 */
import { fork } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { DeviceReport, StoreKind } from '../lib/offline-scale-device.js'
import type { Measurement } from '../lib/figure.js'
import type { Stats } from '../lib/measure.js'
import type { Suite } from '../lib/suite.js'

const DOCS = 100_000
const KINDS: readonly StoreKind[] = ['fileStore', 'memoryStore', 'indexedDbStore']
const LABEL: Record<StoreKind, string> = { fileStore: 'fileStore', memoryStore: 'memoryStore', indexedDbStore: 'indexedDbStore (fake-indexeddb)' }
const PULL_BUDGET_MS = 1_500
const DEVICE = fileURLToPath(new URL('../lib/offline-scale-device.ts', import.meta.url))

export const offlineScale: Suite = {
  name: 'offline-scale',
  summary: 'offline device with 100,000 docs per store: initial pull + peak RSS, top-20 query, offline update() sequential / 1,000 concurrent, reopen + first query, each vs a floor',
  async run({ quick }) {
    const docs = quick ? 20_000 : DOCS
    const out: Measurement[] = []
    const scratch = await mkdtemp(join(tmpdir(), 'portabase-bench-device-'))
    try {
      const device = await bundleDevice(scratch)
      for (const kind of KINDS) {
        const r = await inChild(device, kind, docs, quick)
        out.push(...figures(r))
      }
    } finally {
      await rm(scratch, { recursive: true, force: true })
    }
    return out
  },
}

/**
 * The child as one JavaScript file, run by plain node, as an app ships: under tsx the process
 * starts at about 98 MB (the loader's compiler and caches) against 51 MB bundled, and that 47 MB is
 * the bench harness's, not the device's.
 */
async function bundleDevice(directory: string): Promise<string> {
  const outfile = join(directory, 'offline-scale-device.mjs')
  await build({
    entryPoints: [DEVICE],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    // CommonJS dependencies bundled into ESM still call require().
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  })
  return outfile
}

function inChild(device: string, kind: StoreKind, docs: number, quick: boolean): Promise<DeviceReport> {
  return new Promise((resolve, reject) => {
    const child = fork(device, [kind, String(docs), ...(quick ? ['--quick'] : [])], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    let report: DeviceReport | undefined
    child.on('message', (message) => (report = message as DeviceReport))
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 && report ? resolve(report) : reject(new Error(`offline-scale ${kind} failed (exit code ${code})`))))
  })
}

const one = (value: number): Stats => ({ median: value, min: value, max: value, mean: value, runs: 1 })

function figures(r: DeviceReport): Measurement[] {
  const label = LABEL[r.store]
  const n = `${r.docs / 1000}k`
  const slug = r.store === 'indexedDbStore' ? 'idb-fake' : r.store === 'fileStore' ? 'file' : 'memory'
  const jsonMb = r.jsonBytes / 2 ** 20
  const deviceRss = r.peakRssMb - r.harnessRssMb
  return [
    {
      name: `offline-scale-${slug}-pull`,
      title: `Offline ${label}: initial pull of ${n} docs from the memory backend (ms)`,
      unit: 'ms',
      better: 'lower',
      portabase: one(r.pullMs),
      rxdb: null,
      floor: one(PULL_BUDGET_MS),
      target: { against: 'floor', ratio: 1 },
      notes: `FLOOR = THE BUDGET OF ISSUE #14 (${PULL_BUDGET_MS} ms), not a measurement. createClient → sync.waitForSync() on an empty store, delta sync, one sample.`,
    },
    {
      name: `offline-scale-${slug}-rss`,
      title: `Offline ${label}: peak RSS during the initial pull of ${n} docs (MB)`,
      unit: 'MB' as Measurement['unit'],
      better: 'lower',
      portabase: one(deviceRss),
      rxdb: null,
      floor: one(2 * jsonMb + 100),
      target: { against: 'floor', ratio: 1 },
      notes: `FLOOR = 2 × the documents' JSON size (${jsonMb.toFixed(1)} MB) + 100 MB. Peak RSS of the process (${r.peakRssMb.toFixed(0)} MB, process.resourceUsage().maxRSS) less the harness's share (${r.harnessRssMb.toFixed(0)} MB: seeded backend + floors' data, RSS after seeding minus RSS at start).`,
    },
    {
      name: `offline-scale-${slug}-query`,
      title: `Offline ${label}: top-20 query on the device, ${n} docs (ms)`,
      unit: 'ms',
      better: 'lower',
      portabase: r.query,
      rxdb: null,
      floor: r.queryFloor,
      target: { against: 'floor', ratio: 0.3 },
      notes: `FLOOR = A PLAIN SINGLE-PASS TOP-K SCAN over an array of the same ${n} documents. where('done','==',false).orderBy('priority','desc').limit(20).get() offline; interleaved samples.`,
    },
    {
      name: `offline-scale-${slug}-update`,
      title: `Offline ${label}: sequential awaited update(), per write (ms)`,
      unit: 'ms',
      better: 'lower',
      portabase: r.sequential,
      rxdb: null,
      floor: r.appendFloor,
      target: { against: 'floor', ratio: 5 },
      notes: `FLOOR = ONE fdatasync'd APPEND of the same record (the queued write; its base is the document's row, stored by reference). 50 awaited update({ score }) per sample, network off; interleaved samples.`,
    },
    {
      name: `offline-scale-${slug}-update-1000`,
      title: `Offline ${label}: 1,000 concurrent update(), per write (ms)`,
      unit: 'ms',
      better: 'lower',
      portabase: r.concurrent,
      rxdb: null,
      floor: r.appendFloor,
      target: { against: 'floor', ratio: 2 },
      notes: `FLOOR = ONE fdatasync'd APPEND of the same record. Wall time of Promise.all of 1,000 update({ score }) / 1,000, network off; interleaved samples.`,
    },
    {
      name: `offline-scale-${slug}-reopen-pulled`,
      title: `Offline ${label}: close, reopen, first query, ${n} docs as pulled (ms)`,
      unit: 'ms',
      better: 'lower',
      portabase: r.reopenPulled,
      rxdb: null,
      floor: r.reopenPulledFloor,
      target: { against: 'floor', ratio: 3 },
      notes: `FLOOR = readFile + JSON.parse of one file holding the same ${n} documents (${jsonMb.toFixed(1)} MB). Right after the pull, no writes queued: a new client on the same store (network off) until its first top-20 query answers; interleaved samples.`,
    },
    {
      name: `offline-scale-${slug}-reopen`,
      title: `Offline ${label}: close, reopen, first query, ${n} docs + ${r.queuedWrites.toLocaleString('en-US')} queued writes (ms)`,
      unit: 'ms',
      better: 'lower',
      portabase: r.reopen,
      rxdb: null,
      floor: r.reopenFloor,
      target: { against: 'floor', ratio: 3 },
      notes: `FLOOR = readFile + JSON.parse of one file holding the same ${n} documents (${jsonMb.toFixed(1)} MB), without the queued writes. After the update figures: their ${r.queuedWrites.toLocaleString('en-US')} writes are still queued (network off), each based on its document's row, and are read and laid over the documents at reopen; interleaved samples.`,
    },
  ]
}

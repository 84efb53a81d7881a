/**
 * Migrate — documents per second moved memory → Parse by `portabase migrate` (src/migrate: pages
 * read from a memory backend, written with the master key in /batch requests of 50, a durable
 * checkpoint after every page), next to Parse's own bulk write: `Parse.Object.saveAll` (the
 * parse/node SDK, batches of 20, its default) of the same documents with client-set ids, on the
 * same Parse Server (PGlite, test/backends/parse/server.ts) in the same run.
 *
 * A sample moves DOCS documents into a fresh class on each side (creates, no replaces); the two
 * sides are sampled in interleaved rounds. Peak RSS of this process during the migrate samples is
 * in the notes (the bounded-memory check at 1M documents is test/migrate/memory-bound.test.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import ParseSDK from 'parse/node'
import { memory } from '../../adapters/memory/index.js'
import { generateId } from '../../src/index.js'
import { openEndpoint } from '../../src/migrate/config.js'
import { memoryEndpoint } from '../../src/migrate/endpoints/memory.js'
import { migrate } from '../../src/migrate/run.js'
import { startParseServer } from '../../test/backends/parse/server.js'
import { makeTodos } from '../datasets.js'
import type { Measurement } from '../lib/figure.js'
import { interleaved, now, scaled, toOpsPerSecond } from '../lib/measure.js'
import type { Suite } from '../lib/suite.js'

const Parse = ParseSDK as unknown as typeof ParseSDK.default

/** Documents per sample. */
const DOCS = 2_000
const PAGE_SIZE = 500

export const migrateSuite: Suite = {
  name: 'migrate',
  summary: `portabase migrate memory → Parse vs Parse.Object.saveAll, ${DOCS.toLocaleString('en-US')} documents per sample`,
  async run({ quick, log }) {
    const warmup = 1
    const runs = scaled(6, quick)
    const rows = makeTodos(DOCS, 7).map(({ id, data }) => ({ id, data: { title: data.title, done: data.done, priority: data.priority, created: data.createdAt, score: data.score } }))

    const started = now()
    const server = await startParseServer()
    log(`  Parse Server (PGlite) up in ${((now() - started) / 1000).toFixed(1)} s at ${server.serverURL}`)
    Parse.initialize(server.appId, server.javascriptKey, server.masterKey)
    Parse.serverURL = server.serverURL
    Parse.allowCustomObjectId = true
    const source = memory()
    source.backend.seed('bench', Object.fromEntries(rows.map((r) => [r.id, r.data])))
    const dir = await mkdtemp(path.join(tmpdir(), 'portabase-bench-migrate-'))
    const run = generateId(4)
    let peakRss = process.memoryUsage.rss()
    try {
      const pair = await interleaved(
        { warmup, runs },
        {
          portabase: {
            once: async (round) => {
              const to = await openEndpoint({ adapter: 'parse', options: { serverURL: server.serverURL, appId: server.appId, masterKey: server.masterKey } }, 'target')
              // The memory source names the collection; a per-round class on Parse, through a renaming endpoint.
              const cls = `Mig${run}_${round}`
              const target = { ...to, documents: { ...to.documents, writePage: (_: string, docs: Parameters<NonNullable<typeof to.documents.writePage>>[1]) => to.documents.writePage!(cls, docs) } }
              const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20)
              const start = now()
              const report = await migrate({ from: memoryEndpoint(source), to: target, selection: { collections: ['bench'], storagePrefixes: [], configKeys: null, users: false }, pageSize: PAGE_SIZE, checkpoint: path.join(dir, `cp-${round}.json`) })
              const ms = now() - start
              clearInterval(sampler)
              await to.close()
              if (report.collections[0]!.written !== DOCS) throw new Error(`migrate wrote ${report.collections[0]!.written} of ${DOCS}`)
              return ms
            },
          },
          saveAll: {
            once: async (round) => {
              const cls = `Sav${run}_${round}`
              const objects = rows.map(({ id, data }) => {
                const object = new Parse.Object(cls, data)
                object.id = id
                return object
              })
              const start = now()
              await Parse.Object.saveAll(objects, { useMasterKey: true })
              return now() - start
            },
          },
        },
      )
      const portabase = toOpsPerSecond(pair.portabase, DOCS)
      const saveAll = toOpsPerSecond(pair.saveAll, DOCS)
      const rssMb = Math.round(peakRss / 2 ** 20)
      log(`  migrate ${Math.round(portabase.median)} docs/s, saveAll ${Math.round(saveAll.median)} docs/s, ratio ${(portabase.median / saveAll.median).toFixed(3)}, peak RSS ${rssMb} MB`)
      return [
        {
          name: 'migrate-memory-to-parse',
          title: `Migrate memory → Parse: documents/s (${DOCS.toLocaleString('en-US')} per sample)`,
          unit: 'ops/s',
          better: 'higher',
          portabase,
          rxdb: null,
          floor: saveAll,
          target: { against: 'floor', ratio: 0.8 },
          notes: `portabase migrate (page ${PAGE_SIZE}, master-key /batch of 50, checkpoint fsynced per page) vs FLOOR = Parse.Object.saveAll (parse/node, master key, batches of 20), same ${DOCS} documents with client-set ids into a fresh class per sample, same Parse Server (PGlite, child process), interleaved rounds, ${warmup} warm-up round dropped. Peak RSS of the bench process during migrate samples: ${rssMb} MB.`,
        } satisfies Measurement,
      ]
    } finally {
      await source.dispose()
      await server.stop()
      await rm(dir, { recursive: true, force: true })
    }
  },
}

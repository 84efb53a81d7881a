/**
 * Parse overhead — portabase on the Parse adapter vs direct `parse/node` SDK calls, on one Parse
 * Server (PGlite, test/backends/parse/server.ts), in one process sharing the one SDK global.
 * Three figures, in ms per 1,000 awaited calls one after another. A sample is 50 calls (scaled ×20);
 * portabase and the SDK are sampled in interleaved rounds (starting side rotating), so load on this
 * shared VM hits both alike, and each side makes ≥ 1,000 measured calls per figure:
 *
 * - create: `todos.add(data)` vs `new Parse.Object(cls, data)` with a client-set `id` + `save()`
 *   (`Parse.allowCustomObjectId`, so both send one `POST classes/C` with `objectId`);
 * - get: `todos.doc(id).get()` vs `new Parse.Query(cls).get(id)`, the same ids on both sides;
 * - query: `where('owner','==',o).limit(20).get()` vs `equalTo('owner',o).ascending('objectId')
 *   .limit(20).find()` (portabase always orders by id, so the SDK query asks for the same order
 *   and the server does the same work).
 *
 * Both sides are signed out and use one class, so reads return the same rows. The column is the
 * `floor` of the figure model: for this suite the floor is the direct Parse SDK. Warm-up rounds
 * (thrown away) cover the SDK's and the adapter's one-time work: class creation, the adapter's
 * field-type probe, JIT.
 */
import ParseSDK from 'parse/node'
import { parse } from '../../adapters/parse/index.js'
import { createClient, generateId } from '../../src/index.js'
import { startParseServer } from '../../test/backends/parse/server.js'
import { makeTodos, prng, shuffle } from '../datasets.js'
import type { Measurement } from '../lib/figure.js'
import { interleaved, now, scaled, type Contender, type Stats } from '../lib/measure.js'
import type { Suite } from '../lib/suite.js'

// parse/node's types declare the module as a namespace (`export =`); at run time the module is the
// Parse object, which the types call its `default` (as in test/backends/parse/server.test.ts).
const Parse = ParseSDK as unknown as typeof ParseSDK.default

/** Figures are ms per OPS calls. */
const OPS = 1_000
/** Calls per sample: short samples, many rounds, so interleaving spreads load spikes over both sides. */
const CHUNK = 50
const PER_OPS = OPS / CHUNK
const CLASS = 'BenchTodo'

/** The todo shape without `createdAt` (a name Parse reserves, which the adapter would rename). */
interface ParseTodo {
  title: string
  done: boolean
  priority: number
  created: number
  score: number
  owner: string
}

export const parseOverhead: Suite = {
  name: 'parse-overhead',
  summary: 'portabase parse adapter vs direct parse/node SDK on one Parse Server: create, get, query (1,000 each)',
  async run({ quick, log }) {
    const warmup = 1
    const runs = { create: scaled(40, quick), get: scaled(40, quick), query: scaled(28, quick) }
    const rounds = warmup + Math.max(runs.create, runs.get, runs.query)
    // Every create round writes CHUNK documents per side, each with its own data (same rows on both sides).
    const rows = makeTodos(CHUNK * rounds, 3).map(({ data }, i): ParseTodo => ({
      title: data.title,
      done: data.done,
      priority: data.priority,
      created: data.createdAt,
      score: data.score,
      owner: `user${i % 10}`, // 10 owners: every owner has ≥ 20 documents after the first rounds
    }))
    const batchOf = (round: number): ParseTodo[] => rows.slice((round % rounds) * CHUNK, (round % rounds + 1) * CHUNK)

    const started = now()
    const server = await startParseServer()
    log(`  Parse Server (PGlite) up in ${((now() - started) / 1000).toFixed(1)} s at ${server.serverURL}`)
    // The app's own SDK set-up; the adapter finds the SDK initialized and checks it is the same app and server.
    Parse.initialize(server.appId, server.javascriptKey)
    Parse.serverURL = server.serverURL
    Parse.allowCustomObjectId = true
    const app = createClient({
      adapter: parse({
        Parse,
        serverURL: server.serverURL,
        appId: server.appId,
        javascriptKey: server.javascriptKey,
        liveQueryServerURL: server.liveQueryServerURL,
        transactions: false, // PGlite (see adapters/parse/README.md); no batch is measured here
      }),
    })
    const todos = app.db.collection<ParseTodo>(CLASS)
    const cpu = { create: new CpuMeter(warmup), get: new CpuMeter(warmup), query: new CpuMeter(warmup) }
    try {
      // ---- create
      const pbIds: string[] = []
      const created = await interleaved(
        { warmup, runs: runs.create },
        cpu.create.wrap({
          portabase: {
            once: async (round) => {
              const batch = batchOf(round)
              const ids: string[] = []
              const start = now()
              for (const data of batch) ids.push((await todos.add(data)).id)
              const ms = now() - start
              pbIds.push(...ids)
              return ms
            },
          },
          sdk: {
            once: async (round) => {
              const batch = batchOf(round)
              const start = now()
              for (const data of batch) {
                const object = new Parse.Object(CLASS, data)
                object.id = generateId()
                await object.save()
              }
              return now() - start
            },
          },
        }),
      )
      log(`  create   portabase ${ms(created.portabase)}  sdk ${ms(created.sdk)}  ratio ${(created.portabase.median / created.sdk.median).toFixed(3)}; client CPU ${cpu.create.describe()}`)

      // ---- get: the same ids (written by portabase) on both sides, a fresh set each round.
      const orders = Array.from({ length: rounds }, (_, i) => shuffle([...pbIds], prng(500 + i)).slice(0, CHUNK))
      const got = await interleaved(
        { warmup, runs: runs.get },
        cpu.get.wrap({
          portabase: {
            once: async (round) => {
              const ids = orders[round % rounds]!
              const start = now()
              for (const id of ids) if ((await todos.doc(id).get()) === null) throw new Error(`portabase lost ${id}`)
              return now() - start
            },
          },
          sdk: {
            once: async (round) => {
              const ids = orders[round % rounds]!
              const start = now()
              for (const id of ids) await new Parse.Query(CLASS).get(id) // rejects when missing
              return now() - start
            },
          },
        }),
      )
      log(`  get      portabase ${ms(got.portabase)}  sdk ${ms(got.sdk)}  ratio ${(got.portabase.median / got.sdk.median).toFixed(3)}; client CPU ${cpu.get.describe()}`)

      // ---- query: owner == o, 20 results, ordered by id; the owners cycle over the 10 in the data.
      const owners = Array.from({ length: CHUNK }, (_, i) => `user${(i * 3) % 10}`)
      // Both sides must return the same 20 documents.
      const sampleOwner = owners[0]!
      const pbFirst = (await todos.where('owner', '==', sampleOwner).limit(20).get()).docs.map((d) => d.id)
      const sdkFirst = (await new Parse.Query(CLASS).equalTo('owner', sampleOwner).ascending('objectId').limit(20).find()).map((o) => o.id)
      if (pbFirst.length !== 20 || pbFirst.join() !== sdkFirst.join()) throw new Error(`portabase and the SDK disagree on the query result: ${pbFirst.join()} vs ${sdkFirst.join()}`)
      const queried = await interleaved(
        { warmup, runs: runs.query },
        cpu.query.wrap({
          portabase: {
            once: async () => {
              const start = now()
              for (const owner of owners) {
                const snap = await todos.where('owner', '==', owner).limit(20).get()
                if (snap.docs.length !== 20) throw new Error(`portabase query for ${owner}: ${snap.docs.length} docs`)
              }
              return now() - start
            },
          },
          sdk: {
            once: async () => {
              const start = now()
              for (const owner of owners) {
                const found = await new Parse.Query(CLASS).equalTo('owner', owner).ascending('objectId').limit(20).find()
                if (found.length !== 20) throw new Error(`SDK query for ${owner}: ${found.length} objects`)
              }
              return now() - start
            },
          },
        }),
      )
      log(`  query    portabase ${ms(queried.portabase)}  sdk ${ms(queried.sdk)}  ratio ${(queried.portabase.median / queried.sdk.median).toFixed(3)}; client CPU ${cpu.query.describe()}`)

      const common = `ms per ${OPS.toLocaleString('en-US')} awaited calls one after another (samples of ${CHUNK} calls ×${PER_OPS}). FLOOR = THE DIRECT parse/node SDK (not a plain-JS floor): same process and SDK global, same Parse Server (PGlite, child process), same class, both signed out. portabase and SDK samples interleaved in rounds, ${warmup} warm-up round dropped: steady state (class created, adapter field types known).`
      const figure = (name: string, title: string, pair: { portabase: Stats; sdk: Stats }, meter: CpuMeter, how: string): Measurement => ({
        name,
        title,
        unit: 'ms',
        better: 'lower',
        portabase: perOps(pair.portabase),
        rxdb: null,
        floor: perOps(pair.sdk),
        target: { against: 'floor', ratio: 1.05 },
        notes: `${how} ${common} Client-process CPU (user+system) per 1,000 calls: ${meter.describe()}.`,
      })
      return [
        figure(
          'parse-create',
          'Parse: create 1,000 docs, portabase vs direct SDK',
          created,
          cpu.create,
          'todos.add(data) vs new Parse.Object(cls, data) with a client-set id + save() (one POST with objectId each; portabase also writes pb_v and pb_nulls).',
        ),
        figure('parse-get', 'Parse: get 1,000 docs by id, portabase vs direct SDK', got, cpu.get, 'doc(id).get() vs new Parse.Query(cls).get(id), the same ids (portabase-written) on both sides in each round.'),
        figure(
          'parse-query',
          'Parse: query owner == x limit 20, 1,000 times, portabase vs direct SDK',
          queried,
          cpu.query,
          `where('owner','==',x).limit(20).get() vs equalTo('owner',x).ascending('objectId').limit(20).find() (portabase always orders by id), 20 results each, class of ${(2 * CHUNK * (warmup + runs.create)).toLocaleString('en-US')} docs, no index on owner.`,
        ),
      ]
    } finally {
      await app.dispose()
      await server.stop()
    }
  },
}

/** Durations of CHUNK calls → durations of OPS calls. */
function perOps(s: Stats): Stats {
  return { median: s.median * PER_OPS, min: s.min * PER_OPS, max: s.max * PER_OPS, mean: s.mean * PER_OPS, runs: s.runs }
}

function ms(s: Stats): string {
  return `${perOps(s).median.toFixed(0)} ms/${OPS}`
}

/**
 * CPU time of this (client) process per contender, over the measured rounds only: the server runs
 * in another process, so this is what each client itself spends, whatever the load on the machine.
 */
class CpuMeter {
  private readonly micros = new Map<string, number>()
  private readonly calls = new Map<string, number>()

  constructor(private readonly warmup: number) {}

  wrap<K extends string>(contenders: Record<K, Contender>): Record<K, Contender> {
    const out = {} as Record<K, Contender>
    for (const name of Object.keys(contenders) as K[]) {
      const inner = contenders[name]
      out[name] = {
        ...inner,
        once: async (round) => {
          const before = process.cpuUsage()
          const ms = await inner.once(round)
          const used = process.cpuUsage(before)
          if (round >= this.warmup) {
            this.micros.set(name, (this.micros.get(name) ?? 0) + used.user + used.system)
            this.calls.set(name, (this.calls.get(name) ?? 0) + CHUNK)
          }
          return ms
        },
      }
    }
    return out
  }

  /** CPU ms per OPS calls of one contender. */
  perOps(name: string): number {
    return ((this.micros.get(name) ?? 0) / 1000 / (this.calls.get(name) ?? 1)) * OPS
  }

  describe(): string {
    return `portabase ${this.perOps('portabase').toFixed(0)} ms, SDK ${this.perOps('sdk').toFixed(0)} ms`
  }
}

/**
 * Cost of a 5-link chain per operation: the same reads through a client with
 * `[log({ logger: () => {} }), metrics(), retry(), timeout(10_000), dedupe()]` and through a client
 * without links (or with the links' bookkeeping inline), in one process, sampled in interleaved
 * rounds. No RxDB column. Targets (issue #15, item 9):
 *
 * (a) point reads on memory: `doc(id).get()`, every id of 10k once per sample, shuffled, one awaited
 *     read after another — unit: ms per sample of 10,000 reads. The floor is the same reads with the
 *     five links' per-call bookkeeping written inline (bench/lib/inline-chain.ts). Target ≤ 1.3× that
 *     floor. Caveat (bench/RESULTS.md): the floor's dedupe part sets and deletes in a Map that empties
 *     on every read, which V8 makes cost ≈ 0.5 µs; dedupe() itself no longer does, so this floor
 *     overstates the least the chain can cost.
 * (e) point reads on a real Parse Server (test/backends/parse: PGlite, a child process, HTTP on
 *     loopback), chain vs no links — unit: ms per 200 reads (a sample: the round's median read ×
 *     200), paired read by read (each id through both clients back to back). Target ≤ 1.03×: on
 *     an operation that waits for a server, the chain must not show.
 * Context, no target: (b) the top-20 query of query-top20 over 10k docs on memory, chain vs no
 * links, after an untimed write to a `done` doc — unit: ms per query; (d) the inline bookkeeping
 * vs no links at all; (c) point reads over a simulated 1 ms round trip (the memory adapter's
 * latency, a timer per read) — unit: ms per sample of 200 reads, on two more clients.
 */
import { memory } from '../../adapters/memory/index.js'
import { parse } from '../../adapters/parse/index.js'
import { startParseServer } from '../../test/backends/parse/server.js'
import { createClient, dedupe, log, metrics, retry, timeout, type CollectionRef, type Link, type PortabaseClient } from '../../src/index.js'
import { makeTodos, prng, shuffle, type Todo } from '../datasets.js'
import { collectGarbage, interleaved, now, pairedRounds, scaled, stats, type Stats } from '../lib/measure.js'
import { inlineChainRead } from '../lib/inline-chain.js'
import { batchWrite } from '../lib/portabase.js'
import type { Suite } from '../lib/suite.js'

const DOCS = 10_000
const LIMIT = 20
const LATENCY_MS = 1
const REMOTE_READS = 200
const PARSE_READS = 200

const chain = (): Link[] => [log({ logger: () => {} }), metrics(), retry(), timeout(10_000), dedupe()]

export const linksChain: Suite = {
  name: 'links-chain',
  summary: '5-link chain (log, metrics, retry, timeout, dedupe): point reads on memory vs the bookkeeping inline, and on a real Parse Server vs no links; context: top-20 query, 1 ms simulated round trip',
  async run({ quick, log: progress }) {
    const rows = makeTodos(DOCS, 5)
    const ids = rows.map((r) => r.id)
    const orders = Array.from({ length: 16 }, (_, i) => shuffle([...ids], prng(2000 + i)))

    const first = memory()
    const plainApp = createClient({ adapter: first })
    const chainApp = createClient({ adapter: memory({ backend: first.backend }), links: chain() })
    const open = (app: PortabaseClient): { app: PortabaseClient; todos: CollectionRef<Todo>; close: () => Promise<void> } => ({
      app,
      todos: app.db.collection<Todo>('todos'),
      close: () => app.dispose(),
    })
    const plain = open(plainApp)
    const chained = open(chainApp)
    await batchWrite(plain, rows)
    collectGarbage()

    const reads = (todos: CollectionRef<Todo>) => async (i: number): Promise<number> => {
      const list = orders[i % orders.length]!
      const start = now()
      for (const id of list) {
        if ((await todos.doc(id).get()) === null) throw new Error(`lost ${id}`)
      }
      return now() - start
    }
    // (d) the five links' bookkeeping inline around the plain client's read: what any chain must cost at least.
    const inlineRead = inlineChainRead((id) => plain.todos.doc(id).get(), () => {})
    const inlineReads = async (i: number): Promise<number> => {
      const list = orders[i % orders.length]!
      const start = now()
      for (const id of list) {
        if ((await inlineRead(id)) === null) throw new Error(`lost ${id}`)
      }
      return now() - start
    }
    const point = await interleaved(
      { warmup: 3, runs: scaled(21, quick) },
      { chain: { once: reads(chained.todos) }, none: { once: reads(plain.todos) }, inline: { once: inlineReads } },
    )
    progress(`  point reads: chain ${point.chain.median.toFixed(2)} ms, none ${point.none.median.toFixed(2)} ms, inline bookkeeping ${point.inline.median.toFixed(2)} ms per ${DOCS.toLocaleString('en-US')} reads`)
    collectGarbage()

    const touched = rows.find((r) => r.data.done)!
    const query = (todos: CollectionRef<Todo>) => async (i: number): Promise<number> => {
      await todos.doc(touched.id).set({ ...touched.data, title: `touched ${i}` })
      const start = now()
      const page = await todos.where('done', '==', false).orderBy('priority', 'desc').orderBy('createdAt', 'asc').limit(LIMIT).get()
      const ms = now() - start
      if (page.docs.length !== LIMIT) throw new Error('short page')
      return ms
    }
    const top = await interleaved({ warmup: 5, runs: scaled(61, quick) }, { chain: { once: query(chained.todos) }, none: { once: query(plain.todos) } })
    progress(`  top-20 query: chain ${top.chain.median.toFixed(3)} ms, none ${top.none.median.toFixed(3)} ms`)

    // (c) The same chain on reads that wait for a (simulated) network, as real adapters do.
    collectGarbage()
    const slowPlain = memory({ backend: first.backend })
    const slowChained = memory({ backend: first.backend })
    slowPlain.network.latencyMs = LATENCY_MS
    slowChained.network.latencyMs = LATENCY_MS
    const remote = { chain: open(createClient({ adapter: slowChained, links: chain() })), none: open(createClient({ adapter: slowPlain })) }
    const remoteReads = (todos: CollectionRef<Todo>) => async (i: number): Promise<number> => {
      const list = orders[i % orders.length]!
      const start = now()
      for (let k = 0; k < REMOTE_READS; k++) {
        if ((await todos.doc(list[k]!).get()) === null) throw new Error(`lost ${list[k]}`)
      }
      return now() - start
    }
    const far = await interleaved({ warmup: 1, runs: scaled(11, quick) }, { chain: { once: remoteReads(remote.chain.todos) }, none: { once: remoteReads(remote.none.todos) } })
    progress(`  point reads over ${LATENCY_MS} ms: chain ${far.chain.median.toFixed(1)} ms, none ${far.none.median.toFixed(1)} ms per ${REMOTE_READS} reads`)
    await remote.chain.close()
    await remote.none.close()

    await chained.close()
    await plain.close()

    // (e) A real round trip: Parse Server in a child process.
    collectGarbage()
    const server = await startParseServer()
    const onParse = () => parse({ serverURL: server.serverURL, appId: server.appId, javascriptKey: server.javascriptKey, liveQueryServerURL: false })
    const parseApps = { chain: open(createClient({ adapter: onParse(), links: chain() })), none: open(createClient({ adapter: onParse() })) }
    let parsed: Record<'chain' | 'none', Stats>
    try {
      const parseIds = ids.slice(0, PARSE_READS)
      await batchWrite(parseApps.none, rows.slice(0, PARSE_READS))
      // Paired at the grain of one read: each id is read through both clients back to back, the
      // first of the two alternating, and each read is timed. A server's drift (its GC, PGlite's
      // checkpoints, neighbours on the machine) lasts longer than a pair, so it falls on both sides
      // alike; rounds of 200 reads per client (the old design) left ±10 % between medians.
      // A sample is the round's MEDIAN read × 200: one read stalled by a GC pause or a PGlite
      // checkpoint (tens of ms) would otherwise move a 400 ms sum by several per cent on its own.
      const pairedReads = async (i: number): Promise<Record<'chain' | 'none', number>> => {
        const list = shuffle([...parseIds], prng(3000 + i))
        const times = { chain: [] as number[], none: [] as number[] }
        for (const [k, id] of list.entries()) {
          for (const side of k % 2 === 0 ? (['chain', 'none'] as const) : (['none', 'chain'] as const)) {
            const start = now()
            if ((await parseApps[side].todos.doc(id).get()) === null) throw new Error(`lost ${id} on Parse`)
            times[side].push(now() - start)
          }
        }
        return { chain: stats(times.chain).median * PARSE_READS, none: stats(times.none).median * PARSE_READS }
      }
      parsed = await pairedRounds({ warmup: 1, runs: scaled(21, quick) }, pairedReads)
      progress(`  point reads on Parse: chain ${parsed.chain.median.toFixed(1)} ms, none ${parsed.none.median.toFixed(1)} ms per ${PARSE_READS} reads`)
    } finally {
      await parseApps.chain.close()
      await parseApps.none.close()
      await server.stop()
    }

    const linksOnly = 'Links: log({ logger: () => {} }) (no-op logger), metrics(), retry(), timeout(10_000), dedupe().'
    const links = 'Links: log({ logger: () => {} }) (no-op logger), metrics(), retry(), timeout(10_000), dedupe(). Floor column = the same client WITHOUT links (same process, same memory backend, interleaved rounds); no RxDB column.'
    return [
      {
        name: 'links-chain-point-reads',
        title: "5-link chain vs the links' bookkeeping inline — point reads, memory, 10k docs (ms per 10,000 reads)",
        unit: 'ms',
        better: 'lower',
        portabase: point.chain,
        rxdb: null,
        floor: point.inline,
        target: { against: 'floor', ratio: 1.3 },
        notes: `${linksOnly} Floor column = the same reads with the five links' bookkeeping written inline around the client without links (bench/lib/inline-chain.ts), same process and backend, interleaved rounds. Each sample reads every id once, shuffled, one awaited doc(id).get() after another.`,
      },
      {
        name: 'links-chain-query-top20',
        title: '5-link chain vs no links — top-20 query, 10k docs (ms per query)',
        unit: 'ms',
        better: 'lower',
        portabase: top.chain,
        rxdb: null,
        floor: top.none,
        notes: `${links} Context, no target. done==false, priority desc, createdAt asc, limit 20; one get() per sample after an untimed set() of a done doc.`,
      },
      {
        name: 'links-chain-point-reads-inline-floor',
        title: "5 links' bookkeeping written inline vs no links — point reads, 10k docs (ms per 10,000 reads)",
        unit: 'ms',
        better: 'lower',
        portabase: point.inline,
        rxdb: null,
        floor: point.none,
        notes:
          "Context, no target: bench/lib/inline-chain.ts does the per-call work the five links require (log entry and message, metrics histogram for the series and the total, a deadline node, a dedupe key compared with the one flight in a slot, as dedupe() does for sequential reads) inline in one async wrapper around the plain client's read, with no link functions, no promise per link and two clock reads in all. Measured in the same interleaved rounds as (a).",
      },
      {
        name: 'links-chain-point-reads-1ms',
        title: `5-link chain vs no links — point reads over a simulated ${LATENCY_MS} ms round trip (ms per ${REMOTE_READS} reads)`,
        unit: 'ms',
        better: 'lower',
        portabase: far.chain,
        rxdb: null,
        floor: far.none,
        notes: `${links} Context, no target: the memory adapter with latencyMs = ${LATENCY_MS} (a timer before each read, as a network would wait), ${REMOTE_READS} awaited doc(id).get() per sample, two more clients on the same backend.`,
      },
      {
        name: 'links-chain-point-reads-parse',
        title: `5-link chain vs no links — point reads on a real Parse Server (ms per ${PARSE_READS} reads)`,
        unit: 'ms',
        better: 'lower',
        portabase: parsed.chain,
        rxdb: null,
        floor: parsed.none,
        target: { against: 'floor', ratio: 1.03 },
        notes: `${linksOnly} Floor column = the same client WITHOUT links, on a second Parse adapter to the same server; no RxDB column. Parse Server 8 on PGlite in a child process (test/backends/parse), HTTP on loopback, no LiveQuery; ${PARSE_READS} documents, each sample reads each once per client, shuffled, one awaited doc(id).get() after another, PAIRED: each id through both clients back to back (which goes first alternates), each read timed, a sample = each client's MEDIAN read of the round × 200 (robust to single stalled reads).`,
      },
    ]
  },
}

/**
 * Cost of a 5-link chain per operation on the memory adapter: the same reads through a client with
 * `[log({ logger: () => {} }), metrics(), retry(), timeout(10_000), dedupe()]` and through a client
 * with no links, in one process, over one shared memory backend, sampled in interleaved rounds.
 * The `floor` column is the client WITHOUT links (not a plain-JS floor); there is no RxDB column.
 *
 * (a) point reads: `doc(id).get()`, every id of 10k once per sample, shuffled, one awaited read after
 *     another — unit: ms per sample of 10,000 reads;
 * (b) the top-20 query of query-top20 over 10k docs, after an untimed write to a `done` doc (through
 *     the same client) — unit: ms per query.
 */
import { memory } from '../../adapters/memory/index.js'
import { createClient, dedupe, log, metrics, retry, timeout, type CollectionRef, type Link, type PortabaseClient } from '../../src/index.js'
import { makeTodos, prng, shuffle, type Todo } from '../datasets.js'
import { collectGarbage, interleaved, now, scaled } from '../lib/measure.js'
import { batchWrite } from '../lib/portabase.js'
import type { Suite } from '../lib/suite.js'

const DOCS = 10_000
const LIMIT = 20

const chain = (): Link[] => [log({ logger: () => {} }), metrics(), retry(), timeout(10_000), dedupe()]

export const linksChain: Suite = {
  name: 'links-chain',
  summary: '5-link chain (log, metrics, retry, timeout, dedupe) vs no links: point reads and top-20 query, memory, 10k docs',
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
    const point = await interleaved({ warmup: 3, runs: scaled(21, quick) }, { chain: { once: reads(chained.todos) }, none: { once: reads(plain.todos) } })
    progress(`  point reads: chain ${point.chain.median.toFixed(2)} ms, none ${point.none.median.toFixed(2)} ms per ${DOCS.toLocaleString('en-US')} reads`)
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

    await chained.close()
    await plain.close()

    const links = 'Links: log({ logger: () => {} }) (no-op logger), metrics(), retry(), timeout(10_000), dedupe(). Floor column = the same client WITHOUT links (same process, same memory backend, interleaved rounds); no RxDB column.'
    return [
      {
        name: 'links-chain-point-reads',
        title: '5-link chain vs no links — point reads, 10k docs (ms per 10,000 reads)',
        unit: 'ms',
        better: 'lower',
        portabase: point.chain,
        rxdb: null,
        floor: point.none,
        target: { against: 'floor', ratio: 1.1 },
        notes: `${links} Each sample reads every id once, shuffled, one awaited doc(id).get() after another.`,
      },
      {
        name: 'links-chain-query-top20',
        title: '5-link chain vs no links — top-20 query, 10k docs (ms per query)',
        unit: 'ms',
        better: 'lower',
        portabase: top.chain,
        rxdb: null,
        floor: top.none,
        target: { against: 'floor', ratio: 1.1 },
        notes: `${links} done==false, priority desc, createdAt asc, limit 20; one get() per sample after an untimed set() of a done doc.`,
      },
    ]
  },
}

/**
 * Figure 1 — point reads: `todos.doc(id).get()` vs RxDB `findOne(id).exec()` vs `Map.get`.
 * 10k documents; each sample reads every id once, in a fresh pseudo-random order, one awaited
 * read after another (what an app does when it resolves references one by one).
 */
import { makeTodos, prng, shuffle, type FlatTodo } from '../datasets.js'
import { collectGarbage, now, sample, scaled, settle, toOpsPerSecond, type Stats } from '../lib/measure.js'
import { batchWrite, openPortabase } from '../lib/portabase.js'
import { fillRxdb, openRxdb } from '../lib/rxdb.js'
import type { Suite } from '../lib/suite.js'

const DOCS = 10_000

export const pointReads: Suite = {
  name: 'point-reads',
  summary: 'doc(id).get() vs RxDB findOne(id).exec() vs Map.get, 10k docs',
  async run({ quick, log }) {
    const rows = makeTodos(DOCS, 1)
    const ids = rows.map((r) => r.id)
    const orders = Array.from({ length: 40 }, (_, i) => shuffle([...ids], prng(1000 + i)))
    const order = (i: number): string[] => orders[i % orders.length]!
    const runs = scaled(15, quick)

    // portabase
    const pb = openPortabase()
    await batchWrite(pb, rows)
    const pbMs = await sample({ warmup: 3, runs }, async (i) => {
      const list = order(i)
      const start = now()
      for (const id of list) {
        const doc = await pb.todos.doc(id).get()
        if (doc === null) throw new Error(`portabase lost ${id}`)
      }
      return now() - start
    })
    await pb.close()
    log(`  portabase ${fmtRate(pbMs)}`)
    collectGarbage()

    // RxDB
    const rx = await openRxdb()
    await fillRxdb(rx.todos, rows)
    const rxMs = await sample({ warmup: 3, runs }, async (i) => {
      // Idle time lets RxDB's query-cache replacement run between samples, as between app events.
      await settle(5)
      const list = order(i)
      const start = now()
      for (const id of list) {
        const doc = await rx.todos.findOne(id).exec()
        if (doc === null) throw new Error(`RxDB lost ${id}`)
      }
      return now() - start
    })
    await rx.close()
    log(`  rxdb      ${fmtRate(rxMs)}`)
    collectGarbage()

    // Floor: a Map behind an async function (the cheapest async point read), and the sync rate for reference.
    const map = new Map<string, FlatTodo>(rows.map((r) => [r.id, { id: r.id, ...r.data }]))
    const get = async (id: string): Promise<FlatTodo | null> => map.get(id) ?? null
    const floorMs = await sample({ warmup: 3, runs }, async (i) => {
      const list = order(i)
      const start = now()
      for (const id of list) {
        if ((await get(id)) === null) throw new Error('floor lost a doc')
      }
      return now() - start
    })
    let sink = 0
    const syncMs = await sample({ warmup: 3, runs }, (i) => {
      const list = order(i)
      const start = now()
      for (const id of list) if (map.get(id) !== undefined) sink++
      return now() - start
    })
    if (sink === 0) throw new Error('unreachable')
    const syncRate = toOpsPerSecond(syncMs, DOCS)
    log(`  floor     ${fmtRate(floorMs)} (sync Map.get ${Math.round(syncRate.median).toLocaleString('en-US')} ops/s)`)

    return [
      {
        name: 'point-reads',
        title: 'Point reads, 10k docs',
        unit: 'ops/s',
        better: 'higher',
        portabase: toOpsPerSecond(pbMs, DOCS),
        rxdb: toOpsPerSecond(rxMs, DOCS),
        floor: toOpsPerSecond(floorMs, DOCS),
        target: { against: 'rxdb', ratio: 5 },
        notes: `Awaited reads one after another, each id once per sample in a shuffled order. Floor: await of an async Map.get (sync Map.get: ${Math.round(syncRate.median).toLocaleString('en-US')} ops/s).`,
      },
    ]
  },
}

function fmtRate(ms: Stats): string {
  return `${Math.round(toOpsPerSecond(ms, DOCS).median).toLocaleString('en-US')} ops/s`
}

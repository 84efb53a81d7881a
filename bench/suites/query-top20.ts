/**
 * Figure 3 — `done == false` ordered by `priority desc, createdAt asc`, limit 20, over 10k and 100k docs.
 *
 * Each sample first makes an untimed write to one `done == true` document in every system, then
 * times one query. The write matters for RxDB only: an RxQuery whose collection did not change
 * returns its cached result without running, and with EventReduce on it would patch the cached
 * result from the change event; the RxDB database here has EventReduce off, so after the write
 * `exec()` runs the query over the storage (using the compound index on done, priority, createdAt).
 * portabase runs the query on every `get()` whatever happened before. All three answers are checked
 * to be the same 20 ids. The three are sampled in interleaved rounds (see `interleaved`).
 */
import { makeTodos, type FlatTodo, type Row } from '../datasets.js'
import type { Measurement } from '../lib/figure.js'
import { compareTodo, top20NotDone } from '../lib/floor.js'
import { collectGarbage, interleaved, now, scaled } from '../lib/measure.js'
import { batchWrite, openPortabase } from '../lib/portabase.js'
import { fillRxdb, openRxdb } from '../lib/rxdb.js'
import type { Suite } from '../lib/suite.js'

const LIMIT = 20

export const queryTop20: Suite = {
  name: 'query-top20',
  summary: "where('done','==',false).orderBy('priority','desc').orderBy('createdAt','asc').limit(20), 10k and 100k docs",
  async run({ quick, log }) {
    const out: Measurement[] = []
    for (const size of [10_000, 100_000]) {
      const rows = makeTodos(size, 3)
      const touched = rows.find((r) => r.data.done)!
      const touch = (i: number): FlatTodo => ({ id: touched.id, ...touched.data, title: `touched ${i}` })
      const runs = scaled(61, quick)
      const warmup = 5
      const label = `${size / 1000}k`
      const expected = reference(rows)

      // All three hold the same documents at once and are sampled in interleaved rounds.
      const pb = openPortabase()
      await batchWrite(pb, rows)
      const rx = await openRxdb({ eventReduce: false })
      await fillRxdb(rx.todos, rows)
      const map = new Map<string, FlatTodo>(rows.map((r) => [r.id, { id: r.id, ...r.data }]))
      collectGarbage()

      const results = await interleaved(
        { warmup, runs },
        {
          portabase: {
            async once(i) {
              const { id, ...data } = touch(i)
              await pb.todos.doc(id).set(data)
              const start = now()
              const page = await pb.todos.where('done', '==', false).orderBy('priority', 'desc').orderBy('createdAt', 'asc').limit(LIMIT).get()
              const ms = now() - start
              if (i === 0) same('portabase', page.docs.map((d) => d.id), expected)
              return ms
            },
          },
          rxdb: {
            runs: Math.min(runs, 21),
            async once(i) {
              await rx.todos.upsert(touch(i))
              const start = now()
              const docs = await rx.todos
                .find({ selector: { done: false }, sort: [{ priority: 'desc' }, { createdAt: 'asc' }], limit: LIMIT })
                .exec()
              const ms = now() - start
              if (i === 0) same('RxDB', docs.map((d) => d.primary), expected)
              return ms
            },
          },
          floor: {
            once(i) {
              map.set(touched.id, touch(i))
              const start = now()
              const top = top20NotDone(map.values())
              const ms = now() - start
              if (i === 0) same('floor', top.map((d) => d.id), expected)
              return ms
            },
          },
        },
      )
      await pb.close()
      await rx.close()
      const { portabase: pbStats, rxdb: rxStats, floor: floorStats } = results
      for (const [who, st] of Object.entries(results)) log(`  ${label} ${who.padEnd(9)} ${st.median.toFixed(3)} ms (min ${st.min.toFixed(3)})`)
      collectGarbage()

      out.push({
        name: `query-top20-${label}`,
        title: `Query done==false, priority desc, createdAt asc, limit 20 — ${label} docs`,
        unit: 'ms',
        better: 'lower',
        portabase: pbStats,
        rxdb: rxStats,
        floor: floorStats,
        ...(size >= 100_000 ? { target: { against: 'floor' as const, ratio: 3 } } : {}),
        notes:
          'One awaited get()/exec() per sample, after an untimed write that makes RxDB re-run (EventReduce off, compound index on done, priority, createdAt). Floor: one pass over Map.values() with a top-20 selection hand-written for this query (inlined predicate and comparisons).',
      })
    }
    return out
  },
}

/** The expected ids, by a full sort (independent of every implementation under test). */
function reference(rows: readonly Row[]): string[] {
  return rows
    .map((r) => ({ id: r.id, ...r.data }))
    .filter((t) => !t.done)
    .sort(compareTodo)
    .slice(0, LIMIT)
    .map((t) => t.id)
}

function same(who: string, actual: readonly string[], expected: readonly string[]): void {
  if (actual.length !== expected.length || actual.some((id, i) => id !== expected[i])) {
    throw new Error(`${who} returned a different page: ${actual.join(',')} instead of ${expected.join(',')}`)
  }
}

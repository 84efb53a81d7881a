/**
 * Figure 2 — bulk writes of 10k and 100k new documents into an empty collection.
 * portabase: `db.batch` of 500 `set`s at a time (MAX_BATCH_WRITES), and one awaited `doc(id).set()`
 * per document. RxDB: one `bulkInsert` of all documents (its fastest path), and for the sequential
 * figure one awaited `insert` per document (10k only: 100k sequential RxDB inserts take too long for
 * the time budget). Floor: `Map.set` per document. Opening a fresh client/database is not timed.
 */
import { makeTodos, type FlatTodo, type Row } from '../datasets.js'
import type { Measurement } from '../lib/figure.js'
import { collectGarbage, now, sample, scaled, type Stats } from '../lib/measure.js'
import { batchWrite, openPortabase, sequentialSet } from '../lib/portabase.js'
import { fillRxdb, openRxdb, toRxdbDocs } from '../lib/rxdb.js'
import type { Suite } from '../lib/suite.js'

export const bulkWrites: Suite = {
  name: 'bulk-writes',
  summary: 'db.batch (500 per batch) and sequential set vs RxDB bulkInsert/insert vs Map.set, 10k and 100k docs',
  async run({ quick, log }) {
    const out: Measurement[] = []
    for (const size of [10_000, 100_000]) {
      const rows = makeTodos(size, 2)
      const big = size >= 100_000
      const runs = scaled(big ? 3 : 9, quick)
      const warmup = big ? 1 : 3

      const batch = await sample({ warmup, runs, gcEach: true }, async () => {
        const pb = openPortabase()
        const start = now()
        await batchWrite(pb, rows)
        const ms = now() - start
        await pb.close()
        return ms
      })
      log(`  ${label(size)} portabase batch  ${ms(batch)}`)

      const sequential = await sample({ warmup, runs, gcEach: true }, async () => {
        const pb = openPortabase()
        const start = now()
        await sequentialSet(pb, rows)
        const ms = now() - start
        await pb.close()
        return ms
      })
      log(`  ${label(size)} portabase set    ${ms(sequential)}`)

      const rxBulk = await sample({ warmup, runs, gcEach: true }, async () => {
        const rx = await openRxdb()
        const start = now()
        await fillRxdb(rx.todos, rows)
        const ms = now() - start
        await rx.close()
        return ms
      })
      log(`  ${label(size)} rxdb bulkInsert  ${ms(rxBulk)}`)

      let rxSequential: Stats | null = null
      if (!big) {
        const docs = toRxdbDocs(rows)
        rxSequential = await sample({ warmup: 1, runs: scaled(3, quick), gcEach: true }, async () => {
          const rx = await openRxdb()
          const start = now()
          for (const doc of docs) await rx.todos.insert(doc)
          const ms = now() - start
          await rx.close()
          return ms
        })
        log(`  ${label(size)} rxdb insert      ${ms(rxSequential)}`)
      }

      const floor = await sample({ warmup: 3, runs: scaled(15, quick), gcEach: true }, () => mapFloor(rows))
      log(`  ${label(size)} floor Map.set    ${ms(floor)}`)
      collectGarbage()

      out.push({
        name: `bulk-write-batch-${label(size)}`,
        title: `Bulk write ${label(size)} docs (batch of 500 / bulkInsert)`,
        unit: 'ms',
        better: 'lower',
        portabase: batch,
        rxdb: rxBulk,
        floor,
        notes: `portabase: ${size / 500} sequential db.batch calls of 500 set()s; RxDB: one bulkInsert of ${size} docs; floor: Map.set of a shallow {id, ...data} record per doc (no deep copy, no freeze).`,
      })
      out.push({
        name: `bulk-write-sequential-${label(size)}`,
        title: `Sequential writes ${label(size)} docs (set / insert)`,
        unit: 'ms',
        better: 'lower',
        portabase: sequential,
        rxdb: rxSequential,
        floor,
        notes: big
          ? `portabase: ${size} awaited doc(id).set(); RxDB sequential insert not measured at 100k (too slow for the time budget); floor: Map.set.`
          : `portabase: ${size} awaited doc(id).set(); RxDB: ${size} awaited insert(); floor: Map.set.`,
      })
    }
    return out
  },
}

function mapFloor(rows: readonly Row[]): number {
  const map = new Map<string, FlatTodo>()
  const start = now()
  for (const row of rows) map.set(row.id, { id: row.id, ...row.data })
  const ms = now() - start
  if (map.size !== rows.length) throw new Error('floor lost writes')
  return ms
}

const label = (size: number): string => `${size / 1000}k`
const ms = (s: Stats): string => `${s.median.toFixed(1)} ms (min ${s.min.toFixed(1)})`

/**
 * Figure 5 — one write reaching 1,000 different live queries.
 *
 * 10k documents with `score` uniform in 0–999. Query i (i = 0…999) is
 * `where('score', '>=', i).orderBy('createdAt', 'desc').limit(20)`: 1,000 distinct queries with
 * distinct results (the 20 newest documents scoring at least i), one subscriber each. Each sample
 * adds one new document with score 999 and a `createdAt` newer than every other, so it matches
 * every query and enters every window at position 0 (and pushes one document out of each). The
 * sample ends when all 1,000 subscribers received a snapshot whose first document is the new one.
 * RxDB: the same 1,000 queries as `find().$`, the write an `insert`.
 * Floor: `Map.set`, then for each of the 1,000 queries: evaluate its predicate, patch its 20-row
 * window by hand, `Subject.next`. All three are set up side by side and sampled in interleaved rounds.
 */
import { Subject, type Subscription } from 'rxjs'
import { makeTodos, maxCreatedAt, type FlatTodo, type Todo } from '../datasets.js'
import { topK, windowInsert } from '../lib/floor.js'
import { Arrivals, collectGarbage, interleaved, now, scaled, within } from '../lib/measure.js'
import { batchWrite, openPortabase } from '../lib/portabase.js'
import { fillRxdb, openRxdb } from '../lib/rxdb.js'
import type { Suite } from '../lib/suite.js'

const DOCS = 10_000
const QUERIES = 1_000
const LIMIT = 20

/** `createdAt desc, id asc`, by hand. */
function newestFirst(a: FlatTodo, b: FlatTodo): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

export const fanoutManyQueries: Suite = {
  name: 'fanout-many-queries',
  summary: "one write → 1,000 different live queries where('score','>=',i).orderBy('createdAt','desc').limit(20) (10k docs)",
  async run({ quick, log }) {
    const rows = makeTodos(DOCS, 5)
    const newest = maxCreatedAt(rows)
    const runs = scaled(81, quick)
    let written = 0
    /** A new document that every query must show first. */
    const fresh = (prefix: string): { id: string; data: Todo } => {
      written += 1
      return { id: `${prefix}${written}`, data: { title: `new ${written}`, done: false, priority: 2, createdAt: newest + written * 1000, score: 999, owner: 'user1' } }
    }
    const subscriptions: Subscription[] = []

    // portabase: query i gets one subscriber; every snapshot counts until a sample names the id to wait for.
    const pb = openPortabase()
    await batchWrite(pb, rows)
    const pbArrivals = new Arrivals()
    let pbExpected = ''
    let ready = pbArrivals.arm(QUERIES)
    let setupStart = now()
    for (let i = 0; i < QUERIES; i++) {
      const query = pb.todos.where('score', '>=', i).orderBy('createdAt', 'desc').limit(LIMIT)
      subscriptions.push(query.watch().subscribe((snap) => (pbExpected === '' || snap.docs[0]?.id === pbExpected) && pbArrivals.arrive()))
    }
    await within(ready, 60_000, 'portabase live queries: first snapshot')
    log(`  portabase: ${QUERIES} live queries opened in ${(now() - setupStart).toFixed(0)} ms`)

    // RxDB
    const rx = await openRxdb()
    await fillRxdb(rx.todos, rows)
    const rxArrivals = new Arrivals()
    let rxExpected = ''
    ready = rxArrivals.arm(QUERIES)
    setupStart = now()
    for (let i = 0; i < QUERIES; i++) {
      const query = rx.todos.find({ selector: { score: { $gte: i } }, sort: [{ createdAt: 'desc' }], limit: LIMIT })
      subscriptions.push(query.$.subscribe((docs) => (rxExpected === '' || docs[0]?.primary === rxExpected) && rxArrivals.arrive()))
    }
    await within(ready, 120_000, 'RxDB live queries: first result')
    log(`  rxdb: ${QUERIES} live queries opened in ${(now() - setupStart).toFixed(0)} ms`)

    // Floor
    const map = new Map<string, FlatTodo>(rows.map((r) => [r.id, { id: r.id, ...r.data }]))
    const floorArrivals = new Arrivals()
    let floorExpected = ''
    const live = Array.from({ length: QUERIES }, (_, i) => {
      const matches = (t: FlatTodo): boolean => t.score >= i
      return { matches, window: topK(map.values(), LIMIT, matches, newestFirst), subject: new Subject<readonly FlatTodo[]>() }
    })
    for (const q of live) subscriptions.push(q.subject.subscribe((docs) => docs[0]?.id === floorExpected && floorArrivals.arrive()))
    collectGarbage()

    const results = await interleaved(
      { warmup: 3, runs },
      {
        portabase: {
          async once(i) {
            const { id, data } = fresh('pb')
            pbExpected = id
            const done = pbArrivals.arm(QUERIES)
            const start = now()
            await pb.todos.doc(id).set(data)
            await within(done, 60_000, `portabase fan-out ${i}`)
            return pbArrivals.lastAt - start
          },
        },
        rxdb: {
          runs: Math.min(runs, 15),
          async once(i) {
            const { id, data } = fresh('rx')
            rxExpected = id
            const done = rxArrivals.arm(QUERIES)
            const start = now()
            await rx.todos.insert({ id, ...data })
            await within(done, 120_000, `RxDB fan-out ${i}`)
            return rxArrivals.lastAt - start
          },
        },
        floor: {
          async once(i) {
            const { id, data } = fresh('floor')
            floorExpected = id
            const done = floorArrivals.arm(QUERIES)
            const start = now()
            const doc: FlatTodo = { id, ...data }
            map.set(id, doc)
            for (const q of live) {
              if (!q.matches(doc)) continue
              q.window = windowInsert(q.window, doc, LIMIT, newestFirst)
              q.subject.next(q.window)
            }
            await within(done, 10_000, `floor fan-out ${i}`)
            return floorArrivals.lastAt - start
          },
        },
      },
    )
    subscriptions.forEach((s) => s.unsubscribe())
    await pb.close()
    await rx.close()
    for (const [who, st] of Object.entries(results)) log(`  ${who.padEnd(9)} ${st.median.toFixed(3)} ms (min ${st.min.toFixed(3)})`)
    const { portabase: pbStats, rxdb: rxStats, floor: floorStats } = results

    return [
      {
        name: 'fanout-many-queries',
        title: 'One write → 1,000 different live queries (10k docs)',
        unit: 'ms',
        better: 'lower',
        portabase: pbStats,
        rxdb: rxStats,
        floor: floorStats,
        target: { against: 'floor', ratio: 10 },
        notes:
          "Query i: where('score','>=',i).orderBy('createdAt','desc').limit(20), one subscriber each; write = a new doc (score 999, newest) entering all 1,000 windows at position 0. Floor: 1,000 predicates + hand-patched windows + Subject.next each.",
      },
    ]
  },
}

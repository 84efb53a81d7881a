/**
 * Figure 4 — one write reaching 1,000 watchers of the same query.
 *
 * 10k documents; 1,000 subscribers each watch `done == false` ordered by `priority desc, createdAt asc`,
 * limit 20 (each builds its own query, as 1,000 components would). A "hot" document with priority 9
 * (all generated documents have 0–4) sits at the top of the result; each sample rewrites it with a
 * new title, and ends when the 1,000th subscriber received a snapshot whose first document carries
 * that title. Time: from just before the write call to that last arrival.
 * RxDB: 1,000 `.$` subscriptions of the same `find()`, the write an `upsert`.
 * Floor: `Map.set`, the 20-row window patched by hand, `Subject.next` to 1,000 subscribers.
 * All three are set up side by side and sampled in interleaved rounds.
 */
import { Subject, type Subscription } from 'rxjs'
import { CREATED_BASE, makeTodos, type FlatTodo, type Todo } from '../datasets.js'
import { compareTodo, topK, windowInsert } from '../lib/floor.js'
import { Arrivals, collectGarbage, interleaved, now, scaled, within } from '../lib/measure.js'
import { batchWrite, openPortabase } from '../lib/portabase.js'
import { fillRxdb, openRxdb } from '../lib/rxdb.js'
import type { Suite } from '../lib/suite.js'

const DOCS = 10_000
const WATCHERS = 1_000
const LIMIT = 20
const HOT_ID = 'hotTodo'
const hot = (title: string): Todo => ({ title, done: false, priority: 9, createdAt: CREATED_BASE, score: 500, owner: 'user0' })

export const fanoutSameQuery: Suite = {
  name: 'fanout-same-query',
  summary: 'one write → 1,000 watchers of the same live query (10k docs)',
  async run({ quick, log }) {
    const rows = makeTodos(DOCS, 4)
    const runs = scaled(61, quick)
    const subscriptions: Subscription[] = []

    // portabase
    const pb = openPortabase()
    await batchWrite(pb, rows)
    const pbArrivals = new Arrivals()
    let pbMarker = 'init'
    await pb.todos.doc(HOT_ID).set(hot(pbMarker))
    let ready = pbArrivals.arm(WATCHERS)
    for (let i = 0; i < WATCHERS; i++) {
      const query = pb.todos.where('done', '==', false).orderBy('priority', 'desc').orderBy('createdAt', 'asc').limit(LIMIT)
      subscriptions.push(query.watch().subscribe((snap) => snap.docs[0]?.data.title === pbMarker && pbArrivals.arrive()))
    }
    await within(ready, 30_000, 'portabase watchers: first snapshot')

    // RxDB
    const rx = await openRxdb()
    await fillRxdb(rx.todos, rows)
    const rxArrivals = new Arrivals()
    let rxMarker = 'init'
    await rx.todos.upsert({ id: HOT_ID, ...hot(rxMarker) })
    ready = rxArrivals.arm(WATCHERS)
    for (let i = 0; i < WATCHERS; i++) {
      const query = rx.todos.find({ selector: { done: false }, sort: [{ priority: 'desc' }, { createdAt: 'asc' }], limit: LIMIT })
      subscriptions.push(query.$.subscribe((docs) => docs[0]?.title === rxMarker && rxArrivals.arrive()))
    }
    await within(ready, 60_000, 'RxDB watchers: first result')

    // Floor
    const map = new Map<string, FlatTodo>(rows.map((r) => [r.id, { id: r.id, ...r.data }]))
    map.set(HOT_ID, { id: HOT_ID, ...hot('init') })
    let window = topK(map.values(), LIMIT, (t) => !t.done, compareTodo)
    const subject = new Subject<readonly FlatTodo[]>()
    const floorArrivals = new Arrivals()
    let floorMarker = 'init'
    for (let i = 0; i < WATCHERS; i++) subscriptions.push(subject.subscribe((docs) => docs[0]?.title === floorMarker && floorArrivals.arrive()))
    collectGarbage()

    const results = await interleaved(
      { warmup: 5, runs },
      {
        portabase: {
          async once(i) {
            pbMarker = `pb${i}`
            const done = pbArrivals.arm(WATCHERS)
            const start = now()
            await pb.todos.doc(HOT_ID).set(hot(pbMarker))
            await within(done, 30_000, `portabase fan-out ${i}`)
            return pbArrivals.lastAt - start
          },
        },
        rxdb: {
          runs: Math.min(runs, 31),
          async once(i) {
            rxMarker = `rx${i}`
            const done = rxArrivals.arm(WATCHERS)
            const start = now()
            await rx.todos.upsert({ id: HOT_ID, ...hot(rxMarker) })
            await within(done, 60_000, `RxDB fan-out ${i}`)
            return rxArrivals.lastAt - start
          },
        },
        floor: {
          async once(i) {
            floorMarker = `floor${i}`
            const done = floorArrivals.arm(WATCHERS)
            const start = now()
            const doc: FlatTodo = { id: HOT_ID, ...hot(floorMarker) }
            map.set(HOT_ID, doc)
            window = windowInsert(window, doc, LIMIT, compareTodo)
            subject.next(window)
            await done
            return floorArrivals.lastAt - start
          },
        },
      },
    )
    subscriptions.forEach((s) => s.unsubscribe())
    await pb.close()
    await rx.close()
    for (const [who, st] of Object.entries(results)) log(`  ${who.padEnd(9)} ${st.median.toFixed(3)} ms (min ${st.min.toFixed(3)})`)

    return [
      {
        name: 'fanout-same-query',
        title: 'One write → 1,000 watchers of one query (10k docs)',
        unit: 'ms',
        better: 'lower',
        portabase: results.portabase,
        rxdb: results.rxdb,
        floor: results.floor,
        target: { against: 'floor', ratio: 10 },
        notes:
          'Write = set/upsert of a document at position 0 of the limit-20 result; time until the 1,000th subscriber saw it. Floor: Map.set + hand-patched window + Subject.next to 1,000 subscribers.',
      },
    ]
  },
}

/**
 * Documents read per Firestore query, measured. `firebase/firestore` is replaced by the fake in
 * fake-firestore.ts: the real SDK module whose query functions record the constraints they get, and
 * whose getDocs / getCountFromServer / onSnapshot evaluate them over a fixture dataset with
 * Firestore's documented semantics (missing fields match nothing and leave ordered queries, null
 * sorts first, `!=` / `not-in` skip null, inequality fields join the ordering) and refuse what the
 * SDK and the backend refuse. A document read is a document such a call returns.
 *
 * What this proves, through the whole client (createClient over firebase({ documents: firestore() })):
 * - for the README's and the example's queries and for every query shape of the contract suite
 *   (test/contract/queries.ts, realtime.ts), the adapter sends one native query: its filters, its
 *   full ordering, its cursor as values (no cursor document is fetched) and its limit — a page reads
 *   at most `limit` documents, an unlimited query exactly the documents it returns, count() one
 *   aggregation and no documents, watch() only its window;
 * - the results equal what the adapter's declared capabilities predict: the reference evaluator plus
 *   the declared rules (test/contract/data.ts), computed from the fixtures, not from the adapter;
 * - a query Firestore cannot run is refused with `unsupported` before any call; with
 *   allowClientPlan({ maxReads }) it reads at most maxReads + 1 documents.
 * What it does not prove: that Firestore behaves as the fake (it is our reading of Firestore's
 * documentation and of the SDK's local matching code), that the indexes the queries need exist, or
 * what a read costs (billing minimums, listener resumes). The contract suite on a real Firestore
 * emulator is test/live/firebase.test.ts.
 *
 * PORTABASE_PLAN_REPORT=1 prints the figures per shape.
 */
import { firebase, firestore } from '../../adapters/firebase/index.js'
import { createClient, DOC_ID, and, or, where, type Adapter, type CollectionRef, type DocumentData, type PortabaseClient, type QueryRef, type QuerySnapshot } from '../../src/index.js'
import { expectedIds, idsOf, specOf } from '../contract/data.js'
import { BASIC, MIXED, NESTED, NULLS, PAGED, SORT } from '../contract/queries.js'
import type { Call, FakeQuery, FakeStore } from './fake-firestore.js'

jest.mock('firebase/firestore', () => jest.requireActual<typeof import('./fake-firestore.js')>('./fake-firestore.js').fakeFirestoreModule())

// eslint-disable-next-line @typescript-eslint/no-require-imports
const store = (require('firebase/firestore') as { __store: FakeStore }).__store

let adapter: Adapter
let app: PortabaseClient
let collections = 0

beforeAll(() => {
  adapter = firebase({ config: { apiKey: 'demo-key', projectId: 'demo-plan', appId: 'demo-app' }, services: { documents: firestore() } })
  app = createClient({ adapter })
})
afterAll(async () => {
  await app.dispose()
})
beforeEach(() => store.reset())

function seeded(docs: Record<string, DocumentData>): CollectionRef {
  const name = `c${++collections}`
  store.seed(name, docs)
  return app.db.collection(name)
}

/** What the adapter's declared semantics predict for `query` over `docs` (never the adapter's own answer). */
const predicted = (docs: Record<string, DocumentData>, query: QueryRef): string[] => expectedIds(docs, specOf(query), adapter.capabilities)

const callsOf = (fn: Call['fn']): Call[] => store.calls.filter((c) => c.fn === fn)
const reads = (calls: readonly Call[]): number => calls.reduce((n, c) => n + c.documents, 0)

function firstSnapshot(query: QueryRef): Promise<QuerySnapshot> {
  return new Promise((resolve, reject) => {
    const subscription = query.watch().subscribe({
      next: (snapshot) => {
        resolve(snapshot)
        queueMicrotask(() => subscription.unsubscribe())
      },
      error: reject,
    })
  })
}

interface Figures {
  shape: string
  results: number
  unlimited: number
  pages: string
  count: string
  watch: number
}
const figures: Figures[] = []
afterAll(() => {
  if (process.env.PORTABASE_PLAN_REPORT) console.table(figures)
})

const PAGE = 2
const TIMES = (s: string) => new Date(`2024-01-0${s}T00:00:00.000Z`)
const DATES: Record<string, DocumentData> = { d1: { at: new Date('2020-06-01T00:00:00Z') }, d2: { at: new Date('2021-06-01T00:00:00Z') }, d3: { at: new Date('2022-06-01T00:00:00Z') }, d4: { at: null } }
const TIES: Record<string, DocumentData> = { a: { at: TIMES('2') }, b: { at: TIMES('1') }, c: { at: TIMES('2') }, d: { at: TIMES('3') }, e: { at: TIMES('1') }, f: { at: TIMES('2') } }
const UNICODE: Record<string, DocumentData> = { s1: { s: '😀' }, s2: { s: 'a' }, s3: { s: '～' }, s4: { s: 'Z' }, s5: { s: 'é' }, s6: { s: '中' }, s7: { s: 'ab' } }
const WINDOW: Record<string, DocumentData> = { k1: { n: 1, on: true }, k2: { n: 2, on: true }, k3: { n: 3, on: false }, k4: { n: 4, on: true }, k5: { n: 5, on: true } }
const TAGGED: Record<string, DocumentData> = { ...BASIC, f: { tags: 'red' } }

/** Every query shape of test/contract/queries.ts and realtime.ts, over the fixture it runs on there. */
const SHAPES: [string, Record<string, DocumentData>, (c: CollectionRef) => QueryRef][] = [
  ["where('n', '==', 2)", BASIC, (c) => c.where('n', '==', 2)],
  ["where('s', '==', 'banana')", BASIC, (c) => c.where('s', '==', 'banana')],
  ["where('b', '==', true)", BASIC, (c) => c.where('b', '==', true)],
  ["where('n', '==', null)", BASIC, (c) => c.where('n', '==', null)],
  ["where('v', '==', 10) over mixed types", MIXED, (c) => c.where('v', '==', 10)],
  ["where('n', '!=', 2)", BASIC, (c) => c.where('n', '!=', 2)],
  ["where('n', '!=', null)", BASIC, (c) => c.where('n', '!=', null)],
  ["where('n', '<', 2)", BASIC, (c) => c.where('n', '<', 2)],
  ["where('n', '>=', 2)", BASIC, (c) => c.where('n', '>=', 2)],
  ["where('s', '>', 'banana')", BASIC, (c) => c.where('s', '>', 'banana')],
  ["where('s', '>=', 'Z')", BASIC, (c) => c.where('s', '>=', 'Z')],
  ["where('at', '>=', date)", DATES, (c) => c.where('at', '>=', new Date('2021-06-01T00:00:00Z'))],
  ["where('v', '>', 5) over mixed types", MIXED, (c) => c.where('v', '>', 5)],
  ["where('v', '<', date) over mixed types", MIXED, (c) => c.where('v', '<', new Date('2100-01-01T00:00:00Z'))],
  ["where('n', '>', 1).where('n', '<', 3)", BASIC, (c) => c.where('n', '>', 1).where('n', '<', 3)],
  ["where('n', 'in', [1, 3])", BASIC, (c) => c.where('n', 'in', [1, 3])],
  ["where('n', 'in', [null, 2])", BASIC, (c) => c.where('n', 'in', [null, 2])],
  ["where('n', 'not-in', [1, 2])", BASIC, (c) => c.where('n', 'not-in', [1, 2])],
  ["where('n', 'not-in', [1, null])", BASIC, (c) => c.where('n', 'not-in', [1, null])],
  ["where('tags', 'array-contains', 'red')", TAGGED, (c) => c.where('tags', 'array-contains', 'red')],
  ["where('tags', 'array-contains-any', ['yellow', 'green'])", BASIC, (c) => c.where('tags', 'array-contains-any', ['yellow', 'green'])],
  ["where('b', '==', true).where('n', '>', 1)", BASIC, (c) => c.where('b', '==', true).where('n', '>', 1)],
  ["where(and(b == false, s == 'date'))", BASIC, (c) => c.where(and(where('b', '==', false), where('s', '==', 'date')))],
  ["where(or(n == 1, s == 'cherry'))", BASIC, (c) => c.where(or(where('n', '==', 1), where('s', '==', 'cherry')))],
  ["where(or(and(b == true, n > 2), s == 'banana')).where('n', '!=', null)", BASIC, (c) => c.where(or(and(where('b', '==', true), where('n', '>', 2)), where('s', '==', 'banana'))).where('n', '!=', null)],
  ["where('addr.city', '==', 'Paris')", NESTED, (c) => c.where('addr.city', '==', 'Paris')],
  ["where('addr.city', '==', null)", NESTED, (c) => c.where('addr.city', '==', null)],
  ["orderBy('addr.zip', 'desc')", NESTED, (c) => c.orderBy('addr.zip', 'desc')],
  ["where(DOC_ID, '==', 'b')", BASIC, (c) => c.where(DOC_ID, '==', 'b')],
  ["where(DOC_ID, 'in', ['c', 'a', 'nope'])", BASIC, (c) => c.where(DOC_ID, 'in', ['c', 'a', 'nope'])],
  ["where(DOC_ID, '>=', 'c')", BASIC, (c) => c.where(DOC_ID, '>=', 'c')],
  ['no filter, no orderBy', SORT, (c) => c],
  ["orderBy('n')", SORT, (c) => c.orderBy('n')],
  ["orderBy('n', 'desc')", SORT, (c) => c.orderBy('n', 'desc')],
  ["orderBy('g').orderBy('n', 'desc')", SORT, (c) => c.orderBy('g').orderBy('n', 'desc')],
  ["orderBy('g', 'desc').orderBy('n')", SORT, (c) => c.orderBy('g', 'desc').orderBy('n')],
  ["orderBy(DOC_ID, 'desc')", SORT, (c) => c.orderBy(DOC_ID, 'desc')],
  ["orderBy('n') over null and missing", NULLS, (c) => c.orderBy('n')],
  ["orderBy('n', 'desc') over null and missing", NULLS, (c) => c.orderBy('n', 'desc')],
  ["orderBy('v') over mixed types", MIXED, (c) => c.orderBy('v')],
  ["orderBy('s') over Unicode", UNICODE, (c) => c.orderBy('s')],
  ["orderBy('at') over Dates with ties", TIES, (c) => c.orderBy('at')],
  ["where('g', '==', 'a').orderBy('n', 'desc')", SORT, (c) => c.where('g', '==', 'a').orderBy('n', 'desc')],
  ["orderBy('s', 'desc')", BASIC, (c) => c.orderBy('s', 'desc')],
  ["orderBy('n') over pages with ties", PAGED, (c) => c.orderBy('n')],
  ["orderBy('n', 'desc') over pages with ties", PAGED, (c) => c.orderBy('n', 'desc')],
  ["where('n', '!=', 3).orderBy('g', 'desc').orderBy('n')", PAGED, (c) => c.where('n', '!=', 3).orderBy('g', 'desc').orderBy('n')],
  ["where('n', '>=', 2).orderBy('g', 'desc')", PAGED, (c) => c.where('n', '>=', 2).orderBy('g', 'desc')],
  ["where('on', '==', true).orderBy('n')", WINDOW, (c) => c.where('on', '==', true).orderBy('n')],
  ["where('n', '<', 10).orderBy('n', 'desc')", WINDOW, (c) => c.where('n', '<', 10).orderBy('n', 'desc')],
  ["where('n', '>', 0).orderBy('n')", WINDOW, (c) => c.where('n', '>', 0).orderBy('n')],
]

describe('documents read per query shape (contract suite shapes)', () => {
  it.each(SHAPES)('%s: one native query; a page reads ≤ its limit; results as declared', async (shape, docs, build) => {
    const col = seeded(docs)
    const query = build(col)
    const want = predicted(docs, query)

    // Unlimited: one query, reading exactly what it returns.
    expect(idsOf((await query.get()).docs)).toEqual(want)
    const unlimited = callsOf('getDocs')
    expect(unlimited).toHaveLength(1)
    expect(unlimited[0]!.query!.limit).toBeUndefined()
    expect(unlimited[0]!.documents).toBe(want.length)

    // Paged: every page carries the limit (and after the first, the cursor as values).
    store.calls.length = 0
    const pages: string[] = []
    let cursor: string | null = null
    do {
      const page: Awaited<ReturnType<QueryRef['get']>> = await (cursor === null ? query.limit(PAGE) : query.limit(PAGE).startAfter(cursor)).get()
      pages.push(...idsOf(page.docs))
      cursor = page.nextCursor
    } while (cursor !== null)
    expect(pages).toEqual(want)
    const paged = callsOf('getDocs')
    for (const [i, call] of paged.entries()) {
      expect(call.query!.limit).toBe(PAGE)
      expect(call.documents).toBeLessThanOrEqual(PAGE)
      expect(call.query!.startAfter === undefined).toBe(i === 0)
    }
    expect(callsOf('getDoc')).toEqual([])

    // count(): one aggregation, no document returned.
    store.calls.length = 0
    expect(await query.limit(PAGE).count()).toBe(want.length)
    expect(store.calls.map((c) => c.fn)).toEqual(['getCountFromServer'])
    expect(store.calls[0]!.query!.limit).toBeUndefined()

    // watch(): the window only.
    store.calls.length = 0
    expect(idsOf((await firstSnapshot(query.limit(PAGE))).docs)).toEqual(want.slice(0, PAGE))
    const listened = callsOf('onSnapshot')
    expect(listened[0]!.query!.limit).toBe(PAGE)
    expect(reads(listened)).toBeLessThanOrEqual(PAGE)

    figures.push({
      shape,
      results: want.length,
      unlimited: unlimited[0]!.documents,
      pages: paged.map((c) => c.documents).join('+'),
      count: 'aggregation',
      watch: reads(listened),
    })
  })
})

describe("the README's and the example's queries on 100 todos", () => {
  const TODOS: Record<string, DocumentData> = {}
  for (let i = 0; i < 100; i++) {
    TODOS[`t${String(i).padStart(3, '0')}`] = { title: `todo ${i}`, done: i % 3 === 0, priority: i % 7, owner: i % 2 === 0 ? 'u1' : 'u2', createdAt: new Date(Date.UTC(2024, 0, 1, 0, i)) }
  }
  const sent = (q: FakeQuery) => ({ filters: q.filters, orderBy: q.orderBy.map((o) => `${o.field} ${o.direction}`), limit: q.limit, startAfter: q.startAfter })

  it("where('done', '==', false).orderBy('priority', 'desc').limit(20): get, the next page, count and watch each read ≤ 20", async () => {
    const todos = seeded(TODOS)
    const open = todos.where('done', '==', false).orderBy('priority', 'desc').limit(20)
    const all = predicted(TODOS, open)
    expect(all).toHaveLength(66)

    const first = await open.get()
    expect(idsOf(first.docs)).toEqual(all.slice(0, 20))
    const [call] = callsOf('getDocs')
    expect(sent(call!.query!)).toEqual({
      filters: [{ $: 'where', field: 'done', op: '==', value: false }],
      orderBy: ['priority desc', '__name__ asc'],
      limit: 20,
      startAfter: undefined,
    })
    expect(call!.documents).toBe(20)

    const second = await open.startAfter(first.nextCursor!).get()
    expect(idsOf(second.docs)).toEqual(all.slice(20, 40))
    const next = callsOf('getDocs')[1]!
    expect(next.documents).toBe(20)
    const last = first.docs[19]!
    expect(next.query!.startAfter).toEqual([last.data.priority, last.id])

    store.calls.length = 0
    expect(await open.count()).toBe(66)
    expect(store.calls.map((c) => [c.fn, c.documents])).toEqual([['getCountFromServer', 0]])

    store.calls.length = 0
    const snapshots: QuerySnapshot[] = []
    const subscription = open.watch().subscribe((s) => snapshots.push(s))
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(idsOf(snapshots[0]!.docs)).toEqual(all.slice(0, 20))
    // A write elsewhere that enters the window: one more document read, the one that changed.
    store.set(todos.collection, 't001', { ...TODOS.t001, priority: 99 })
    await new Promise((resolve) => setTimeout(resolve, 0))
    subscription.unsubscribe()
    expect(idsOf(snapshots[snapshots.length - 1]!.docs)).toEqual(predicted({ ...TODOS, t001: { ...TODOS.t001, priority: 99 } }, open).slice(0, 20))
    expect(callsOf('onSnapshot').map((c) => c.documents)).toEqual([20, 1])
    figures.push({ shape: "README: where('done','==',false).orderBy('priority','desc').limit(20) (100 docs)", results: 66, unlimited: 66, pages: '20+20', count: 'aggregation', watch: 20 })
  })

  it("the example's where('owner', '==', uid).orderBy('createdAt') (+ where('done', '==', false), count) read what they return", async () => {
    const todos = seeded(TODOS)
    const mine = todos.where('owner', '==', 'u1').orderBy('createdAt', 'asc')
    const open = mine.where('done', '==', false)
    expect(idsOf((await mine.get()).docs)).toEqual(predicted(TODOS, mine))
    expect(idsOf((await open.get()).docs)).toEqual(predicted(TODOS, open))
    expect(callsOf('getDocs').map((c) => c.documents)).toEqual([50, predicted(TODOS, open).length])
    expect(await todos.where('owner', '==', 'u1').where('done', '==', false).count()).toBe(predicted(TODOS, open).length)
    expect(callsOf('getCountFromServer')).toHaveLength(1)
  })
})

describe('queries Firestore cannot run', () => {
  const twoNotEqual = (c: CollectionRef): QueryRef => c.where('n', '!=', 2).where('s', '!=', 'apple')

  it('are refused with unsupported, naming the cause, before any SDK call', async () => {
    const col = seeded(BASIC)
    await expect(twoNotEqual(col).get()).rejects.toMatchObject({ code: 'unsupported', message: expect.stringMatching(/more than one '!=' filter.*allowClientPlan/) })
    await expect(twoNotEqual(col).count()).rejects.toMatchObject({ code: 'unsupported' })
    await expect(firstSnapshot(twoNotEqual(col))).rejects.toMatchObject({ code: 'unsupported' })
    expect(store.calls).toEqual([])
  })

  it('with allowClientPlan({ maxReads }) read the native part, limited to maxReads + 1, and answer as declared', async () => {
    const col = seeded(BASIC)
    const query = twoNotEqual(col).allowClientPlan({ maxReads: 10 })
    const want = predicted(BASIC, twoNotEqual(col))
    expect(idsOf((await query.get()).docs)).toEqual(want)
    const [call] = store.calls
    expect(call!.query!.filters).toEqual([{ $: 'where', field: 'n', op: '!=', value: 2 }])
    expect(call!.query!.limit).toBe(11)
    expect(call!.documents).toBeLessThanOrEqual(11)
    expect(await query.count()).toBe(want.length)
    expect(idsOf((await firstSnapshot(query)).docs)).toEqual(want)
    figures.push({ shape: "client plan: where('n','!=',2).where('s','!=','apple'), maxReads 10", results: want.length, unlimited: call!.documents, pages: '-', count: `${store.calls[1]!.documents} docs`, watch: reads(callsOf('onSnapshot')) })
  })

  it('past maxReads fail with resource-exhausted, having read maxReads + 1', async () => {
    const col = seeded(PAGED)
    const query = col.where('n', 'not-in', [9]).where('g', 'in', ['x', 'y']).allowClientPlan({ maxReads: 3 })
    await expect(query.get()).rejects.toMatchObject({ code: 'resource-exhausted', details: { maxReads: 3 } })
    expect(store.calls.map((c) => c.documents)).toEqual([4])
    await expect(query.count()).rejects.toMatchObject({ code: 'resource-exhausted' })
    await expect(firstSnapshot(query)).rejects.toMatchObject({ code: 'resource-exhausted' })
  })
})

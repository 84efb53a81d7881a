/**
 * What the client builds for declared query semantics and for the client-plan opt-in: the ordering
 * it sends (with `implicitOrder: 'inequality-fields'` the inequality fields join it before the id)
 * and `allowClientPlan({ maxReads })`, validated before any adapter call and passed on as a copy.
 */
import { FIRESTORE_QUERY_SEMANTICS } from '../../adapters/firebase/firestore-query.js'
import { memory } from '../../adapters/memory/index.js'
import { createClient, DOC_ID, or, where, type Capabilities, type PortabaseClient, type Query } from '../../src/index.js'

function recording(capabilities: Partial<Capabilities> = {}): { app: PortabaseClient; sent: Query[] } {
  const adapter = memory({ capabilities })
  const sent: Query[] = []
  const { documents } = adapter
  const run = documents.query.bind(documents)
  const count = documents.count.bind(documents)
  documents.query = (collection, query, options) => (sent.push(query), run(collection, query, options))
  documents.count = (collection, query, options) => (sent.push(query), count(collection, query, options))
  return { app: createClient({ adapter }), sent }
}

const orderOf = (q: Query): string[] => q.orderBy.map((o) => `${o.field} ${o.direction}`)

describe('the ordering the client sends', () => {
  let app: PortabaseClient | undefined
  afterEach(() => app?.dispose())

  it('with implicitOrder inequality-fields: unnamed inequality fields before the id, in field order, in the last direction', async () => {
    const rec = recording({ ...FIRESTORE_QUERY_SEMANTICS })
    app = rec.app
    const col = app.db.collection('t')
    await col.where('n', '>', 1).where('a', '!=', 2).get()
    await col.where('n', '>', 1).orderBy('g', 'desc').get()
    await col.where(or(where('z', 'not-in', [1]), where('b', '<', 3))).orderBy('z').get()
    await col.where('n', '>', 1).where(DOC_ID, '<', 'x').orderBy(DOC_ID, 'desc').get()
    await col.where('n', '==', 1).where('m', 'in', [1]).get()
    expect(rec.sent.map(orderOf)).toEqual([
      ['a asc', 'n asc', '__id__ asc'],
      ['g desc', 'n desc', '__id__ asc'],
      ['z asc', 'b asc', '__id__ asc'],
      ['n desc', '__id__ desc'],
      ['__id__ asc'],
    ])
  })

  it('cursors record every field of that ordering', async () => {
    const rec = recording({ ...FIRESTORE_QUERY_SEMANTICS })
    app = rec.app
    const col = app.db.collection('t')
    await col.doc('x').set({ n: 2, g: 'a' })
    await col.doc('y').set({ n: 3, g: 'a' })
    const page = await col.where('n', '>', 1).orderBy('g').limit(1).get()
    await col.where('n', '>', 1).orderBy('g').limit(1).startAfter(page.nextCursor!).get()
    expect(rec.sent[1]!.startAfter).toEqual({ values: ['a', 2], id: 'x' })
  })

  it('with reference semantics: the orderBy as written, then the id', async () => {
    const rec = recording()
    app = rec.app
    await app.db.collection('t').where('n', '>', 1).where('a', '!=', 2).orderBy('g', 'desc').get()
    expect(rec.sent.map(orderOf)).toEqual([['g desc', '__id__ asc']])
  })
})

describe('allowClientPlan({ maxReads })', () => {
  let app: PortabaseClient | undefined
  afterEach(() => app?.dispose())

  it.each([0, -1, 1.5, 10_001, Number.NaN, '5', undefined])('refuses maxReads %p with invalid-argument before any adapter call', async (maxReads) => {
    const rec = recording()
    app = rec.app
    const query = app.db.collection('t').where('n', '>', 1).allowClientPlan({ maxReads } as never)
    // count() throws at the call, get() rejects: either way before the adapter.
    await expect(Promise.resolve().then(() => query.get())).rejects.toMatchObject({ code: 'invalid-argument' })
    await expect(Promise.resolve().then(() => query.count())).rejects.toMatchObject({ code: 'invalid-argument' })
    const errors: unknown[] = []
    query.watch().subscribe({ error: (e: unknown) => errors.push(e) })
    expect(errors).toEqual([expect.objectContaining({ code: 'invalid-argument' })])
    expect(rec.sent).toEqual([])
  })

  it('passes a copy to the adapter; an adapter that runs the query natively ignores it', async () => {
    const rec = recording()
    app = rec.app
    const col = app.db.collection('t')
    await col.doc('a').set({ n: 2 })
    const plan = { maxReads: 1 }
    const result = await col.where('n', '>', 1).allowClientPlan(plan).get()
    expect(result.docs.map((d) => d.id)).toEqual(['a'])
    expect(rec.sent[0]!.clientPlan).toEqual({ maxReads: 1 })
    expect(rec.sent[0]!.clientPlan).not.toBe(plan)
  })
})

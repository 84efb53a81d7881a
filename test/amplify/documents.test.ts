/**
 * The Amplify adapter's documents service against the local Amplify test backend (Amplify's own
 * transformer and resolvers on the AppSync simulator over dynalite), with collections served as
 * `portabaseModels` builds them. Query results are compared with the memory reference (runQuery /
 * countMatches of src/query/evaluate.ts over the same documents), never with values the adapter made.
 */
import { amplify, type AmplifyAdapter } from '../../adapters/amplify/index.js'
import type { AmplifyCollection } from '../../adapters/amplify/schema.js'
import { PortabaseError } from '../../src/errors.js'
import { countMatches, runQuery } from '../../src/query/evaluate.js'
import { DOC_ID, type Filter, type Query } from '../../src/query/model.js'
import { deleteField } from '../../src/sentinels.js'
import type { WriteOp } from '../../src/spi.js'
import type { DocumentData } from '../../src/types.js'
import { startAmplifyBackend, type AmplifyTestBackend } from '../backends/amplify/server.js'
import { uniqueEmail, uniquePassword } from '../contract/helpers.js'

jest.setTimeout(60_000)

const COLLECTIONS: AmplifyCollection[] = [
  { name: 'things', access: 'public', fields: { s: 'string', n: 'number', i: 'integer', b: 'boolean', d: 'date', j: 'json', ss: 'string[]', ns: 'number[]' } },
  { name: 'items', access: 'public', fields: { s: 'string', n: 'number', i: 'integer', b: 'boolean', d: 'date' } },
  { name: 'sparse', access: 'public', fields: { k: 'integer', hit: 'boolean' } },
  { name: 'mine', access: 'owner', fields: { title: 'string', n: 'number' } },
]

let backend: AmplifyTestBackend
const open: AmplifyAdapter[] = []
function adapter(): AmplifyAdapter {
  const created = amplify({ outputs: backend.outputs, userPoolEndpoint: backend.cognitoEndpoint, authFlowType: 'USER_PASSWORD_AUTH', collections: COLLECTIONS })
  open.push(created)
  return created
}

let db: AmplifyAdapter['documents']
beforeAll(async () => {
  backend = await startAmplifyBackend({ collections: COLLECTIONS })
  db = adapter().documents // signed out: the API key
})
afterAll(async () => {
  await Promise.all(open.map((a) => a.dispose()))
  await backend?.stop()
})

const write = (...ops: WriteOp[]): Promise<void> => db.write(ops, { atomic: false })
const q = (filters: Filter[], extra: Partial<Query> = {}): Query => ({ filters, orderBy: [{ field: DOC_ID, direction: 'asc' }], ...extra })
const where = (field: string, op: Filter extends infer F ? (F extends { kind: 'field'; op: infer O } ? O : never) : never, value: unknown): Filter =>
  ({ kind: 'field', field, op, value }) as Filter
async function rejection(promise: Promise<unknown>): Promise<PortabaseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(PortabaseError)
  return error as PortabaseError
}

describe('amplify documents: writes and reads', () => {
  const full = {
    s: 'héllo ✓',
    n: -12.5,
    i: 42,
    b: false,
    d: new Date('2024-02-29T23:59:59.123Z'),
    j: { nested: { list: [1, 'two', null, true], empty: {} }, at: 'x' },
    ss: ['a', 'b', 'a'],
    ns: [3, -1.5, 0],
  }

  it('create → get round-trips every field type; the meta carries the update time', async () => {
    await write({ type: 'create', collection: 'things', id: 'all-types', data: full })
    const doc = await db.get('things', 'all-types')
    expect(doc?.id).toBe('all-types')
    expect(doc?.data).toEqual(full)
    expect(doc?.data.d).toBeInstanceOf(Date)
    expect(doc?.meta.updateTime).toBeInstanceOf(Date)
    expect(Math.abs(doc!.meta.updateTime.getTime() - Date.now())).toBeLessThan(60_000)
    expect(await db.get('things', 'no-such-id')).toBeNull()
  })

  it('explicit null and missing stay apart through create, update, deleteField() and set', async () => {
    await write({ type: 'create', collection: 'things', id: 'nulls', data: { s: 'x', n: null } })
    expect((await db.get('things', 'nulls'))?.data).toEqual({ s: 'x', n: null })
    await write({ type: 'update', collection: 'things', id: 'nulls', data: { n: 5, i: null } })
    expect((await db.get('things', 'nulls'))?.data).toEqual({ s: 'x', n: 5, i: null })
    await write({ type: 'update', collection: 'things', id: 'nulls', data: { n: null, i: deleteField() } })
    expect((await db.get('things', 'nulls'))?.data).toEqual({ s: 'x', n: null })
    await write({ type: 'update', collection: 'things', id: 'nulls', data: { n: deleteField(), j: [1, 2] } })
    expect((await db.get('things', 'nulls'))?.data).toEqual({ s: 'x', j: [1, 2] })
    // set replaces the whole document: old fields go, explicit nulls stay.
    await write({ type: 'set', collection: 'things', id: 'nulls', data: { b: true, ss: null } })
    expect((await db.get('things', 'nulls'))?.data).toEqual({ b: true, ss: null })
    // set of a missing document creates it.
    await write({ type: 'set', collection: 'things', id: 'set-new', data: { i: -7, d: new Date(0) } })
    expect((await db.get('things', 'set-new'))?.data).toEqual({ i: -7, d: new Date(0) })
  })

  it('create of an existing id → already-exists; update of a missing one → not-found; every write changes the update time', async () => {
    await write({ type: 'create', collection: 'things', id: 'dup', data: { s: 'first' } })
    const before = (await db.get('things', 'dup'))!.meta
    expect((await rejection(write({ type: 'create', collection: 'things', id: 'dup', data: { s: 'second' } }))).code).toBe('already-exists')
    expect((await db.get('things', 'dup'))?.data).toEqual({ s: 'first' })
    expect((await rejection(write({ type: 'update', collection: 'things', id: 'never-was', data: { s: 'y' } }))).code).toBe('not-found')
    expect((await rejection(write({ type: 'update', collection: 'things', id: 'never-was', data: { s: null } }))).code).toBe('not-found')
    expect(await db.get('things', 'never-was')).toBeNull() // the failed update created nothing
    await new Promise((r) => setTimeout(r, 5))
    await write({ type: 'update', collection: 'things', id: 'dup', data: { n: 1 } })
    const after = (await db.get('things', 'dup'))!.meta
    expect(after.updateTime.getTime()).toBeGreaterThan(before.updateTime.getTime())
    expect(after.version).not.toBe(before.version)
  })

  it('wrong types and undeclared fields → invalid-argument before any request (a batch writes nothing)', async () => {
    const cases: Array<Record<string, unknown>> = [{ n: 'five' }, { i: 1.5 }, { i: 2 ** 40 }, { b: 0 }, { d: '2024-01-01' }, { s: new Date() }, { ss: [1] }, { ns: ['1'] }, { extra: 1 }, { owner: 'x' }]
    for (const data of cases) {
      const error = await rejection(
        write({ type: 'create', collection: 'things', id: 'typed-ok', data: { s: 'fine' } }, { type: 'create', collection: 'things', id: 'typed-bad', data: data as DocumentData }),
      )
      expect([JSON.stringify(data), error.code]).toEqual([JSON.stringify(data), 'invalid-argument'])
    }
    expect(await db.get('things', 'typed-ok')).toBeNull()
    expect(await db.get('things', 'typed-bad')).toBeNull()
    expect((await rejection(db.get('nowhere', 'x'))).code).toBe('failed-precondition')
  })

  it('a batch runs in order and stops at the first failure', async () => {
    const error = await rejection(
      write(
        { type: 'create', collection: 'things', id: 'b1', data: { i: 1 } },
        { type: 'update', collection: 'things', id: 'b-missing', data: { i: 2 } },
        { type: 'create', collection: 'things', id: 'b3', data: { i: 3 } },
      ),
    )
    expect(error.code).toBe('not-found')
    expect((await db.get('things', 'b1'))?.data).toEqual({ i: 1 })
    expect(await db.get('things', 'b3')).toBeNull()
  })

  it('delete leaves a tombstone: get → null, update → not-found, delete again and delete of a missing id succeed, create brings it back with only the new data', async () => {
    await write({ type: 'create', collection: 'things', id: 'gone', data: { s: 'old', n: 1, ss: ['x'] } })
    await write({ type: 'delete', collection: 'things', id: 'gone' })
    expect(await db.get('things', 'gone')).toBeNull()
    expect((await rejection(write({ type: 'update', collection: 'things', id: 'gone', data: { n: 2 } }))).code).toBe('not-found')
    expect((await rejection(write({ type: 'update', collection: 'things', id: 'gone', data: { n: deleteField() } }))).code).toBe('not-found')
    await write({ type: 'delete', collection: 'things', id: 'gone' }, { type: 'delete', collection: 'things', id: 'never-existed' })
    expect(await db.get('things', 'never-existed')).toBeNull()
    const ids = (await db.query('things', q([]))).map((d) => d.id)
    expect(ids).not.toContain('gone')
    await write({ type: 'create', collection: 'things', id: 'gone', data: { b: true, n: null } })
    expect((await db.get('things', 'gone'))?.data).toEqual({ b: true, n: null })
    expect((await rejection(write({ type: 'create', collection: 'things', id: 'gone', data: {} }))).code).toBe('already-exists')
    // set over a tombstone too.
    await write({ type: 'delete', collection: 'things', id: 'gone' }, { type: 'set', collection: 'things', id: 'gone', data: { i: 9 } })
    expect((await db.get('things', 'gone'))?.data).toEqual({ i: 9 })
  })
})

describe('amplify documents: queries against the memory reference', () => {
  // Values chosen to hit type boundaries, null vs missing, and integer rounding of bounds.
  const seed: Array<{ id: string; data: DocumentData }> = []
  const strings = ['a', 'b', 'B', 'ab', 'é', 'zz', '😀', 'a b']
  const numbers = [-3, -1.5, 0, 0.25, 1, 2, 7.5, 100]
  for (let k = 0; k < 40; k++) {
    const data: DocumentData = {}
    if (k % 7 !== 0) data.s = strings[k % strings.length]!
    if (k % 5 === 1) data.n = null
    else if (k % 6 !== 0) data.n = numbers[k % numbers.length]!
    if (k % 4 !== 3) data.i = (k % 9) - 4
    if (k % 3 === 0) data.b = true
    else if (k % 3 === 1) data.b = false
    if (k % 2 === 0) data.d = new Date(Date.UTC(2020, 0, 1 + (k % 11), k % 3))
    seed.push({ id: `q${String(k).padStart(2, '0')}`, data })
  }
  const d5 = new Date(Date.UTC(2020, 0, 5, 1))

  beforeAll(async () => {
    for (let k = 0; k < seed.length; k += 10) {
      await Promise.all(seed.slice(k, k + 10).map((doc) => write({ type: 'create', collection: 'items', id: doc.id, data: doc.data })))
    }
    // A tombstone that would match everything: never returned, never counted.
    await write({ type: 'create', collection: 'items', id: 'q99', data: { s: 'a', n: 1, i: 0, b: true, d: d5 } }, { type: 'delete', collection: 'items', id: 'q99' })
  })

  const cases: Array<[string, Filter[]]> = [
    ['none', []],
    ['s == a', [where('s', '==', 'a')]],
    ['s == null', [where('s', '==', null)]],
    ['s != a', [where('s', '!=', 'a')]],
    ['s != null', [where('s', '!=', null)]],
    ['s < b', [where('s', '<', 'b')]],
    ['s >= B', [where('s', '>=', 'B')]],
    ['s > 5 (other type)', [where('s', '>', 5)]],
    ['n == 2', [where('n', '==', 2)]],
    ['n == null', [where('n', '==', null)]],
    ['n != 0', [where('n', '!=', 0)]],
    ['n != "x" (other type)', [where('n', '!=', 'x')]],
    ['n < 1', [where('n', '<', 1)]],
    ['n <= 1', [where('n', '<=', 1)]],
    ['n > -1.5', [where('n', '>', -1.5)]],
    ['n >= 7.5', [where('n', '>=', 7.5)]],
    ['i > 1.5', [where('i', '>', 1.5)]],
    ['i >= 1.5', [where('i', '>=', 1.5)]],
    ['i < -0.5', [where('i', '<', -0.5)]],
    ['i <= -0.5', [where('i', '<=', -0.5)]],
    ['i == 2.5', [where('i', '==', 2.5)]],
    ['i < 1e12', [where('i', '<', 1e12)]],
    ['i != null', [where('i', '!=', null)]],
    ['b == true', [where('b', '==', true)]],
    ['b != true', [where('b', '!=', true)]],
    ['b == null', [where('b', '==', null)]],
    ['d == d5', [where('d', '==', d5)]],
    ['d > d5', [where('d', '>', d5)]],
    ['d <= d5', [where('d', '<=', d5)]],
    ['d != null', [where('d', '!=', null)]],
    ['s in', [where('s', 'in', ['a', 'é', null, 3])]],
    ['n in', [where('n', 'in', [0, 1, 'x'])]],
    ['s not-in', [where('s', 'not-in', ['a', 'zz'])]],
    ['n not-in with null', [where('n', 'not-in', [null, 2])]],
    ['b not-in', [where('b', 'not-in', [false])]],
    ['undeclared == null', [where('nope', '==', null)]],
    ['undeclared == 1', [where('nope', '==', 1)]],
    ['and', [where('n', '>', 0), where('b', '==', true)]],
    ['or', [{ kind: 'or', filters: [where('s', '==', 'a'), where('i', '>=', 3), where('n', '==', null)] }]],
    ['or of ands', [{ kind: 'or', filters: [{ kind: 'and', filters: [where('b', '==', false), where('s', '!=', null)] }, where('d', '<', d5)] }]],
  ]

  it.each(cases)('%s: the same documents as the memory reference (asc, desc, limited), and count agrees', async (_name, filters) => {
    const ids = (docs: Array<{ id: string }>): string[] => docs.map((d) => d.id)
    for (const query of [q(filters), q(filters, { orderBy: [{ field: DOC_ID, direction: 'desc' }] }), q(filters, { limit: 3 })]) {
      const got = await db.query('items', query)
      expect(ids(got)).toEqual(ids(runQuery(seed, query)))
      for (const doc of got) expect(doc.data).toEqual(seed.find((s) => s.id === doc.id)!.data)
    }
    expect(await db.count('items', q(filters))).toBe(countMatches(seed, filters))
  })

  it('cursors: startAfter walks the whole result in pages, ascending and descending, with no gap or repeat', async () => {
    const filters = [where('n', '!=', null)]
    for (const direction of ['asc', 'desc'] as const) {
      const base = q(filters, { orderBy: [{ field: DOC_ID, direction }] })
      const walked: string[] = []
      let cursor: Query['startAfter']
      for (;;) {
        const page = await db.query('items', { ...base, limit: 4, ...(cursor ? { startAfter: cursor } : {}) })
        walked.push(...page.map((d) => d.id))
        if (page.length < 4) break
        cursor = { values: [], id: page[page.length - 1]!.id }
      }
      expect(walked).toEqual(runQuery(seed, base).map((d) => d.id))
    }
  })

  it('ordering by anything but the id, and filters on json/array fields, are refused with unsupported; filters on the id narrow the key condition', async () => {
    expect((await rejection(db.query('items', { filters: [], orderBy: [{ field: 'n', direction: 'asc' }, { field: DOC_ID, direction: 'asc' }] }))).code).toBe('unsupported')
    expect((await rejection(db.query('things', q([where('j', '==', null)])))).code).toBe('unsupported')
    expect((await rejection(db.query('things', q([where('ss', '!=', null)])))).code).toBe('unsupported')
    expect((await db.query('items', q([where(DOC_ID, '==', 'q01')]))).map((d) => d.id)).toEqual(['q01'])
    const range = [where(DOC_ID, '>', 'q01'), where(DOC_ID, '<=', 'q07'), where('n', '!=', 3)]
    expect((await db.query('items', q(range))).map((d) => d.id)).toEqual(runQuery(seed, q(range)).map((d) => d.id))
    expect(await db.count('items', q([where(DOC_ID, 'not-in', ['q01'])]))).toBe(countMatches(seed, [where(DOC_ID, 'not-in', ['q01'])]))
  })
})

describe('amplify documents: DynamoDB applies limit before the filter', () => {
  const seed: Array<{ id: string; data: DocumentData }> = []
  for (let k = 0; k < 260; k++) seed.push({ id: `p${String(k).padStart(3, '0')}`, data: { k, hit: k % 37 === 5 } })

  beforeAll(async () => {
    for (let k = 0; k < seed.length; k += 26) {
      await Promise.all(seed.slice(k, k + 26).map((doc) => write({ type: 'create', collection: 'sparse', id: doc.id, data: doc.data })))
    }
  })

  it('a sparse filter still fills the page: pages of 100 items hold ~3 matches, the query follows nextToken', async () => {
    for (const query of [q([where('hit', '==', true)], { limit: 5 }), q([where('hit', '==', true)], { limit: 5, orderBy: [{ field: DOC_ID, direction: 'desc' }] }), q([where('hit', '==', true)])]) {
      const expected = runQuery(seed, query).map((d) => d.id)
      expect(expected.length).toBeGreaterThanOrEqual(5)
      expect((await db.query('sparse', query)).map((d) => d.id)).toEqual(expected)
    }
    // Nothing matches: every page is read, the answer is empty (not a short page mistaken for the end).
    expect(await db.query('sparse', q([where('k', '<', 0)], { limit: 5 }))).toEqual([])
  })

  it('an unfiltered limit larger than a page, and count over several pages', async () => {
    const query = q([], { limit: 150 })
    expect((await db.query('sparse', query)).map((d) => d.id)).toEqual(runQuery(seed, query).map((d) => d.id))
    expect(await db.count('sparse', q([]))).toBe(260)
    expect(await db.count('sparse', q([where('hit', '==', true)]))).toBe(countMatches(seed, [where('hit', '==', true)]))
  })
})

describe('amplify documents: owner rules (readRules: filter)', () => {
  it("another user's documents are hidden from get and query; writing them is permission-denied", async () => {
    const alice = adapter()
    const bob = adapter()
    await alice.auth.signUp({ email: uniqueEmail(), password: uniquePassword() })
    await bob.auth.signUp({ email: uniqueEmail(), password: uniquePassword() })
    const uid = (who: AmplifyAdapter): string => who.auth.currentUser()!.uid
    const as = (who: AmplifyAdapter) => (...ops: WriteOp[]) => who.documents.write(ops, { atomic: false })

    await as(alice)({ type: 'create', collection: 'mine', id: 'a1', data: { title: 'alice 1', n: 1 } }, { type: 'create', collection: 'mine', id: 'a2', data: { title: 'alice 2', n: null } })
    await as(bob)({ type: 'create', collection: 'mine', id: 'b1', data: { title: 'bob 1', n: 2 } })

    expect((await alice.documents.get('mine', 'a2'))?.data).toEqual({ title: 'alice 2', n: null, owner: uid(alice) })
    expect(await bob.documents.get('mine', 'a1')).toBeNull()
    expect((await alice.documents.query('mine', q([]))).map((d) => d.id)).toEqual(['a1', 'a2'])
    expect((await bob.documents.query('mine', q([]))).map((d) => d.id)).toEqual(['b1'])
    expect((await bob.documents.query('mine', q([where('n', '!=', 5)], { limit: 1 }))).map((d) => d.id)).toEqual(['b1'])
    expect(await bob.documents.count('mine', q([]))).toBe(1)

    expect((await rejection(as(bob)({ type: 'update', collection: 'mine', id: 'a1', data: { n: 3 } }))).code).toBe('permission-denied')
    expect((await rejection(as(bob)({ type: 'update', collection: 'mine', id: 'a1', data: { n: null } }))).code).toBe('permission-denied')
    expect((await rejection(as(bob)({ type: 'set', collection: 'mine', id: 'a1', data: { title: 'mine now' } }))).code).toBe('permission-denied')
    expect((await rejection(as(bob)({ type: 'delete', collection: 'mine', id: 'a1' }))).code).toBe('permission-denied')
    expect((await rejection(as(bob)({ type: 'create', collection: 'mine', id: 'a1', data: {} }))).code).toBe('permission-denied')
    expect((await alice.documents.get('mine', 'a1'))?.data).toEqual({ title: 'alice 1', n: 1, owner: uid(alice) })

    // Missing items look the same to the owner rule (Unauthorized): read first, then the neutral answer.
    expect((await rejection(as(bob)({ type: 'update', collection: 'mine', id: 'nothing', data: { n: 3 } }))).code).toBe('not-found')
    await as(bob)({ type: 'delete', collection: 'mine', id: 'nothing' })
    await as(bob)({ type: 'set', collection: 'mine', id: 'b2', data: { title: 'set-created' } })
    expect((await bob.documents.get('mine', 'b2'))?.data).toEqual({ title: 'set-created', owner: uid(bob) })

    // The owner's own writes: update with null, delete, and a tombstone brought back.
    await as(alice)({ type: 'update', collection: 'mine', id: 'a1', data: { n: null } }, { type: 'delete', collection: 'mine', id: 'a2' })
    expect((await alice.documents.get('mine', 'a1'))?.data).toEqual({ title: 'alice 1', n: null, owner: uid(alice) })
    expect(await alice.documents.get('mine', 'a2')).toBeNull()
    await as(alice)({ type: 'create', collection: 'mine', id: 'a2', data: { title: 'again' } })
    expect((await alice.documents.query('mine', q([]))).map((d) => d.data.title)).toEqual(['alice 1', 'again'])
  })
})

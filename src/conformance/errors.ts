import { increment, PortabaseError, type DocumentData, type FilterOp, type QueryRef, type Value } from '../index.js'
import type { SuiteEnv } from './env.js'
import { expectError } from './helpers.js'
import { describe, expect, it } from './runner.js'

class Point {
  constructor(
    readonly x = 1,
    readonly y = 2,
  ) {}
}

/** Values no vendor can store; each must be refused before it reaches the adapter. */
const BAD_VALUES: [string, unknown][] = [
  ['undefined', undefined],
  ['undefined inside an object', { inner: undefined }],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['a function', () => 1],
  ['a symbol', Symbol('s')],
  ['a bigint', BigInt(1)],
  ['a class instance', new Point()],
  ['a Map', new Map([['a', 1]])],
  ['a Set', new Set([1])],
  ['a RegExp', /x/],
  ['a Uint8Array', new Uint8Array([1])],
  ['an invalid Date', new Date('not a date')],
  ['a nested array', [[1, 2]]],
  ['a nested array inside an object in an array', [{ deep: [[1]] }]],
  ['a key starting with $ in a nested object', { $where: 1 }],
  ['a key starting with __ in a nested object', { __proto_like: 1 }],
  ['a key with a dot in a nested object', { 'a.b': 1 }],
]

const BAD_FIELD_NAMES = ['', '1abc', 'a-b', '$a', 'a.b', 'with space', 'é', 'x'.repeat(129)]
const BAD_COLLECTIONS = ['', '1abc', 'a/b', '_private', 'has space', 'dash-name', 'x'.repeat(65)]
const BAD_IDS = ['', 'a/b', 'with space', 'a.b', 'é', 'x'.repeat(129)]

export function errorTests(env: SuiteEnv): void {
  async function collection() {
    const app = await env.client()
    return app.db.collection(env.target.freshCollection())
  }

  describe('errors are safe to log', () => {
    it('serialised errors carry code, provider and retryable but not the vendor cause', async () => {
      const col = await collection()
      const error = await expectError(() => col.doc('ghost').update({ v: 1 }), 'not-found')
      const json = JSON.parse(JSON.stringify(error)) as Record<string, unknown>
      expect(json).toMatchObject({ name: 'PortabaseError', code: 'not-found', provider: env.adapterName, retryable: false })
      expect(Object.keys(json)).not.toContain('cause')
      expect(error).toBeInstanceOf(Error)
    })
  })
}

/**
 * Bad names, ids, values and queries: the client refuses them before any adapter call. They run
 * once, in a core run (portabase's test/contract/core.test.ts), which also checks that no adapter call
 * happened while each refused call ran.
 */
export function coreErrorTests(env: SuiteEnv): void {
  async function expectInvalid(action: () => unknown, what?: string): Promise<PortabaseError> {
    const error = await expectError(action, 'invalid-argument', what)
    expect(error.provider).toBe('portabase')
    return error
  }

  async function collection() {
    const app = await env.client()
    return app.db.collection(env.target.freshCollection())
  }

  describe('core: bad input: names and ids', () => {
    it.each(BAD_COLLECTIONS)('collection(%p) fails with invalid-argument', async (name) => {
      const app = await env.client()
      await expectInvalid(() => app.db.collection(name))
    })

    it.each(BAD_IDS)('doc(%p) fails with invalid-argument', async (id) => {
      const col = await collection()
      await expectInvalid(() => col.doc(id))
    })

    it.each(BAD_FIELD_NAMES)('the field name %p is refused in writes', async (field) => {
      const col = await collection()
      await expectInvalid(() => col.doc('d').set({ [field]: 1 }))
      expect(await col.doc('d').get()).toBeNull()
    })
  })

  describe('core: bad input: values', () => {
    it.each(BAD_VALUES)('%s as a field value fails with invalid-argument in set, add and update', async (_label, value) => {
      const col = await collection()
      const data = { ok: 1, bad: value } as unknown as DocumentData
      await expectInvalid(() => col.doc('d').set(data), 'set')
      await expectInvalid(() => col.add(data), 'add')
      expect((await col.get()).docs).toEqual([])
      await col.doc('d').set({ ok: 1 })
      await expectInvalid(() => col.doc('d').update({ bad: value } as unknown as DocumentData), 'update')
      expect((await col.doc('d').get())?.data).toEqual({ ok: 1 })
    })

    it.each([
      ['null', null],
      ['an array', [1, 2]],
      ['a string', 'text'],
      ['a number', 42],
      ['a class instance', new Point()],
    ])('%s as document data fails with invalid-argument', async (_label, data) => {
      const col = await collection()
      await expectInvalid(() => col.doc('d').set(data as unknown as DocumentData))
    })

    it('update() with no fields fails with invalid-argument', async () => {
      const col = await collection()
      await col.doc('d').set({ v: 1 })
      await expectInvalid(() => col.doc('d').update({}))
    })
  })

  describe('core: bad input: queries', () => {
    async function expectBadQuery(build: (col: QueryRef) => QueryRef, what: string): Promise<void> {
      const col = await collection()
      await expectInvalid(() => build(col).get(), `get() of ${what}`)
      await expectInvalid(() => build(col).count(), `count() of ${what}`)
    }
    const sentinel = increment(1) as unknown as Value

    it('a write sentinel in a query fails with invalid-argument', () => expectBadQuery((c) => c.where('n', '==', sentinel), 'a sentinel filter'))
    it("'in' with an empty list fails with invalid-argument", () => expectBadQuery((c) => c.where('n', 'in', []), "'in' []"))
    it("'not-in' and 'array-contains-any' with an empty list fail with invalid-argument", async () => {
      await expectBadQuery((c) => c.where('n', 'not-in', []), "'not-in' []")
      await expectBadQuery((c) => c.where('n', 'array-contains-any', []), "'array-contains-any' []")
    })
    it("'in' with a non-array value fails with invalid-argument", () => expectBadQuery((c) => c.where('n', 'in', 'x'), "'in' 'x'"))
    it.each([0, -1, 1.5, 10_001, Number.NaN])('limit(%p) fails with invalid-argument', (limit) => expectBadQuery((c) => c.limit(limit), `limit(${limit})`))
    it('an unknown operator fails with invalid-argument', () => expectBadQuery((c) => c.where('n', '~=' as FilterOp, 1), "the operator '~='"))
    it.each<[string, Value]>([
      ['null', null],
      ['a boolean', true],
      ['an array', [1]],
      ['an object', { a: 1 }],
    ])('a range filter against %s fails with invalid-argument', (_label, value) => expectBadQuery((c) => c.where('n', '<', value), `'<' ${String(value)}`))
    it('a filter value of undefined fails with invalid-argument', () => expectBadQuery((c) => c.where('n', '==', undefined as unknown as Value), 'undefined'))
    it('NaN as a filter value fails with invalid-argument', () => expectBadQuery((c) => c.where('n', '==', Number.NaN), 'NaN'))
    it.each(['', 'a..b', '$x', '1a', 'a.$b'])('the field path %p fails with invalid-argument in where and orderBy', async (path) => {
      await expectBadQuery((c) => c.where(path, '==', 1), `where('${path}')`)
      await expectBadQuery((c) => c.orderBy(path), `orderBy('${path}')`)
    })
    it("an orderBy direction other than 'asc'/'desc' fails with invalid-argument", () =>
      expectBadQuery((c) => c.orderBy('n', 'up' as 'asc'), "orderBy direction 'up'"))
  })

}

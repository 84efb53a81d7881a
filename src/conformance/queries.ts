import { and, DOC_ID, or, where, type CollectionRef, type DocumentData, type FilterOp, type QueryRef } from '../index.js'
import { declaredIds, declaresReferenceSemantics, idsOf, orderByOf, seed, sorted } from './data.js'
import type { SuiteEnv } from './env.js'
import { expectError } from './helpers.js'
import { declaresOrdering } from './target.js'
import { describe, expect, it } from './runner.js'

/** Five docs covering present, null and missing values for every operator test. */
export const BASIC: Record<string, DocumentData> = {
  a: { n: 1, s: 'apple', b: true, tags: ['red', 'green'] },
  b: { n: 2, s: 'banana', b: false, tags: ['yellow'] },
  c: { n: 3, s: 'cherry', b: true, tags: ['red'] },
  d: { n: null, s: 'date', b: false, tags: [] },
  e: { s: 'elder' },
}

/** The same field holding each type, to check that comparisons never cross types. */
export const MIXED: Record<string, DocumentData> = {
  arr: { v: [10] },
  bool: { v: true },
  date: { v: new Date('2020-01-01T00:00:00Z') },
  none: {},
  nul: { v: null },
  num: { v: 10 },
  obj: { v: { k: 10 } },
  str: { v: '10' },
}

/** Ties on two fields, no nulls. */
export const SORT: Record<string, DocumentData> = {
  p1: { g: 'b', n: 2 },
  p2: { g: 'a', n: 3 },
  p3: { g: 'b', n: 1 },
  p4: { g: 'a', n: 3 },
  p5: { g: 'a', n: 1 },
}

/** Values, a null and a missing field, to order. */
export const NULLS: Record<string, DocumentData> = { x1: { n: 2 }, x2: { n: null }, x3: { n: 1 }, x4: {}, x5: { n: 3 } }

/** Nested objects, and a document without them. */
export const NESTED: Record<string, DocumentData> = {
  n1: { addr: { city: 'Paris', zip: 75001 } },
  n2: { addr: { city: 'Lyon', zip: 69001 } },
  n3: { addr: { city: 'Paris', zip: 75002 } },
  n4: { other: 1 },
}

/** Pagination data: ties, nulls and a missing field. */
export const PAGED: Record<string, DocumentData> = {
  r00: { n: 3, g: 'x' },
  r01: { n: 1, g: 'y' },
  r02: { n: 2, g: 'x' },
  r03: { n: 2, g: 'y' },
  r04: { n: null, g: 'x' },
  r05: { n: 1, g: 'x' },
  r06: { n: 3, g: 'y' },
  r07: { n: 2, g: 'x' },
  r08: { g: 'y' },
  r09: { n: 1, g: 'y' },
  r10: { n: 2, g: 'x' },
}

export function queryTests(env: SuiteEnv): void {
  /**
   * The ids `query` over `docs` must return on this adapter: computed from the fixtures under its
   * declared query semantics (data.ts: the reference evaluator plus each declared rule), never from
   * the adapter. `reference`, where given, is the answer under reference semantics, written out.
   */
  const expected = (docs: Record<string, DocumentData>, query: QueryRef, reference?: readonly string[]): string[] =>
    declaredIds(env.caps, docs, query, reference)

  async function seeded(docs: Record<string, DocumentData>): Promise<CollectionRef> {
    const app = await env.client()
    const col = app.db.collection(env.target.freshCollection())
    await seed(col, docs)
    return col
  }

  async function ids(query: QueryRef): Promise<string[]> {
    return idsOf((await query.get()).docs)
  }

  /**
   * For each of `ops` the adapter does not declare, asserts that `query(op)` (a query using `op`) is
   * refused with `unsupported`; true when any was missing, so the test stops there.
   */
  async function refused(ops: FilterOp[], query: (op: FilterOp) => QueryRef): Promise<boolean> {
    const missing = ops.filter((op) => !env.caps.queryOperators.includes(op))
    for (const op of missing) {
      await expectError(() => query(op).get(), 'unsupported', `a query using '${op}'`)
      await expectError(() => query(op).count(), 'unsupported', `a count using '${op}'`)
    }
    return missing.length > 0
  }

  /**
   * Without `mixedFieldTypes`, asserts the declared behaviour instead (a second type in a field is
   * refused with `invalid-argument`); true then, so the test stops there.
   */
  async function typedFieldsOnly(): Promise<boolean> {
    if (env.caps.mixedFieldTypes) return false
    const col = await seeded({ num: { v: 10 } })
    await expectError(() => col.doc('str').set({ v: '10' }), 'invalid-argument', 'a string in a number field')
    return true
  }

  /**
   * With `fieldOrdering: 'declared'`, when the fresh collections do not declare its ordering, asserts that `query`,
   * ordered by a field, is refused with `unsupported`; true then, so the test stops there.
   */
  async function undeclared(query: QueryRef): Promise<boolean> {
    if (env.caps.fieldOrdering === 'any' || declaresOrdering(env.target.orderings, orderByOf(query))) return false
    await expectError(() => query.get(), 'unsupported', 'an orderBy() the collection does not declare')
    return true
  }

  /** Every page of `query` with `size` docs per page, following nextCursor until it is null. */
  async function allPages(query: QueryRef, size: number): Promise<string[][]> {
    const pages: string[][] = []
    let cursor: string | null = null
    for (let guard = 0; guard < 100; guard++) {
      const page: Awaited<ReturnType<QueryRef['get']>> = await (cursor === null ? query.limit(size) : query.limit(size).startAfter(cursor)).get()
      pages.push(idsOf(page.docs))
      expect(page.docs.length).toBeLessThanOrEqual(size)
      if (page.nextCursor === null) return pages
      cursor = page.nextCursor
    }
    throw new Error('Pagination did not end after 100 pages')
  }

  describe('queries: operators', () => {
    it("'==' matches equal numbers", async () => {
      const col = await seeded(BASIC)
      if (await refused(['=='], () => col.where('n', '==', 2))) return
      expect(await ids(col.where('n', '==', 2))).toEqual(['b'])
    })

    it("'==' matches strings and booleans exactly", async () => {
      const col = await seeded(BASIC)
      if (await refused(['=='], () => col.where('s', '==', 'banana'))) return
      expect(await ids(col.where('s', '==', 'banana'))).toEqual(['b'])
      expect(await ids(col.where('b', '==', true))).toEqual(['a', 'c'])
      expect(await ids(col.where('s', '==', 'Banana'))).toEqual([])
    })

    it("'== null' matches null and missing fields (declared missingFields 'excluded': explicit nulls only)", async () => {
      const col = await seeded(BASIC)
      if (await refused(['=='], () => col.where('n', '==', null))) return
      expect(await ids(col.where('n', '==', null))).toEqual(expected(BASIC, col.where('n', '==', null), ['d', 'e']))
    })

    it("'==' never matches across types (10 is not '10', [10] or true)", async () => {
      if (await typedFieldsOnly()) return
      const col = await seeded(MIXED)
      if (await refused(['=='], () => col.where('v', '==', 10))) return
      expect(await ids(col.where('v', '==', 10))).toEqual(['num'])
      expect(await ids(col.where('v', '==', '10'))).toEqual(['str'])
    })

    it("'!=' matches other values, null and missing fields (declared: present, non-null values only)", async () => {
      const col = await seeded(BASIC)
      if (await refused(['!='], () => col.where('n', '!=', 2))) return
      expect(await ids(col.where('n', '!=', 2))).toEqual(expected(BASIC, col.where('n', '!=', 2), ['a', 'c', 'd', 'e']))
    })

    it("'!= null' matches only present, non-null values", async () => {
      const col = await seeded(BASIC)
      if (await refused(['!='], () => col.where('n', '!=', null))) return
      expect(await ids(col.where('n', '!=', null))).toEqual(['a', 'b', 'c'])
    })

    it("'<' and '<=' on numbers skip null and missing", async () => {
      const col = await seeded(BASIC)
      if (await refused(['<', '<='], (op) => col.where('n', op, 2))) return
      expect(await ids(col.where('n', '<', 2))).toEqual(['a'])
      expect(await ids(col.where('n', '<=', 2))).toEqual(['a', 'b'])
    })

    it("'>' and '>=' on numbers skip null and missing", async () => {
      const col = await seeded(BASIC)
      if (await refused(['>', '>='], (op) => col.where('n', op, 2))) return
      expect(await ids(col.where('n', '>', 2))).toEqual(['c'])
      expect(await ids(col.where('n', '>=', 2))).toEqual(['b', 'c'])
    })

    it('range operators on strings compare by code point', async () => {
      const col = await seeded(BASIC)
      if (await refused(['>', '<=', '>='], (op) => col.where('s', op, 'banana'))) return
      expect(await ids(col.where('s', '>', 'banana'))).toEqual(['c', 'd', 'e'])
      expect(await ids(col.where('s', '<=', 'banana'))).toEqual(['a', 'b'])
      // 'Z' (U+005A) sorts before 'a' (U+0061): no locale collation.
      expect(await ids(col.where('s', '>=', 'Z'))).toEqual(['a', 'b', 'c', 'd', 'e'])
    })

    it('range operators on Dates', async () => {
      const col = await seeded({
        d1: { at: new Date('2020-06-01T00:00:00Z') },
        d2: { at: new Date('2021-06-01T00:00:00Z') },
        d3: { at: new Date('2022-06-01T00:00:00Z') },
        d4: { at: null },
      })
      if (await refused(['>=', '<'], (op) => col.where('at', op, new Date('2021-06-01T00:00:00Z')))) return
      expect(await ids(col.where('at', '>=', new Date('2021-06-01T00:00:00Z')))).toEqual(['d2', 'd3'])
      expect(await ids(col.where('at', '<', new Date('2021-06-01T00:00:00Z')))).toEqual(['d1'])
    })

    it('range operators only match values of the bound type', async () => {
      if (await typedFieldsOnly()) return
      const col = await seeded(MIXED)
      if (await refused(['>', '>=', '<'], (op) => col.where('v', op, 5))) return
      expect(await ids(col.where('v', '>', 5))).toEqual(['num'])
      expect(await ids(col.where('v', '>=', ''))).toEqual(['str'])
      expect(await ids(col.where('v', '<', new Date('2100-01-01T00:00:00Z')))).toEqual(['date'])
    })

    it('two range conditions on one field select an interval', async () => {
      const col = await seeded(BASIC)
      if (await refused(['>', '<'], (op) => col.where('n', op, 2))) return
      expect(await ids(col.where('n', '>', 1).where('n', '<', 3))).toEqual(['b'])
    })

    it("'in' matches any listed value, same type only", async () => {
      const col = await seeded(BASIC)
      if (await refused(['in'], () => col.where('n', 'in', [1, 3]))) return
      expect(await ids(col.where('n', 'in', [1, 3]))).toEqual(['a', 'c'])
      expect(await ids(col.where('n', 'in', ['1', '3']))).toEqual([])
    })

    it("'in' with null matches null and missing fields (declared missingFields 'excluded': explicit nulls only)", async () => {
      const col = await seeded(BASIC)
      if (await refused(['in'], () => col.where('n', 'in', [null, 2]))) return
      expect(await ids(col.where('n', 'in', [null, 2]))).toEqual(expected(BASIC, col.where('n', 'in', [null, 2]), ['b', 'd', 'e']))
    })

    it("'not-in' matches values outside the list, including null and missing (declared: non-null values only; a list with null matches nothing)", async () => {
      const col = await seeded(BASIC)
      if (await refused(['not-in'], () => col.where('n', 'not-in', [1, 2]))) return
      expect(await ids(col.where('n', 'not-in', [1, 2]))).toEqual(expected(BASIC, col.where('n', 'not-in', [1, 2]), ['c', 'd', 'e']))
      expect(await ids(col.where('n', 'not-in', [1, null]))).toEqual(expected(BASIC, col.where('n', 'not-in', [1, null]), ['b', 'c']))
    })

    it("'array-contains' matches arrays holding the value and ignores non-arrays", async () => {
      const col = await seeded(env.caps.mixedFieldTypes ? { ...BASIC, f: { tags: 'red' } } : BASIC)
      if (await refused(['array-contains'], () => col.where('tags', 'array-contains', 'red'))) return
      expect(await ids(col.where('tags', 'array-contains', 'red'))).toEqual(['a', 'c'])
      expect(await ids(col.where('tags', 'array-contains', 'blue'))).toEqual([])
    })

    it("'array-contains-any' matches arrays holding any listed value", async () => {
      const col = await seeded(BASIC)
      if (await refused(['array-contains-any'], () => col.where('tags', 'array-contains-any', ['yellow', 'green']))) return
      expect(await ids(col.where('tags', 'array-contains-any', ['yellow', 'green']))).toEqual(['a', 'b'])
    })

    it('several where() conditions must all hold', async () => {
      const col = await seeded(BASIC)
      if (await refused(['==', '>'], (op) => col.where('n', op, 1))) return
      expect(await ids(col.where('b', '==', true).where('n', '>', 1))).toEqual(['c'])
      expect(await ids(col.where(and(where('b', '==', false), where('s', '==', 'date'))))).toEqual(['d'])
    })

    it('or() queries match either condition (or refuse with unsupported)', async () => {
      const col = await seeded(BASIC)
      const query = col.where(or(where('n', '==', 1), where('s', '==', 'cherry')))
      if (!env.caps.orQueries) {
        await expectError(() => query.get(), 'unsupported')
        await expectError(() => query.count(), 'unsupported')
        return
      }
      if (await refused(['=='], () => query)) return
      expect(await ids(query)).toEqual(['a', 'c'])
      expect(await query.count()).toBe(2)
    })

    it('or() combines with and() and plain where() (or refuses with unsupported)', async () => {
      const col = await seeded(BASIC)
      const query = col.where(or(and(where('b', '==', true), where('n', '>', 2)), where('s', '==', 'banana'))).where('n', '!=', null)
      if (!env.caps.orQueries) {
        await expectError(() => query.get(), 'unsupported')
        return
      }
      if (await refused(['==', '>', '!='], () => query)) return
      expect(await ids(query)).toEqual(['b', 'c'])
    })

    it('where() on a nested field path (or refuses with unsupported)', async () => {
      const col = await seeded(NESTED)
      const query = col.where('addr.city', '==', 'Paris')
      if (!env.caps.nestedFieldQueries) {
        await expectError(() => query.get(), 'unsupported')
        return
      }
      if (await refused(['=='], () => query)) return
      expect(await ids(query)).toEqual(['n1', 'n3'])
      expect(await ids(col.where('addr.city', '==', null))).toEqual(expected(NESTED, col.where('addr.city', '==', null), ['n4']))
    })

    it('orderBy() on a nested field path (or refuses with unsupported)', async () => {
      const col = await seeded(NESTED)
      const query = col.orderBy('addr.zip', 'desc')
      if (!env.caps.nestedFieldQueries) {
        await expectError(() => query.get(), 'unsupported')
        return
      }
      expect(await ids(query)).toEqual(expected(NESTED, query, ['n4', 'n3', 'n1', 'n2']))
    })

    it('where() on DOC_ID selects documents by id', async () => {
      const col = await seeded(BASIC)
      if (await refused(['==', 'in'], (op) => col.where(DOC_ID, op, op === 'in' ? ['b'] : 'b'))) return
      expect(await ids(col.where(DOC_ID, '==', 'b'))).toEqual(['b'])
      expect(await ids(col.where(DOC_ID, 'in', ['c', 'a', 'nope']))).toEqual(['a', 'c'])
    })

    it('range operators on DOC_ID compare ids', async () => {
      const col = await seeded(BASIC)
      if (await refused(['>='], () => col.where(DOC_ID, '>=', 'c'))) return
      expect(await ids(col.where(DOC_ID, '>=', 'c'))).toEqual(['c', 'd', 'e'])
    })
  })

  describe('queries: ordering', () => {
    it('without orderBy, results come in id order', async () => {
      const col = await seeded(SORT)
      expect(await ids(col)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5'])
    })

    it('orderBy asc breaks ties by id', async () => {
      const col = await seeded(SORT)
      if (await undeclared(col.orderBy('n'))) return
      expect(await ids(col.orderBy('n'))).toEqual(['p3', 'p5', 'p1', 'p2', 'p4'])
    })

    it('orderBy desc still breaks ties by ascending id', async () => {
      const col = await seeded(SORT)
      if (await undeclared(col.orderBy('n', 'desc'))) return
      expect(await ids(col.orderBy('n', 'desc'))).toEqual(['p2', 'p4', 'p1', 'p3', 'p5'])
    })

    it('multi-field orderBy: asc then desc', async () => {
      const col = await seeded(SORT)
      if (await undeclared(col.orderBy('g').orderBy('n', 'desc'))) return
      expect(await ids(col.orderBy('g').orderBy('n', 'desc'))).toEqual(['p2', 'p4', 'p5', 'p1', 'p3'])
    })

    it('multi-field orderBy: desc then asc', async () => {
      const col = await seeded(SORT)
      if (await undeclared(col.orderBy('g', 'desc').orderBy('n'))) return
      expect(await ids(col.orderBy('g', 'desc').orderBy('n'))).toEqual(['p3', 'p1', 'p5', 'p2', 'p4'])
    })

    it('orderBy(DOC_ID, desc) orders by id descending', async () => {
      const col = await seeded(SORT)
      expect(await ids(col.orderBy(DOC_ID, 'desc'))).toEqual(['p5', 'p4', 'p3', 'p2', 'p1'])
    })

    it('null and missing values sort last ascending (or as declared: nullOrder, missingFields)', async () => {
      const col = await seeded(NULLS)
      if (await undeclared(col.orderBy('n'))) return
      expect(await ids(col.orderBy('n'))).toEqual(expected(NULLS, col.orderBy('n'), ['x3', 'x1', 'x5', 'x2', 'x4']))
    })

    it('null and missing values sort first descending (or as declared: nullOrder, missingFields)', async () => {
      const col = await seeded(NULLS)
      if (await undeclared(col.orderBy('n', 'desc'))) return
      expect(await ids(col.orderBy('n', 'desc'))).toEqual(expected(NULLS, col.orderBy('n', 'desc'), ['x2', 'x4', 'x5', 'x1', 'x3']))
    })

    it('mixed types order by type: boolean < number < Date < string < array < object < null (or the declared vendor order)', async () => {
      if (await typedFieldsOnly()) return
      const col = await seeded(MIXED)
      const order = await ids(col.orderBy('v'))
      const want = expected(MIXED, col.orderBy('v'), ['bool', 'num', 'date', 'str', 'arr', 'obj', 'none', 'nul'])
      if (env.caps.mixedTypeOrder) expect(order).toEqual(want)
      else {
        // Declared: the vendor's own type order. Every expected document once; null and missing where nullOrder puts them.
        expect(sorted(order)).toEqual(sorted(want))
        const nulls = want.filter((id) => MIXED[id]!.v === null || MIXED[id]!.v === undefined)
        const placed = env.caps.nullOrder === 'last' ? order.slice(order.length - nulls.length) : order.slice(0, nulls.length)
        expect(sorted(placed)).toEqual(sorted(nulls))
      }
    })

    it('strings order by Unicode code point, not UTF-16 units or locale', async () => {
      const col = await seeded({
        s1: { s: '😀' }, // U+1F600: after U+FF5E although its first UTF-16 unit (D83D) is smaller
        s2: { s: 'a' },
        s3: { s: '～' }, // U+FF5E
        s4: { s: 'Z' },
        s5: { s: 'é' },
        s6: { s: '中' },
        s7: { s: 'ab' },
      })
      if (await undeclared(col.orderBy('s'))) return
      expect(await ids(col.orderBy('s'))).toEqual(['s4', 's2', 's7', 's5', 's6', 's3', 's1'])
    })

    it('Dates order chronologically', async () => {
      const col = await seeded({
        t1: { at: new Date('2023-01-01T00:00:00.002Z') },
        t2: { at: new Date('1999-12-31T23:59:59.999Z') },
        t3: { at: new Date('2023-01-01T00:00:00.001Z') },
      })
      if (await undeclared(col.orderBy('at'))) return
      expect(await ids(col.orderBy('at'))).toEqual(['t2', 't3', 't1'])
    })

    it('filters and orderBy combine', async () => {
      const col = await seeded(SORT)
      if (await refused(['=='], () => col.where('g', '==', 'a').orderBy('n', 'desc'))) return
      if (await undeclared(col.where('g', '==', 'a').orderBy('n', 'desc'))) return
      expect(await ids(col.where('g', '==', 'a').orderBy('n', 'desc'))).toEqual(['p2', 'p4', 'p5'])
    })
  })

  describe('queries: limit, cursors, count', () => {
    it('limit() returns the first N docs and a nextCursor when the page is full', async () => {
      const col = await seeded(BASIC)
      if (await undeclared(col.orderBy('s', 'desc').limit(2))) return
      const page = await col.orderBy('s', 'desc').limit(2).get()
      expect(idsOf(page.docs)).toEqual(['e', 'd'])
      expect(typeof page.nextCursor).toBe('string')
    })

    it('a page shorter than the limit has nextCursor null', async () => {
      const col = await seeded(BASIC)
      const page = await col.limit(10).get()
      expect(idsOf(page.docs)).toEqual(['a', 'b', 'c', 'd', 'e'])
      expect(page.nextCursor).toBeNull()
    })

    it('a query without limit has nextCursor null', async () => {
      const col = await seeded(BASIC)
      expect((await col.get()).nextCursor).toBeNull()
    })

    it('cursor pagination (asc, ties, nulls) yields every doc exactly once, in order', async () => {
      const col = await seeded(PAGED)
      if (await undeclared(col.orderBy('n'))) return
      const full = expected(PAGED, col.orderBy('n'))
      // Reference semantics: every document, the null and the missing one last.
      if (declaresReferenceSemantics(env.caps)) expect(full.slice(-2)).toEqual(['r04', 'r08'])
      expect(await ids(col.orderBy('n'))).toEqual(full)
      const pages = await allPages(col.orderBy('n'), 3)
      expect(pages.flat()).toEqual(full)
      expect(new Set(pages.flat()).size).toBe(full.length)
      expect(pages.slice(0, -1).every((p) => p.length === 3)).toBe(true)
    })

    it('cursor pagination (desc) yields every doc exactly once, in order', async () => {
      const col = await seeded(PAGED)
      if (await undeclared(col.orderBy('n', 'desc'))) return
      const full = expected(PAGED, col.orderBy('n', 'desc'))
      if (declaresReferenceSemantics(env.caps)) expect(full.slice(0, 2)).toEqual(['r04', 'r08'])
      expect(await ids(col.orderBy('n', 'desc'))).toEqual(full)
      const pages = await allPages(col.orderBy('n', 'desc'), 2)
      expect(pages.flat()).toEqual(full)
      expect(new Set(pages.flat()).size).toBe(full.length)
    })

    it('cursor pagination over two orderBy fields with a filter', async () => {
      const col = await seeded(PAGED)
      const query = col.where('n', '!=', 3).orderBy('g', 'desc').orderBy('n')
      if (await refused(['!='], () => query)) return
      if (await undeclared(query)) return
      const full = expected(PAGED, query)
      if (declaresReferenceSemantics(env.caps)) expect(full).toHaveLength(9)
      expect(await ids(query)).toEqual(full)
      const pages = await allPages(query, 4)
      expect(pages.flat()).toEqual(full)
    })

    it('cursor pagination over an inequality on a field the orderBy does not name (ordered as declared: implicitOrder)', async () => {
      const col = await seeded(PAGED)
      const query = col.where('n', '>=', 2).orderBy('g', 'desc')
      if (await refused(['>='], () => query)) return
      if (await undeclared(query)) return
      // Reference: g descending, then the id; with implicitOrder, n (descending, as the last orderBy) before the id.
      const full = expected(PAGED, query, ['r03', 'r06', 'r00', 'r02', 'r07', 'r10'])
      expect(await ids(query)).toEqual(full)
      expect((await allPages(query, 2)).flat()).toEqual(full)
      const unordered = col.where('n', '>=', 2)
      expect(await ids(unordered)).toEqual(expected(PAGED, unordered, ['r00', 'r02', 'r03', 'r06', 'r07', 'r10']))
      expect((await allPages(unordered, 4)).flat()).toEqual(expected(PAGED, unordered))
    })

    it('cursor pagination over Dates with ties', async () => {
      const t = (s: string) => new Date(`2024-01-0${s}T00:00:00.000Z`)
      const col = await seeded({ a: { at: t('2') }, b: { at: t('1') }, c: { at: t('2') }, d: { at: t('3') }, e: { at: t('1') }, f: { at: t('2') } })
      if (await undeclared(col.orderBy('at'))) return
      const pages = await allPages(col.orderBy('at'), 2)
      expect(pages.flat()).toEqual(['b', 'e', 'a', 'c', 'f', 'd'])
    })

    it('cursor pagination without orderBy pages through ids', async () => {
      const col = await seeded(PAGED)
      const pages = await allPages(col, 4)
      expect(pages.flat()).toEqual(Object.keys(PAGED))
    })

    it('a page after the last one is empty with nextCursor null', async () => {
      const col = await seeded({ a: { n: 1 }, b: { n: 2 } })
      if (await undeclared(col.orderBy('n'))) return
      const first = await col.orderBy('n').limit(2).get()
      expect(first.nextCursor).not.toBeNull()
      const next = await col.orderBy('n').limit(2).startAfter(first.nextCursor!).get()
      expect(next.docs).toEqual([])
      expect(next.nextCursor).toBeNull()
    })

    it('a cursor stays valid after the doc it points at is deleted', async () => {
      const col = await seeded(PAGED)
      if (await undeclared(col.orderBy('n'))) return
      const first = await col.orderBy('n').limit(3).get()
      const last = first.docs[first.docs.length - 1]!
      await col.doc(last.id).delete()
      const rest = await ids(col.orderBy('n').startAfter(first.nextCursor!))
      const full = expected(PAGED, col.orderBy('n')).filter((id) => id !== last.id)
      expect([...idsOf(first.docs).slice(0, -1), ...rest]).toEqual(full)
    })

    it('a cursor from a query with a different orderBy fails with invalid-argument', async () => {
      const col = await seeded(PAGED)
      if (await undeclared(col.orderBy('n'))) return
      const page = await col.orderBy('n').limit(2).get()
      await expectError(() => col.orderBy('n').orderBy('g').startAfter(page.nextCursor!).get(), 'invalid-argument')
      await expectError(() => col.startAfter(page.nextCursor!).get(), 'invalid-argument')
    })

    it('a cursor from an orderBy on other fields or directions (same length) fails with invalid-argument', async () => {
      const col = await seeded(PAGED)
      if (await undeclared(col.orderBy('n'))) return
      const page = await col.orderBy('n').limit(2).get()
      await expectError(() => col.orderBy('g').startAfter(page.nextCursor!).get(), 'invalid-argument', 'a cursor of orderBy(n) on orderBy(g)')
      await expectError(() => col.orderBy('n', 'desc').startAfter(page.nextCursor!).get(), 'invalid-argument', 'a cursor of orderBy(n) on orderBy(n, desc)')
    })

    it('a malformed cursor fails with invalid-argument', async () => {
      const col = await seeded(PAGED)
      await expectError(() => col.orderBy('n').startAfter('not a cursor!').get(), 'invalid-argument')
      await expectError(() => col.orderBy('n').startAfter(''), 'invalid-argument')
    })

    it('count() counts matches and ignores limit', async () => {
      const col = await seeded(BASIC)
      expect(await col.count()).toBe(5)
      if (await refused(['>='], () => col.where('n', '>=', 2))) return
      expect(await col.where('n', '>=', 2).count()).toBe(2)
      expect(await col.where('n', '>=', 2).limit(1).count()).toBe(2)
    })

    it('count() counts what the query returns without its limit: ordered by a field, missing ones too (declared: not)', async () => {
      const col = await seeded(BASIC)
      const query = col.orderBy('n')
      if (await undeclared(query)) return
      const want = expected(BASIC, query, ['a', 'b', 'c', 'd', 'e'])
      expect(await query.count()).toBe(want.length)
      expect(await query.limit(1).count()).toBe(want.length)
      if (await refused(['!='], () => col.where('n', '!=', 1))) return
      expect(await col.where('n', '!=', 1).count()).toBe(expected(BASIC, col.where('n', '!=', 1), ['b', 'c', 'd', 'e']).length)
    })

    it('allowClientPlan() changes nothing for a query the adapter runs natively', async () => {
      const col = await seeded(BASIC)
      if (await refused(['>='], () => col.where('n', '>=', 2))) return
      const query = col.where('n', '>=', 2).limit(1)
      const planned = query.allowClientPlan({ maxReads: 1 })
      expect(await ids(planned)).toEqual(await ids(query))
      expect(await planned.count()).toBe(2)
    })

    it('a never-written collection has no docs and count 0', async () => {
      const app = await env.client()
      const col = app.db.collection(env.target.freshCollection())
      expect((await col.get()).docs).toEqual([])
      expect(await col.count()).toBe(0)
    })

    it('query results are full docs with data and meta', async () => {
      const col = await seeded({ only: { v: 1, at: new Date('2020-01-01T00:00:00Z') } })
      const [doc] = (await col.get()).docs
      expect(doc?.id).toBe('only')
      expect(doc?.data).toEqual({ v: 1, at: new Date('2020-01-01T00:00:00Z') })
      expect(doc?.meta.updateTime).toBeInstanceOf(Date)
      expect(typeof doc?.meta.version).toBe('string')
      expect(doc?.meta.version).toBe((await col.doc('only').get())?.meta.version)
    })
  })
}

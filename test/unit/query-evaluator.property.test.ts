/**
 * The query evaluator (runQuery / compileQuery / cursors / LiveView) against a deliberately naive
 * reference written here from the documented semantics (src/query/compare.ts): filter everything,
 * sort everything, slice. Random documents and random queries must give the same results.
 */
import fc from 'fast-check'
import { decodeCursor, encodeCursor } from '../../src/query/cursor.js'
import { compileQuery, countMatches, cursorOf, runQuery, type Evaluable } from '../../src/query/evaluate.js'
import { LiveView, type ViewChange } from '../../src/query/live.js'
import { compileDeclared } from '../../src/query/declared.js'
import { OrderedIndex } from '../../src/query/ordered-index.js'
import type { QuerySemantics } from '../../src/query/semantics.js'
import { DOC_ID, FILTER_OPERATORS, type Filter, type FilterOp, type OrderBy, type Query } from '../../src/query/model.js'
import { assertQuery } from '../../src/query/validate.js'
import type { Capabilities } from '../../src/spi.js'
import type { DocumentData, Value } from '../../src/types.js'
import { memoryCapabilities } from '../../adapters/memory/index.js'

const RUNS = 300

// ---------- the naive reference ----------

type Field = Value | undefined

/** boolean < number < Date < string < array < object < null (missing reads as null). */
function rank(v: Field): number {
  if (v === null || v === undefined) return 6
  if (typeof v === 'boolean') return 0
  if (typeof v === 'number') return 1
  if (v instanceof Date) return 2
  if (typeof v === 'string') return 3
  if (Array.isArray(v)) return 4
  return 5
}

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0)

function compareSeq<T>(a: readonly T[], b: readonly T[], cmp: (x: T, y: T) => number): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = cmp(a[i]!, b[i]!)
    if (c !== 0) return c
  }
  return sign(a.length - b.length)
}

/** Code points via the string iterator: independent of the UTF-16 trick in compare.ts. */
const codePoints = (s: string): number[] => Array.from(s, (ch) => ch.codePointAt(0)!)
const compareText = (a: string, b: string): number => compareSeq(codePoints(a), codePoints(b), (x, y) => sign(x - y))

function naiveCompare(a: Field, b: Field): number {
  const ra = rank(a)
  const rb = rank(b)
  if (ra !== rb) return sign(ra - rb)
  if (ra === 6) return 0
  if (ra === 0 || ra === 1) return sign(Number(a) - Number(b))
  if (ra === 2) return sign((a as Date).getTime() - (b as Date).getTime())
  if (ra === 3) return compareText(a as string, b as string)
  if (ra === 4) return compareSeq(a as Value[], b as Value[], naiveCompare)
  const entries = (o: Field): [string, Value][] => Object.entries(o as Record<string, Value>).sort(([x], [y]) => compareText(x, y))
  return compareSeq(entries(a), entries(b), ([ka, va], [kb, vb]) => compareText(ka, kb) || naiveCompare(va, vb))
}

const naiveEqual = (a: Field, b: Field): boolean => naiveCompare(a, b) === 0

function read(doc: Evaluable, path: string): Field {
  if (path === DOC_ID) return doc.id
  let current: Field = doc.data
  for (const part of path.split('.')) {
    const isObject = typeof current === 'object' && current !== null && !Array.isArray(current) && !(current instanceof Date)
    if (!isObject) return undefined
    current = (current as Record<string, Value>)[part]
  }
  return current
}

function naiveMatches(filter: Filter, doc: Evaluable): boolean {
  if (filter.kind !== 'field') {
    return filter.kind === 'and' ? filter.filters.every((f) => naiveMatches(f, doc)) : filter.filters.some((f) => naiveMatches(f, doc))
  }
  const v = read(doc, filter.field)
  const bound = filter.value
  const list = Array.isArray(bound) ? bound : []
  const sameType = rank(v) !== 6 && rank(v) === rank(bound)
  switch (filter.op) {
    case '==':
      return naiveEqual(v, bound)
    case '!=':
      return !naiveEqual(v, bound)
    case '<':
      return sameType && naiveCompare(v, bound) < 0
    case '<=':
      return sameType && naiveCompare(v, bound) <= 0
    case '>':
      return sameType && naiveCompare(v, bound) > 0
    case '>=':
      return sameType && naiveCompare(v, bound) >= 0
    case 'in':
      return list.some((x) => naiveEqual(v, x))
    case 'not-in':
      return !list.some((x) => naiveEqual(v, x))
    case 'array-contains':
      return Array.isArray(v) && v.some((x) => naiveEqual(x, bound))
    case 'array-contains-any':
      return Array.isArray(v) && v.some((x) => list.some((y) => naiveEqual(x, y)))
  }
}

function naiveOrder(orderBy: readonly OrderBy[]): (a: Evaluable, b: Evaluable) => number {
  return (a, b) => {
    for (const o of orderBy) {
      const c = naiveCompare(read(a, o.field), read(b, o.field))
      if (c !== 0) return o.direction === 'desc' ? -c : c
    }
    return 0
  }
}

/** All matches in order; `after` is the document a cursor was taken from (compared by its real values). */
function naiveResult(docs: readonly Evaluable[], query: Query, after?: Evaluable): Evaluable[] {
  const order = naiveOrder(query.orderBy)
  const matches = docs.filter((d) => query.filters.every((f) => naiveMatches(f, d)))
  const sortedAll = [...matches].sort(order)
  const page = after ? sortedAll.filter((d) => order(d, after) > 0) : sortedAll
  return query.limit === undefined ? page : page.slice(0, query.limit)
}

const ids = (docs: readonly Evaluable[]): string[] => docs.map((d) => d.id)

// ---------- generators ----------

const ID_POOL = Array.from({ length: 14 }, (_, i) => `d${String(i).padStart(2, '0')}`)
const STRINGS = ['', 'a', 'b', 'B', 'ab', 'é', '中', '～', '😀', 'a😀', '\uE000', 'd03']
const DATES = [0, 1e12, 1.5e12]

const scalar: fc.Arbitrary<Value> = fc.oneof(
  fc.integer({ min: -2, max: 2 }),
  fc.constantFrom(0.5, -0),
  fc.constantFrom(...STRINGS),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(...DATES).map((t) => new Date(t)),
)
const smallArray: fc.Arbitrary<Value[]> = fc.array(scalar, { maxLength: 3 })
const smallObject: fc.Arbitrary<Record<string, Value>> = fc.record({ x: scalar, y: scalar }, { requiredKeys: [] })
const anyValue: fc.Arbitrary<Value> = fc.oneof({ arbitrary: scalar, weight: 4 }, { arbitrary: smallArray, weight: 1 }, { arbitrary: smallObject, weight: 1 })

const docData: fc.Arbitrary<DocumentData> = fc.record(
  { a: anyValue, b: scalar, c: fc.integer({ min: 0, max: 3 }), tags: smallArray, o: fc.oneof(smallObject, scalar) },
  { requiredKeys: [] },
) as fc.Arbitrary<DocumentData>

const docsArb: fc.Arbitrary<Evaluable[]> = fc.uniqueArray(
  fc.record({ id: fc.constantFrom(...ID_POOL), data: docData }),
  { selector: (d) => d.id, maxLength: 12 },
)

const FIELDS = ['a', 'b', 'c', 'tags', 'o', 'o.x', DOC_ID]
const RANGE_OPS: readonly FilterOp[] = ['<', '<=', '>', '>=']
const LIST_OPS: readonly FilterOp[] = ['in', 'not-in', 'array-contains-any']

function valueFor(op: FilterOp, field: string): fc.Arbitrary<Value> {
  const idLike = fc.constantFrom(...ID_POOL, ...STRINGS)
  if (RANGE_OPS.includes(op)) {
    if (field === DOC_ID) return idLike
    return fc.oneof(fc.integer({ min: -2, max: 3 }), fc.constantFrom(...STRINGS), fc.constantFrom(...DATES).map((t) => new Date(t)))
  }
  if (LIST_OPS.includes(op)) return fc.array(field === DOC_ID ? idLike : fc.oneof(scalar, smallArray), { minLength: 1, maxLength: 4 })
  return field === DOC_ID ? idLike : anyValue
}

const fieldFilter: fc.Arbitrary<Filter> = fc
  .record({ field: fc.constantFrom(...FIELDS), op: fc.constantFrom(...FILTER_OPERATORS) })
  .chain(({ field, op }) => valueFor(op, field).map((value): Filter => ({ kind: 'field', field, op, value })))

const composite = (inner: fc.Arbitrary<Filter>): fc.Arbitrary<Filter> =>
  fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), filters: fc.array(inner, { minLength: 1, maxLength: 3 }) })

const filterArb: fc.Arbitrary<Filter> = fc.oneof(
  { arbitrary: fieldFilter, weight: 3 },
  { arbitrary: composite(fc.oneof({ arbitrary: fieldFilter, weight: 3 }, { arbitrary: composite(fieldFilter), weight: 1 })), weight: 1 },
)

/** 0–2 user fields, then the id as the client appends it (unless the id was ordered explicitly). */
const orderByArb: fc.Arbitrary<OrderBy[]> = fc
  .uniqueArray(fc.record({ field: fc.constantFrom('a', 'b', 'c', 'tags', 'o', 'o.x', DOC_ID), direction: fc.constantFrom('asc' as const, 'desc' as const) }), {
    selector: (o) => o.field,
    maxLength: 2,
  })
  .map((orders) => (orders.some((o) => o.field === DOC_ID) ? orders : [...orders, { field: DOC_ID, direction: 'asc' as const }]))

const queryArb: fc.Arbitrary<Query> = fc
  .record({ filters: fc.array(filterArb, { maxLength: 3 }), orderBy: orderByArb, limit: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }) })
  .map(({ filters, orderBy, limit }) => (limit === undefined ? { filters, orderBy } : { filters, orderBy, limit }))

/** Every capability: the memory adapter's set. */
const ALL: Capabilities = memoryCapabilities

/** A write against the pool of ids: new data, or a delete. */
const writeArb = fc.record({ id: fc.constantFrom(...ID_POOL), data: fc.option(docData, { nil: undefined }) })

/** Shrunk counterexamples found earlier, always re-checked (property runs are random). */
const byFieldAndSubfield = (direction: 'asc' | 'desc'): OrderBy[] => [
  { field: 'o', direction },
  { field: 'o.x', direction: 'asc' },
  { field: DOC_ID, direction: 'asc' },
]
const LIMIT_1_BY_A: Query = { filters: [], orderBy: [{ field: 'a', direction: 'asc' }, { field: DOC_ID, direction: 'asc' }], limit: 1 }

// ---------- properties ----------

describe('query evaluator vs a naive reference (property-based)', () => {
  it('the generators only make queries the client would accept', () => {
    fc.assert(fc.property(queryArb, (query) => assertQuery(query, ALL, 'test')), { numRuns: RUNS })
  })

  it('runQuery equals filter-all, sort-all, slice', () => {
    fc.assert(
      fc.property(docsArb, queryArb, (docs, query) => {
        expect(ids(runQuery(docs, query))).toEqual(ids(naiveResult(docs, query)))
      }),
      { numRuns: RUNS },
    )
  })

  it('runQuery over a compiled query equals runQuery over the query', () => {
    fc.assert(
      fc.property(docsArb, queryArb, (docs, query) => {
        const compiled = compileQuery(query)
        expect(ids(runQuery(docs, compiled))).toEqual(ids(naiveResult(docs, query)))
        for (const doc of docs) expect(compiled.matches(doc)).toBe(query.filters.every((f) => naiveMatches(f, doc)))
      }),
      { numRuns: RUNS },
    )
  })

  it('countMatches counts what the reference filter keeps, ignoring limit', () => {
    fc.assert(
      fc.property(docsArb, queryArb, (docs, query) => {
        expect(countMatches(docs, query.filters)).toBe(naiveResult(docs, { ...query, limit: undefined }).length)
      }),
      { numRuns: RUNS },
    )
  })

  it('startAfter(cursorOf(doc)) returns exactly what sorts after that doc', () => {
    fc.assert(
      fc.property(docsArb, queryArb, fc.nat(), (docs, query, pick) => {
        fc.pre(docs.length > 0)
        const anchor = docs[pick % docs.length]!
        const startAfter = decodeCursor(encodeCursor(cursorOf(anchor, query.orderBy), query.orderBy), query.orderBy)
        expect(ids(runQuery(docs, { ...query, startAfter }))).toEqual(ids(naiveResult(docs, query, anchor)))
      }),
      { numRuns: RUNS, examples: [[[{ id: 'd00', data: { o: '' } }], { filters: [], orderBy: byFieldAndSubfield('desc') }, 0]] },
    )
  })

  it('cursor pagination visits every match exactly once, in order, page by page', () => {
    fc.assert(
      fc.property(docsArb, queryArb, fc.integer({ min: 1, max: 4 }), (docs, base, size) => {
        const query: Query = { filters: base.filters, orderBy: base.orderBy }
        const expected = ids(naiveResult(docs, query))
        const seen: string[] = []
        let startAfter: Query['startAfter']
        for (let guard = 0; guard <= docs.length + 1; guard++) {
          const page = runQuery(docs, startAfter ? { ...query, limit: size, startAfter } : { ...query, limit: size })
          expect(ids(page)).toEqual(expected.slice(seen.length, seen.length + size))
          seen.push(...ids(page))
          if (page.length < size) break
          startAfter = decodeCursor(encodeCursor(cursorOf(page[page.length - 1]!, query.orderBy), query.orderBy), query.orderBy)
        }
        expect(seen).toEqual(expected)
      }),
      { numRuns: RUNS, examples: [[[{ id: 'd00', data: {} }], { filters: [], orderBy: byFieldAndSubfield('asc') }, 1]] },
    )
  })

  it('an OrderedIndex kept up to date through writes gives the same pages as a scan', () => {
    fc.assert(
      fc.property(docsArb, queryArb, fc.array(writeArb, { maxLength: 15 }), (initial, query, writes) => {
        const store = new Map(initial.map((d) => [d.id, d]))
        const index = new OrderedIndex<Evaluable>(query.orderBy, store.values())
        const check = (): void => {
          expect(ids(runQuery(index.values(), query, { ordered: true }))).toEqual(ids(naiveResult([...store.values()], query)))
          expect(index.size).toBe(store.size)
        }
        check()
        for (const { id, data } of writes) {
          const after = data === undefined ? undefined : { id, data }
          index.replace(store.get(id), after)
          if (after) store.set(id, after)
          else store.delete(id)
          check()
        }
      }),
      { numRuns: RUNS },
    )
  })

  it('an OrderedIndex read from a cursor gives the same pages as a scan, under reference and declared (Firestore) semantics', () => {
    const firestore: QuerySemantics = { missingFields: 'excluded', nullOrder: 'first', notEqualNull: 'skipped', implicitOrder: 'inequality-fields' }
    fc.assert(
      fc.property(docsArb, queryArb, fc.boolean(), fc.integer({ min: 0, max: 11 }), (docs, query, declared, at) => {
        const compiled = (q: Query) => (declared ? compileDeclared(q, firestore) : compileQuery(q))
        const all = runQuery(docs, compiled({ ...query, limit: undefined }))
        const from = all[Math.min(at, all.length - 1)]
        const startAfter = from ? cursorOf(from, query.orderBy) : undefined
        const page: Query = startAfter ? { ...query, startAfter } : query
        const index = new OrderedIndex<Evaluable>(query.orderBy, docs, compiled({ filters: [], orderBy: query.orderBy }).compare)
        expect(ids(runQuery(index.values(startAfter), compiled(page), { ordered: true }))).toEqual(ids(runQuery(docs, compiled(page))))
      }),
      { numRuns: RUNS },
    )
  })

  it('a LiveView fed writes in batches (applyBatch) always equals re-running the query, with consistent changes', () => {
    fc.assert(
      fc.property(docsArb, queryArb, fc.array(fc.array(writeArb, { minLength: 1, maxLength: 6 }), { maxLength: 5 }), (initial, query, batches) => {
        const store = new Map(initial.map((d) => [d.id, d]))
        const view = new LiveView<Evaluable>(query, runQuery(store.values(), query))
        for (const batch of batches) {
          const before = [...view.current]
          const updates = batch.map(({ id, data }) => [id, data === undefined ? undefined : { id, data }] as const)
          for (const [id, after] of updates) {
            if (after) store.set(id, after)
            else store.delete(id)
          }
          const changes = view.applyBatch(updates) ?? view.rerun(store.values())
          expect(ids(view.current)).toEqual(ids(naiveResult([...store.values()], query)))
          expect(changeProblems(before, view.current, changes)).toEqual([])
          for (const doc of view.current) expect(doc).toBe(store.get(doc.id))
          for (const doc of view.current) expect(view.has(doc.id)).toBe(true)
        }
      }),
      { numRuns: RUNS },
    )
  })

  it('a LiveView fed writes one at a time always equals re-running the query, with consistent changes', () => {
    fc.assert(
      fc.property(docsArb, queryArb, fc.array(writeArb, { maxLength: 15 }), (initial, query, writes) => {
        const store = new Map(initial.map((d) => [d.id, d]))
        const view = new LiveView<Evaluable>(query, runQuery(store.values(), query))
        for (const { id, data } of writes) {
          const before = [...view.current]
          const after = data === undefined ? undefined : { id, data }
          if (after) store.set(id, after)
          else store.delete(id)
          const changes = view.apply(id, after) ?? view.rerun(store.values())
          const expected = ids(naiveResult([...store.values()], query))
          expect(ids(view.current)).toEqual(expected)
          expect(changeProblems(before, view.current, changes)).toEqual([])
          // Members are the latest versions of their documents.
          for (const doc of view.current) expect(doc).toBe(store.get(doc.id))
        }
      }),
      {
        numRuns: RUNS,
        // A member of a full window updated to sort last must give way to the best outsider.
        examples: [[[], LIMIT_1_BY_A, [{ id: 'd00', data: {} }, { id: 'd01', data: { a: false } }, { id: 'd01', data: {} }]]],
      },
    )
  })
})

/** Indices refer to the previous and the new result (src/query/live.ts); entries and exits are reported. */
function changeProblems(before: readonly Evaluable[], after: readonly Evaluable[], changes: readonly ViewChange<Evaluable>[]): string[] {
  const prev = ids(before)
  const next = ids(after)
  const problems: string[] = []
  for (const c of changes) {
    if (c.type !== 'added' && prev[c.oldIndex] !== c.doc.id) problems.push(`${c.type} ${c.doc.id}: previous[${c.oldIndex}] is ${prev[c.oldIndex]}`)
    if (c.type !== 'removed' && next[c.newIndex] !== c.doc.id) problems.push(`${c.type} ${c.doc.id}: next[${c.newIndex}] is ${next[c.newIndex]}`)
    if (c.type === 'added' && c.oldIndex !== -1) problems.push(`added ${c.doc.id}: oldIndex ${c.oldIndex}`)
    if (c.type === 'removed' && c.newIndex !== -1) problems.push(`removed ${c.doc.id}: newIndex ${c.newIndex}`)
  }
  for (const id of next) if (!prev.includes(id) && !changes.some((c) => c.type === 'added' && c.doc.id === id)) problems.push(`${id} entered unreported`)
  for (const id of prev) if (!next.includes(id) && !changes.some((c) => c.type === 'removed' && c.doc.id === id)) problems.push(`${id} left unreported`)
  return problems
}

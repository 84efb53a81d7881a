/**
 * The Firebase adapter's declared query semantics (FIRESTORE_QUERY_SEMANTICS) describe Firestore: on
 * random documents and random queries Firestore can run natively, the declared-semantics evaluator
 * (src/query/declared.ts — what memory emulates Firestore with, and what Firestore client plans
 * evaluate with) answers exactly what the fake Firestore answers (fake-firestore.ts, written from
 * Firestore's documentation and the web SDK's own matching code), page by page with cursors.
 * Both are our readings of Firestore; test/live/firebase.test.ts checks them against an emulator.
 */
import fc from 'fast-check'
import { FIRESTORE_QUERY_SEMANTICS } from '../../adapters/firebase/firestore-query.js'
import { nativeProblem } from '../../adapters/firebase/firestore-limits.js'
import { compileDeclared, countDeclared } from '../../src/query/declared.js'
import { cursorOf, runQuery, type Evaluable } from '../../src/query/evaluate.js'
import { DOC_ID, FILTER_OPERATORS, withIdOrder, type Filter, type FilterOp, type OrderBy, type Query } from '../../src/query/model.js'
import { declaredOrderBy } from '../../src/query/semantics.js'
import type { DocumentData, Value } from '../../src/types.js'
import { FakeStore, type FakeQuery, type WhereConstraint, type CompositeConstraint } from './fake-firestore.js'

const RUNS = 400
const ID_POOL = Array.from({ length: 12 }, (_, i) => `d${String(i).padStart(2, '0')}`)
const STRINGS = ['', 'a', 'b', 'B', 'ab', 'é', '中', '～', '😀']

const scalar: fc.Arbitrary<Value> = fc.oneof(
  fc.integer({ min: -2, max: 2 }),
  fc.constant(0.5),
  fc.constantFrom(...STRINGS),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(0, 1e12).map((t) => new Date(t)),
)
const smallArray = fc.array(scalar, { maxLength: 3 })
const smallObject = fc.record({ x: scalar, y: scalar }, { requiredKeys: [] })
const anyValue: fc.Arbitrary<Value> = fc.oneof({ arbitrary: scalar, weight: 4 }, { arbitrary: smallArray, weight: 1 }, { arbitrary: smallObject, weight: 1 })
const docData = fc.record({ a: anyValue, b: scalar, c: fc.integer({ min: 0, max: 3 }), tags: smallArray, o: fc.oneof(smallObject, scalar) }, { requiredKeys: [] }) as fc.Arbitrary<DocumentData>
const docsArb = fc.uniqueArray(fc.record({ id: fc.constantFrom(...ID_POOL), data: docData }), { selector: (d) => d.id, maxLength: 10 })

const FIELDS = ['a', 'b', 'c', 'tags', 'o.x', DOC_ID]
const RANGE: readonly FilterOp[] = ['<', '<=', '>', '>=']
const LISTS: readonly FilterOp[] = ['in', 'not-in', 'array-contains-any']

function valueFor(op: FilterOp, field: string): fc.Arbitrary<Value> {
  if (field === DOC_ID) return LISTS.includes(op) ? fc.array(fc.constantFrom(...ID_POOL), { minLength: 1, maxLength: 3 }) : fc.constantFrom(...ID_POOL)
  if (RANGE.includes(op)) return fc.oneof(fc.integer({ min: -2, max: 3 }), fc.constantFrom(...STRINGS), fc.constantFrom(0, 1e12).map((t) => new Date(t)))
  if (LISTS.includes(op)) return fc.array(scalar, { minLength: 1, maxLength: 3 })
  return anyValue
}

const leaf: fc.Arbitrary<Filter> = fc
  .record({ field: fc.constantFrom(...FIELDS), op: fc.constantFrom(...FILTER_OPERATORS) })
  .filter(({ field, op }) => !(field === DOC_ID && (op === 'array-contains' || op === 'array-contains-any')))
  .chain(({ field, op }) => valueFor(op, field).map((value): Filter => ({ kind: 'field', field, op, value })))
const filterArb: fc.Arbitrary<Filter> = fc.oneof(
  { arbitrary: leaf, weight: 4 },
  { arbitrary: fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), filters: fc.array(leaf, { minLength: 1, maxLength: 3 }) }), weight: 1 },
)
const userOrderArb: fc.Arbitrary<OrderBy[]> = fc.uniqueArray(
  fc.record({ field: fc.constantFrom('a', 'b', 'c', 'tags', 'o.x'), direction: fc.constantFrom('asc' as const, 'desc' as const) }),
  { selector: (o) => o.field, maxLength: 2 },
)

/** The neutral query as the client builds it for an adapter with Firestore's semantics. */
const queryArb: fc.Arbitrary<Query> = fc
  .record({ filters: fc.array(filterArb, { maxLength: 3 }), orderBy: userOrderArb, limit: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }) })
  .map(({ filters, orderBy, limit }) => ({ filters, orderBy: withIdOrder(declaredOrderBy(orderBy, filters, FIRESTORE_QUERY_SEMANTICS)), ...(limit === undefined ? {} : { limit }) }))
  .filter((q) => nativeProblem(q) === null)

/** The neutral query as the adapter sends it (firestore.ts toFirestore), in the fake's terms. */
function toFake(collection: string, q: Query): FakeQuery {
  const convert = (f: Filter): WhereConstraint | CompositeConstraint =>
    f.kind === 'field' ? { $: 'where', field: f.field === DOC_ID ? '__name__' : f.field, op: f.op, value: f.value } : { $: f.kind, filters: f.filters.map(convert) }
  const fake: FakeQuery = {
    $: 'query',
    collection,
    filters: q.filters.length <= 1 ? q.filters.map(convert) : [{ $: 'and', filters: q.filters.map(convert) }],
    orderBy: q.orderBy.map((o) => ({ $: 'orderBy', field: o.field === DOC_ID ? '__name__' : o.field, direction: o.direction })),
  }
  if (q.limit !== undefined) fake.limit = q.limit
  if (q.startAfter) {
    let i = 0
    fake.startAfter = q.orderBy.map((o) => (o.field === DOC_ID ? q.startAfter!.id : q.startAfter!.values[i++]))
  }
  return fake
}

const ids = (docs: readonly { id: string }[]): string[] => docs.map((d) => d.id)

describe('FIRESTORE_QUERY_SEMANTICS against the fake Firestore', () => {
  it('every page, every cursor and every count agree on random native queries', () => {
    fc.assert(
      fc.property(docsArb, queryArb, (docs: Evaluable[], query) => {
        const store = new FakeStore()
        store.seed('c', Object.fromEntries(docs.map((d) => [d.id, d.data])))
        const declared = runQuery(docs, compileDeclared(query, FIRESTORE_QUERY_SEMANTICS))
        expect(ids(declared)).toEqual(ids(store.run(toFake('c', query))))
        const whole = { ...query, limit: undefined }
        expect(countDeclared(docs, whole, FIRESTORE_QUERY_SEMANTICS)).toBe(store.run(toFake('c', whole), false).length)
        // Resume after each result, as the next page would.
        for (const doc of declared) {
          const next: Query = { ...query, startAfter: cursorOf(doc, query.orderBy) }
          expect(ids(runQuery(docs, compileDeclared(next, FIRESTORE_QUERY_SEMANTICS)))).toEqual(ids(store.run(toFake('c', next))))
        }
      }),
      { numRuns: RUNS },
    )
  })
})

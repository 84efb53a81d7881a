/**
 * Differential test: random documents and random queries (every operator, and/or, multi-field
 * orderBy, limit, cursors, count) must give the same results on a real Parse Server as on the
 * memory adapter, the reference implementation of the neutral semantics.
 *
 * Bounded: 50 datasets × up to 4 queries, each also run from a cursor. Each field keeps one type
 * across documents (Parse columns are typed: a declared difference tested in adapter.test.ts), and
 * queries never compare whole arrays or order by arrays/objects (refused with `unsupported`, also
 * tested there). Strings use letters of both cases, digits, punctuation, non-ASCII and astral
 * characters: the backend's C collation orders them by code point, like the neutral order.
 */
import fc from 'fast-check'
import { memory } from '../../adapters/memory/index.js'
import { parse } from '../../adapters/parse/index.js'
import type { Adapter } from '../../src/spi.js'
import { cursorOf } from '../../src/query/evaluate.js'
import { DOC_ID, type FieldFilter, type Filter, type FilterOp, type OrderBy, type Query } from '../../src/query/model.js'
import { assertQuery } from '../../src/query/validate.js'
import type { Doc, DocumentData, Value } from '../../src/types.js'
import { generateId } from '../../src/ids.js'
import { startParseServer, type ParseTestServer } from '../backends/parse/server.js'

jest.setTimeout(300_000)

const NUM_RUNS = Number(process.env.PARSE_DIFF_RUNS ?? 50)
let server: ParseTestServer
let parseAdapter: Adapter
const run = generateId(6)
let collections = 0

beforeAll(async () => {
  try {
    server = await startParseServer()
  } catch (error) {
    throw new Error(`The Parse test backend did not start, so the differential test cannot run: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
  parseAdapter = parse({ serverURL: server.serverURL, appId: server.appId, javascriptKey: server.javascriptKey, liveQueryServerURL: false, transactions: false })
})

afterAll(async () => {
  await parseAdapter?.dispose()
  await server?.stop()
})

// ------------------------------------------------------------------ values

const IDS = ['a', 'b', 'c', 'D', 'e1', 'f_', 'g-', 'Zz', '0', 'h']
const DATES = ['1999-12-31T23:59:59.999Z', '2020-01-01T00:00:00.000Z', '2020-01-01T00:00:00.001Z', '2024-02-29T12:00:00.000Z'].map((iso) => new Date(iso))
const CHARS = ['a', 'b', 'A', 'B', 'Z', '0', '9', '_', '-', ' ', 'é', 'ß', '中', '～', '😀']
const TAGS = ['x', 'y', 'z']
const OBJECTS: Value[] = [{ k: 1 }, { k: 2 }, { j: 'a', k: 1 }, {}, { k: DATES[1]! }]

const valueOf: Record<string, fc.Arbitrary<Value>> = {
  n: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(0.5, -1.5, 0.001)),
  s: fc.string({ unit: fc.constantFrom(...CHARS), maxLength: 3 }),
  b: fc.boolean(),
  d: fc.constantFrom(...DATES),
  t: fc.array(fc.constantFrom(...TAGS), { maxLength: 3 }),
  o: fc.constantFrom(...OBJECTS),
}
const FIELDS = Object.keys(valueOf)
/** Fields the neutral order and Parse agree on (arrays and objects are refused in orderBy). */
const ORDERABLE = ['n', 's', 'b', 'd']

/** Per field: missing (most often), null, or a value of the field's one type. */
const presence = (field: string): fc.Arbitrary<Value | undefined> =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 5, arbitrary: valueOf[field]! })

const docArb: fc.Arbitrary<DocumentData> = fc.record(Object.fromEntries(FIELDS.map((f) => [f, presence(f)]))).map((record) => {
  const data: DocumentData = {}
  for (const [k, v] of Object.entries(record)) if (v !== undefined) data[k] = v
  return data
})

const datasetArb = fc.uniqueArray(fc.tuple(fc.constantFrom(...IDS), docArb), { maxLength: 10, selector: ([id]) => id })

// ------------------------------------------------------------------ queries

const field = (name: string, op: FilterOp, value: Value): FieldFilter => ({ kind: 'field', field: name, op, value })
const orNull = (arb: fc.Arbitrary<Value>): fc.Arbitrary<Value> => fc.oneof({ weight: 5, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(null) })
const list = (arb: fc.Arbitrary<Value>): fc.Arbitrary<Value> => fc.array(orNull(arb), { minLength: 1, maxLength: 4 })

function scalarFilters(name: string, values: fc.Arbitrary<Value>, ranges: boolean): fc.Arbitrary<Filter> {
  const equality = fc.tuple(fc.constantFrom<FilterOp>('==', '!='), orNull(values)).map(([op, v]) => field(name, op, v))
  const membership = fc.tuple(fc.constantFrom<FilterOp>('in', 'not-in'), list(values)).map(([op, v]) => field(name, op, v))
  const range = fc.tuple(fc.constantFrom<FilterOp>('<', '<=', '>', '>='), values).map(([op, v]) => field(name, op, v))
  return ranges ? fc.oneof(equality, membership, range) : fc.oneof(equality, membership)
}

const fieldFilterArb: fc.Arbitrary<Filter> = fc.oneof(
  scalarFilters('n', valueOf.n!, true),
  scalarFilters('s', valueOf.s!, true),
  scalarFilters('b', valueOf.b!, false),
  scalarFilters('d', valueOf.d!, true),
  scalarFilters('o', valueOf.o!, false),
  scalarFilters(DOC_ID, fc.constantFrom(...IDS), true),
  fc.constantFrom<FilterOp>('==', '!=').map((op) => field('t', op, null)),
  fc.constantFrom(...TAGS).map((tag) => field('t', 'array-contains', tag)),
  fc.array(fc.constantFrom(...TAGS), { minLength: 1, maxLength: 3 }).map((tags) => field('t', 'array-contains-any', tags)),
  // A field no document ever holds (its column does not exist in the class).
  scalarFilters('never', valueOf.n!, true),
)

const filterArb: fc.Arbitrary<Filter> = fc.letrec<{ filter: Filter }>((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fieldFilterArb,
    fc.tuple(fc.constantFrom<'and' | 'or'>('and', 'or'), fc.array(tie('filter'), { minLength: 2, maxLength: 3 })).map(([kind, filters]) => ({ kind, filters })),
  ),
})).filter

const orderByArb: fc.Arbitrary<OrderBy[]> = fc
  .tuple(fc.shuffledSubarray(ORDERABLE, { maxLength: 2 }), fc.array(fc.constantFrom<'asc' | 'desc'>('asc', 'desc'), { minLength: 3, maxLength: 3 }))
  .map(([fields, directions]) => [...fields.map((f, i) => ({ field: f, direction: directions[i]! })), { field: DOC_ID, direction: directions[2]! }])

const queryArb: fc.Arbitrary<{ query: Query; cursorAt: number }> = fc
  .record({
    filters: fc.array(filterArb, { maxLength: 2 }),
    orderBy: orderByArb,
    limit: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
    cursorAt: fc.nat(),
  })
  .map(({ filters, orderBy, limit, cursorAt }) => ({ query: limit === undefined ? { filters, orderBy } : { filters, orderBy, limit }, cursorAt }))

// ------------------------------------------------------------------ running

const shape = (docs: readonly Doc[]) => docs.map((d) => ({ id: d.id, data: d.data }))

async function outcome(adapter: Adapter, collection: string, query: Query): Promise<{ docs?: ReturnType<typeof shape>; count?: number; error?: string }> {
  try {
    const docs = await adapter.documents.query(collection, query)
    const count = await adapter.documents.count(collection, query)
    return { docs: shape(docs), count }
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) }
  }
}

const stats: string[] = []
afterAll(() => {
  if (process.env.PARSE_DIFF_STATS) console.log(`queries: ${stats.length}, with results: ${stats.filter((s) => s === 'hit').length}, empty: ${stats.filter((s) => s === 'empty').length}, errors: ${stats.filter((s) => s === 'error').length}`)
})

test(`${NUM_RUNS} random datasets × random queries: Parse answers exactly like the memory adapter`, async () => {
  let queriesRun = 0
  await fc.assert(
    fc.asyncProperty(datasetArb, fc.array(queryArb, { minLength: 1, maxLength: 4 }), async (dataset, queries) => {
      const collection = `d${run}_${++collections}`
      const reference = memory()
      const ops = dataset.map(([id, data]) => ({ type: 'create' as const, collection, id, data }))
      await reference.documents.write(ops, { atomic: false })
      await parseAdapter.documents.write(ops, { atomic: false })
      try {
        for (const { query, cursorAt } of queries) {
          assertQuery(query, parseAdapter.capabilities, 'parse')
          const expected = await outcome(reference, collection, query)
          if (process.env.PARSE_DIFF_STATS) stats.push(expected.error ? 'error' : expected.docs!.length > 0 ? 'hit' : 'empty')
          expect({ query: 'as generated', ...(await outcome(parseAdapter, collection, query)) }).toEqual({ query: 'as generated', ...expected })
          queriesRun++
          const docs = await reference.documents.query(collection, query)
          if (docs.length === 0) continue
          const paged: Query = { ...query, startAfter: cursorOf(docs[cursorAt % docs.length]!, query.orderBy) }
          expect({ query: 'from a cursor', ...(await outcome(parseAdapter, collection, paged)) }).toEqual({ query: 'from a cursor', ...(await outcome(reference, collection, paged)) })
          queriesRun++
        }
      } finally {
        await reference.dispose()
      }
    }),
    // A query that hangs fails after 30 s with its seed and path, not at Jest's timeout.
    { numRuns: NUM_RUNS, endOnFailure: true, timeout: 30_000 },
  )
  // Bounded, but not vacuous.
  expect(queriesRun).toBeGreaterThanOrEqual(NUM_RUNS)
})

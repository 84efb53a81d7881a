/**
 * Differential test of the Supabase query translation (adapters/supabase/query.ts): random
 * documents and random queries; the parameters the adapter sends, run as the SQL PostgREST runs for
 * them (postgrest-sql.ts) on real PostgreSQL, must give the ids the reference evaluator (src/query,
 * what the memory adapter runs) gives, in the same order — also page by page through cursors.
 *
 * Fields that are sorted hold one type each (numbers, strings, Dates, booleans; or null/missing):
 * across types, jsonb's type order differs from portabase's, a difference the adapter declares.
 * Filters run on every field, including one that mixes every type.
 */
import fc from 'fast-check'
import { encodeWriteData } from '../../adapters/supabase/codec.js'
import { filterParams, queryParams } from '../../adapters/supabase/query.js'
import { collectionSql, supabaseSetupSql } from '../../adapters/supabase/sql.js'
import { SETUP_OPTIONS } from '../../adapters/supabase/setup-options.js'
import type { DocumentData, Filter, FilterOp, OrderBy, Query, Value } from '../../src/index.js'
import { cursorOf, runQuery } from '../../src/query/evaluate.js'
import { DOC_ID, withIdOrder } from '../../src/query/model.js'
import { startTestDatabase, type TestDatabase } from '../backends/supabase/postgres.js'
import { postgrestSql } from './postgrest-sql.js'

jest.setTimeout(300_000)

const RUNS = Number(process.env.SUPABASE_DIFF_RUNS ?? 40)
let db: TestDatabase
let tables = 0

beforeAll(async () => {
  db = await startTestDatabase()
  await db.admin.query(supabaseSetupSql(SETUP_OPTIONS))
  const { rows } = await db.admin.query('select datcollate from pg_database where datname = current_database()')
  // Strings order by code point only under the C collation (the adapter's documented requirement).
  expect(['C', 'C.UTF-8', 'C.utf8', 'POSIX']).toContain(rows[0]!.datcollate)
})
afterAll(async () => {
  await db?.close()
})

const dates = [new Date('2020-01-01T00:00:00.000Z'), new Date('2020-01-01T00:00:00.001Z'), new Date('1999-12-31T23:59:59.999Z'), new Date('2031-06-15T12:00:00.000Z')]
const strings = ['', 'a', 'B', 'ab', 'é', 'z', '10', '2', 'Ω', '😀', 'a b', '"q"', 'x,y', '(p)', "it's", 'back\\slash']
const numbers = [-3, -1.5, 0, 1, 2, 2.5, 10, 1e6]
const scalar = fc.oneof(fc.constantFrom(...numbers), fc.constantFrom(...strings), fc.boolean(), fc.constantFrom(...dates))
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(fc.oneof(arb.map((v) => v as T | null), fc.constant(null)), { nil: undefined })

/** A document: typed fields n, s, d, b; a mixed field m; a tags array. Undefined = missing. */
const docArb = fc.record({
  n: maybe(fc.constantFrom(...numbers)),
  s: maybe(fc.constantFrom(...strings)),
  d: maybe(fc.constantFrom(...dates)),
  b: maybe(fc.boolean()),
  m: maybe(fc.oneof(scalar, fc.array(scalar, { maxLength: 2 }), fc.constant({ k: 1 }))),
  tags: maybe(fc.array(fc.oneof(fc.constantFrom('red', 'green', 'blue'), fc.constantFrom(1, 2), fc.constantFrom(...dates.slice(0, 2))), { maxLength: 3 })),
})

function clean(doc: Record<string, unknown>): DocumentData {
  return Object.fromEntries(Object.entries(doc).filter(([, v]) => v !== undefined)) as DocumentData
}

const fieldArb = fc.constantFrom('n', 's', 'd', 'b', 'm', 'tags')
const filterValue: fc.Arbitrary<Value> = fc.oneof(scalar, fc.constant(null))
const rangeValue: fc.Arbitrary<Value> = fc.oneof(fc.constantFrom(...numbers), fc.constantFrom(...strings), fc.constantFrom(...dates))
const listArb = fc.array(filterValue, { minLength: 1, maxLength: 4 })

const fieldFilter: fc.Arbitrary<Filter> = fc.oneof(
  fc.record({ kind: fc.constant('field' as const), field: fieldArb, op: fc.constantFrom<FilterOp>('==', '!='), value: filterValue }),
  fc.record({ kind: fc.constant('field' as const), field: fieldArb, op: fc.constantFrom<FilterOp>('<', '<=', '>', '>='), value: rangeValue }),
  fc.record({ kind: fc.constant('field' as const), field: fieldArb, op: fc.constantFrom<FilterOp>('in', 'not-in'), value: listArb }),
  fc.record({ kind: fc.constant('field' as const), field: fieldArb, op: fc.constant<FilterOp>('array-contains'), value: scalar }),
  fc.record({ kind: fc.constant('field' as const), field: fieldArb, op: fc.constant<FilterOp>('array-contains-any'), value: fc.array(scalar, { minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('field' as const), field: fc.constant(DOC_ID), op: fc.constantFrom<FilterOp>('==', '!=', '<', '>='), value: fc.constantFrom('d01', 'd05', 'd10') }),
)
const filterArb: fc.Arbitrary<Filter> = fc.oneof(
  { weight: 4, arbitrary: fieldFilter },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), filters: fc.array(fieldFilter, { minLength: 1, maxLength: 3 }) }) },
)
const orderArb: fc.Arbitrary<OrderBy[]> = fc.uniqueArray(
  fc.record({ field: fc.constantFrom('n', 's', 'd', 'b'), direction: fc.constantFrom('asc' as const, 'desc' as const) }),
  { maxLength: 2, selector: (o) => o.field },
)

async function ids(table: string, query: Query): Promise<string[]> {
  const { rows } = await db.admin.query(postgrestSql(table, queryParams(query)))
  return rows.map((r) => r.id as string)
}

describe(`Supabase query translation against the reference (${process.env.SUPABASE_TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite'}, the SQL PostgREST runs)`, () => {
  it(`property: filters, or/and, orderBy, limit, cursors and count agree with the reference (${RUNS} datasets)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(docArb, { minLength: 1, maxLength: 14 }),
        fc.array(fc.record({ filters: fc.array(filterArb, { maxLength: 2 }), orderBy: orderArb, limit: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }) }), { minLength: 1, maxLength: 6 }),
        async (rawDocs, queries) => {
          const table = `diff${++tables}`
          await db.admin.query(collectionSql({ name: table }))
          const docs = rawDocs.map((d, i) => ({ id: `d${String(i + 1).padStart(2, '0')}`, data: clean(d) }))
          const ops = docs.map((d) => ({ type: 'set', collection: table, id: d.id, data: encodeWriteData(d.data) }))
          await db.admin.query('select public.portabase_write($1::jsonb, true)', [JSON.stringify(ops)])
          for (const spec of queries) {
            const query: Query = { filters: spec.filters, orderBy: withIdOrder(spec.orderBy), ...(spec.limit ? { limit: spec.limit } : {}) }
            const context = `query ${JSON.stringify(query)}\nparams ${JSON.stringify(queryParams(query))}`
            const expected = runQuery(docs, query).map((d) => d.id)
            expect({ context, ids: await ids(table, query) }).toEqual({ context, ids: expected })
            // count: same filters, no order or limit.
            const counted = await db.admin.query(postgrestSql(table, filterParams({ filters: query.filters, orderBy: query.orderBy }), 'count'))
            expect({ context, count: counted.rows[0]!.n }).toEqual({ context, count: runQuery(docs, { filters: query.filters, orderBy: query.orderBy }).length })
            // Page by page: each page starts after the reference's last document of the page before.
            if (query.limit) {
              const all = runQuery(docs, { filters: query.filters, orderBy: query.orderBy })
              const paged: string[] = []
              let page = await ids(table, query)
              for (let guard = 0; guard < 20 && page.length > 0; guard++) {
                paged.push(...page)
                if (page.length < query.limit) break
                const last = docs.find((d) => d.id === page[page.length - 1])!
                page = await ids(table, { ...query, startAfter: cursorOf(last, query.orderBy) })
              }
              expect({ context, paged }).toEqual({ context, paged: all.map((d) => d.id) })
            }
          }
        },
      ),
      // A case that hangs fails after 30 s with its seed and path, not at Jest's timeout.
      { numRuns: RUNS, timeout: 30_000 },
    )
  })
})

describe('PostgREST parameters for typical queries (what supabase-js is asked to send)', () => {
  it("the README's query: where('done','==',false).orderBy('priority','desc').limit(20)", () => {
    const query: Query = { filters: [{ kind: 'field', field: 'done', op: '==', value: false }], orderBy: withIdOrder([{ field: 'priority', direction: 'desc' }]), limit: 20 }
    expect(queryParams(query)).toEqual([
      ['data->done', 'eq.false'],
      ['order', 'data->priority.desc.nullsfirst,id.asc'],
      ['limit', '20'],
    ])
  })

  it('a range gets its type brackets; != and not-in keep missing fields; strings are JSON inside lists', () => {
    expect(filterParams({ filters: [{ kind: 'field', field: 'n', op: '>', value: 2 }], orderBy: [] })).toEqual([
      ['data->n', 'gt.2'],
      ['data->n', 'gte.-1.7976931348623157e308'],
      ['data->n', 'lt.false'],
    ])
    expect(filterParams({ filters: [{ kind: 'field', field: 's', op: '!=', value: 'a' }], orderBy: [] })).toEqual([['or', '(data->s.is.null,data->s.neq."\\"a\\"")']])
    expect(filterParams({ filters: [{ kind: 'field', field: 's', op: 'not-in', value: ['a', 'b,c'] }], orderBy: [] })).toEqual([
      ['or', '(data->s.is.null,data->s.not.in.("\\"a\\"","\\"b,c\\""))'],
    ])
  })
})

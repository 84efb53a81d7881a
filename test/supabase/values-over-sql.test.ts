/**
 * Neutral value types on Supabase (codec.ts: one-key jsonb tags) through supabase-js, answered by the
 * PostgREST model from real SQL (as adapter-over-sql.test.ts): they round-trip at any depth, and
 * jsonb equality, containment and ordering of the tags give the reference evaluator's answers —
 * what the adapter declares (`valueTypes` all `queryable`). Expected ids come from the reference
 * (src/query/evaluate.ts) over the values written; the Supabase contract run is in the live target.
 */
import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import WebSocket from 'ws'
import { SUPABASE_VALUE_TYPES } from '../../adapters/supabase/codec.js'
import { SupabaseDocuments } from '../../adapters/supabase/documents.js'
import { SETUP_OPTIONS } from '../../adapters/supabase/setup-options.js'
import { collectionSql, supabaseSetupSql } from '../../adapters/supabase/sql.js'
import { SupabaseSync } from '../../adapters/supabase/sync.js'
import { arrayRemove, arrayUnion, Bytes, GeoPoint, Reference, type DocumentData, type Filter, type OrderBy, type Query, type Value } from '../../src/index.js'
import { runQuery } from '../../src/query/evaluate.js'
import { withIdOrder } from '../../src/query/model.js'
import { applyWrite } from '../../src/write.js'
import { postgrestModelFetch, testJwt } from '../backends/supabase/postgrest-model.js'
import { startTestDatabase, type TestDatabase } from '../backends/supabase/postgres.js'

jest.setTimeout(60_000)

let db: TestDatabase
let client: SupabaseClient
let documents: SupabaseDocuments
let tables = 0

beforeAll(async () => {
  db = await startTestDatabase()
  await db.admin.query(supabaseSetupSql(SETUP_OPTIONS))
  client = createClient('http://supabase.test', testJwt({ role: 'anon' }), {
    auth: { persistSession: false, autoRefreshToken: false },
    global: { fetch: postgrestModelFetch(db.admin) },
    realtime: { transport: WebSocket as never },
  })
  documents = new SupabaseDocuments(client)
})
afterAll(async () => {
  await db?.close()
})

async function table(): Promise<string> {
  const name = `val${++tables}`
  await db.admin.query(collectionSql({ name }))
  return name
}

async function seed(c: string, docs: Record<string, DocumentData>): Promise<void> {
  await documents.write(
    Object.entries(docs).map(([id, data]) => ({ type: 'set' as const, collection: c, id, data })),
    { atomic: true },
  )
}

const query = (filters: Filter[], orderBy: OrderBy[] = []): Query => ({ filters, orderBy: withIdOrder(orderBy) })
const bytes = (...b: number[]): Bytes => Bytes.fromUint8Array(new Uint8Array(b))
const lookalike = (value: Value): Value => JSON.parse(JSON.stringify(value)) as Value

/** Ascending within each type; chosen so that jsonb's key and string orders would misorder a naive encoding. */
const SAMPLES = {
  // (-5, 10) and (10, -5): a [lat, lng] pair would match either under jsonb array containment.
  geoPoint: [new GeoPoint(-45, 170), new GeoPoint(-5, -170), new GeoPoint(-5, 10), new GeoPoint(10, -5)],
  reference: [new Reference('a', 'zz'), new Reference('ab', 'a'), new Reference('b', 'a'), new Reference('b', 'b')],
  // Hex orders as the bytes do (base64 would put 0xf8… before 0x00…1: "+" < "A").
  bytes: [bytes(), bytes(0), bytes(0, 1), bytes(0x3e), bytes(0xf8), bytes(0xff, 0)],
}

it('declares every type queryable', () => {
  expect(SUPABASE_VALUE_TYPES).toEqual({ geoPoint: 'queryable', reference: 'queryable', bytes: 'queryable' })
})

it('round-trips every type at any depth through write, get, query and the sync feed', async () => {
  const c = await table()
  const data: DocumentData = {
    geo: SAMPLES.geoPoint[0]!,
    ref: SAMPLES.reference[1]!,
    bin: SAMPLES.bytes[5]!,
    nested: { deep: { list: [SAMPLES.geoPoint[1]!, SAMPLES.reference[0]!, SAMPLES.bytes[2]!, new Date(7)] } },
    list: [SAMPLES.bytes[0]!, { at: SAMPLES.geoPoint[2]! }],
  }
  await documents.write([{ type: 'create', collection: c, id: 'a', data }], { atomic: true })
  expect((await documents.get(c, 'a'))?.data).toStrictEqual(data)
  expect((await documents.query(c, query([])))[0]?.data).toStrictEqual(data)
  const [record] = await new SupabaseSync(client).fetch(c, ['a'])
  expect(record?.data).toStrictEqual(data)
})

describe.each(Object.entries(SAMPLES))('%s', (_type, samples) => {
  const values = samples as Value[]

  it('==, !=, in, not-in, array-contains(-any) and ranges on other types agree with the reference', async () => {
    const c = await table()
    const docs: Record<string, DocumentData> = {}
    values.forEach((v, i) => (docs[`v${i}`] = { v, list: [v, 'x'] }))
    docs.map = { v: lookalike(values[1]!), list: [lookalike(values[1]!)] }
    docs.date = { v: new Date(0), list: [new Date(0)] }
    docs.text = { v: 'text' }
    docs.none = { other: true }
    await seed(c, docs)
    const reference = Object.entries(docs).map(([id, data]) => ({ id, data }))
    const [a, b, c3, d] = values
    const queries = [
      query([{ kind: 'field', field: 'v', op: '==', value: b! }]),
      query([{ kind: 'field', field: 'v', op: '!=', value: b! }]),
      query([{ kind: 'field', field: 'v', op: 'in', value: [a!, d!, 'text'] }]),
      query([{ kind: 'field', field: 'v', op: 'not-in', value: [a!, b!] }]),
      query([{ kind: 'field', field: 'list', op: 'array-contains', value: c3! }]),
      query([{ kind: 'field', field: 'list', op: 'array-contains-any', value: [a!, new Date(0)] }]),
      query([{ kind: 'field', field: 'v', op: '>=', value: new Date(0) }]),
      query([{ kind: 'field', field: 'v', op: '>', value: '' }]),
    ]
    for (const q of queries) {
      expect([q.filters, (await documents.query(c, q)).map((doc) => doc.id)]).toEqual([q.filters, runQuery(reference, q).map((doc) => doc.id)])
      expect(await documents.count(c, q)).toBe(runQuery(reference, q).length)
    }
  })

  it('orders within the type both ways, and pages with cursors, as the reference', async () => {
    const c = await table()
    const docs: Record<string, DocumentData> = {}
    // Written in reverse, with a duplicate, so neither insertion order nor ids give the answer.
    ;[...values].reverse().forEach((v, i) => (docs[`d${i}`] = { v }))
    docs.dup = { v: values[1]! }
    await seed(c, docs)
    const reference = Object.entries(docs).map(([id, data]) => ({ id, data }))
    for (const direction of ['asc', 'desc'] as const) {
      const q = { ...query([], [{ field: 'v', direction }]), limit: 2 }
      const expected = runQuery(reference, { ...q, limit: undefined }).map((doc) => doc.id)
      const seen: string[] = []
      let page = await documents.query(c, q)
      while (page.length > 0) {
        seen.push(...page.map((doc) => doc.id))
        const last = page[page.length - 1]!
        page = page.length < 2 ? [] : await documents.query(c, { ...q, startAfter: { values: [last.data.v ?? null], id: last.id } })
      }
      expect([direction, seen]).toEqual([direction, expected])
    }
  })

  it('arrayUnion/arrayRemove resolved by the database compare by content', async () => {
    const c = await table()
    const [a, b, cc] = values
    await seed(c, { x: { list: [a!, lookalike(b!)] } })
    const union = { list: arrayUnion(a!, b!, cc!) }
    await documents.write([{ type: 'update', collection: c, id: 'x', data: union }], { atomic: true })
    const expected = applyWrite({ list: [a!, lookalike(b!)] }, { type: 'update', data: union }, new Date())
    expect((await documents.get(c, 'x'))?.data).toStrictEqual(expected)
    const remove = { list: arrayRemove(b!) }
    await documents.write([{ type: 'update', collection: c, id: 'x', data: remove }], { atomic: true })
    expect((await documents.get(c, 'x'))?.data).toStrictEqual(applyWrite(expected, { type: 'update', data: remove }, new Date()))
  })
})

/**
 * The Supabase documents and sync services through the real supabase-js client, whose requests a
 * PostgREST MODEL answers from real SQL (test/backends/supabase/postgrest-model.ts: PostgREST's
 * wire format and SQL, written from its source; not PostgREST). What this proves: the requests
 * supabase-js builds from the adapter's calls, the adapter's handling of the answers, and the SQL
 * behind them. PostgREST itself runs in the live target only.
 */
import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import WebSocket from 'ws'
import { SupabaseDocuments } from '../../adapters/supabase/documents.js'
import { supabaseSetupSql } from '../../adapters/supabase/sql.js'
import { SETUP_OPTIONS } from '../../adapters/supabase/setup-options.js'
import { SupabaseSync } from '../../adapters/supabase/sync.js'
import { collectionSql } from '../../adapters/supabase/sql.js'
import { increment, serverTimestamp, type DocumentData, type Query } from '../../src/index.js'
import { runQuery } from '../../src/query/evaluate.js'
import { DOC_ID, withIdOrder } from '../../src/query/model.js'
import { postgrestModelFetch, testJwt } from '../backends/supabase/postgrest-model.js'
import { startTestDatabase, type TestDatabase } from '../backends/supabase/postgres.js'
import { expectError } from '../contract/helpers.js'

jest.setTimeout(60_000)

let db: TestDatabase
let client: SupabaseClient
let documents: SupabaseDocuments
let sync: SupabaseSync
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
  sync = new SupabaseSync(client)
})
afterAll(async () => {
  // No channel was opened (removeAllChannels would leave realtime-js's 10 s disconnect timer behind).
  expect(client.getChannels()).toEqual([])
  await db?.close()
})

async function table(): Promise<string> {
  const name = `api${++tables}`
  await db.admin.query(collectionSql({ name }))
  return name
}

const query = (q: Partial<Query>): Query => ({ filters: [], ...q, orderBy: withIdOrder(q.orderBy ?? []) })

describe('documents over supabase-js (PostgREST model, real SQL)', () => {
  it('writes through portabase_write and reads back documents with their meta', async () => {
    const c = await table()
    await documents.write([{ type: 'create', collection: c, id: 'a', data: { title: 'x', n: 1, at: new Date('2024-01-02T03:04:05.006Z'), gone: null } }], { atomic: true })
    await documents.write([{ type: 'update', collection: c, id: 'a', data: { n: increment(2), stamp: serverTimestamp() } }], { atomic: true })
    const doc = await documents.get(c, 'a')
    expect(doc?.data).toMatchObject({ title: 'x', n: 3, at: new Date('2024-01-02T03:04:05.006Z'), gone: null })
    expect(doc?.data.stamp).toBeInstanceOf(Date)
    expect(doc?.meta.version).toMatch(/^x\d+$/)
    expect(doc?.meta.updateTime).toBeInstanceOf(Date)
    expect(await documents.get(c, 'missing')).toBeNull()
  })

  it('queries, counts and pages agree with the reference evaluator', async () => {
    const c = await table()
    const data: Record<string, DocumentData> = {
      a: { n: 3, s: 'pear', tags: ['red'] },
      b: { n: 1, s: 'apple', tags: ['green', 'red'] },
      c: { n: null, s: 'fig' },
      d: { n: 2, s: 'kiwi', tags: [] },
      e: { s: 'date' },
      f: { n: 2, s: 'lime', tags: ['green'] },
    }
    await documents.write(Object.entries(data).map(([id, d]) => ({ type: 'set' as const, collection: c, id, data: d })), { atomic: true })
    const reference = Object.entries(data).map(([id, d]) => ({ id, data: d }))
    const queries: Query[] = [
      query({ orderBy: [{ field: 'n', direction: 'asc' }] }),
      query({ orderBy: [{ field: 'n', direction: 'desc' }], limit: 3 }),
      query({ filters: [{ kind: 'field', field: 'n', op: '!=', value: 2 }] }),
      query({ filters: [{ kind: 'field', field: 'tags', op: 'array-contains', value: 'red' }], orderBy: [{ field: 's', direction: 'desc' }] }),
      query({ filters: [{ kind: 'or', filters: [{ kind: 'field', field: 'n', op: '>=', value: 3 }, { kind: 'field', field: 's', op: 'in', value: ['fig', 'date'] }] }] }),
      query({ filters: [{ kind: 'field', field: DOC_ID, op: '>', value: 'c' }] }),
    ]
    for (const q of queries) {
      expect((await documents.query(c, q)).map((d) => d.id)).toEqual(runQuery(reference, q).map((d) => d.id))
      expect(await documents.count(c, q)).toBe(runQuery(reference, { ...q, limit: undefined }).length)
    }
    // Cursor pages through the adapter, two at a time, ordered by n descending.
    const ordered = query({ orderBy: [{ field: 'n', direction: 'desc' }], limit: 2 })
    const seen: string[] = []
    let page = await documents.query(c, ordered)
    while (page.length > 0) {
      seen.push(...page.map((d) => d.id))
      const last = page[page.length - 1]!
      page = page.length < 2 ? [] : await documents.query(c, { ...ordered, startAfter: { values: [last.data.n ?? null], id: last.id } })
    }
    expect(seen).toEqual(runQuery(reference, { ...ordered, limit: undefined }).map((d) => d.id))
  })

  it('refusals map to neutral codes: already-exists, not-found, permission-denied (RLS), and a batch is all or nothing', async () => {
    const c = await table()
    await documents.write([{ type: 'create', collection: c, id: 'a', data: { v: 1 } }], { atomic: true })
    await expectError(() => documents.write([{ type: 'create', collection: c, id: 'a', data: { v: 2 } }], { atomic: true }), 'already-exists')
    await expectError(() => documents.write([{ type: 'update', collection: c, id: 'nope', data: { v: 2 } }], { atomic: true }), 'not-found')
    await expectError(() => documents.write([{ type: 'set', collection: 'owned', id: 'x', data: { owner: 'someone' } }], { atomic: true }), 'permission-denied')
    await expectError(
      () =>
        documents.write(
          [
            { type: 'set', collection: c, id: 'b', data: { v: 1 } },
            { type: 'create', collection: c, id: 'a', data: { v: 3 } },
          ],
          { atomic: true },
        ),
      'already-exists',
    )
    expect(await documents.get(c, 'b')).toBeNull()
  })
})

describe('the SyncService over supabase-js (PostgREST model, real SQL)', () => {
  it('fetch, a paged change feed with tombstones, and write ids applied once', async () => {
    const c = await table()
    // Write ids are unique in a database (a real device makes random ones): this test's get its table's name.
    const w = (name: string) => `${c}-${name}`
    const outcomes = await sync.write([
      { type: 'create', collection: c, id: 'a', data: { n: 0 }, writeId: w('w-a') },
      { type: 'create', collection: c, id: 'b', data: { n: 0 }, writeId: w('w-b') },
      { type: 'create', collection: c, id: 'a', data: { n: 9 }, writeId: w('w-a2') },
    ])
    expect(outcomes.map((o) => (o.ok ? 'ok' : (o.error as { code?: string }).code))).toEqual(['ok', 'ok', 'already-exists'])
    const inc = { type: 'update' as const, collection: c, id: 'a', data: { n: increment(1) }, writeId: w('inc-1') }
    await sync.write([inc])
    // The answer was lost; the engine sends the same write again: applied once.
    expect(await sync.write([inc])).toEqual([{ ok: true }])
    await sync.write([{ type: 'delete', collection: c, id: 'b', writeId: w('del-b') }])
    const fetched = await sync.fetch(c, ['a', 'b', 'never'])
    expect(fetched.map((r) => [r.id, r.data, r.writeId])).toEqual([
      ['a', { n: 1 }, w('inc-1')],
      ['b', null, w('del-b')],
    ])
    const first = await sync.changes(c, null, 1)
    expect(first).toHaveLength(1)
    const rest = await sync.changes(c, { updateTime: first[0]!.updateTime, id: first[0]!.id, position: first[0]!.position! }, 10)
    expect([...first, ...rest].map((r) => [r.id, r.data])).toEqual([
      ['a', { n: 1 }],
      ['b', null],
    ])
  })
})

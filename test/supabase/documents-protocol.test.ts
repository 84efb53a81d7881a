/**
 * Documents and offline sync on Supabase, at the HTTP level: the PostgREST requests the real
 * supabase-js (postgrest-js) sends for each SPI call, and the adapter's handling of PostgREST's
 * documented answers — JSON rows, `Content-Range` with `count=exact`, and its error body
 * `{ code, message, details, hint }` with the HTTP status PostgREST gives each code (PostgREST
 * docs, "Errors"; src/PostgREST/Error.hs). What runs behind those requests is proven elsewhere:
 * the SQL on PostgreSQL (sql.test.ts) and the query semantics (differential.test.ts). Not a
 * PostgREST server: the live target runs the real one.
 */
import { http, HttpResponse } from 'msw'
import WebSocket from 'ws'
import { recordingServer } from './recording-server.js'
import { supabase } from '../../adapters/supabase/index.js'
import { createClient, increment, type PortabaseClient } from '../../src/index.js'

const URL_ = 'http://project.supabase.test'
const ANON_KEY = 'anon-key-for-tests'
const COLUMNS = 'id,data,nulls,updated_at,change_xid'

const { server, requests } = recordingServer()

const apps: PortabaseClient[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.dispose()))
})
function adapter() {
  return supabase({ url: URL_, anonKey: ANON_KEY, WebSocket, realtime: false })
}
function app(): PortabaseClient {
  const client = createClient({ adapter: adapter() })
  apps.push(client)
  return client
}

const row = (id: string, data: Record<string, unknown>, xid = '1042') => ({ id, data, nulls: [], updated_at: '2026-12-06T10:00:00.123456+00:00', change_xid: xid })
const pgError = (status: number, code: string, message: string) => HttpResponse.json({ code, message, details: null, hint: null }, { status })
/** The query string after URLSearchParams decoding, in order. */
const params = (url: URL) => [...url.searchParams.entries()]

describe('supabase documents over PostgREST (requests and documented responses, msw)', () => {
  it('get: one GET filtered on the primary key, selecting the document columns; the row becomes a Doc', async () => {
    server.use(http.get(`${URL_}/rest/v1/todos`, () => HttpResponse.json([row('a', { title: 'x', due: { $date: '2030-01-01T00:00:00.000Z' } })])))
    const doc = await app().db.collection('todos').doc('a').get()
    expect(doc?.data).toEqual({ title: 'x', due: new Date('2030-01-01T00:00:00.000Z') })
    expect(doc?.meta.version).toBe('x1042')
    const [get] = requests
    expect(get!.method).toBe('GET')
    expect(params(get!.url)).toEqual([['select', COLUMNS], ['id', 'eq.a']])
    expect(get!.headers.get('apikey')).toBe(ANON_KEY)
  })

  it('get of a row RLS hides or that does not exist: PostgREST answers [], the document is null', async () => {
    server.use(http.get(`${URL_}/rest/v1/todos`, () => HttpResponse.json([])))
    expect(await app().db.collection('todos').doc('nobody').get()).toBeNull()
  })

  it('query: filters on data->field with JSON values, keyset order with the id last, limit', async () => {
    server.use(http.get(`${URL_}/rest/v1/todos`, () => HttpResponse.json([row('a', { n: 2 }), row('b', { n: 3 })])))
    const page = await app().db.collection('todos').where('n', '>', 1).where('done', '==', false).orderBy('n').limit(2).get()
    expect(page.docs.map((d) => d.id)).toEqual(['a', 'b'])
    const [get] = requests
    const sent = params(get!.url)
    expect(sent[0]).toEqual(['select', COLUMNS])
    // `> 1` also bounded by the next type in jsonb's order (numbers only); `== false` as JSON.
    expect(sent).toContainEqual(['data->n', 'gt.1'])
    expect(sent).toContainEqual(['data->done', 'eq.false'])
    expect(sent).toContainEqual(['order', 'data->n.asc.nullslast,id.asc'])
    expect(sent).toContainEqual(['limit', '2'])
  })

  it('count: limit=0 with Prefer count=exact; the total comes from Content-Range', async () => {
    server.use(http.get(`${URL_}/rest/v1/todos`, () => HttpResponse.json([], { headers: { 'Content-Range': '*/42' } })))
    expect(await app().db.collection('todos').where('done', '==', true).count()).toBe(42)
    const [get] = requests
    expect(get!.headers.get('prefer')).toContain('count=exact')
    expect(params(get!.url)).toEqual([['select', 'id'], ['data->done', 'eq.true'], ['limit', '0']])
  })

  it('writes: one POST to rpc/portabase_write with the ops and atomic: true; sentinels travel as {"$pb": …}', async () => {
    server.use(http.post(`${URL_}/rest/v1/rpc/portabase_write`, () => HttpResponse.json(null)))
    const client = app()
    await client.db.batch((b) => {
      b.set(client.db.collection('todos').doc('a'), { title: 'x', at: new Date('2030-01-01T00:00:00Z') })
      b.update(client.db.collection('todos').doc('b'), { n: increment(2) })
      b.delete(client.db.collection('todos').doc('c'))
    })
    const [post] = requests
    expect(post!.url.pathname).toBe('/rest/v1/rpc/portabase_write')
    const body = post!.body as { ops: Array<Record<string, unknown>>; atomic: boolean }
    expect(body.atomic).toBe(true)
    expect(body.ops.map(({ writeId: _w, ...op }) => op)).toEqual([
      { type: 'set', collection: 'todos', id: 'a', data: { title: 'x', at: { $date: '2030-01-01T00:00:00.000Z' } } },
      { type: 'update', collection: 'todos', id: 'b', data: { n: { $pb: 'increment', by: 2 } } },
      { type: 'delete', collection: 'todos', id: 'c' },
    ])
  })

  it.each([
    ['create of an existing id (the RPC raises 23505; PostgREST answers 409)', 'already-exists', 409, '23505'],
    ['update of a missing document (P0002; 404)', 'not-found', 404, 'P0002'],
    ['a write RLS refuses (42501; 403)', 'permission-denied', 403, '42501'],
    ['a collection setup.sql never created (42P01; 404)', 'failed-precondition', 404, '42P01'],
    ['an expired JWT (PGRST303; 401)', 'unauthenticated', 401, 'PGRST303'],
    ['the RPC missing from the schema cache (PGRST202; 404)', 'failed-precondition', 404, 'PGRST202'],
    ['a statement timeout (57014; 500)', 'deadline-exceeded', 500, '57014'],
  ])('%s → %s', async (_what, expected, status, code) => {
    server.use(http.post(`${URL_}/rest/v1/rpc/portabase_write`, () => pgError(status, code, `error ${code}`)))
    await expect(app().db.collection('todos').doc('a').update({ n: 1 })).rejects.toMatchObject({ code: expected, provider: 'supabase' })
  })

  it('PostgREST unreachable → unavailable at once (retryable: retrying is the links’ job, postgrest-js does not retry)', async () => {
    server.use(http.get(`${URL_}/rest/v1/todos`, () => HttpResponse.error()))
    await expect(adapter().documents.get('todos', 'a')).rejects.toMatchObject({ code: 'unavailable', provider: 'supabase', retryable: true })
    expect(requests).toHaveLength(1)
    expect(requests[0]!.headers.get('x-retry-count')).toBeNull()
  })
})

describe('supabase SyncService over the sync RPCs (requests and documented responses, msw)', () => {
  it('changes: POST rpc/portabase_changes with the checkpoint position; records carry their feed position', async () => {
    server.use(
      http.post(`${URL_}/rest/v1/rpc/portabase_changes`, () =>
        HttpResponse.json([
          { id: 'a', data: { n: 1 }, nulls: [], updated_at: '2026-12-06T10:00:00+00:00', change_xid: '1050', write_id: 'w1', deleted: false },
          { id: 'b', data: null, nulls: [], updated_at: '2026-12-06T10:00:01+00:00', change_xid: '1051', write_id: null, deleted: true },
        ]),
      ),
    )
    const sync = adapter().sync
    const records = await sync.changes('todos', { updateTime: new Date('2026-12-06T09:00:00Z'), id: 'z', position: '1049:z' }, 100)
    const [post] = requests
    expect(post!.body).toEqual({ collection: 'todos', after_xid: '1049', after_id: 'z', max_rows: 100 })
    expect(records.map((r) => [r.id, r.data, r.writeId, r.position])).toEqual([
      ['a', { n: 1 }, 'w1', '1050:a'],
      ['b', null, null, '1051:b'],
    ])
  })

  it('write: each op on its own (atomic: false) with its write id; outcomes map one to one', async () => {
    server.use(http.post(`${URL_}/rest/v1/rpc/portabase_write`, () => HttpResponse.json([{ ok: true }, { ok: false, code: '42501', message: 'refused' }])))
    const outcomes = await adapter().sync.write(
      [
        { type: 'set', collection: 'todos', id: 'a', data: { n: 1 }, writeId: 'w-1' },
        { type: 'delete', collection: 'todos', id: 'b', writeId: 'w-2' },
      ],
      {},
    )
    expect((requests[0]!.body as { atomic: boolean }).atomic).toBe(false)
    expect((requests[0]!.body as { ops: Array<{ writeId: string }> }).ops.map((o) => o.writeId)).toEqual(['w-1', 'w-2'])
    expect(outcomes[0]).toEqual({ ok: true })
    expect(outcomes[1]).toMatchObject({ ok: false, error: { code: 'permission-denied', provider: 'supabase' } })
  })

  it('fetch: POST rpc/portabase_fetch with the distinct ids', async () => {
    server.use(http.post(`${URL_}/rest/v1/rpc/portabase_fetch`, () => HttpResponse.json([])))
    expect(await adapter().sync.fetch('todos', ['a', 'b', 'a'])).toEqual([])
    expect(requests[0]!.body).toEqual({ collection: 'todos', ids: ['a', 'b'] })
  })
})

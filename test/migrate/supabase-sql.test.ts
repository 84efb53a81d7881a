/**
 * The Supabase admin driver (src/migrate/endpoints/supabase.ts) through the real supabase-js, its
 * PostgREST requests answered from real SQL on PGlite (PostgreSQL 15 with SUPABASE_TEST_DATABASE_URL)
 * holding portabase's Supabase setup SQL. GETs go through the shared PostgREST MODEL
 * (test/backends/supabase/postgrest-model.ts); the writes the driver sends (POST with
 * `resolution=ignore-duplicates|merge-duplicates`, PATCH by id) are turned here into the SQL
 * PostgREST runs for them (its `mutateRequestToQuery`: an INSERT … SELECT from
 * `json_populate_recordset` over the named `columns`, ON CONFLICT DO NOTHING / DO UPDATE SET col =
 * EXCLUDED.col, RETURNING the selected columns; a PATCH as UPDATE … SET from
 * `json_populate_record`). A model of PostgREST, not PostgREST: what this proves is the driver's
 * requests and the SQL behind them (the triggers, null fields, timestamps); the live target
 * (test/live/supabase-migrate.test.ts) runs the real servers. The uid-rewrite test answers GoTrue's
 * admin calls with a small stand-in (`gotrueStandIn`: ids assigned as GoTrue does, a v4 UUID when
 * none is sent); what it proves is the documents' owner fields and the owner policy on real SQL.
 */
import { randomUUID } from 'node:crypto'
import { memory } from '../../adapters/memory/index.js'
import { SupabaseDocuments } from '../../adapters/supabase/documents.js'
import { supabaseSetupSql } from '../../adapters/supabase/sql.js'
import type { Doc } from '../../src/types.js'
import { pageQuery } from '../../src/migrate/endpoints/adapter.js'
import { memoryEndpoint } from '../../src/migrate/endpoints/memory.js'
import { supabaseEndpoint } from '../../src/migrate/endpoints/supabase.js'
import { migrate } from '../../src/migrate/run.js'
import { createClient } from '@supabase/supabase-js'
import WebSocket from 'ws'
import { asCaller, startTestDatabase, type TestDatabase } from '../backends/supabase/postgres.js'
import { postgrestModelFetch, testJwt } from '../backends/supabase/postgrest-model.js'
import { FIXTURE_CONFIG, FIXTURE_EMAIL, FIXTURE_LISTS, FIXTURE_PASSWORD, fixtureDocs } from './fixtures.js'

jest.setTimeout(120_000)

let db: TestDatabase
const SERVICE_KEY = testJwt({ role: 'service_role' })
const URL_ = 'http://supabase.test'

beforeAll(async () => {
  db = await startTestDatabase()
  await db.admin.query(supabaseSetupSql({ collections: [{ name: 'todos', access: 'owner' }, { name: 'lists', access: 'public' }, { name: 'back', access: 'public' }, { name: 'notes', access: 'owner' }], config: true }))
})
afterAll(async () => {
  await db?.close()
})

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`

/** The model's GETs, plus the SQL PostgREST runs for the driver's POST and PATCH (see the header). */
function modelFetch(writes: { method: string; path: string; prefer: string }[]): typeof fetch {
  const reads = postgrestModelFetch(db.admin)
  return async (input, init) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    if (request.method !== 'POST' && request.method !== 'PATCH') return reads(input, init)
    const table = url.pathname.replace(/^\/rest\/v1\//, '')
    const prefer = request.headers.get('prefer') ?? ''
    writes.push({ method: request.method, path: url.pathname, prefer })
    const body = (await request.json()) as Record<string, unknown> | Record<string, unknown>[]
    const json = (value: unknown, status: number) => new Response(value === null ? null : JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } })
    try {
      const rows = await asCaller(db.admin, { role: 'service_role' }, async (sql) => {
        if (request.method === 'POST') {
          const columns = url.searchParams.get('columns')!.split(',').map((c) => c.replace(/^"|"$/g, ''))
          const list = columns.map(ident).join(', ')
          const conflict = url.searchParams.get('on_conflict')
          const onConflict = !conflict ? '' : /ignore-duplicates/.test(prefer) ? ` ON CONFLICT (${ident(conflict)}) DO NOTHING` : ` ON CONFLICT (${ident(conflict)}) DO UPDATE SET ${columns.map((c) => `${ident(c)} = EXCLUDED.${ident(c)}`).join(', ')}`
          const returning = url.searchParams.get('select') ? ` RETURNING ${url.searchParams.get('select')!.split(',').map(ident).join(', ')}` : ''
          return (await sql.query(`INSERT INTO public.${ident(table)} (${list}) SELECT ${list} FROM json_populate_recordset(null::public.${ident(table)}, $1::json)${onConflict}${returning}`, [JSON.stringify(body)])).rows
        }
        const id = url.searchParams.get('id')!.replace(/^eq\./, '')
        const columns = Object.keys(body)
        const set = columns.map((c) => `${ident(c)} = r.${ident(c)}`).join(', ')
        return (await sql.query(`UPDATE public.${ident(table)} t SET ${set} FROM json_populate_record(null::public.${ident(table)}, $1::json) r WHERE t.id = $2`, [JSON.stringify(body), id])).rows
      })
      return /return=representation/.test(prefer) ? json(rows, 201) : json(null, request.method === 'POST' ? 201 : 204)
    } catch (error) {
      const e = error as { code?: string; message?: string }
      return json({ code: e.code ?? 'PGRST000', message: e.message ?? String(error), details: null, hint: null }, e.code === '23514' || e.code?.startsWith('22') ? 400 : 409)
    }
  }
}

/**
 * GoTrue's admin users calls, answered from a Map: a stand-in (not GoTrue) with GoTrue's shapes —
 * `POST /admin/users` assigns a v4 UUID when no `id` is sent; `GET /admin/users?page&per_page`.
 */
function gotrueStandIn(next: typeof fetch): typeof fetch {
  const users = new Map<string, Record<string, unknown>>()
  const json = (value: unknown, status = 200) => new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } })
  return async (input, init) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    if (!url.pathname.startsWith('/auth/v1/admin/users')) return next(input, init)
    if (request.method === 'POST') {
      const body = (await request.json()) as { id?: string; email: string; user_metadata?: object }
      const user = { id: body.id ?? randomUUID(), aud: 'authenticated', role: 'authenticated', email: body.email.toLowerCase(), app_metadata: { provider: 'email' }, user_metadata: body.user_metadata ?? {}, identities: [], created_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:00Z', is_anonymous: false }
      users.set(user.id, user)
      return json(user)
    }
    const page = Number(url.searchParams.get('page') ?? 1)
    const perPage = Number(url.searchParams.get('per_page') ?? 50)
    return json({ users: [...users.values()].slice((page - 1) * perPage, page * perPage), aud: 'authenticated' })
  }
}

const adapterRead = (collection: string): Promise<Doc[]> => {
  const client = createClient(URL_, testJwt({ role: 'service_role' }), { auth: { persistSession: false, autoRefreshToken: false }, global: { fetch: postgrestModelFetch(db.admin) }, realtime: { transport: WebSocket as never } })
  return new SupabaseDocuments(client).query(collection, pageQuery(null, 10_000))
}

describe(`Supabase admin driver over PostgREST's SQL (model) on ${process.env.SUPABASE_TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('memory → supabase moves documents (null fields, dates, geo points, references, bytes) and config, verified; the adapter reads them back as the fixtures hold them', async () => {
    const source = memory()
    source.backend.seed('todos', fixtureDocs(130))
    source.backend.seed('lists', FIXTURE_LISTS)
    source.backend.setConfig({ ...FIXTURE_CONFIG })
    const writes: { method: string; path: string; prefer: string }[] = []
    const target = supabaseEndpoint({ url: URL_, serviceRoleKey: SERVICE_KEY, fetch: modelFetch(writes) })
    const report = await migrate({ from: memoryEndpoint(source), to: target, selection: { collections: ['todos', 'lists'], storagePrefixes: [], configKeys: 'all', users: false }, verify: true, pageSize: 50 })
    expect(report.verify?.ok).toBe(true)
    expect(report.collections.map((c) => [c.collection, c.read, c.written])).toEqual([['todos', 130, 130], ['lists', 2, 2]])
    expect(report.timestamps).toBe('server-assigned')
    // One insert per page of 50 (3 pages of todos, 1 of lists), no replacements on a fresh target.
    expect(writes.filter((w) => w.path === '/rest/v1/todos').map((w) => w.method)).toEqual(['POST', 'POST', 'POST'])
    expect(writes.every((w) => w.path === '/rest/v1/portabase_config' || /resolution=ignore-duplicates/.test(w.prefer))).toBe(true)
    const back = await adapterRead('todos')
    expect(Object.fromEntries(back.map((d) => [d.id, d.data]))).toEqual(fixtureDocs(130))
    const { rows } = await db.admin.query(`select data, nulls from public.todos where id = 'doc0000000'`)
    expect(rows[0]!.nulls).toEqual(['empty'])
    expect(await target.config!.read!()).toEqual(FIXTURE_CONFIG)
  })

  it('a repeated run replaces existing documents by PATCH and keeps their top-level null fields; updated_at is the server’s', async () => {
    const source = memory()
    const old = new Date(Date.UTC(2001, 0, 1))
    source.backend.seed('lists', { inbox: { name: 'Inbox 2', gone: null, order: 1 }, fresh: { name: 'New', note: null } })
    const writes: { method: string; path: string; prefer: string }[] = []
    const target = supabaseEndpoint({ url: URL_, serviceRoleKey: SERVICE_KEY, fetch: modelFetch(writes) })
    // The source document's time is old: the target's trigger stamps its own.
    const inbox = (await memoryEndpoint(source).documents.readPage('lists', null, 10)).docs.map((d) => ({ ...d, meta: { ...d.meta, updateTime: old } }))
    await target.documents.writePage!('lists', inbox)
    expect(writes.map((w) => w.method)).toEqual(['POST', 'PATCH'])
    const stored = await target.documents.readByIds!('lists', ['inbox', 'fresh', 'later', 'missing'])
    expect([...stored.keys()].sort()).toEqual(['fresh', 'inbox', 'later'])
    expect(stored.get('inbox')!.data).toEqual({ name: 'Inbox 2', gone: null, order: 1 })
    expect(stored.get('fresh')!.data).toEqual({ name: 'New', note: null })
    expect(stored.get('inbox')!.meta.updateTime.getTime()).toBeGreaterThan(old.getTime())
    // A replacement without null fields clears the recorded ones.
    await target.documents.writePage!('lists', [{ ...stored.get('inbox')!, data: { name: 'Inbox 3' } }])
    expect((await target.documents.readByIds!('lists', ['inbox'])).get('inbox')!.data).toEqual({ name: 'Inbox 3' })
  })

  it('supabase → memory reads by keyset to the end (the last page is empty), counts, and verifies', async () => {
    const source = supabaseEndpoint({ url: URL_, serviceRoleKey: SERVICE_KEY, fetch: modelFetch([]) })
    expect(await source.documents.count!('todos')).toBe(130)
    const target = memory()
    const report = await migrate({ from: source, to: memoryEndpoint(target), selection: { collections: ['todos'], storagePrefixes: [], configKeys: 'all', users: false }, verify: true, pageSize: 40 })
    expect(report.verify?.ok).toBe(true)
    expect(Object.fromEntries([...target.backend.collections.get('todos')!].map(([id, d]) => [id, d.data]))).toEqual(fixtureDocs(130))
    expect(target.backend.config).toEqual(FIXTURE_CONFIG)
  })

  it('a table the setup SQL did not create fails with a PortabaseError, without the key in it', async () => {
    const target = supabaseEndpoint({ url: URL_, serviceRoleKey: SERVICE_KEY, fetch: modelFetch([]) })
    const failure = await target.documents.readPage('nosuchtable', null, 10).catch((e: unknown) => e)
    expect(failure).toMatchObject({ name: 'PortabaseError' })
    expect(JSON.stringify(failure) + String(failure)).not.toContain(SERVICE_KEY)
  })

  it('memory → supabase with users and uidFields: accounts with non-UUID uids get GoTrue ids, the owner fields follow them, and the owner policy lets the new uid read its rows', async () => {
    const source = memory()
    await source.auth.signUp({ email: FIXTURE_EMAIL, password: FIXTURE_PASSWORD })
    await source.auth.signOut()
    await source.auth.signInAnonymously()
    await source.auth.signOut()
    const alice = source.backend.uidByEmail.get(FIXTURE_EMAIL)!
    source.backend.seed('notes', { n1: { text: 'mine', owner: alice }, n2: { text: 'theirs', owner: 'someone-else' } })
    const target = supabaseEndpoint({ url: URL_, serviceRoleKey: SERVICE_KEY, fetch: gotrueStandIn(modelFetch([])), uidFields: ['owner'] })
    const report = await migrate({ from: memoryEndpoint(source), to: target, selection: { collections: ['notes'], storagePrefixes: [], configKeys: null, users: true }, verify: true })
    const newUid = report.users!.idMap[alice]!
    expect(newUid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(report.users!.notImported).toEqual([{ uid: expect.any(String), email: null, reason: expect.stringMatching(/^an anonymous account/) }])
    expect(report.verify).toMatchObject({ ok: true, users: { ok: true, source: 2, found: 1, mapped: 1, notImported: 1 } })
    const { rows } = (await db.admin.query(`select id, data->>'owner' as owner from public.notes order by id`)) as { rows: { id: string; owner: string }[] }
    expect(rows).toEqual([{ id: 'n1', owner: newUid }, { id: 'n2', owner: 'someone-else' }])
    // The owner policy (data->>'owner' = auth.uid()) as the signed-in user of the new uid.
    const visible = await asCaller(db.admin, { role: 'authenticated', sub: newUid }, async (sql) => (await sql.query('select id from public.notes')).rows)
    expect(visible).toEqual([{ id: 'n1' }])
  })
})

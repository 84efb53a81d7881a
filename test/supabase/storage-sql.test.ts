/**
 * portabase's storage SQL (adapters/supabase/storage-sql.ts) on real PostgreSQL: PGlite in `npm
 * test`, PostgreSQL 15 in CI (SUPABASE_TEST_DATABASE_URL), over Supabase's roles
 * (test/backends/supabase/postgres.ts, which also creates the `storage.buckets` and
 * `storage.objects` tables as supabase/storage's migrations leave them), and each request runs the statements
 * the Storage server runs for it, as the caller's role. What this proves: the bucket row and the
 * RLS policies let exactly the intended callers upload, replace, read, list and delete. What it
 * does not: the Storage server itself (see adapters/supabase/README.md).
 */
import { storageSql } from '../../adapters/supabase/storage-sql.js'
import { asCaller, startTestDatabase, type Caller, type TestDatabase } from '../backends/supabase/postgres.js'

jest.setTimeout(60_000)

let db: TestDatabase
const anon: Caller = { role: 'anon' }
const alice: Caller = { role: 'authenticated', sub: '00000000-0000-4000-8000-00000000000a' }
const service: Caller = { role: 'service_role' }

beforeAll(async () => {
  try {
    db = await startTestDatabase()
  } catch (error) {
    throw new Error(`The test database (PGlite, or SUPABASE_TEST_DATABASE_URL) could not start: ${String(error)}`)
  }
  await db.admin.query(storageSql('portabase'))
  await db.admin.query(storageSql('members', { access: 'authenticated' }))
  // A bucket of the project that portabase's SQL does not open.
  await db.admin.query(`insert into storage.buckets (id, name) values ('other', 'other') on conflict (id) do nothing`)
})
afterAll(async () => {
  await db?.close()
})

/**
 * Runs `work` as Storage runs a request: as the caller's role with its claims (asCaller), plus the
 * settings Storage's scope statement adds (supabase/storage src/internal/database/postgres/scope.ts:
 * `storage.allow_delete_query` is 'true' on every request).
 */
function asStorage<T>(caller: Caller, work: (sql: { query: (text: string, params?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }> }) => Promise<T>): Promise<T> {
  return asCaller(db.admin, caller, async (sql) => {
    await sql.query(`select set_config('storage.allow_delete_query', 'true', true)`)
    return work(sql)
  })
}

/**
 * An upload with `x-upsert: true`: storage `src/storage/database/pg.ts` `upsertObject` (columns
 * whose value is undefined are left out, as its buildInsert does). Storage runs it twice: inside a
 * rolled-back transaction first (`Uploader.canUpload` → `testPermission`), then for real.
 */
async function upload(caller: Caller, bucket: string, name: string, userMetadata: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const columns: Record<string, unknown> = {
    name,
    owner: caller.sub,
    owner_id: caller.sub,
    bucket_id: bucket,
    metadata: JSON.stringify({ mimetype: 'text/plain', contentLength: 1, size: 1, eTag: '"x"', cacheControl: 'max-age=3600' }),
    user_metadata: JSON.stringify(userMetadata),
    version: `v-${name}-${Date.now()}`,
  }
  const present = Object.entries(columns).filter(([, value]) => value !== undefined)
  const update = present.filter(([column]) => !['name', 'bucket_id'].includes(column)).map(([column]) => `"${column}" = excluded."${column}"`)
  const text = `insert into storage.objects (${present.map(([c]) => `"${c}"`).join(', ')}) values (${present.map((_, i) => `$${i + 1}`).join(', ')})
    on conflict (name, bucket_id) do update set ${update.join(', ')} returning *`
  const values = present.map(([, value]) => value)
  const rolledBack = new Error('testPermission rolls back')
  await asStorage(caller, async (sql) => {
    await sql.query(text, values)
    throw rolledBack
  }).catch((error: unknown) => {
    if (error !== rolledBack) throw error
  })
  return asStorage(caller, async (sql) => (await sql.query(text, values)).rows[0]!)
}

/** Download, info and signed URLs: `findObject` (pg.ts), `select … where name = $1 and bucket_id = $2 limit 1`. */
async function find(caller: Caller, bucket: string, name: string): Promise<Record<string, unknown> | undefined> {
  return asStorage(caller, async (sql) => (await sql.query('select id, name, version, bucket_id, metadata, user_metadata, updated_at, created_at from storage.objects where name = $1 and bucket_id = $2 limit 1', [name, bucket])).rows[0])
}

/** list-v2 without a delimiter: pg.ts `listObjectsV2`'s flat query (prefix as LIKE, names in "C" order). */
async function list(caller: Caller, bucket: string, prefix: string, limit = 100, after?: string): Promise<string[]> {
  const escaped = prefix.replace(/[\\%_]/g, (c) => `\\${c}`)
  return asStorage(caller, async (sql) => {
    const conditions = ['bucket_id = $1', 'name like $3']
    const values: unknown[] = [bucket, limit, `${escaped}%`]
    if (after !== undefined) {
      values.push(after)
      conditions.push(`name collate "C" > $4`)
    }
    const { rows } = await sql.query(`select id, name, metadata, updated_at, created_at, last_accessed_at from storage.objects where ${conditions.join(' and ')} order by name collate "C" asc limit $2`, values)
    return rows.map((r) => r.name as string)
  })
}

/** `DELETE /object/{bucket}`: pg.ts `deleteObjects`, `delete … where bucket_id = $1 and name = any($2) returning *`. */
async function remove(caller: Caller, bucket: string, names: string[]): Promise<string[]> {
  return asStorage(caller, async (sql) => (await sql.query('delete from storage.objects where bucket_id = $1 and "name" = any($2) returning *', [bucket, names])).rows.map((r) => r.name as string))
}

async function refusal(work: Promise<unknown>): Promise<{ code?: string; message?: string }> {
  try {
    await work
  } catch (error) {
    return error as { code?: string; message?: string }
  }
  throw new Error('expected the database to refuse the statement')
}

describe(`Supabase storage SQL on ${process.env.SUPABASE_TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('creates a private bucket and applies again without error', async () => {
    await db.admin.query(storageSql('portabase'))
    const { rows } = await db.admin.query(`select id, name, public, type from storage.buckets where id = 'portabase'`)
    expect(rows).toEqual([{ id: 'portabase', name: 'portabase', public: false, type: 'STANDARD' }])
    const policies = await db.admin.query(`select policyname, cmd, roles::text[] as roles from pg_policies where schemaname = 'storage' and tablename = 'objects' and policyname like 'portabase portabase %' order by policyname`)
    expect(policies.rows).toEqual([
      { policyname: 'portabase portabase delete', cmd: 'DELETE', roles: ['anon', 'authenticated'] },
      { policyname: 'portabase portabase insert', cmd: 'INSERT', roles: ['anon', 'authenticated'] },
      { policyname: 'portabase portabase select', cmd: 'SELECT', roles: ['anon', 'authenticated'] },
      { policyname: 'portabase portabase update', cmd: 'UPDATE', roles: ['anon', 'authenticated'] },
    ])
  })

  it('leaves an existing bucket of that id as it is (on conflict do nothing)', async () => {
    await db.admin.query(`insert into storage.buckets (id, name, public) values ('already', 'already', true) on conflict (id) do update set public = true`)
    await db.admin.query(storageSql('already'))
    expect((await db.admin.query(`select public from storage.buckets where id = 'already'`)).rows).toEqual([{ public: true }])
  })

  it.each([
    ['signed out (anon)', anon],
    ['signed in (authenticated)', alice],
  ])('public access, %s: upload, replace (upsert), read, list and delete', async (_label, caller) => {
    const base = `t-${caller.role}`
    const first = await upload(caller, 'portabase', `${base}/a.txt`, { kind: 'first' })
    expect(first).toMatchObject({ name: `${base}/a.txt`, bucket_id: 'portabase', owner_id: caller.sub ?? null, user_metadata: { kind: 'first' } })
    const replaced = await upload(caller, 'portabase', `${base}/a.txt`, { kind: 'second' })
    expect(replaced).toMatchObject({ id: first.id, user_metadata: { kind: 'second' } })
    expect(await find(caller, 'portabase', `${base}/a.txt`)).toMatchObject({ name: `${base}/a.txt`, user_metadata: { kind: 'second' } })
    await upload(caller, 'portabase', `${base}/sub/deeper/c.txt`)
    await upload(caller, 'portabase', `${base}/B.txt`)
    await upload(caller, 'portabase', `${base}x/not-me.txt`)
    // Flat, sub-folders included, bytewise order ('B' < 'a' < 's'), one page after another.
    expect(await list(caller, 'portabase', `${base}/`)).toEqual([`${base}/B.txt`, `${base}/a.txt`, `${base}/sub/deeper/c.txt`])
    expect(await list(caller, 'portabase', `${base}/`, 2, `${base}/a.txt`)).toEqual([`${base}/sub/deeper/c.txt`])
    expect(await remove(caller, 'portabase', [`${base}/a.txt`])).toEqual([`${base}/a.txt`])
    expect(await find(caller, 'portabase', `${base}/a.txt`)).toBeUndefined()
    // Deleting what is gone deletes nothing (the adapter then asks for the info: not-found).
    expect(await remove(caller, 'portabase', [`${base}/a.txt`])).toEqual([])
  })

  it('another bucket stays closed: uploads are refused with 42501 (Storage: AccessDenied), its objects are invisible and undeletable', async () => {
    const refused = await refusal(upload(anon, 'other', 'x.txt'))
    expect(refused.code).toBe('42501')
    expect(refused.message).toMatch(/row-level security/)
    expect((await refusal(upload(alice, 'other', 'x.txt'))).code).toBe('42501')
    await upload(service, 'other', 'secret.txt')
    expect(await find(anon, 'other', 'secret.txt')).toBeUndefined()
    expect(await find(alice, 'other', 'secret.txt')).toBeUndefined()
    expect(await list(alice, 'other', '')).toEqual([])
    expect(await remove(alice, 'other', ['secret.txt'])).toEqual([])
    expect(await find(service, 'other', 'secret.txt')).toMatchObject({ name: 'secret.txt' })
  })

  it("access 'authenticated': signed-out callers can neither write nor see; signed-in ones can do everything", async () => {
    expect((await refusal(upload(anon, 'members', 'm/a.txt'))).code).toBe('42501')
    await upload(alice, 'members', 'm/a.txt', { by: 'alice' })
    await upload(alice, 'members', 'm/a.txt', { by: 'alice again' })
    expect(await find(anon, 'members', 'm/a.txt')).toBeUndefined()
    expect(await list(anon, 'members', 'm/')).toEqual([])
    expect(await remove(anon, 'members', ['m/a.txt'])).toEqual([])
    // A signed-out upsert onto an existing object is refused too: PostgreSQL raises when the existing
    // row fails the UPDATE path's USING check (it never skips that path silently).
    expect((await refusal(upload(anon, 'members', 'm/a.txt'))).code).toBe('42501')
    expect(await find(alice, 'members', 'm/a.txt')).toMatchObject({ user_metadata: { by: 'alice again' } })
    expect(await list(alice, 'members', 'm/')).toEqual(['m/a.txt'])
    expect(await remove(alice, 'members', ['m/a.txt'])).toEqual(['m/a.txt'])
  })

  it('objects cannot be moved into a bucket the policies do not cover (update with check)', async () => {
    await upload(alice, 'portabase', 'move/a.txt')
    const refused = await refusal(asStorage(alice, (sql) => sql.query(`update storage.objects set bucket_id = 'other' where bucket_id = 'portabase' and name = 'move/a.txt'`)))
    expect(refused.code).toBe('42501')
  })

  it('refuses bucket ids it cannot put safely into SQL', () => {
    for (const bad of ['', 'Portabase', "x'; drop table storage.objects; --", 'a b', 'a"b', 'x'.repeat(41)]) {
      expect(() => storageSql(bad)).toThrow(/bucket ids/)
    }
    expect(() => storageSql('ok', { access: 'owner' as never })).toThrow(/access/)
  })
})

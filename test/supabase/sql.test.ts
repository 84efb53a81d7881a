/**
 * portabase's Supabase SQL (adapters/supabase/sql.ts) on real PostgreSQL: PGlite in `npm test`,
 * PostgreSQL 15 in CI (SUPABASE_TEST_DATABASE_URL). Each request runs as PostgREST runs it, as the
 * role and user the JWT names (test/backends/supabase/postgres.ts). What this proves: the tables,
 * triggers, RLS policies and RPCs behave as the adapter relies on. What it does not: PostgREST,
 * GoTrue, Realtime and Storage themselves (see adapters/supabase/README.md).
 */
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeData, encodeWriteData, type Json } from '../../adapters/supabase/codec.js'
import { collectionSql, supabaseSetupSql } from '../../adapters/supabase/sql.js'
import { SETUP_OPTIONS } from '../../adapters/supabase/setup-options.js'
import { arrayRemove, arrayUnion, deleteField, increment, serverTimestamp, type DocumentData, type Value, type WriteData } from '../../src/index.js'
import { applyWrite } from '../../src/write.js'
import { asCaller, startTestDatabase, type Caller, type Session, type TestDatabase } from '../backends/supabase/postgres.js'

jest.setTimeout(60_000)

let db: TestDatabase
const anon: Caller = { role: 'anon' }
const alice: Caller = { role: 'authenticated', sub: '00000000-0000-4000-8000-00000000000a' }
const bob: Caller = { role: 'authenticated', sub: '00000000-0000-4000-8000-00000000000b' }
const service: Caller = { role: 'service_role' }

beforeAll(async () => {
  try {
    db = await startTestDatabase()
  } catch (error) {
    throw new Error(`The test database (PGlite, or SUPABASE_TEST_DATABASE_URL) could not start: ${String(error)}`)
  }
  await db.admin.query(supabaseSetupSql(SETUP_OPTIONS))
})
afterAll(async () => {
  await db?.close()
})

interface Outcome {
  ok: boolean
  code?: string
  message?: string
  replayed?: boolean
}
type Op = { type: 'create' | 'set' | 'update'; collection: string; id: string; data: WriteData; writeId?: string } | { type: 'delete'; collection: string; id: string; writeId?: string }

const wire = (ops: Op[]): string => JSON.stringify(ops.map((op) => (op.type === 'delete' ? op : { ...op, data: encodeWriteData(op.data) })))

async function write(caller: Caller, ops: Op[], atomic = true, session: Session = db.admin): Promise<Outcome[]> {
  return asCaller(session, caller, async (sql) => {
    const { rows } = await sql.query('select public.portabase_write($1::jsonb, $2) as r', [wire(ops), atomic])
    return rows[0]!.r as Outcome[]
  })
}

async function read(caller: Caller, collection: string, id: string): Promise<DocumentData | null> {
  return asCaller(db.admin, caller, async (sql) => {
    const { rows } = await sql.query(`select portabase.document(data, nulls) as data from public.${collection} where id = $1`, [id])
    return rows[0] ? decodeData(rows[0].data as Json) : null
  })
}

async function row(collection: string, id: string): Promise<{ version: number; write_id: string | null; updated_at: Date } | null> {
  const { rows } = await db.admin.query(`select version, write_id, updated_at from public.${collection} where id = $1`, [id])
  const r = rows[0]
  return r ? { version: Number(r.version), write_id: r.write_id as string | null, updated_at: new Date(r.updated_at as string) } : null
}

interface FeedRecord {
  id: string
  data: DocumentData | null
  deleted: boolean
  xid: string
  write_id: string | null
}

async function changes(caller: Caller, collection: string, after: { xid: string; id: string } | null = null, limit = 500, session: Session = db.admin): Promise<FeedRecord[]> {
  return asCaller(session, caller, async (sql) => {
    const { rows } = await sql.query('select id, data, deleted, change_xid::text as xid, write_id from public.portabase_changes($1, $2::xid8, $3, $4)', [collection, after?.xid ?? null, after?.id ?? null, limit])
    return rows.map((r) => ({ id: r.id as string, data: r.data === null ? null : decodeData(r.data as Json), deleted: r.deleted as boolean, xid: r.xid as string, write_id: r.write_id as string | null }))
  })
}

let fresh = 0
/** A new public collection, set up by the service role as an app's migration would. */
async function publicCollection(): Promise<string> {
  const name = `t${++fresh}`
  await db.admin.query(collectionSql({ name }))
  return name
}

describe(`Supabase SQL on ${process.env.SUPABASE_TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('setup.sql is the generated SQL for the contract fixtures, and applies again without error', async () => {
    const committed = readFileSync(join(__dirname, '..', '..', 'adapters', 'supabase', 'setup.sql'), 'utf8')
    expect(committed).toBe(supabaseSetupSql(SETUP_OPTIONS))
    await db.admin.query(committed)
  })

  it("every collection joins the supabase_realtime publication once (Realtime streams only its tables)", async () => {
    const c = await publicCollection()
    await db.admin.query(collectionSql({ name: c }))
    const { rows } = await db.admin.query("select tablename from pg_publication_tables where pubname = 'supabase_realtime' and tablename = $1", [c])
    expect(rows).toEqual([{ tablename: c }])
  })

  describe('portabase_write', () => {
    it('create, set, update and delete as anon on a public collection; triggers keep version, updated_at and write_id', async () => {
      const c = await publicCollection()
      expect(await write(anon, [{ type: 'create', collection: c, id: 'a', data: { title: 'x', n: 1 }, writeId: `${c}-w1` }])).toEqual([{ ok: true }])
      const first = await row(c, 'a')
      expect(first).toMatchObject({ version: 1, write_id: `${c}-w1` })
      await write(anon, [{ type: 'update', collection: c, id: 'a', data: { n: 2 } }])
      const second = await row(c, 'a')
      // A write without a write id clears the recorded one.
      expect(second).toMatchObject({ version: 2, write_id: null })
      expect(second!.updated_at.getTime()).toBeGreaterThanOrEqual(first!.updated_at.getTime())
      expect(await read(anon, c, 'a')).toEqual({ title: 'x', n: 2 })
      await write(anon, [{ type: 'set', collection: c, id: 'a', data: { only: true }, writeId: `${c}-w3` }])
      expect(await read(anon, c, 'a')).toEqual({ only: true })
      expect(await row(c, 'a')).toMatchObject({ version: 3, write_id: `${c}-w3` })
      await write(anon, [{ type: 'delete', collection: c, id: 'a', writeId: `${c}-w4` }])
      expect(await read(anon, c, 'a')).toBeNull()
      const feed = await changes(anon, c)
      expect(feed.map((r) => [r.id, r.deleted, r.write_id])).toEqual([['a', true, `${c}-w4`]])
    })

    it('refusals carry the SQLSTATE the adapter maps: 23505 already exists, P0002 missing, 42P01 not a portabase collection', async () => {
      const c = await publicCollection()
      await write(anon, [{ type: 'create', collection: c, id: 'a', data: { v: 1 } }])
      const outcomes = await write(
        anon,
        [
          { type: 'create', collection: c, id: 'a', data: { v: 2 } },
          { type: 'update', collection: c, id: 'missing', data: { v: 1 } },
          { type: 'set', collection: 'not_a_collection', id: 'x', data: { v: 1 } },
          { type: 'set', collection: c, id: 'b', data: { v: 3 } },
        ],
        false,
      )
      expect(outcomes.map((o) => (o.ok ? 'ok' : o.code))).toEqual(['23505', 'P0002', '42P01', 'ok'])
      expect(await read(anon, c, 'b')).toEqual({ v: 3 })
      // A delete of a document that does not exist succeeds (as on every adapter).
      expect(await write(anon, [{ type: 'delete', collection: c, id: 'never' }])).toEqual([{ ok: true }])
    })

    it('an atomic batch is all or nothing', async () => {
      const c = await publicCollection()
      await write(anon, [{ type: 'create', collection: c, id: 'taken', data: { v: 0 } }])
      await expect(
        write(anon, [
          { type: 'set', collection: c, id: 'first', data: { v: 1 } },
          { type: 'create', collection: c, id: 'taken', data: { v: 2 } },
        ]),
      ).rejects.toMatchObject({ code: '23505' })
      expect(await read(anon, c, 'first')).toBeNull()
      expect(await read(anon, c, 'taken')).toEqual({ v: 0 })
    })

    it('sentinels resolve in the database: increment (in double precision), arrayUnion, arrayRemove, deleteField, serverTimestamp', async () => {
      const c = await publicCollection()
      await write(anon, [{ type: 'set', collection: c, id: 'a', data: { n: 0.1, tags: ['a', 'b', 'a'], gone: 1 } }])
      const before = Date.now()
      await write(anon, [{ type: 'update', collection: c, id: 'a', data: { n: increment(0.2), tags: arrayUnion('c', 'a', 'c'), gone: deleteField(), at: serverTimestamp(), fresh: increment(5) } }])
      await write(anon, [{ type: 'update', collection: c, id: 'a', data: { tags: arrayRemove('a') } }])
      const doc = await read(anon, c, 'a')
      expect(doc).toMatchObject({ n: 0.1 + 0.2, tags: ['b', 'c'], fresh: 5 })
      expect(doc).not.toHaveProperty('gone')
      expect(doc!.at).toBeInstanceOf(Date)
      expect((doc!.at as Date).getTime()).toBeGreaterThanOrEqual(before - 5_000)
    })

    it('property: an update applies exactly as the reference applyWrite (src/write.ts) does', async () => {
      const c = await publicCollection()
      const scalar = fc.oneof(fc.integer({ min: -50, max: 50 }), fc.double({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null))
      const value: fc.Arbitrary<Value> = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.date({ min: new Date('2000-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }))
      const field = fc.constantFrom('a', 'b', 'c')
      const change = fc.oneof(
        value,
        fc.integer({ min: -3, max: 3 }).map((by) => increment(by)),
        fc.array(scalar, { maxLength: 3 }).map((values) => arrayUnion(...values)),
        fc.array(scalar, { maxLength: 3 }).map((values) => arrayRemove(...values)),
        fc.constant(deleteField()),
      )
      let n = 0
      await fc.assert(
        fc.asyncProperty(fc.dictionary(field, value), fc.dictionary(field, change, { minKeys: 1 }), async (start, patch) => {
          const id = `p${++n}`
          await write(anon, [{ type: 'set', collection: c, id, data: start }])
          await write(anon, [{ type: 'update', collection: c, id, data: patch as WriteData }])
          // The reference stores the set first (normalising values such as -0 to 0), then applies the update to that.
          const now = new Date()
          const stored = applyWrite(undefined, { type: 'set', data: start }, now)
          const expected = applyWrite(stored, { type: 'update', data: patch as WriteData }, now)
          expect(await read(anon, c, id)).toEqual(expected)
        }),
        { numRuns: 60 },
      )
    })
  })

  describe('null fields', () => {
    it('a top-level null is kept apart (nulls), reads back as null, and sorts and filters as a missing field does', async () => {
      const c = await publicCollection()
      await write(anon, [
        { type: 'set', collection: c, id: 'a', data: { n: null, keep: { inner: null } } },
        { type: 'set', collection: c, id: 'b', data: { n: 2 } },
        { type: 'set', collection: c, id: 'c', data: {} },
        { type: 'set', collection: c, id: 'd', data: { n: 1 } },
      ])
      expect(await read(anon, c, 'a')).toEqual({ n: null, keep: { inner: null } })
      const { rows } = await db.admin.query(`select data, nulls from public.${c} where id = 'a'`)
      expect(rows[0]).toEqual({ data: { keep: { inner: null } }, nulls: ['n'] })
      // Ascending: values, then null and missing together (by id), as the reference orders them.
      const ordered = await db.admin.query(`select id from public.${c} order by data->'n' asc nulls last, id`)
      expect(ordered.rows.map((r) => r.id)).toEqual(['d', 'b', 'a', 'c'])
      const missingOrNull = await db.admin.query(`select id from public.${c} where data->'n' is null order by id`)
      expect(missingOrNull.rows.map((r) => r.id)).toEqual(['a', 'c'])
      await write(anon, [{ type: 'update', collection: c, id: 'a', data: { n: deleteField(), m: null } }])
      expect(await read(anon, c, 'a')).toEqual({ m: null, keep: { inner: null } })
      await write(anon, [{ type: 'update', collection: c, id: 'b', data: { n: null } }])
      expect(await read(anon, c, 'b')).toEqual({ n: null })
      expect((await changes(anon, c)).find((r) => r.id === 'b')?.data).toEqual({ n: null })
    })

    it('a set over an existing document keeps its null fields (the upsert branch must not take the trigger-stripped row)', async () => {
      const c = await publicCollection()
      await write(anon, [{ type: 'set', collection: c, id: 'a', data: { a: 1, n: null } }])
      await write(anon, [{ type: 'set', collection: c, id: 'a', data: { a: 2, n: null, m: null } }])
      expect(await read(anon, c, 'a')).toEqual({ a: 2, n: null, m: null })
      expect((await changes(anon, c)).find((r) => r.id === 'a')?.data).toEqual({ a: 2, n: null, m: null })
    })

    it('ids order bytewise (collation "C"): cursors page in code-point order', async () => {
      const c = await publicCollection()
      await write(anon, ['b', 'B', '_x', '-y', 'a1', 'A2'].map((id) => ({ type: 'set' as const, collection: c, id, data: {} })))
      const { rows } = await db.admin.query(`select id from public.${c} order by id`)
      expect(rows.map((r) => r.id)).toEqual(['-y', 'A2', 'B', '_x', 'a1', 'b'])
    })
  })

  describe('exactly once: write ids', () => {
    it('a replayed write id is answered as applied and not applied again', async () => {
      const c = await publicCollection()
      await write(anon, [{ type: 'set', collection: c, id: 'n', data: { n: 0 } }])
      const once = { type: 'update' as const, collection: c, id: 'n', data: { n: increment(1) }, writeId: `${c}-inc-1` }
      expect(await write(anon, [once])).toEqual([{ ok: true }])
      // The same request again (its answer was lost), and once more after another write landed.
      expect(await write(anon, [once])).toEqual([{ ok: true, replayed: true }])
      await write(anon, [{ type: 'update', collection: c, id: 'n', data: { other: 1 }, writeId: `${c}-w-other` }])
      expect(await write(anon, [once], false)).toEqual([{ ok: true, replayed: true }])
      expect(await read(anon, c, 'n')).toEqual({ n: 1, other: 1 })
    })

    it('a write that failed does not claim its id: the retry applies it', async () => {
      const c = await publicCollection()
      const create = { type: 'create' as const, collection: c, id: 'later', data: { v: 1 }, writeId: `${c}-c-1` }
      await write(anon, [{ type: 'set', collection: c, id: 'later', data: { v: 0 } }])
      expect((await write(anon, [create], false))[0]).toMatchObject({ ok: false, code: '23505' })
      await write(anon, [{ type: 'delete', collection: c, id: 'later' }])
      expect(await write(anon, [create], false)).toEqual([{ ok: true }])
      expect(await read(anon, c, 'later')).toEqual({ v: 1 })
    })
  })

  describe('row-level security as each role', () => {
    it('owner-only: the owner writes and reads; another user sees nothing and is refused with 42501; anon cannot insert', async () => {
      const mine = { type: 'set' as const, collection: 'owned', id: 'alice-1', data: { owner: alice.sub!, v: 1 } }
      expect(await write(alice, [mine])).toEqual([{ ok: true }])
      expect(await read(alice, 'owned', 'alice-1')).toEqual({ owner: alice.sub, v: 1 })
      expect(await read(bob, 'owned', 'alice-1')).toBeNull()
      expect(await read(anon, 'owned', 'alice-1')).toBeNull()
      const refused = await write(
        bob,
        [
          { type: 'update', collection: 'owned', id: 'alice-1', data: { v: 666 } },
          { type: 'delete', collection: 'owned', id: 'alice-1' },
          { type: 'set', collection: 'owned', id: 'bob-1', data: { owner: alice.sub!, v: 1 } },
          { type: 'set', collection: 'owned', id: 'bob-2', data: { owner: bob.sub!, v: 1 } },
        ],
        false,
      )
      expect(refused.map((o) => (o.ok ? 'ok' : o.code))).toEqual(['42501', '42501', '42501', 'ok'])
      expect((await write(anon, [{ type: 'set', collection: 'owned', id: 'anon-1', data: { owner: 'x' } }], false))[0]).toMatchObject({ ok: false, code: '42501' })
      expect(await read(alice, 'owned', 'alice-1')).toEqual({ owner: alice.sub, v: 1 })
      // The service role bypasses RLS (admin tools, migrations).
      expect(await read(service, 'owned', 'alice-1')).toEqual({ owner: alice.sub, v: 1 })
    })

    it('owner-only: the change feed and tombstones show each user their own documents only', async () => {
      await write(alice, [{ type: 'set', collection: 'owned', id: 'alice-feed', data: { owner: alice.sub!, v: 1 } }])
      await write(bob, [{ type: 'set', collection: 'owned', id: 'bob-feed', data: { owner: bob.sub!, v: 1 } }])
      await write(alice, [{ type: 'delete', collection: 'owned', id: 'alice-feed', writeId: 'del-alice' }])
      const ids = (records: FeedRecord[]) => records.map((r) => r.id)
      expect(ids(await changes(alice, 'owned'))).toContain('alice-feed')
      expect(ids(await changes(alice, 'owned'))).not.toContain('bob-feed')
      expect(ids(await changes(bob, 'owned'))).toContain('bob-feed')
      expect(ids(await changes(bob, 'owned'))).not.toContain('alice-feed')
      const fetched = await asCaller(db.admin, bob, async (sql) => (await sql.query(`select id from public.portabase_fetch('owned', array['alice-feed', 'bob-feed'])`)).rows)
      expect(fetched.map((r) => r.id)).toEqual(['bob-feed'])
    })

    it('remote config: everyone reads portabase_config, nobody but the service role writes it', async () => {
      await asCaller(db.admin, service, (sql) => sql.query(`insert into public.portabase_config (key, value) values ('welcome', '"hello"'), ('maxItems', '20') on conflict (key) do update set value = excluded.value`))
      const values = await asCaller(db.admin, anon, async (sql) => (await sql.query('select key, value from public.portabase_config order by key')).rows)
      expect(values).toEqual([
        { key: 'maxItems', value: 20 },
        { key: 'welcome', value: 'hello' },
      ])
      for (const caller of [anon, alice]) {
        await expect(asCaller(db.admin, caller, (sql) => sql.query(`update public.portabase_config set value = '"hacked"'`))).rejects.toMatchObject({ code: '42501' })
      }
    })
  })

  describe('the change feed', () => {
    it('orders by (transaction, id), pages after a position, and moves a changed document to the end', async () => {
      const c = await publicCollection()
      await write(anon, [
        { type: 'set', collection: c, id: 'b', data: { v: 1 } },
        { type: 'set', collection: c, id: 'a', data: { v: 1 } },
      ])
      await write(anon, [{ type: 'set', collection: c, id: 'c', data: { v: 1 } }])
      const all = await changes(anon, c)
      // One transaction wrote a and b: ordered by id within it.
      expect(all.map((r) => r.id)).toEqual(['a', 'b', 'c'])
      const page = await changes(anon, c, null, 2)
      const rest = await changes(anon, c, { xid: page[1]!.xid, id: page[1]!.id })
      expect([...page, ...rest].map((r) => r.id)).toEqual(['a', 'b', 'c'])
      await write(anon, [{ type: 'update', collection: c, id: 'a', data: { v: 2 } }])
      const after = await changes(anon, c, { xid: rest[0]!.xid, id: rest[0]!.id })
      expect(after.map((r) => [r.id, r.data])).toEqual([['a', { v: 2 }]])
    })

    it('recreating a deleted document replaces its tombstone', async () => {
      const c = await publicCollection()
      await write(anon, [{ type: 'set', collection: c, id: 'a', data: { v: 1 } }])
      await write(anon, [{ type: 'delete', collection: c, id: 'a' }])
      await write(anon, [{ type: 'create', collection: c, id: 'a', data: { v: 2 } }])
      expect((await changes(anon, c)).map((r) => [r.id, r.deleted, r.data])).toEqual([['a', false, { v: 2 }]])
    })
  })
})

// Two transactions at once need two sessions: real PostgreSQL only (PGlite serves one session).
// CI runs this file on PostgreSQL 15 (.ci/supabase-sql-on-postgres.sh).
if (process.env.SUPABASE_TEST_DATABASE_URL) {
  describe('the change feed under concurrent transactions (PostgreSQL, two sessions)', () => {
    it('a transaction that started first but commits last never slips behind a position already handed out', async () => {
      const c = await publicCollection()
      const early = await db.session()
      const late = await db.session()
      try {
        await early.query('begin')
        await early.query('set local role anon')
        await early.query(`select set_config('request.jwt.claims', '{"role":"anon"}', true)`)
        await early.query('select public.portabase_write($1::jsonb, true)', [wire([{ type: 'set', collection: c, id: 'early', data: { v: 1 } }])])
        // A later transaction writes and commits while the first is still open.
        await write(anon, [{ type: 'set', collection: c, id: 'late', data: { v: 1 } }], true, late)
        // Its record is held back: handing it out now would put a position past the open transaction.
        expect((await changes(anon, c, null, 500, late)).map((r) => r.id)).toEqual([])
        await early.query('commit')
        const feed = await changes(anon, c, null, 500, late)
        expect(feed.map((r) => r.id)).toEqual(['early', 'late'])
        expect(BigInt(feed[0]!.xid) < BigInt(feed[1]!.xid)).toBe(true)
      } finally {
        await early.query('rollback').catch(() => undefined)
        await early.close()
        await late.close()
      }
    })
  })
}

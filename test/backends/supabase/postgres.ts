/**
 * The PostgreSQL side of a Supabase project, here: PGlite in `npm test`, or a real PostgreSQL when
 * SUPABASE_TEST_DATABASE_URL is set (CI: PostgreSQL 15, .ci/supabase-sql-on-postgres.sh).
 *
 * It creates what Supabase creates and portabase's SQL relies on, exactly as Supabase defines it:
 * the roles `anon`, `authenticated` and `service_role` (BYPASSRLS), and `auth.uid()`, `auth.role()`,
 * `auth.email()`, `auth.jwt()` from supabase/auth's migration 20240624145325_recreate_auth_functions
 * (they read `request.jwt.claims`). A request runs as PostgREST runs one: in a transaction, after
 * `SET LOCAL ROLE` and `set_config('request.jwt.claims', …, true)`.
 */
import { fork } from 'node:child_process'
import { join } from 'node:path'
import pg from 'pg'

export interface Rows {
  rows: Record<string, unknown>[]
}

/** One database session: statements run in order on it. */
export interface Session {
  query(text: string, params?: unknown[]): Promise<Rows>
  close(): Promise<void>
}

export interface TestDatabase {
  name: string
  /** Can open more than one session at once (real PostgreSQL; PGlite has a single session). */
  concurrent: boolean
  admin: Session
  session(): Promise<Session>
  close(): Promise<void>
}

/** Who makes a request: PostgREST's role and the JWT claims it puts in request.jwt.claims. */
export interface Caller {
  role: 'anon' | 'authenticated' | 'service_role'
  sub?: string
  email?: string
}

const SUPABASE_WORLD = `
do $$ begin
  if not exists (select from pg_roles where rolname = 'anon') then create role anon nologin noinherit; end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then create role authenticated nologin noinherit; end if;
  if not exists (select from pg_roles where rolname = 'service_role') then create role service_role nologin noinherit bypassrls; end if;
end $$;
create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;
grant usage on schema public to anon, authenticated, service_role;

create or replace function auth.uid() returns uuid set search_path to '' as $func$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$func$ language sql stable;

create or replace function auth.role() returns text set search_path to '' as $func$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$func$ language sql stable;

create or replace function auth.email() returns text set search_path to '' as $func$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$func$ language sql stable;

create or replace function auth.jwt() returns jsonb set search_path to '' as $func$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$func$ language sql stable;
`

export async function startTestDatabase(): Promise<TestDatabase> {
  const url = process.env.SUPABASE_TEST_DATABASE_URL
  const db = url ? await connect('PostgreSQL', url, 6, async () => undefined) : await startPglite()
  await db.admin.query(SUPABASE_WORLD)
  return db
}

/** PGlite in a child process, reached over the wire protocol with the same client as PostgreSQL. */
async function startPglite(): Promise<TestDatabase> {
  const child = fork(join(__dirname, 'pglite-child.ts'), [], { cwd: join(__dirname, '..', '..', '..'), execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('PGlite did not start within 60 s')), 60_000)
    child.once('message', (message: { type: string; port: number }) => {
      clearTimeout(timer)
      resolve(message.port)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`PGlite's process exited during start-up (code ${code}); see stderr above`))
    })
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  // One session: PGlite runs one at a time.
  return connect('PGlite', `postgres://postgres@127.0.0.1:${port}/postgres`, 1, async () => {
    child.disconnect()
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000).unref())])
    child.kill('SIGKILL')
  })
}

async function connect(name: string, url: string, max: number, stop: () => Promise<void>): Promise<TestDatabase> {
  const pool = new pg.Pool({ connectionString: url, max })
  const open = async (): Promise<Session> => {
    const client = await pool.connect()
    return {
      query: async (text, params) => ({ rows: (await client.query(text, params)).rows as Record<string, unknown>[] }),
      close: async () => client.release(),
    }
  }
  const admin = await open()
  return {
    name,
    concurrent: max > 1,
    admin,
    session: open,
    close: async () => {
      await admin.close()
      await pool.end()
      await stop()
    },
  }
}

/**
 * Runs `work` as PostgREST runs a request for `caller`: BEGIN, SET LOCAL ROLE, the JWT claims as a
 * transaction-local setting, then COMMIT (ROLLBACK when `work` throws, as PostgREST does).
 */
export async function asCaller<T>(session: Session, caller: Caller, work: (sql: Session) => Promise<T>): Promise<T> {
  const claims = JSON.stringify({ role: caller.role, ...(caller.sub ? { sub: caller.sub } : {}), ...(caller.email ? { email: caller.email } : {}) })
  await session.query('begin')
  try {
    await session.query(`set local role ${caller.role}`)
    await session.query(`select set_config('request.jwt.claims', $1, true)`, [claims])
    const result = await work(session)
    await session.query('commit')
    return result
  } catch (error) {
    await session.query('rollback').catch(() => undefined)
    throw error
  }
}

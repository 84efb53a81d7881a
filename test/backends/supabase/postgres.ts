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
-- Supabase's projects have this publication (supabase/postgres migrations); Realtime streams its tables.
do $$ begin
  if not exists (select from pg_publication where pubname = 'supabase_realtime') then create publication supabase_realtime; end if;
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

/**
 * `storage.buckets` and `storage.objects` as supabase/storage's tenant migrations (migrations/tenant/,
 * commit 4fa61fb) leave them: 0002-storage-schema (schema, tables, `bucketid_objname`, RLS on
 * objects, default privileges), 0003-pathtoken-column, 0007-add-rls-to-buckets,
 * 0008-add-public-to-buckets, 0011-add-trigger-to-auto-update-updated_at-column,
 * 0012-add-automatic-avif-detection-flag, 0013/0014 (file_size_limit, allowed_mime_types),
 * 0016-add-version, 0017/0018 (owner foreign keys dropped, owner_id), 0019 (id default),
 * 0025-custom-metadata (user_metadata), 0037-add-bucket-name-length-trigger,
 * 0038-iceberg-catalog-flag-on-buckets (type), 0046-buckets-objects-grants,
 * 0055-prevent-direct-deletes, 0062-object-versioning-core (versioning columns). Left out: what
 * these policies cannot touch (search functions, prefixes, multipart, analytics and vector tables;
 * `level`, added in 0026, is dropped again in 0052), and table ownership by supabase_storage_admin.
 */
export const STORAGE_SCHEMA = `
create schema if not exists storage;
grant usage on schema storage to anon, authenticated, service_role;
do $$ begin
  if not exists (select from pg_type where typname = 'buckettype') then create type storage.BucketType as enum ('STANDARD', 'ANALYTICS'); end if;
end $$;
create table if not exists storage.buckets (
  id text not null primary key,
  name text not null,
  owner uuid,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  public boolean default false,
  avif_autodetection bool default false,
  file_size_limit bigint default null,
  allowed_mime_types text[] default null,
  owner_id text default null,
  type storage.BucketType not null default 'STANDARD',
  versioning_status text not null default 'DISABLED' check (versioning_status in ('DISABLED', 'ENABLED', 'SUSPENDED'))
);
create unique index if not exists bname on storage.buckets using btree (name);
alter table storage.buckets enable row level security;
create table if not exists storage.objects (
  id uuid not null default gen_random_uuid() primary key,
  bucket_id text constraint "objects_bucketId_fkey" references storage.buckets (id),
  name text,
  owner uuid,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  last_accessed_at timestamptz default now(),
  metadata jsonb,
  path_tokens text[] generated always as (string_to_array(name, '/')) stored,
  version text default null,
  owner_id text default null,
  user_metadata jsonb null,
  archived_at timestamptz,
  is_delete_marker boolean not null default false,
  is_versioned boolean not null default false
);
create unique index if not exists bucketid_objname on storage.objects using btree (bucket_id, name);
create index if not exists name_prefix_search on storage.objects (name text_pattern_ops);
alter table storage.objects enable row level security;
grant all on storage.buckets, storage.objects to service_role, authenticated, anon;

create or replace function storage.update_updated_at_column() returns trigger as $$
begin
  new.updated_at = now();
  return new;
end;
$$ language plpgsql;
drop trigger if exists update_objects_updated_at on storage.objects;
create trigger update_objects_updated_at before update on storage.objects for each row execute procedure storage.update_updated_at_column();

create or replace function storage.enforce_bucket_name_length() returns trigger as $$
begin
  if length(new.name) > 100 then
    raise exception 'bucket name "%" is too long (% characters). Max is 100.', new.name, length(new.name);
  end if;
  return new;
end;
$$ language plpgsql;
drop trigger if exists enforce_bucket_name_length_trigger on storage.buckets;
create trigger enforce_bucket_name_length_trigger before insert or update of name on storage.buckets for each row execute function storage.enforce_bucket_name_length();

create or replace function storage.protect_delete() returns trigger language plpgsql as $$
begin
  if coalesce(current_setting('storage.allow_delete_query', true), 'false') != 'true' then
    raise exception 'Direct deletion from storage tables is not allowed. Use the Storage API instead.'
      using hint = 'This prevents accidental data loss from orphaned objects.', errcode = '42501';
  end if;
  return null;
end;
$$;
drop trigger if exists protect_buckets_delete on storage.buckets;
create trigger protect_buckets_delete before delete on storage.buckets for each statement execute function storage.protect_delete();
drop trigger if exists protect_objects_delete on storage.objects;
create trigger protect_objects_delete before delete on storage.objects for each statement execute function storage.protect_delete();
`

export async function startTestDatabase(): Promise<TestDatabase> {
  const url = process.env.SUPABASE_TEST_DATABASE_URL
  const db = url ? await connect('PostgreSQL', url, 6, async () => undefined) : await startPglite()
  await db.admin.query(SUPABASE_WORLD)
  await db.admin.query(STORAGE_SCHEMA)
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

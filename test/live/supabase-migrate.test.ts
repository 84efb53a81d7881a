/**
 * `portabase migrate` with a REAL Supabase project as target and source (PostgREST, GoTrue and
 * Storage themselves, which cannot run on this project's machines): memory → supabase → backup,
 * each run through the CLI with --verify. `npm run test:live -- supabase-migrate` with
 *
 *   SUPABASE_URL               the project URL (hosted, or `supabase start`'s)
 *   SUPABASE_SERVICE_ROLE_KEY  the service-role key (the migration's admin access)
 *   SUPABASE_DB_URL            the database connection string (setup: the run's tables; teardown)
 *
 * Setup creates this run's two tables with portabase's SQL; teardown drops them and deletes the
 * run's files, config keys and test account. Without the variables the test fails saying which.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { createClient } from '@supabase/supabase-js'
import { Client } from 'pg'
import WebSocket from 'ws'
import { supabaseSetupSql } from '../../adapters/supabase/index.js'
import { generateId } from '../../src/index.js'
import { REPO, runCli } from '../migrate/cli-process.js'
import { FIXTURE_FILES } from '../migrate/fixtures.js'
import { liveNames } from './supabase-migrate/names.js'

jest.setTimeout(600_000)

const NEEDED = ['SUPABASE_URL', 'SUPABASE_SERVICE_ROLE_KEY', 'SUPABASE_DB_URL'] as const
const missing = NEEDED.filter((n) => !process.env[n])
const run = generateId(6).toLowerCase().replace(/[^a-z0-9]/g, 'x')
const names = liveNames(run)
const config = (file: string) => path.join(REPO, 'test/live/supabase-migrate', file)
let dir: string

async function sql(statements: (db: Client) => Promise<void>): Promise<void> {
  const db = new Client({ connectionString: process.env.SUPABASE_DB_URL })
  await db.connect()
  try {
    await statements(db)
  } finally {
    await db.end()
  }
}

beforeAll(async () => {
  if (missing.length > 0) return
  dir = await mkdtemp(path.join(tmpdir(), 'portabase-live-migrate-'))
  await sql(async (db) => {
    await db.query(supabaseSetupSql({ collections: [{ name: names.todos, access: 'public' }, { name: names.lists, access: 'public' }], config: true, storage: { bucket: 'portabase' } }))
    await db.query("notify pgrst, 'reload schema'")
  })
  // PostgREST picks the tables up from its schema cache.
  const admin = serviceClient()
  for (const deadline = Date.now() + 30_000; ; ) {
    const { error } = await admin.from(names.lists).select('id').limit(0)
    if (!error) break
    if (Date.now() > deadline) throw new Error(`PostgREST did not pick up ${names.lists} within 30 s (${error.code})`)
    await new Promise((r) => setTimeout(r, 500))
  }
})

afterAll(async () => {
  if (missing.length > 0) return
  const admin = serviceClient()
  await admin.storage.from('portabase').remove(Object.keys(FIXTURE_FILES).map((p) => `${names.prefix}${p}`))
  await admin.auth.admin.deleteUser(names.userId).catch(() => undefined)
  await sql(async (db) => {
    for (const table of [names.todos, names.lists]) await db.query(`drop table if exists public.${table}`)
    await db.query('delete from portabase.collections where name = any($1)', [[names.todos, names.lists]])
    await db.query('delete from portabase.tombstones where collection = any($1)', [[names.todos, names.lists]])
    await db.query('delete from public.portabase_config where key like $1', [`${names.configPrefix}%`])
    await db.query("notify pgrst, 'reload schema'")
  })
  await rm(dir, { recursive: true, force: true })
})

function serviceClient() {
  return createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE_KEY!, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } })
}

describe('portabase migrate on a live Supabase project', () => {
  it('memory → supabase → backup, each verified; the PBKDF2 account is imported with its uid and listed must-reset', async () => {
    if (missing.length > 0) {
      throw new Error(`The live Supabase migrate test needs ${missing.join(', ')} (a hosted project or \`supabase start\`; see docs/migrate.md, "Supabase")`)
    }
    const env = { MIGRATE_RUN: run }
    const toSupabase = await runCli(['migrate', '--from', config('source.config.ts'), '--to', config('target.config.ts'), '--verify', '--no-progress', '--checkpoint', path.join(dir, 'a.json'), '--report', path.join(dir, 'a-report.json')], env)
    expect({ code: toSupabase.code, stderr: toSupabase.stderr }).toEqual({ code: 0, stderr: expect.any(String) })
    const report = JSON.parse(await readFile(path.join(dir, 'a-report.json'), 'utf8')) as { verify: { ok: boolean }; users: { count: number; mustReset: { uid: string }[] }; collections: { read: number }[] }
    expect(report.verify.ok).toBe(true)
    expect(report.collections.map((c) => c.read)).toEqual([300, 2])
    expect(report.users.mustReset.map((m) => m.uid)).toEqual([names.userId])
    const { data } = await serviceClient().auth.admin.getUserById(names.userId)
    expect(data.user?.email).toBe(names.email)

    const backupConfig = path.join(dir, 'backup.config.json')
    await writeFile(backupConfig, JSON.stringify({ adapter: 'backup', options: { dir: path.join(dir, 'backup') } }))
    const toBackup = await runCli(['migrate', '--from', config('target.config.ts'), '--to', backupConfig, '--verify', '--no-progress', '--checkpoint', path.join(dir, 'b.json')], env)
    expect({ code: toBackup.code, stdout: toBackup.stdout }).toEqual({ code: 0, stdout: expect.stringContaining('Verify: OK') })
    expect(toSupabase.stdout + toSupabase.stderr + toBackup.stdout + toBackup.stderr).not.toContain(process.env.SUPABASE_SERVICE_ROLE_KEY!)
  })
})

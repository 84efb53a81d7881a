/**
 * The live Supabase target (`npm run test:live -- supabase`): a real project — hosted, or local with
 * `supabase start` — given by
 *
 *   SUPABASE_URL               https://<ref>.supabase.co, or http://127.0.0.1:54321
 *   SUPABASE_ANON_KEY          the anon (publishable) key
 *   SUPABASE_SERVICE_ROLE_KEY  the service-role key (setup only: config values)
 *   SUPABASE_DB_URL            the database connection string (setup only: applies setup.sql)
 *
 * and the fixture Edge Functions deployed from test/live/supabase/functions (see
 * adapters/supabase/README.md, "Live target"). Setup applies portabase's SQL with a pool of fresh
 * collections for this run, the storage bucket, and the config fixture values; teardown drops the
 * run's collections. Without the variables every test fails with a message saying what is missing.
 */
import { createClient as createSupabaseClient, type SupabaseClient } from '@supabase/supabase-js'
import { Client } from 'pg'
import WebSocket from 'ws'
import { supabase, supabaseSetupSql, type SupabaseAdapter } from '../../adapters/supabase/index.js'
import { generateId, type ConfigScalar } from '../../src/index.js'
import { FIXTURE_CONFIG } from '../contract/target.js'

export interface LiveProject {
  url: string
  anonKey: string
  serviceRoleKey: string
  dbUrl: string
}

export function liveProject(): LiveProject {
  const names = ['SUPABASE_URL', 'SUPABASE_ANON_KEY', 'SUPABASE_SERVICE_ROLE_KEY', 'SUPABASE_DB_URL'] as const
  const missing = names.filter((n) => !process.env[n])
  if (missing.length > 0) {
    throw new Error(`The live Supabase target needs ${missing.join(', ')} (a hosted project or \`supabase start\`; see adapters/supabase/README.md, "Live target")`)
  }
  return { url: process.env.SUPABASE_URL!, anonKey: process.env.SUPABASE_ANON_KEY!, serviceRoleKey: process.env.SUPABASE_SERVICE_ROLE_KEY!, dbUrl: process.env.SUPABASE_DB_URL! }
}

/** One run's collections on the live project: `pb_<run>_<n>`, created up front (tables cannot appear on demand). */
export class LiveCollections {
  readonly run = generateId(6).toLowerCase().replace(/[^a-z0-9]/g, 'x')
  private next = 0

  constructor(readonly poolSize: number) {}

  names(): string[] {
    return Array.from({ length: this.poolSize }, (_, i) => `pb_${this.run}_${i + 1}`)
  }

  fresh(): string {
    if (this.next >= this.poolSize) throw new Error(`The live run used all ${this.poolSize} collections created for it; raise the pool size`)
    return `pb_${this.run}_${++this.next}`
  }
}

/** Applies portabase's SQL (owned collection, the run's pool, config, bucket) and the config values. */
export async function setUpLiveProject(project: LiveProject, collections: LiveCollections): Promise<void> {
  const db = new Client({ connectionString: project.dbUrl })
  await db.connect()
  try {
    await db.query(supabaseSetupSql({ collections: [{ name: 'owned', access: 'owner' }, ...collections.names().map((name) => ({ name }))], config: true, storage: { bucket: 'portabase' } }))
    await writeConfig(db, FIXTURE_CONFIG)
    // PostgREST learns about the new tables from its schema cache.
    await db.query("notify pgrst, 'reload schema'")
  } finally {
    await db.end()
  }
  await waitForSchema(project, collections.names().at(-1)!)
  await assertFixtureFunctions(project)
}

/** Replaces the config table's rows, in one transaction (Realtime then streams the changes). */
async function writeConfig(db: Client, values: Record<string, ConfigScalar>): Promise<void> {
  await db.query('begin')
  try {
    await db.query('delete from public.portabase_config where not (key = any($1))', [Object.keys(values)])
    for (const [key, value] of Object.entries(values)) {
      await db.query('insert into public.portabase_config (key, value) values ($1, $2::jsonb) on conflict (key) do update set value = excluded.value', [key, JSON.stringify(value)])
    }
    await db.query('commit')
  } catch (error) {
    await db.query('rollback')
    throw error
  }
}

/** The contract target's setConfig: the service side changing remote config. */
export async function setLiveConfig(project: LiveProject, values: Record<string, ConfigScalar>): Promise<void> {
  const db = new Client({ connectionString: project.dbUrl })
  await db.connect()
  try {
    await writeConfig(db, values)
  } finally {
    await db.end()
  }
}

export async function tearDownLiveProject(project: LiveProject, collections: LiveCollections): Promise<void> {
  const db = new Client({ connectionString: project.dbUrl })
  await db.connect()
  try {
    for (const name of collections.names()) await db.query(`drop table if exists public.${name}`)
    await db.query('delete from portabase.collections where name like $1', [`pb_${collections.run}_%`])
    await db.query('delete from portabase.tombstones where collection like $1', [`pb_${collections.run}_%`])
    await db.query("notify pgrst, 'reload schema'")
  } finally {
    await db.end()
  }
}

function anonClient(project: LiveProject): SupabaseClient {
  return createSupabaseClient(project.url, project.anonKey, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } })
}

async function waitForSchema(project: LiveProject, table: string): Promise<void> {
  const client = anonClient(project)
  const deadline = Date.now() + 30_000
  for (;;) {
    const { error } = await client.from(table).select('id').limit(0)
    if (!error) return
    if (Date.now() > deadline) throw new Error(`PostgREST did not pick up the new tables within 30 s (${error.code}: ${error.message})`)
    await new Promise((r) => setTimeout(r, 500))
  }
}

async function assertFixtureFunctions(project: LiveProject): Promise<void> {
  const { data, error } = await anonClient(project).functions.invoke('echo', { body: { ping: 1 } })
  if (error || (data as { ping?: number } | null)?.ping !== 1) {
    throw new Error('The fixture Edge Functions are not deployed: run `supabase functions deploy echo whoami fail slow --no-verify-jwt` in test/live/supabase (see adapters/supabase/README.md)')
  }
}

/** An adapter on the live project; `fetch` lets a test cut this device off the network. */
export function liveAdapter(project: LiveProject, fetchImpl?: typeof fetch): SupabaseAdapter {
  const client = createSupabaseClient(project.url, project.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false, flowType: 'pkce' },
    realtime: { transport: WebSocket as never },
    ...(fetchImpl ? { global: { fetch: fetchImpl } } : {}),
  })
  return supabase({ client })
}

/**
 * What both live suites share: set up the project with a pool of `poolSize` fresh collections,
 * make adapters on it, and clean both up.
 */
export function liveRun(poolSize: number) {
  let project: LiveProject | undefined
  const collections = new LiveCollections(poolSize)
  const adapters: SupabaseAdapter[] = []
  return {
    async setup(): Promise<void> {
      project = liveProject()
      await setUpLiveProject(project, collections)
    },
    async teardown(): Promise<void> {
      await Promise.all(adapters.map((a) => a.client.removeAllChannels()))
      if (project) await tearDownLiveProject(project, collections)
    },
    adapter(fetchImpl?: typeof fetch): SupabaseAdapter {
      if (!project) throw new Error('The live Supabase project is not set up (setup failed)')
      const adapter = liveAdapter(project, fetchImpl)
      adapters.push(adapter)
      return adapter
    },
    setConfig: (values: Record<string, ConfigScalar>) => {
      if (!project) throw new Error('The live Supabase project is not set up (setup failed)')
      return setLiveConfig(project, values)
    },
    freshCollection: () => collections.fresh(),
  }
}

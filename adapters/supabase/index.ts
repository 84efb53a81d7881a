/**
 * `portabase/supabase`: the Supabase adapter, over `@supabase/supabase-js` v2. See README.md in
 * this folder for the SQL a project runs first (setup.sql), the options, the capabilities and what
 * differs from the neutral semantics.
 *
 *   import { createClient as createSupabase } from '@supabase/supabase-js'
 *   const app = createClient({ adapter: supabase({ url, anonKey }) })   // or supabase({ client })
 *
 * On Node 20 (no global WebSocket) pass `WebSocket` from the `ws` package for realtime.
 */
import { createClient as createSupabaseClient, type SupabaseClient } from '@supabase/supabase-js'
import { BehaviorSubject } from 'rxjs'
import { FILTER_OPERATORS } from '../../src/query/model.js'
import type { Adapter, Capabilities, SyncService } from '../../src/spi.js'
import type { ConnectionState } from '../../src/types.js'
import { SupabaseAuth, type SupabaseOAuthOptions } from './auth.js'
import { SUPABASE_VALUE_TYPES } from './codec.js'
import { SupabaseDocuments } from './documents.js'
import { SupabaseConfig, SupabaseFunctions } from './functions-config.js'
import { SupabaseRealtime } from './realtime.js'
import { SupabaseStorage } from './storage.js'
import { SupabaseSync } from './sync.js'

export interface SupabaseAdapterOptions {
  /** A ready client (its auth settings are yours: see README). Or `url` + `anonKey`. */
  client?: SupabaseClient
  /** The project URL, e.g. `https://<ref>.supabase.co` or `http://127.0.0.1:54321` (`supabase start`). */
  url?: string
  /** The project's anon (publishable) key. Never pass the service-role key to a client. */
  anonKey?: string
  /** Realtime's WebSocket where the runtime has none (Node 20: `import WebSocket from 'ws'`). */
  WebSocket?: unknown
  /** `false` turns realtime off: `watch()` fails with `unsupported` (offline collections then poll). */
  realtime?: boolean
  /** The storage bucket files live in (created by setup.sql). Default `portabase`. */
  bucket?: string
  /** OAuth providers and how the URL flow opens (see auth.ts). Default: none. */
  oauth?: SupabaseOAuthOptions
  /** Default true. The project needs anonymous sign-ins enabled. */
  anonymousAuth?: boolean
  /** Where password-reset emails link to. */
  passwordResetRedirectTo?: string
  /** How long tombstones are kept (`portabase.purge_tombstones`); older checkpoints resync in full. Default 30 days. */
  tombstoneTtlMs?: number
}

export interface SupabaseAdapter extends Adapter {
  readonly name: 'supabase'
  readonly sync: SyncService
  /** The supabase-js client this adapter talks through (e.g. for tables portabase does not manage). */
  readonly client: SupabaseClient
}

export const DEFAULT_BUCKET = 'portabase'

/** What Supabase can do through this adapter (see README for how each is done). */
export function supabaseCapabilities(options: Pick<SupabaseAdapterOptions, 'realtime' | 'anonymousAuth' | 'oauth'> = {}): Capabilities {
  return Object.freeze({
    emailPasswordAuth: true,
    anonymousAuth: options.anonymousAuth ?? true,
    oauthProviders: Object.freeze([...(options.oauth?.providers ?? [])]),
    passwordReset: true,
    updateProfile: true,
    queryOperators: FILTER_OPERATORS,
    orQueries: true,
    nestedFieldQueries: true,
    mixedFieldTypes: true,
    // jsonb orders values of different types Object > Array > Boolean > Number > String > Null.
    mixedTypeOrder: false,
    valueTypes: SUPABASE_VALUE_TYPES,
    fieldOrdering: 'any',
    // Query semantics: the reference's (docs/semantics.md); the query translation provides them.
    missingFields: 'null',
    nullOrder: 'last',
    notEqualNull: 'matched',
    implicitOrder: 'none',
    // Row-level security filters: a hidden row reads as absent, it does not fail.
    readRules: 'filter',
    transactions: true,
    realtime: options.realtime ?? true,
    serverTimestamp: true,
    increment: true,
    arrayOps: true,
    storage: true,
    signedUrls: true,
    functions: true,
    remoteConfig: true,
    configUpdates: options.realtime ?? true,
    // Fields live in one jsonb column: any name, any number of writes per batch, any list length.
    limits: Object.freeze({}),
  })
}

/** The client portabase creates: no session persistence or refresher of its own (the portabase client does both), PKCE for OAuth. */
export function createSupabaseClientFor(options: Pick<SupabaseAdapterOptions, 'url' | 'anonKey' | 'WebSocket'>): SupabaseClient {
  if (typeof options.url !== 'string' || !/^https?:\/\//i.test(options.url)) throw new TypeError('supabase(): url must be an http(s) URL (or pass client)')
  if (typeof options.anonKey !== 'string' || options.anonKey.length === 0) throw new TypeError('supabase(): anonKey is required (or pass client)')
  return createSupabaseClient(options.url, options.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false, flowType: 'pkce' },
    // Retrying is the links' job (retry()); postgrest-js would otherwise retry failed reads for 7 s.
    db: { retry: false },
    ...(options.WebSocket ? { realtime: { transport: options.WebSocket as never } } : {}),
  })
}

export function supabase(options: SupabaseAdapterOptions): SupabaseAdapter {
  if (!options || typeof options !== 'object') throw new TypeError('supabase(): options are required')
  const bucket = options.bucket ?? DEFAULT_BUCKET
  if (typeof bucket !== 'string' || bucket.length === 0) throw new TypeError('supabase(): bucket must be a non-empty string')
  const client = options.client ?? createSupabaseClientFor(options)
  const capabilities = supabaseCapabilities(options)

  const auth = new SupabaseAuth(client, { oauth: options.oauth, passwordResetRedirectTo: options.passwordResetRedirectTo })
  const realtime = capabilities.realtime ? new SupabaseRealtime(client) : undefined
  const documents = new SupabaseDocuments(client, realtime)
  // Requests carry their own failures; the connection is what realtime's socket says, else online.
  const connection = new BehaviorSubject<ConnectionState>('online')

  let disposed = false
  return {
    name: 'supabase',
    client,
    capabilities,
    auth,
    documents,
    sync: new SupabaseSync(client, { tombstoneTtlMs: options.tombstoneTtlMs }),
    storage: new SupabaseStorage(client, bucket),
    functions: new SupabaseFunctions(client),
    config: new SupabaseConfig(client, realtime && ((table) => realtime.tableChanges(table))),
    connection$: connection.asObservable(),
    async dispose() {
      if (disposed) return
      disposed = true
      await realtime?.dispose()
      auth.close()
      connection.complete()
      // A client portabase created is portabase's to close. Only a socket that is open: realtime-js's
      // disconnect() leaves a 10 s timer behind (socketAdapter.ts), which would hold a process open.
      if (!options.client && (client.getChannels().length > 0 || client.realtime.isConnected())) await client.removeAllChannels()
    },
  }
}

export { supabaseSetupSql, type SupabaseCollection, type SupabaseSetupOptions } from './sql.js'
export type { SupabaseOAuthOptions } from './auth.js'

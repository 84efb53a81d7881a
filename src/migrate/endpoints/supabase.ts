/**
 * Supabase as a migration endpoint, with the project's service-role key (it bypasses row-level
 * security: the migration reads and writes every row and object). supabase-js is an optional peer
 * dependency: it is imported when a supabase endpoint is opened, not before.
 *
 * Documents live in the tables portabase's Supabase SQL creates (adapters/supabase/sql.ts: `id
 * text collate "C"`, `data jsonb`, `nulls`, bookkeeping columns kept by the `portabase.stamp`
 * trigger), in the adapter's codec (Dates and the neutral value types as jsonb tags).
 * - Reads: the adapter's own PostgREST reads (`SupabaseDocuments`), keyset on the id, bytewise. A
 *   page ends the collection only when it comes back empty, so a project's `max_rows` smaller than
 *   the page size cannot end it early.
 * - Writes: `POST /rest/v1/<collection>?on_conflict=id` with `resolution=ignore-duplicates` (an
 *   insert that skips existing ids and answers the ids it inserted), then a `PATCH` with `nulls:
 *   null` for each id that was already there. Not a merge-duplicates upsert: its UPDATE would take
 *   `data` after the insert trigger removed the top-level nulls, and the update trigger would then
 *   lose them; a plain UPDATE with `nulls` null makes the trigger recompute them from the data.
 * - Timestamps: the stamp trigger sets `updated_at` on every write, whoever writes: server-assigned.
 * Files: Storage through the adapter's `SupabaseStorage` (list-v2, flat by prefix), each listed
 * file's custom metadata read with its info. Config: the `portabase_config` table. Users:
 * supabase-users.ts (accounts whose uid is not a UUID get GoTrue's: the import's id map, which
 * `uidFields` rewrites documents with).
 */
import type { SupabaseClient } from '@supabase/supabase-js'
import { PortabaseError } from '../../errors.js'
import { DOC_ID } from '../../query/model.js'
import type { ConfigScalar, Doc, StoredFile } from '../../types.js'
import { encodeValue, type Json } from '../../../adapters/supabase/codec.js'
import { SupabaseDocuments } from '../../../adapters/supabase/documents.js'
import { mapPostgrestError, type PostgrestErrorLike } from '../../../adapters/supabase/errors.js'
import { SupabaseStorage } from '../../../adapters/supabase/storage.js'
import { collect, oneChunk } from '../chunks.js'
import type { Endpoint } from '../endpoint.js'
import { assertUidFields } from '../uid-map.js'
import { pageQuery } from './adapter.js'
import { supabaseUsers, type FirebaseScryptParameters } from './supabase-users.js'

export interface SupabaseEndpointOptions {
  /** The project URL, e.g. `https://<ref>.supabase.co`. */
  url: string
  /** Required: the service-role (secret) key. Sent only in the `apikey` and `Authorization` headers. */
  serviceRoleKey: string
  /** The storage bucket. Default `portabase` (the adapter's). */
  bucket?: string
  /** As a target of Firebase users: the Firebase project's password hash parameters. */
  firebaseScrypt?: FirebaseScryptParameters
  /** A fetch for supabase-js (a proxy, tests). Default: the global fetch. */
  fetch?: typeof fetch
  /**
   * As a target of users: top-level document fields holding uids (`['owner']`, what the owner
   * policies read), rewritten to the UUIDs GoTrue assigns accounts whose uid is not one.
   */
  uidFields?: string[]
}

/** Rows per write request, ids per read-by-id request, and the largest page read at once. */
const WRITE_CHUNK = 500
const IDS_CHUNK = 100
const MAX_PAGE = 1000
const PATCH_CONCURRENCY = 8
const BY_ID = [{ field: DOC_ID, direction: 'asc' as const }]

/** Stands in for the WebSocket a migration never opens. */
class NoWebSocket {
  constructor() {
    throw new PortabaseError('unsupported', 'The supabase migration endpoint does not use realtime')
  }
}

type Result<T> = { data: T; error: PostgrestErrorLike | null; status: number }

async function rest<T>(request: PromiseLike<Result<T>>, what: string): Promise<T> {
  const { data, error, status } = await request
  if (error) {
    const mapped = mapPostgrestError(error, status)
    throw new PortabaseError(mapped.code, `Supabase refused ${what}: ${mapped.message}`, { provider: 'supabase', cause: mapped })
  }
  return data
}

export function supabaseEndpoint(options: SupabaseEndpointOptions): Endpoint {
  for (const key of ['url', 'serviceRoleKey'] as const) {
    if (typeof options?.[key] !== 'string' || options[key].length === 0) throw new PortabaseError('invalid-argument', `A supabase endpoint needs options.${key}`, { details: { option: key } })
  }
  if (!/^https?:\/\//i.test(options.url)) throw new PortabaseError('invalid-argument', 'A supabase endpoint needs options.url as an http(s) URL')
  const url = options.url.replace(/\/+$/, '')
  const bucket = options.bucket ?? 'portabase'
  const uidFields = assertUidFields(options.uidFields, 'A supabase endpoint')

  let opened: Promise<SupabaseClient> | undefined
  const client = (): Promise<SupabaseClient> =>
    (opened ??= import('@supabase/supabase-js').then(
      ({ createClient }) =>
        createClient(url, options.serviceRoleKey, {
          // A server-side admin client: no session, no refresh timer, no URL parsing.
          auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
          ...(options.fetch ? { global: { fetch: options.fetch } } : {}),
          // Realtime is never used; on Node 20 (no global WebSocket) supabase-js needs a transport to start.
          realtime: { transport: (globalThis.WebSocket ?? NoWebSocket) as never },
        }),
      (error: unknown) => {
        opened = undefined
        throw new PortabaseError('failed-precondition', 'The supabase endpoint needs @supabase/supabase-js (npm install @supabase/supabase-js)', { cause: error })
      },
    ))
  const documents = async () => new SupabaseDocuments(await client())
  const storage = async () => new SupabaseStorage(await client(), bucket)

  async function readByIds(collection: string, ids: readonly string[]): Promise<Map<string, Doc>> {
    const found = new Map<string, Doc>()
    const service = await documents()
    for (let i = 0; i < ids.length; i += IDS_CHUNK) {
      const chunk = ids.slice(i, i + IDS_CHUNK)
      const docs = await service.query(collection, { filters: [{ kind: 'field', field: DOC_ID, op: 'in', value: chunk }], orderBy: BY_ID })
      for (const doc of docs) found.set(doc.id, doc)
    }
    return found
  }

  async function writeChunk(collection: string, docs: readonly Doc[]): Promise<void> {
    const table = (await client()).from(collection)
    const rows = docs.map((doc) => ({ id: doc.id, data: encodeValue(doc.data) as Json }))
    const inserted = await rest(table.upsert(rows, { onConflict: 'id', ignoreDuplicates: true }).select('id') as unknown as PromiseLike<Result<{ id: string }[]>>, `writing ${collection}`)
    const created = new Set((inserted ?? []).map((r) => r.id))
    const existing = rows.filter((row) => !created.has(row.id))
    // Already there (a resumed or repeated run): replaced one by one, a few at a time.
    for (let i = 0; i < existing.length; i += PATCH_CONCURRENCY) {
      await Promise.all(
        existing.slice(i, i + PATCH_CONCURRENCY).map((row) =>
          rest((table.update({ data: row.data, nulls: null }).eq('id', row.id) as unknown as PromiseLike<Result<null>>), `replacing ${collection}/${row.id}`),
        ),
      )
    }
  }

  return {
    label: `supabase (${url})`,
    capabilities: { timestamps: 'server-assigned', resume: 'reconcile' },
    documents: {
      async readPage(collection, cursor, limit) {
        const docs = await (await documents()).query(collection, pageQuery(cursor, Math.min(limit, MAX_PAGE)))
        return { docs, cursor: docs.length === 0 ? null : docs[docs.length - 1]!.id }
      },
      async count(collection) {
        return (await documents()).count(collection, { filters: [], orderBy: BY_ID })
      },
      async writePage(collection, docs) {
        for (let i = 0; i < docs.length; i += WRITE_CHUNK) await writeChunk(collection, docs.slice(i, i + WRITE_CHUNK))
      },
      readByIds,
    },
    files: {
      async list(prefix, cursor, limit) {
        const files = await storage()
        const { items, nextCursor } = await files.list(prefix, { limit, cursor })
        // The list carries no custom metadata; the object's info does.
        const described: StoredFile[] = []
        for (const item of items) described.push({ ...item, metadata: (await files.getMetadata(item.path)).metadata })
        return { items: described, cursor: nextCursor }
      },
      // Through the adapter's storage, which takes and returns whole bodies: one file in memory.
      download: async (path) => oneChunk(await (await storage()).download(path)),
      async upload(file, chunks) {
        await (await storage()).upload({ path: file.path, bytes: await collect(chunks), contentType: file.contentType, metadata: file.metadata, onProgress: () => undefined })
      },
    },
    config: {
      async read() {
        const rows = await rest((await client()).from('portabase_config').select('key,value') as unknown as PromiseLike<Result<{ key: string; value: unknown }[]>>, 'reading portabase_config')
        return Object.fromEntries((rows ?? []).filter((r): r is { key: string; value: ConfigScalar } => ['string', 'number', 'boolean'].includes(typeof r.value)).map((r) => [r.key, r.value]))
      },
      async write(values) {
        const rows = Object.entries(values).map(([key, value]) => ({ key, value }))
        if (rows.length === 0) return
        await rest((await client()).from('portabase_config').upsert(rows, { onConflict: 'key' }) as unknown as PromiseLike<Result<null>>, 'writing portabase_config')
      },
    },
    users: supabaseUsers(client, options.firebaseScrypt, { url, serviceRoleKey: options.serviceRoleKey, fetch: options.fetch }),
    uidFields,
    async close() {
      const ready = await opened?.catch(() => undefined)
      await ready?.removeAllChannels()
    },
  }
}

/**
 * Storage on Supabase Storage through supabase-js (`client.storage.from(bucket)`: storage-js). One
 * private bucket holds every portabase path as an object name; who may read and write is decided by
 * the RLS policies on `storage.objects` (storage-sql.ts). The requests, from storage-js's source
 * (`packages/StorageFileApi.ts`), as the Storage server's routes take them (supabase/storage
 * `src/http/routes/object/*`):
 *
 * - upload: `upload(path, bytes, { contentType, upsert: true, metadata })` →
 *   `POST /object/{bucket}/{path}`, the bytes as the body, `content-type`, `x-upsert: true` (a second
 *   upload replaces the object: Storage's `upsertObject`), `x-metadata` (base64 JSON: the custom
 *   metadata, stored as the object's `user_metadata`; always sent, so a replacement also replaces
 *   the metadata). Storage answers `{ Id, Key }` and no timestamp: the returned `updated` is the
 *   client's clock at completion (getMetadata and list give the server's). Progress: storage-js's
 *   standard upload reports none, so only 0 (start) and the size (end) are reported. Cancelling:
 *   storage-js's `upload` takes no AbortSignal. An abort before the request is sent (e.g. `cancel()`
 *   right after `upload()`) stops it; a later abort rejects the upload with `cancelled` at once, but
 *   the request in flight is not stopped and may still store the file.
 * - download: `download(path, {}, { signal })` → `GET /object/{bucket}/{path}`; the signal aborts
 *   the request (`cancelled`).
 * - getUrl: `createSignedUrl(path, expiresIn)` → `POST /object/sign/{bucket}/{path}`
 *   `{ expiresIn }` (seconds, as the SPI's): a URL whose token expires then (`signedUrls: true`).
 * - list: `listV2({ prefix, limit, cursor, with_delimiter: false })` → `POST /object/list-v2/{bucket}`.
 *   Without a delimiter Storage lists flat: every object whose full name starts with the prefix
 *   (`name LIKE prefix%`, sub-folders included), ordered by `name COLLATE "C"` (bytewise), a page
 *   of `limit` and an opaque continuation token — the neutral list's semantics exactly (storage
 *   `src/storage/database/pg.ts` `listObjectsV2`). The older `list()` is one folder level with
 *   offset pagination, so it is not used. Storage's list does not return custom metadata: listed
 *   items carry `metadata: {}` (getMetadata has it). A tenant without the `search-v2` migration
 *   answers `FeatureNotEnabled` (`failed-precondition`).
 * - delete: `remove([path])` → `DELETE /object/{bucket}` `{ prefixes: [path] }`, which answers the
 *   deleted objects. An empty answer means the object is missing or RLS hid it from the delete; the
 *   adapter then asks for its info: visible → `permission-denied`, else `not-found`.
 * - getMetadata: `GET /object/info/{bucket}/{path}` (size, content type, `last_modified`, and
 *   `metadata`: the user metadata). storage-js's `info()` sends the same request but camelCases
 *   every key of the answer recursively, custom metadata keys included (`user_id` → `userId`), so
 *   the adapter sends it through the storage client's own fetch, URL and headers (the same request,
 *   with the session's token) and reads the answer unchanged. Should a supabase-js version not
 *   expose them, it falls back to `info()` (keys with `_x` or `-x` then come back camelCased).
 *
 * Reads refused by RLS look like missing objects (Storage finds no row): `not-found`. Every failure
 * goes through `mapStorageError` (errors.ts), which keys on the code Storage puts in the body (the
 * HTTP status is 400 for every 4xx) and cuts tokens out of messages.
 */
import type { SupabaseClient } from '@supabase/supabase-js'
import { PortabaseError } from '../../src/errors.js'
import { cancelledError, raceAbort } from '../../src/links/abort.js'
import type { CallOptions, StorageService, UploadRequest } from '../../src/spi.js'
import type { ListResult, StoredFile } from '../../src/types.js'
import { mapStorageError, PROVIDER, type StorageErrorLike } from './errors.js'

type FileApi = ReturnType<SupabaseClient['storage']['from']>

/** One object of a flat list-v2 page (storage `pg.ts` `listObjectsV2` selects these columns). */
interface ListedObject {
  name: string
  id: string | null
  updated_at?: string | null
  created_at?: string | null
  metadata?: { size?: number; mimetype?: string } | null
}

/** The body of `GET /object/info/{bucket}/{path}` (storage `src/storage/renderer/info.ts`). */
interface ObjectInfo {
  name?: string
  size?: number | null
  content_type?: string | null
  metadata?: Record<string, unknown> | null
  last_modified?: string | null
  created_at?: string | null
}

/** What every storage-js file API has (BaseApiClient's fields); read only for getMetadata. */
interface FileApiTransport {
  url: string
  headers: Record<string, string>
  fetch: typeof fetch
}

const CURSOR_PREFIX = 's:'
const DEFAULT_CONTENT_TYPE = 'application/octet-stream'

export class SupabaseStorage implements StorageService {
  constructor(
    private readonly client: SupabaseClient,
    private readonly bucket: string,
  ) {}

  private files(): FileApi {
    return this.client.storage.from(this.bucket)
  }

  async upload({ path, bytes, contentType, metadata, onProgress, signal }: UploadRequest): Promise<StoredFile> {
    // One turn first, so an abort right after the call (a task's cancel()) stops it before sending.
    await Promise.resolve()
    if (signal?.aborted) throw cancelledError(signal)
    onProgress(0)
    const request = this.files().upload(path, bytes, { contentType, upsert: true, metadata: { ...metadata } })
    // The request is not abortable: after an abort it settles unobserved.
    request.catch(() => undefined)
    let result: Awaited<typeof request>
    try {
      result = await raceAbort(request, signal)
    } catch (error) {
      if (signal?.aborted) throw cancelledError(signal)
      throw mapStorageError(error as StorageErrorLike)
    }
    if (result.error) throw mapStorageError(result.error)
    if (signal?.aborted) throw cancelledError(signal)
    onProgress(bytes.byteLength)
    return { path, size: bytes.byteLength, contentType, updated: new Date(), metadata: { ...metadata } }
  }

  async download(path: string, options?: CallOptions): Promise<Uint8Array> {
    const signal = options?.signal
    if (signal?.aborted) throw cancelledError(signal)
    try {
      const { data, error } = await this.files().download(path, {}, signal ? { signal } : undefined)
      if (error) throw error
      return new Uint8Array(await data.arrayBuffer())
    } catch (error) {
      if (signal?.aborted) throw cancelledError(signal)
      throw mapStorageError(error as StorageErrorLike)
    }
  }

  async getUrl(path: string, { expiresIn }: { expiresIn: number }): Promise<string> {
    const { data, error } = await this.files().createSignedUrl(path, expiresIn)
    if (error) throw mapStorageError(error)
    return data.signedUrl
  }

  async list(prefix: string, { limit, cursor }: { limit: number; cursor: string | null }): Promise<ListResult> {
    const after = cursor === null ? undefined : decodeListCursor(cursor)
    const { data, error } = await this.files().listV2({ prefix, limit, with_delimiter: false, ...(after === undefined ? {} : { cursor: after }) })
    if (error) throw mapStorageError(error)
    const items = (data.objects as ListedObject[]).map(describeListed)
    if (data.hasNext && !data.nextCursor) throw new PortabaseError('internal', 'Supabase: Storage said more objects follow but sent no cursor', { provider: PROVIDER })
    return { items, nextCursor: data.hasNext ? `${CURSOR_PREFIX}${data.nextCursor}` : null }
  }

  async delete(path: string): Promise<void> {
    const { data, error } = await this.files().remove([path])
    if (error) throw mapStorageError(error)
    if (data.length > 0) return
    // Nothing deleted: missing (info fails with not-found), or RLS kept it from this delete.
    await this.info(path)
    throw new PortabaseError('permission-denied', `Supabase: not allowed to delete ${path} (RLS on storage.objects)`, { provider: PROVIDER })
  }

  async getMetadata(path: string): Promise<StoredFile> {
    const info = await this.info(path)
    const metadata: Record<string, string> = {}
    for (const [key, value] of Object.entries(info.metadata ?? {})) if (typeof value === 'string') metadata[key] = value
    return {
      path,
      size: Number(info.size ?? 0),
      contentType: info.content_type ?? DEFAULT_CONTENT_TYPE,
      updated: new Date(info.last_modified ?? info.created_at ?? 0),
      metadata,
    }
  }

  /** `GET /object/info/{bucket}/{path}`, its answer read as Storage sends it (see the header). */
  private async info(path: string): Promise<ObjectInfo> {
    const api = this.files()
    const transport = transportOf(api)
    if (!transport) {
      const { data, error } = await api.info(path)
      if (error) throw mapStorageError(error)
      return { size: data.size ?? null, content_type: data.contentType ?? null, metadata: data.metadata ?? null, last_modified: data.lastModified ?? null, created_at: data.createdAt }
    }
    let response: Response
    try {
      // The URL storage-js's info() builds (StorageFileApi `_getRequestUrl('object/info', path)`).
      response = await transport.fetch(`${transport.url}/object/info/${this.bucket}/${path.replace(/^\/+/, '')}`, { method: 'GET', headers: transport.headers })
    } catch (error) {
      throw mapStorageError(Object.assign(new Error(error instanceof Error ? error.message : 'fetch failed'), { name: 'StorageUnknownError', originalError: error }))
    }
    if (!response.ok) throw mapStorageError(await apiErrorOf(response))
    return (await response.json()) as ObjectInfo
  }
}

function transportOf(api: FileApi): FileApiTransport | null {
  const candidate = api as unknown as Partial<FileApiTransport>
  if (typeof candidate.url !== 'string' || typeof candidate.fetch !== 'function' || typeof candidate.headers !== 'object' || candidate.headers === null) return null
  return { url: candidate.url, headers: candidate.headers, fetch: candidate.fetch }
}

/** A Storage error body as storage-js reads it (`lib/common/fetch.ts` handleError → StorageApiError). */
async function apiErrorOf(response: Response): Promise<StorageErrorLike> {
  const status = response.status
  const body = (await response.json().catch(() => null)) as { statusCode?: string; code?: string; error?: string; message?: string } | null
  const message = typeof body?.message === 'string' ? body.message : typeof body?.error === 'string' ? body.error : response.statusText || `HTTP ${status} error`
  return { name: 'StorageApiError', status, statusCode: body?.statusCode || body?.code || String(status), ...(body?.code ? { code: body.code } : {}), message }
}

function describeListed(object: ListedObject): StoredFile {
  return {
    path: object.name,
    size: Number(object.metadata?.size ?? 0),
    contentType: object.metadata?.mimetype ?? DEFAULT_CONTENT_TYPE,
    updated: new Date(object.updated_at ?? object.created_at ?? 0),
    metadata: {},
  }
}

function decodeListCursor(cursor: string): string {
  if (!cursor.startsWith(CURSOR_PREFIX) || cursor.length === CURSOR_PREFIX.length) {
    throw new PortabaseError('invalid-argument', 'Invalid list cursor', { provider: PROVIDER })
  }
  return cursor.slice(CURSOR_PREFIX.length)
}

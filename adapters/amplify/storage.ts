/**
 * Storage on S3 through aws-amplify/storage (≥ 6.22), with the context-first overloads
 * (`uploadData(ctx, …)`) so each adapter signs with its own context's credentials provider (the
 * identity pool's, or `credentialsProvider` from the adapter options), and the `path` APIs (not the
 * deprecated `key`/`accessLevel` ones). Every call is SigV4-signed by aws-amplify.
 *
 * Paths: a portabase path is the S3 key after a configurable `prefix` (default none). Gen 2 has no
 * fixed prefix such as Gen 1's `public/`: the app's `defineStorage({ access })` grants paths
 * (`outputs.storage.buckets[].paths`, e.g. `'media/*'`), so set `prefix` to one of them (`'media/'`).
 * Keys outside every granted path are refused by IAM on AWS (`AccessDenied` → permission-denied).
 * `bucket` picks a bucket of `outputs.storage.buckets` by its name; default: the outputs' default.
 *
 * - upload: `uploadData(ctx, { path, data, options: { contentType, metadata, onProgress } })`. A
 *   second upload to a path replaces the object (and its metadata). Progress: 0 at the start,
 *   aws-amplify's `transferredBytes` whenever it reports (browsers and React Native: XHR upload
 *   events; Node's fetch handler reports none, single-part or multipart: measured), the size at the
 *   end. An abort calls the task's `cancel()` → `cancelled`; a single PUT that S3 already received
 *   may still have stored the file. `updated` is the client's clock (S3's PUT answer has no date;
 *   getMetadata and list give S3's Last-Modified).
 * - metadata: S3 keeps user metadata as `x-amz-meta-*` headers: it lowercases the keys and takes
 *   only printable ASCII values. Keys with capitals are listed in one extra header
 *   (`portabase-keys`) so reads give them back as written; values that are not plain printable ASCII
 *   (non-ASCII, empty, edge spaces) are stored as RFC 2047 encoded words (`=?UTF-8?B?…?=`) and
 *   decoded on read. Two keys that differ only in case → invalid-argument. S3 allows 2 KB of user
 *   metadata in all (`MetadataTooLarge` → invalid-argument).
 * - download: `downloadData(ctx, { path })`, the body read whole; an abort cancels the task.
 * - getUrl: `getUrl(ctx, { path, options: { expiresIn, validateObjectExistence: true } })`: a HEAD
 *   first (a missing file → not-found), then a presigned GET URL (`signedUrls: true`). aws-amplify
 *   caps the expiry at the credentials' expiry (identity-pool credentials last an hour): a URL can
 *   expire sooner than `expiresIn`.
 * - list: `list(ctx, { path: prefix, options: { pageSize: limit, nextToken, subpathStrategy:
 *   { strategy: 'include' } } })` = ListObjectsV2 without a delimiter: every key starting with the
 *   prefix, sub-folders included, in S3's key order (UTF-8 binary: the neutral path order), a page of
 *   `limit` and a continuation token (the cursor, opaque). S3's list has no content type nor user
 *   metadata, so each listed file gets a HEAD (`getProperties`, 8 at a time): **cost: one LIST plus
 *   one HEAD per file returned.** A file deleted between the two is left out of the page. Keys
 *   ending in `/` (the S3 console's zero-byte "folder" markers) are not portabase paths and are
 *   left out.
 * - delete: `remove(ctx, { path })` succeeds for a missing key, so `getProperties` first (missing →
 *   not-found). aws-amplify 6.22's `remove` treats `p` as a folder when any key starts with `p/`
 *   and then deletes everything under `p/` and not `p` itself (remove.ts `isPathFolder`): such a
 *   delete is refused with failed-precondition (one more LIST of `p/`, page size 1) rather than
 *   losing the files under it. Cost: HEAD + LIST here, then aws-amplify's LIST + DELETE.
 * - getMetadata: `getProperties(ctx, { path })` (HEAD): size, content type, Last-Modified, metadata.
 *
 * Failures go through `mapStorageError` (errors.ts): NotFound/NoSuchKey → not-found, AccessDenied →
 * permission-denied, bad or missing credentials → unauthenticated, NetworkError → unavailable….
 */
import { downloadData, getProperties, getUrl, list, remove, uploadData } from 'aws-amplify/storage'
import { PortabaseError } from '../../src/errors.js'
import { cancelledError } from '../../src/links/abort.js'
import type { CallOptions, StorageService, UploadRequest } from '../../src/spi.js'
import type { ListResult, StoredFile } from '../../src/types.js'
import type { AmplifyContext } from './context.js'
import { mapStorageError, PROVIDER } from './errors.js'

export interface AmplifyStorageOptions {
  /** Put before every portabase path to make the S3 key: `''` (default) or a folder such as `'media/'` that `defineStorage` grants. */
  prefix?: string
  /** A bucket of `outputs.storage.buckets`, by its `name`; default: the outputs' default bucket. */
  bucket?: string
}

const DEFAULT_CONTENT_TYPE = 'application/octet-stream'
const CURSOR_PREFIX = 's3:'
/** The user-metadata key that lists the keys S3 would lowercase, as written. */
const KEYS_HEADER = 'portabase-keys'
const HEAD_CONCURRENCY = 8

/** A HEAD answer (`getProperties`), the fields read here. */
interface Properties {
  size?: number
  contentType?: string
  lastModified?: Date
  metadata?: Record<string, string>
}

export class AmplifyStorage implements StorageService {
  private readonly prefix: string
  private readonly bucket: { bucket: string } | Record<string, never>

  constructor(
    private readonly ctx: AmplifyContext,
    options: AmplifyStorageOptions = {},
  ) {
    const prefix = options.prefix ?? ''
    if (typeof prefix !== 'string' || prefix.startsWith('/') || (prefix !== '' && !prefix.endsWith('/'))) {
      throw new TypeError(`amplify(): the storage prefix must be '' or a folder ending in '/' without a leading '/' (got ${JSON.stringify(prefix)})`)
    }
    this.prefix = prefix
    this.bucket = options.bucket ? { bucket: options.bucket } : {}
  }

  private key(path: string): string {
    return this.prefix + path
  }

  async upload({ path, bytes, contentType, metadata, onProgress, signal }: UploadRequest): Promise<StoredFile> {
    // One turn first, so an abort right after the call (a task's cancel()) stops it before sending.
    await Promise.resolve()
    if (signal?.aborted) throw cancelledError(signal)
    const encoded = encodeMetadata(metadata)
    onProgress(0)
    let reported = 0
    const task = uploadData(this.ctx, {
      path: this.key(path),
      data: bytes,
      options: {
        ...this.bucket,
        contentType,
        metadata: encoded,
        onProgress: ({ transferredBytes }) => {
          if (transferredBytes > reported) onProgress((reported = transferredBytes))
        },
      },
    })
    const onAbort = (): void => task.cancel()
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      await task.result
    } catch (error) {
      if (signal?.aborted) throw cancelledError(signal)
      throw mapStorageError(error, `upload of ${path}`)
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
    if (signal?.aborted) throw cancelledError(signal)
    onProgress(bytes.byteLength)
    return { path, size: bytes.byteLength, contentType, updated: new Date(), metadata: { ...metadata } }
  }

  async download(path: string, options?: CallOptions): Promise<Uint8Array> {
    const signal = options?.signal
    if (signal?.aborted) throw cancelledError(signal)
    const task = downloadData(this.ctx, { path: this.key(path), options: { ...this.bucket } })
    const onAbort = (): void => task.cancel()
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const { body } = await task.result
      return new Uint8Array(await (await body.blob()).arrayBuffer())
    } catch (error) {
      if (signal?.aborted) throw cancelledError(signal)
      throw mapStorageError(error, `download of ${path}`)
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }

  async getUrl(path: string, { expiresIn }: { expiresIn: number }): Promise<string> {
    try {
      const { url } = await getUrl(this.ctx, { path: this.key(path), options: { ...this.bucket, expiresIn, validateObjectExistence: true } })
      return url.toString()
    } catch (error) {
      throw mapStorageError(error, `URL of ${path}`)
    }
  }

  async list(prefix: string, { limit, cursor }: { limit: number; cursor: string | null }): Promise<ListResult> {
    const nextToken = cursor === null ? undefined : decodeListCursor(cursor)
    let page: { items: Array<{ path: string }>; nextToken?: string }
    try {
      page = await list(this.ctx, {
        path: this.key(prefix),
        options: { ...this.bucket, pageSize: limit, subpathStrategy: { strategy: 'include' }, ...(nextToken === undefined ? {} : { nextToken }) },
      })
    } catch (error) {
      throw mapStorageError(error, `list of ${prefix}`)
    }
    const paths = page.items.map((item) => item.path.slice(this.prefix.length)).filter((p) => p !== '' && !p.endsWith('/'))
    const described = await mapLimited(paths, HEAD_CONCURRENCY, async (p) => {
      try {
        return await this.getMetadata(p)
      } catch (error) {
        if (error instanceof PortabaseError && error.code === 'not-found') return null // deleted since the LIST
        throw error
      }
    })
    return { items: described.filter((f): f is StoredFile => f !== null), nextCursor: page.nextToken ? `${CURSOR_PREFIX}${page.nextToken}` : null }
  }

  async delete(path: string): Promise<void> {
    await this.getMetadata(path) // remove() of a missing key succeeds: not-found comes from here
    let under: { items: unknown[] }
    try {
      under = await list(this.ctx, { path: `${this.key(path)}/`, options: { ...this.bucket, pageSize: 1, subpathStrategy: { strategy: 'include' } } })
    } catch (error) {
      throw mapStorageError(error, `delete of ${path}`)
    }
    if (under.items.length > 0) {
      throw new PortabaseError(
        'failed-precondition',
        `Amplify: cannot delete ${path} alone while files under ${path}/ exist (aws-amplify's remove() would delete those instead)`,
        { provider: PROVIDER },
      )
    }
    try {
      await remove(this.ctx, { path: this.key(path), options: { ...this.bucket } }).result
    } catch (error) {
      throw mapStorageError(error, `delete of ${path}`)
    }
  }

  async getMetadata(path: string): Promise<StoredFile> {
    let properties: Properties
    try {
      properties = await getProperties(this.ctx, { path: this.key(path), options: { ...this.bucket } })
    } catch (error) {
      throw mapStorageError(error, `metadata of ${path}`)
    }
    return {
      path,
      size: Number(properties.size ?? 0),
      contentType: properties.contentType ?? DEFAULT_CONTENT_TYPE,
      updated: properties.lastModified ?? new Date(0),
      metadata: decodeMetadata(properties.metadata ?? {}),
    }
  }
}

/** Printable ASCII without edge spaces: sent to S3 as is; anything else as an RFC 2047 encoded word. */
const PLAIN_VALUE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/
const ENCODED_WORD = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/i

export function encodeMetadata(metadata: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  const cased: string[] = []
  for (const [key, value] of Object.entries(metadata)) {
    const lower = key.toLowerCase()
    if (lower in out || lower === KEYS_HEADER) throw new PortabaseError('invalid-argument', `Amplify: metadata key ${key} clashes with another (S3 lowercases metadata keys)`, { provider: PROVIDER })
    if (lower !== key) cased.push(key)
    out[lower] = PLAIN_VALUE.test(value) && !ENCODED_WORD.test(value) ? value : `=?UTF-8?B?${toBase64(value)}?=`
  }
  if (cased.length > 0) out[KEYS_HEADER] = cased.join(',')
  return out
}

export function decodeMetadata(stored: Record<string, string>): Record<string, string> {
  const names = new Map<string, string>()
  for (const key of (stored[KEYS_HEADER] ?? '').split(',')) if (key) names.set(key.toLowerCase(), key)
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(stored)) {
    if (key === KEYS_HEADER) continue
    const word = ENCODED_WORD.exec(value)
    out[names.get(key) ?? key] = word ? fromBase64(word[1]!) : value
  }
  return out
}

function toBase64(text: string): string {
  let binary = ''
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte)
  return btoa(binary)
}

function fromBase64(base64: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)))
}

function decodeListCursor(cursor: string): string {
  if (!cursor.startsWith(CURSOR_PREFIX) || cursor.length === CURSOR_PREFIX.length) {
    throw new PortabaseError('invalid-argument', 'Invalid list cursor', { provider: PROVIDER })
  }
  return cursor.slice(CURSOR_PREFIX.length)
}

/** `Promise.all(items.map(fn))` with at most `limit` calls at a time, results in order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

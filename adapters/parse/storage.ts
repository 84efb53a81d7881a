/**
 * Storage on Parse files. Parse names each file itself (`<random>_<name>`) and has no paths, no
 * listing and no per-file metadata, so a class (`PortabaseFile` by default) maps each path to its
 * file: one object per path, its objectId the SHA-256 of the path, holding
 * `{ path, pathKey, file, size, contentType, metadata }`. `pathKey` is the path's UTF-8 bytes in
 * hex: ordering and prefix ranges on it are byte order under any database collation.
 *
 * - upload: the bytes go up as a Parse.File, then the path's object is created or replaced.
 *   Progress: the Parse SDK reports none for uploads, so only the start (0) and the end are
 *   reported, in Node and in browsers.
 * - download / getUrl / getMetadata: read the path's object; download fetches the file's URL.
 *   Parse file URLs do not expire (`signedUrls: false`).
 * - delete: removes the path's object. The bytes stay in the files adapter (deleting a Parse file
 *   needs the master key), unreachable through portabase but still served at their old URL.
 */
import { PortabaseError } from '../../src/errors.js'
import { cancelledError } from '../../src/links/abort.js'
import type { CallOptions, StorageService, UploadRequest } from '../../src/spi.js'
import type { ListResult, StoredFile } from '../../src/types.js'
import type { Session } from './auth.js'
import { newNonce, VERSION_COLUMN } from './codec.js'
import { mapParseError, parseCodeOf, ParseCode, PROVIDER } from './errors.js'
import type { ParseRest } from './sdk.js'

export const DEFAULT_FILES_CLASS = 'PortabaseFile'

interface FileRow {
  objectId: string
  path: string
  pathKey: string
  file: { __type: 'File'; name: string; url: string }
  size: number
  contentType: string
  metadata?: Record<string, unknown>
  createdAt?: string
  updatedAt?: string
}

const notFound = (path: string): PortabaseError => new PortabaseError('not-found', `No file at ${path}`, { provider: PROVIDER })

export class ParseStorage implements StorageService {
  constructor(
    private readonly rest: ParseRest,
    private readonly session: Session,
    private readonly filesClass: string,
  ) {}

  async upload({ path, bytes, contentType, metadata, onProgress, signal }: UploadRequest): Promise<StoredFile> {
    if (signal?.aborted) throw cancelledError(signal)
    const Parse = await this.rest.sdk()
    if (signal?.aborted) throw cancelledError(signal)
    const file = new Parse.File(parseFileName(path), { base64: toBase64(bytes) }, contentType)
    const onAbort = (): void => file.cancel()
    signal?.addEventListener('abort', onAbort, { once: true })
    onProgress(0)
    try {
      // '' instead of undefined: the SDK would otherwise use its global current user.
      await file.save({ sessionToken: this.session.token ?? '', useMasterKey: false, installationId: this.rest.installationId })
    } catch (error) {
      if (signal?.aborted) throw cancelledError(signal)
      throw mapParseError(error, 'file')
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
    if (signal?.aborted) throw cancelledError(signal)
    const url = file.url()
    if (!url) throw new PortabaseError('internal', `Parse Server did not return a URL for ${path}`, { provider: PROVIDER })
    onProgress(bytes.byteLength)

    const id = await rowId(path)
    const body = {
      path,
      pathKey: hexOf(path),
      file: { __type: 'File', name: file.name(), url },
      size: bytes.byteLength,
      contentType,
      metadata: { ...metadata },
      [VERSION_COLUMN]: newNonce(),
    }
    let stamp: { createdAt?: string; updatedAt?: string }
    try {
      stamp = await this.rest.request('POST', `classes/${this.filesClass}`, { objectId: id, ...body }, this.options('write', signal))
    } catch (error) {
      // The path exists: replace its object (the old file's bytes stay behind, see the header).
      if (parseCodeOf(error) !== ParseCode.DUPLICATE_VALUE) throw error
      stamp = await this.rest.request('PUT', `classes/${this.filesClass}/${id}`, body, this.options('write', signal))
    }
    return { path, size: bytes.byteLength, contentType, updated: new Date(stamp.updatedAt ?? stamp.createdAt ?? Date.now()), metadata: { ...metadata } }
  }

  async download(path: string, options?: CallOptions): Promise<Uint8Array> {
    const row = await this.row(path, options?.signal)
    const headers: Record<string, string> = {}
    const Parse = await this.rest.sdk()
    const appId = Parse.CoreManager.get('APPLICATION_ID')
    if (typeof appId === 'string') headers['X-Parse-Application-Id'] = appId
    if (this.session.token) headers['X-Parse-Session-Token'] = this.session.token
    let response: Response
    try {
      response = await fetch(row.file.url, { headers, signal: options?.signal })
    } catch (error) {
      if (options?.signal?.aborted) throw cancelledError(options.signal)
      throw mapParseError(error, 'file')
    }
    if (response.status === 404) throw notFound(path)
    if (response.status === 403) throw new PortabaseError('permission-denied', `Parse Server refused to serve ${path}`, { provider: PROVIDER })
    if (!response.ok) throw new PortabaseError(response.status >= 500 ? 'unavailable' : 'internal', `Parse Server answered HTTP ${response.status} for ${path}`, { provider: PROVIDER })
    return new Uint8Array(await response.arrayBuffer())
  }

  /** The file's Parse URL; it does not expire, whatever `expiresIn` asks. */
  async getUrl(path: string): Promise<string> {
    return (await this.row(path)).file.url
  }

  async list(prefix: string, { limit, cursor }: { limit: number; cursor: string | null }): Promise<ListResult> {
    const constraints: Record<string, string> = {}
    if (prefix !== '') {
      const key = hexOf(prefix)
      // Hex digits sort before 'g' in every collation: [key, key + 'g') is exactly "starts with key".
      constraints.$gte = key
      constraints.$lt = `${key}g`
    }
    if (cursor !== null) constraints.$gt = decodeListCursor(cursor)
    const where = Object.keys(constraints).length > 0 ? { pathKey: constraints } : {}
    const response = await this.rest.request<{ results: FileRow[] }>('GET', `classes/${this.filesClass}`, { where, order: 'pathKey', limit: limit + 1 }, this.options('read'))
    const page = response.results.slice(0, limit)
    const more = response.results.length > limit
    return { items: page.map(describe), nextCursor: more ? `k:${page[page.length - 1]!.pathKey}` : null }
  }

  async delete(path: string): Promise<void> {
    try {
      await this.rest.request('DELETE', `classes/${this.filesClass}/${await rowId(path)}`, undefined, this.options('write'))
    } catch (error) {
      if (parseCodeOf(error) === ParseCode.OBJECT_NOT_FOUND) throw notFound(path)
      throw error
    }
  }

  async getMetadata(path: string): Promise<StoredFile> {
    return describe(await this.row(path))
  }

  private async row(path: string, signal?: AbortSignal): Promise<FileRow> {
    try {
      return await this.rest.request<FileRow>('GET', `classes/${this.filesClass}/${await rowId(path)}`, undefined, this.options('read', signal))
    } catch (error) {
      if (parseCodeOf(error) === ParseCode.OBJECT_NOT_FOUND) throw notFound(path)
      throw error
    }
  }

  private options(context: 'read' | 'write', signal?: AbortSignal) {
    return { sessionToken: this.session.token, signal, context }
  }
}

function describe(row: FileRow): StoredFile {
  const metadata: Record<string, string> = {}
  for (const [key, value] of Object.entries(row.metadata ?? {})) if (typeof value === 'string') metadata[key] = value
  return {
    path: row.path,
    size: row.size,
    contentType: row.contentType,
    updated: new Date(row.updatedAt ?? row.createdAt ?? 0),
    metadata,
  }
}

/** A Parse file name from the path's last segment (Parse allows `[_a-zA-Z0-9][a-zA-Z0-9@. ~_-]*`, 128 chars). */
export function parseFileName(path: string): string {
  const last = path.split('/').pop() ?? ''
  let name = last.replace(/[^a-zA-Z0-9@. ~_-]/g, '_').slice(0, 100)
  if (!/^[_a-zA-Z0-9]/.test(name)) name = `f${name}`
  return name
}

export function hexOf(text: string): string {
  let hex = ''
  for (const byte of new TextEncoder().encode(text)) hex += byte.toString(16).padStart(2, '0')
  return hex
}

async function rowId(path: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(path))
  let hex = ''
  for (const byte of new Uint8Array(digest)) hex += byte.toString(16).padStart(2, '0')
  return hex
}

function decodeListCursor(cursor: string): string {
  if (!/^k:[0-9a-f]*$/.test(cursor)) throw new PortabaseError('invalid-argument', 'Invalid list cursor', { provider: PROVIDER })
  return cursor.slice(2)
}

/** Base64 without Node's Buffer (browsers and React Native too). */
export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  const CHUNK = 0x8000
  for (let i = 0; i < bytes.byteLength; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK))
  return btoa(binary)
}

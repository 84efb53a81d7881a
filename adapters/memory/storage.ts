import { PortabaseError } from '../../src/errors.js'
import { cancelledError } from '../../src/links/abort.js'
import type { CallOptions, StorageService, UploadRequest } from '../../src/spi.js'
import type { ListResult, StoredFile } from '../../src/types.js'
import type { MemoryBackend, StoredBlob } from './backend.js'
import type { MemoryNetwork } from './network.js'

/** Progress is reported per chunk, with a macrotask between chunks so observers see it live. */
const CHUNK_BYTES = 64 * 1024

const notFound = (path: string): PortabaseError => new PortabaseError('not-found', `No file at ${path}`, { provider: 'memory' })

function describe(path: string, blob: StoredBlob): StoredFile {
  return { path, size: blob.bytes.byteLength, contentType: blob.contentType, updated: new Date(blob.updated), metadata: { ...blob.metadata } }
}

export class MemoryStorage implements StorageService {
  constructor(
    private readonly backend: MemoryBackend,
    private readonly network: MemoryNetwork,
    /** False when the adapter declares `signedUrls: false`: URLs then behave as such a vendor's (no expiry). */
    private readonly signed = true,
  ) {}

  async upload({ path, bytes, contentType, metadata, onProgress, signal }: UploadRequest): Promise<StoredFile> {
    await this.network.gate('storage', 'upload', signal)
    const copy = new Uint8Array(bytes.byteLength)
    for (let offset = 0; offset < bytes.byteLength; offset += CHUNK_BYTES) {
      if (signal?.aborted) throw cancelledError(signal)
      const end = Math.min(offset + CHUNK_BYTES, bytes.byteLength)
      copy.set(bytes.subarray(offset, end), offset)
      onProgress(end)
      await new Promise((resolve) => setTimeout(resolve, 0))
      if (!this.network.online) throw new PortabaseError('unavailable', `Upload of ${path} interrupted: offline`, { provider: 'memory' })
    }
    if (signal?.aborted) throw cancelledError(signal)
    const blob: StoredBlob = { bytes: copy, contentType, metadata: { ...metadata }, updated: new Date(this.backend.clock.now()) }
    this.backend.files.set(path, blob)
    return describe(path, blob)
  }

  async download(path: string, options?: CallOptions): Promise<Uint8Array> {
    await this.network.gate('storage', 'download', options?.signal)
    const blob = this.backend.files.get(path)
    if (!blob) throw notFound(path)
    return blob.bytes.slice()
  }

  /** `memory://` URLs carry their expiry (with `signedUrls`); `MemoryBackend`-aware tests can resolve them. */
  async getUrl(path: string, { expiresIn }: { expiresIn: number }): Promise<string> {
    await this.network.gate('storage', 'getUrl')
    if (!this.backend.files.has(path)) throw notFound(path)
    const url = `memory://files/${path.split('/').map(encodeURIComponent).join('/')}`
    return this.signed ? `${url}?expires=${this.backend.clock.now() + expiresIn * 1000}` : url
  }

  async list(prefix: string, { limit, cursor }: { limit: number; cursor: string | null }): Promise<ListResult> {
    await this.network.gate('storage', 'list')
    const after = cursor === null ? null : decodeListCursor(cursor)
    const paths = [...this.backend.files.keys()].filter((p) => p.startsWith(prefix) && (after === null || p > after)).sort()
    const page = paths.slice(0, limit)
    const items = page.map((p) => describe(p, this.backend.files.get(p)!))
    const more = paths.length > limit
    return { items, nextCursor: more ? encodeListCursor(page[page.length - 1]!) : null }
  }

  async delete(path: string): Promise<void> {
    await this.network.gate('storage', 'delete')
    if (!this.backend.files.delete(path)) throw notFound(path)
  }

  async getMetadata(path: string): Promise<StoredFile> {
    await this.network.gate('storage', 'getMetadata')
    const blob = this.backend.files.get(path)
    if (!blob) throw notFound(path)
    return describe(path, blob)
  }
}

function encodeListCursor(path: string): string {
  return `p:${encodeURIComponent(path)}`
}

function decodeListCursor(cursor: string): string {
  if (!cursor.startsWith('p:')) throw new PortabaseError('invalid-argument', 'Invalid list cursor', { provider: 'memory' })
  return decodeURIComponent(cursor.slice(2))
}

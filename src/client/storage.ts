import { Observable, ReplaySubject } from 'rxjs'
import { PortabaseError, invalidArgument, toPortabaseError } from '../errors.js'
import type { Adapter } from '../spi.js'
import type { ListOptions, ListResult, StoredFile, UploadOptions, UploadProgress } from '../types.js'
import { requireCapability, type Pipeline } from './pipeline.js'

const SEGMENT = /^[A-Za-z0-9 ._~@+=,-]+$/
export const MAX_PATH_LENGTH = 512
export const MAX_LIST_LIMIT = 1000

/** An upload in flight: observe it for progress, await it for the stored file, cancel it. */
export interface UploadTask extends Observable<UploadProgress>, PromiseLike<StoredFile> {
  cancel(): void
}

export function assertStoragePath(path: unknown, { allowEmpty = false, allowTrailingSlash = false } = {}): asserts path is string {
  if (typeof path !== 'string') throw invalidArgument('A storage path must be a string')
  if (path === '' && allowEmpty) return
  const body = allowTrailingSlash && path.endsWith('/') ? path.slice(0, -1) : path
  const ok =
    body.length > 0 &&
    path.length <= MAX_PATH_LENGTH &&
    body.split('/').every((s) => SEGMENT.test(s) && s !== '.' && s !== '..')
  if (!ok) {
    throw invalidArgument(
      `Invalid storage path ${JSON.stringify(path.slice(0, 60))}: '/'-separated segments of letters, digits and ' ._~@+=,-', no leading '/', no '..', max ${MAX_PATH_LENGTH}`,
    )
  }
}

function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  throw invalidArgument('upload() takes a Uint8Array, ArrayBuffer or typed array')
}

function assertMetadata(metadata: unknown): asserts metadata is Record<string, string> {
  if (typeof metadata !== 'object' || metadata === null) throw invalidArgument('metadata must be an object of strings')
  for (const [key, value] of Object.entries(metadata)) {
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(key) || typeof value !== 'string' || value.length > 1024) {
      throw invalidArgument(`metadata.${key} must be a string (max 1024) under a simple key`)
    }
  }
}

export class StorageClient {
  constructor(
    private readonly adapter: Adapter,
    private readonly pipeline: Pipeline,
  ) {}

  /**
   * Starts at once (like Firebase's uploadBytesResumable). Subscribers get progress events, replayed
   * from the latest; the returned task is also awaitable for the stored file.
   */
  upload(path: string, data: Uint8Array | ArrayBuffer | ArrayBufferView, options: UploadOptions = {}): UploadTask {
    this.check()
    assertStoragePath(path)
    const bytes = toBytes(data)
    const contentType = options.contentType ?? 'application/octet-stream'
    if (typeof contentType !== 'string' || !/^[\w.+-]+\/[\w.+-]+(;.*)?$/.test(contentType)) throw invalidArgument(`Invalid contentType ${JSON.stringify(contentType)}`)
    const metadata = options.metadata ?? {}
    assertMetadata(metadata)

    const controller = new AbortController()
    const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal
    const progress$ = new ReplaySubject<UploadProgress>(1)
    const total = bytes.byteLength
    const emit = (transferred: number, state: UploadProgress['state']): void =>
      progress$.next({ bytesTransferred: transferred, totalBytes: total, fraction: total === 0 ? 1 : transferred / total, state })

    emit(0, 'running')
    const result = this.adapter.storage
      .upload({ path, bytes, contentType, metadata, signal, onProgress: (n) => emit(Math.min(n, total), 'running') })
      .then(
        (file) => {
          emit(total, 'success')
          progress$.complete()
          return file
        },
        (error: unknown) => {
          const failure = signal.aborted ? new PortabaseError('cancelled', `Upload of ${path} was cancelled`, { cause: error }) : toPortabaseError(error, this.adapter.name)
          progress$.error(failure)
          throw failure
        },
      )
    // Awaiting is optional for observers; keep an unobserved failure from crashing the process.
    result.catch(() => undefined)
    const task = progress$.asObservable() as UploadTask
    task.then = (onFulfilled, onRejected) => result.then(onFulfilled, onRejected)
    task.cancel = () => controller.abort()
    return task
  }

  download(path: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    this.check()
    assertStoragePath(path)
    return this.call('download', [path], options.signal, (op) => this.adapter.storage.download(path, { signal: op.signal }))
  }

  /** A URL to fetch the file; expires after `expiresIn` seconds where the adapter has `signedUrls`. */
  getUrl(path: string, options: { expiresIn?: number } = {}): Promise<string> {
    this.check()
    assertStoragePath(path)
    const expiresIn = options.expiresIn ?? 3600
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 7 * 24 * 3600) throw invalidArgument('expiresIn must be 1 s to 7 days, in whole seconds')
    return this.call('getUrl', [path, { expiresIn }], undefined, () => this.adapter.storage.getUrl(path, { expiresIn }))
  }

  /** Files under a prefix (`'avatars/'`), in path order, a page at a time. */
  list(prefix = '', options: ListOptions = {}): Promise<ListResult> {
    this.check()
    assertStoragePath(prefix, { allowEmpty: true, allowTrailingSlash: true })
    const limit = options.limit ?? 100
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) throw invalidArgument(`list limit must be 1–${MAX_LIST_LIMIT}`)
    const cursor = options.cursor ?? null
    if (cursor !== null && (typeof cursor !== 'string' || cursor.length === 0)) throw invalidArgument('list cursor must be a nextCursor string')
    return this.call('list', [prefix, { limit, cursor }], undefined, () => this.adapter.storage.list(prefix, { limit, cursor }))
  }

  delete(path: string): Promise<void> {
    this.check()
    assertStoragePath(path)
    return this.call('delete', [path], undefined, () => this.adapter.storage.delete(path))
  }

  getMetadata(path: string): Promise<StoredFile> {
    this.check()
    assertStoragePath(path)
    return this.call('getMetadata', [path], undefined, () => this.adapter.storage.getMetadata(path))
  }

  private check(): void {
    this.pipeline.assertOpen()
    requireCapability(this.adapter, this.adapter.capabilities.storage, 'Storage')
  }

  private call<T>(method: string, args: unknown[], signal: AbortSignal | undefined, run: (op: { signal?: AbortSignal }) => Promise<T>): Promise<T> {
    // A retried delete would report not-found for the file it just removed.
    return this.pipeline.invoke({ service: 'storage', method, args, idempotent: method !== 'delete', signal, run })
  }
}

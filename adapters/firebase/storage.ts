/** Cloud Storage for Firebase (`firebase/storage`) as the portabase StorageService. */
import {
  connectStorageEmulator,
  deleteObject,
  getBytes,
  getDownloadURL,
  getMetadata,
  getStorage,
  listAll,
  ref,
  uploadBytesResumable,
  type FirebaseStorage,
  type FullMetadata,
  type StorageReference,
} from 'firebase/storage'
import { invalidArgument, PortabaseError } from '../../src/errors.js'
import { raceAbort } from '../../src/links/abort.js'
import type { CallOptions, StorageService, UploadRequest } from '../../src/spi.js'
import type { ListResult, StoredFile } from '../../src/types.js'
import type { FirebaseServicePlugin } from './context.js'
import { guard, mapError, PROVIDER } from './errors.js'
import { storageCodes } from './storage-errors.js'

export interface FirebaseStorageOptions {
  /** `gs://bucket` to use instead of the app config's `storageBucket`. */
  bucket?: string
}

export function toStoredFile(meta: FullMetadata): StoredFile {
  return {
    path: meta.fullPath,
    size: meta.size,
    contentType: meta.contentType ?? 'application/octet-stream',
    updated: new Date(meta.updated),
    metadata: { ...(meta.customMetadata ?? {}) },
  }
}

const byPath = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** The list cursor: the last path of the page, opaque to callers. */
function encodeListCursor(path: string): string {
  return `after:${encodeURIComponent(path)}`
}

function decodeListCursor(cursor: string): string {
  if (cursor.startsWith('after:')) {
    try {
      return decodeURIComponent(cursor.slice('after:'.length))
    } catch {
      // fall through
    }
  }
  throw invalidArgument('list cursor is not a nextCursor from this adapter')
}

export class FirebaseStorageService implements StorageService {
  constructor(readonly storage: FirebaseStorage) {}

  upload({ path, bytes, contentType, metadata, onProgress, signal }: UploadRequest): Promise<StoredFile> {
    return new Promise<StoredFile>((resolve, reject) => {
      const task = uploadBytesResumable(ref(this.storage, path), bytes, { contentType, customMetadata: metadata })
      const onAbort = (): void => void task.cancel()
      if (signal?.aborted) onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      task.on(
        'state_changed',
        (snapshot) => onProgress(snapshot.bytesTransferred),
        (error) => {
          signal?.removeEventListener('abort', onAbort)
          reject(mapError(error, `Upload of ${path}`, storageCodes))
        },
        () => {
          signal?.removeEventListener('abort', onAbort)
          resolve(toStoredFile(task.snapshot.metadata))
        },
      )
    })
  }

  download(path: string, options?: CallOptions): Promise<Uint8Array> {
    return raceAbort(
      guard(`Download of ${path}`, async () => new Uint8Array(await getBytes(ref(this.storage, path))), storageCodes),
      options?.signal,
    )
  }

  /** Download URLs carry a long-lived token, not an expiry (capability `signedUrls: false`). */
  getUrl(path: string): Promise<string> {
    return guard(`URL of ${path}`, () => getDownloadURL(ref(this.storage, path)), storageCodes)
  }

  /**
   * Every file whose path starts with `prefix`, in path order, as the neutral contract has it.
   * Firebase lists one folder level at a time, so this walks the folders: the folder part of the
   * prefix (up to its last `/`) with `listAll`, then, depth-first, each sub-folder that can hold
   * matching paths; the names are filtered by the full prefix, sorted, and paged here with an
   * opaque cursor (the last path returned).
   *
   * **Cost: every call (every page) lists the whole tree under the prefix's folder: one `listAll`
   * per folder (one request per 1,000 entries), plus one metadata request per file returned.**
   * Keep prefixes narrow on large buckets.
   */
  list(prefix: string, { limit, cursor }: { limit: number; cursor: string | null }): Promise<ListResult> {
    return guard(`Listing ${prefix}`, async () => {
      const after = cursor === null ? null : decodeListCursor(cursor)
      const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1) // '' | 'a/' | 'a/b/'
      const paths: string[] = []
      await this.collect(ref(this.storage, folder.replace(/\/$/, '')), prefix, paths)
      const matching = paths.filter((path) => path.startsWith(prefix) && (after === null || path > after)).sort(byPath)
      const page = matching.slice(0, limit)
      const items = await Promise.all(page.map(async (path) => toStoredFile(await getMetadata(ref(this.storage, path)))))
      return { items, nextCursor: matching.length > limit ? encodeListCursor(page[page.length - 1]!) : null }
    }, storageCodes)
  }

  /** Depth-first: the files of `folder`, then of each sub-folder whose path can start with `prefix`. */
  private async collect(folder: StorageReference, prefix: string, into: string[]): Promise<void> {
    const { items, prefixes } = await listAll(folder)
    for (const item of items) into.push(item.fullPath)
    for (const sub of prefixes) {
      const path = `${sub.fullPath}/`
      if (path.startsWith(prefix) || prefix.startsWith(path)) await this.collect(sub, prefix, into)
    }
  }

  delete(path: string): Promise<void> {
    return guard(`Delete of ${path}`, () => deleteObject(ref(this.storage, path)), storageCodes)
  }

  getMetadata(path: string): Promise<StoredFile> {
    return guard(`Metadata of ${path}`, async () => toStoredFile(await getMetadata(ref(this.storage, path))), storageCodes)
  }
}

/** The storage plug-in: resumable uploads with progress and cancel, downloads, URLs, listing. */
export function firebaseStorage(options: FirebaseStorageOptions = {}): FirebaseServicePlugin<FirebaseStorageService> {
  return {
    kind: 'storage',
    create(context) {
      const storage = getStorage(context.app, options.bucket)
      const emulator = context.emulators.storage
      if (emulator) connectStorageEmulator(storage, emulator.host, emulator.port)
      if (!options.bucket && !context.app.options.storageBucket) {
        throw new PortabaseError('invalid-argument', 'firebaseStorage() needs storageBucket in the Firebase config (or the bucket option)', { provider: PROVIDER })
      }
      return { service: new FirebaseStorageService(storage), capabilities: { storage: true, signedUrls: false } }
    },
  }
}

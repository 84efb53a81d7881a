/** Cloud Storage for Firebase (`firebase/storage`) as the portabase StorageService. */
import {
  connectStorageEmulator,
  deleteObject,
  getBytes,
  getDownloadURL,
  getMetadata,
  getStorage,
  list,
  ref,
  uploadBytesResumable,
  type FirebaseStorage,
  type FullMetadata,
} from 'firebase/storage'
import { PortabaseError } from '../../src/errors.js'
import { raceAbort } from '../../src/links/abort.js'
import type { CallOptions, StorageService, UploadRequest } from '../../src/spi.js'
import type { ListResult, StoredFile } from '../../src/types.js'
import type { FirebaseServicePlugin } from './context.js'
import { guard, mapFirebaseError, PROVIDER } from './errors.js'

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
          reject(mapFirebaseError(error, `Upload of ${path}`))
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
      guard(`Download of ${path}`, async () => new Uint8Array(await getBytes(ref(this.storage, path)))),
      options?.signal,
    )
  }

  /** Download URLs carry a long-lived token, not an expiry (capability `signedUrls: false`). */
  getUrl(path: string): Promise<string> {
    return guard(`URL of ${path}`, () => getDownloadURL(ref(this.storage, path)))
  }

  /**
   * One folder level, as Firebase lists it: files directly under `prefix` (sub-folders are not
   * entered). Each item costs one extra metadata request.
   */
  list(prefix: string, { limit, cursor }: { limit: number; cursor: string | null }): Promise<ListResult> {
    return guard(`Listing ${prefix}`, async () => {
      const folder = prefix.replace(/\/+$/, '')
      const page = await list(ref(this.storage, folder), cursor === null ? { maxResults: limit } : { maxResults: limit, pageToken: cursor })
      const items = await Promise.all(page.items.map(async (item) => toStoredFile(await getMetadata(item))))
      items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      return { items, nextCursor: page.nextPageToken ?? null }
    })
  }

  delete(path: string): Promise<void> {
    return guard(`Delete of ${path}`, () => deleteObject(ref(this.storage, path)))
  }

  getMetadata(path: string): Promise<StoredFile> {
    return guard(`Metadata of ${path}`, async () => toStoredFile(await getMetadata(ref(this.storage, path))))
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

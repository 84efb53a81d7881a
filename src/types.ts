import type { Bytes, GeoPoint, Reference } from './value-types.js'

/** Values a document may hold: JSON plus Date, and the neutral value types (value-types.ts) where the adapter declares them. */
export type Primitive = string | number | boolean | null | Date | GeoPoint | Reference | Bytes
export type Value = Primitive | Value[] | { [key: string]: Value }
export type DocumentData = { [field: string]: Value }

export interface DocMeta {
  /** Server time of the last write. */
  updateTime: Date
  /** Opaque, changes on every write (Firestore updateTime, Parse updatedAt, a version column, …). */
  version: string
  /** True when served from a local cache rather than the server. */
  fromCache: boolean
  /** True when local writes to this document have not reached the server yet. */
  hasPendingWrites: boolean
}

export interface Doc<T = DocumentData> {
  id: string
  data: T
  meta: DocMeta
}

export interface DocChange<T = DocumentData> {
  type: 'added' | 'modified' | 'removed'
  doc: Doc<T>
  /** Position before the change (-1 for added). */
  oldIndex: number
  /** Position after the change (-1 for removed). */
  newIndex: number
}

/** One emission of a live query: the whole result plus what changed since the previous one. */
export interface QuerySnapshot<T = DocumentData> {
  docs: readonly Doc<T>[]
  changes: readonly DocChange<T>[]
  fromCache: boolean
  hasPendingWrites: boolean
}

export interface User {
  uid: string
  email: string | null
  displayName: string | null
  photoURL: string | null
  isAnonymous: boolean
  /** `password`, `anonymous`, or an OAuth provider id. */
  providerId: string
}

export interface EmailPasswordCredentials {
  email: string
  password: string
}

export interface ProfileUpdate {
  displayName?: string | null
  photoURL?: string | null
}

export type ConnectionState = 'online' | 'offline' | 'connecting'

export interface SyncStatus {
  /** Queued writes of the signed-in user's queue (other users' queues wait for them). */
  pending: number
  uploading: boolean
  downloading: boolean
  lastSyncedAt: Date | null
  /** The last sync failure (a round, or a live watch); cleared by the next successful round. */
  error: Error | null
  conflicts: number
  /** Queued writes by outcome since the client started: every write ends in exactly one. */
  outcomes: { applied: number; merged: number; overridden: number; rejected: number }
}

/** The status before anything happened: nothing pending, nothing synced yet. */
export const idleSyncStatus = (): SyncStatus => ({
  pending: 0,
  uploading: false,
  downloading: false,
  lastSyncedAt: null,
  error: null,
  conflicts: 0,
  outcomes: { applied: 0, merged: 0, overridden: 0, rejected: 0 },
})

export interface StoredFile {
  path: string
  size: number
  contentType: string
  updated: Date
  /** Custom string metadata set on upload. */
  metadata: Record<string, string>
}

export interface UploadProgress {
  bytesTransferred: number
  totalBytes: number
  /** 0..1 */
  fraction: number
  state: 'running' | 'success'
}

export interface UploadOptions {
  contentType?: string
  metadata?: Record<string, string>
  signal?: AbortSignal
}

export interface ListOptions {
  limit?: number
  cursor?: string | null
}

export interface ListResult {
  items: StoredFile[]
  nextCursor: string | null
}

export type ConfigScalar = string | number | boolean
export type ConfigSource = 'remote' | 'default' | 'static'

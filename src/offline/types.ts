import type { Query } from '../query/model.js'
import type { DocumentData } from '../types.js'
import type { LocalStore } from './store.js'

/**
 * How a collection's local copy is filled:
 * - `delta`: changes since the last checkpoint (updateTime, id), deletions as tombstones;
 * - `full`: every document again on each pull (docs gone from the server are dropped locally);
 * - `{ query }`: only the documents matching the query (filtered by the server), in full on each pull.
 */
export type SyncMode = 'full' | 'delta' | { query: Query }

/** What a conflict handler sees: the three versions of one document (null = deleted / absent). */
export interface ConflictInput {
  collection: string
  id: string
  /** The document as this device has it, every queued write applied. */
  local: DocumentData | null
  /** The document as the server has it now. */
  server: DocumentData | null
  /** The server version this device's writes started from (null: it did not exist then). */
  base: DocumentData | null
  /** Client time of the newest queued write, and server time of the server's last write. */
  localTime: Date
  serverTime: Date | null
}

/** A handler's answer: the document to keep (null deletes it), or undefined to leave it to `conflicts$`. */
export type ConflictResolution = DocumentData | null | undefined

export type ConflictHandler = (conflict: ConflictInput) => ConflictResolution | Promise<ConflictResolution>

/**
 * - `server-wins`: queued writes to the document are dropped (the default);
 * - `client-wins`: the local document replaces the server's;
 * - `last-write-wins`: whichever changed last (client clock vs server clock) wins;
 * - `merge`: field by field, each side's changes since the base are kept; a field both changed
 *   takes the local value; an edit beats a deletion;
 * - `manual`: held until resolved through `app.sync.conflicts$`;
 * - a function: decides, or returns undefined to fall back to `manual`.
 */
export type ConflictStrategy = 'server-wins' | 'client-wins' | 'last-write-wins' | 'merge' | 'manual' | ConflictHandler

export interface OfflineCollectionOptions {
  /** Default `delta`. */
  sync?: SyncMode
  /** Default `server-wins`. */
  conflict?: ConflictStrategy
}

export interface OfflineOptions {
  /** Where the cache and the outbox live: `memoryStore()`, `indexedDbStore()`, `fileStore()` (portabase/offline/node). */
  store: LocalStore
  /** The collections served offline-first; others go to the server as usual. */
  collections: Record<string, OfflineCollectionOptions>
  /** Most queued writes sent in one request (vendor batch). Default 100. */
  batchSize?: number
  /** Documents fetched per pull request. Default 500. */
  pageSize?: number
  /** Backoff after a failed sync: first delay and cap, in ms. Defaults 500 and 30 000. */
  retryDelayMs?: { initial: number; max: number }
  /**
   * After a crash (the store was not closed by `dispose()`), how long the first push waits before
   * re-sending: a request still in flight when the app died may reach the server late, and the
   * wait lets the server's write id show it was applied. Default 1,000 ms. See docs/offline.md.
   */
  crashGraceMs?: number
}

/** A conflict waiting for a decision (strategy `manual`, or a handler that returned undefined). */
export interface SyncConflict extends ConflictInput {
  /** Keeps `data` (null deletes the document) and sends it. */
  resolve(data: DocumentData | null): Promise<void>
  keepLocal(): Promise<void>
  keepServer(): Promise<void>
}

/** A queued write the server refused for good (e.g. permission-denied): it was rolled back locally. */
export interface RejectedWrite {
  collection: string
  id: string
  type: 'create' | 'set' | 'update' | 'delete'
  error: Error
}

export interface FlushResult {
  /** Writes the server now has (sent, or found already applied after a restart). */
  sent: number
  /** Writes rolled back because the server refused them. */
  rejected: number
  /** Documents whose writes wait for a conflict decision. */
  conflicts: number
}

import type { Query } from '../query/model.js'
import type { WriteData } from '../sentinels.js'
import type { DocumentData, SyncStatus } from '../types.js'
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
  /**
   * The fields both sides changed since the base, for a conflict between queued `update`s and
   * server changes to the same fields (`level: 'field'`). For a document-level conflict (a queued
   * `set`, `create` or `delete`, or a document deleted on the server): the fields whose values
   * differ between `local` and `server`.
   */
  fields: string[]
  level: 'field' | 'document'
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
 * Each strategy acts on the conflicting fields only: a queued `update` never conflicts over fields
 * the server did not change, and those are applied silently (as Firestore, Parse and DataStore
 * apply patches). A queued `set`/`create`/`delete`, or an update of a document the server deleted,
 * conflicts as a whole document.
 * - `server-wins` (default): the server's values of the conflicting fields stay; the device's other
 *   fields are still applied (document level: the device's writes are dropped);
 * - `client-wins`: the device's values of the fields it changed are written; fields it did not
 *   touch are never reverted (document level: the device's document replaces the server's);
 * - `last-write-wins`: per conflicting field, the device's value wins when the device's last write
 *   to that field (client clock) is newer than the server's last write to the document (server
 *   clock; no backend records per-field times); document level: the same, per document;
 * - `merge`: field by field against the base, each side's changes are kept; a field both changed
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
   * Without realtime (or when its watch is down), how often a round pulls while online. Default
   * 30 000 ms on adapters without `realtime`, off with it; 0 turns polling off.
   */
  pollIntervalMs?: number
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
  /** The write's own data (null for a delete), as the app wrote it. */
  data: WriteData | null
  /** The document as the device had it with this write applied (null: deleted / absent). */
  local: DocumentData | null
}

/** One queued write, as the app made it. */
export interface WrittenWrite {
  writeId: string
  type: 'create' | 'set' | 'update' | 'delete'
  /** Null for a delete. */
  data: WriteData | null
  createdAt: Date
}

/**
 * How a queued write ended, when not "applied as written" (those are only counted). Every queued
 * write ends in exactly one outcome: applied, `merged`, `overridden` or `rejected`.
 * - `merged`: applied after a conflict, combined with (or over) the server's concurrent changes:
 *   `fields` now hold the device's (or the handler's) values;
 * - `overridden`: the server's values of `fields` were kept and the device's values for them
 *   discarded; the writes' other fields were applied (document level: nothing was applied);
 * - `rejected`: refused for good (`error`); rolled back locally. `local` is the data the device had.
 */
export interface SyncOutcome {
  kind: 'merged' | 'overridden' | 'rejected'
  collection: string
  id: string
  /** The queued writes this outcome settles, oldest first. */
  writes: WrittenWrite[]
  /** See `kind`; for a rejection, the fields the writes touched. */
  fields: string[]
  level: 'field' | 'document'
  /** The document as the device had it (base + its queued writes). */
  local: DocumentData | null
  /** The server's document when the conflict was decided (null when absent or not fetched). */
  server: DocumentData | null
  error?: Error
}

/** Cumulative counts of queued writes by outcome, since the client started. */
export type OutcomeCounts = SyncStatus['outcomes']

export interface FlushResult {
  /** Writes applied as written (sent now, or found already applied after a restart). */
  sent: number
  /** Writes applied after a conflict, combined with the server's changes (see SyncOutcome). */
  merged: number
  /** Writes whose conflicting fields (or whole document) gave way to the server's. */
  overridden: number
  /** Writes rolled back because the server refused them. */
  rejected: number
  /** Documents whose writes wait for a conflict decision. */
  conflicts: number
}

export interface WaitForSyncOptions {
  /** Rejects with `deadline-exceeded` after this long (the writes stay queued). Default 60 000; `Infinity` waits for good. */
  timeoutMs?: number
  /** Rejects with `cancelled` when aborted. */
  signal?: AbortSignal
}

/** The writes of one user's queue that were discarded, per document. */
export interface DiscardedQueue {
  uid: string | null
  writes: Array<WrittenWrite & { collection: string; id: string }>
}

/**
 * The local store the offline engine keeps its state in: three tables of JSON values, changed only
 * by atomic, durable commits. Small on purpose, so a new store (SQLite, MMKV, AsyncStorage…) is a
 * short file: see stores/memory.ts for the reference.
 */
import type { TabCoordinator } from './tabs/coordinator.js'

/** `docs`: cached server state per document; `outbox`: queued writes; `meta`: checkpoints, schema version. */
export type StoreTable = 'docs' | 'outbox' | 'meta'

export const STORE_TABLES: readonly StoreTable[] = ['docs', 'outbox', 'meta']

/** JSON-serialisable value (what `JSON.stringify` round-trips). */
export type StoredValue = null | boolean | number | string | StoredValue[] | { [key: string]: StoredValue }

export type StoreChange =
  | { table: StoreTable; key: string; value: StoredValue }
  | { table: StoreTable; key: string; delete: true }

export interface EntriesOptions {
  /**
   * Only keys starting with this (one user's partition). A store may read less for it (a range);
   * one that ignores it returns every key, and callers filter again, so older stores still fit.
   */
  prefix?: string
}

/** A failure of work a store does on its own, after the commits it concerns were acknowledged. */
export type StoreErrorListener = (error: Error) => void

export interface LocalStore {
  /** Shown in errors and logs. */
  readonly name: string
  /** Opens (creating if new). Called once by the engine before anything else. */
  open(): Promise<void>
  /** Every entry of a table, keys ascending (by UTF-16 code unit, like `Array.prototype.sort`). */
  entries(table: StoreTable, options?: EntriesOptions): Promise<Array<[string, StoredValue]>>
  /**
   * Applies all changes or none. Once the promise resolves, the changes survive a crash of the
   * process (and, for durable stores, of the machine). Concurrent commits may share one durable
   * write (group commit); each still resolves only once its own changes are durable.
   */
  commit(changes: readonly StoreChange[]): Promise<void>
  /**
   * Optional: reports failures of background work (the file store's compaction). Nothing
   * acknowledged is lost by them, the work is retried, but the app should hear of them (the engine
   * shows them on `sync.status$` as `error`). Returns a function that stops the reports.
   */
  onError?(listener: StoreErrorListener): () => void
  /**
   * Optional: for a store that several tabs (or processes) open at once, the coordination between
   * them (tabs/coordinator.ts); the engine asks once per client and closes what it gets on dispose.
   * Undefined: one client at a time.
   */
  tabs?(): TabCoordinator | undefined
  /** Releases files/handles. The store may be opened again afterwards. */
  close(): Promise<void>
}

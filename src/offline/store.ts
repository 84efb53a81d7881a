/**
 * The local store the offline engine keeps its state in: three tables of JSON values, changed only
 * by atomic, durable commits. Small on purpose, so a new store (SQLite, MMKV, AsyncStorage…) is a
 * short file: see stores/memory.ts for the reference.
 */

/** `docs`: cached server state per document; `outbox`: queued writes; `meta`: checkpoints, schema version. */
export type StoreTable = 'docs' | 'outbox' | 'meta'

export const STORE_TABLES: readonly StoreTable[] = ['docs', 'outbox', 'meta']

/** JSON-serialisable value (what `JSON.stringify` round-trips). */
export type StoredValue = null | boolean | number | string | StoredValue[] | { [key: string]: StoredValue }

export type StoreChange =
  | { table: StoreTable; key: string; value: StoredValue }
  | { table: StoreTable; key: string; delete: true }

export interface LocalStore {
  /** Shown in errors and logs. */
  readonly name: string
  /** Opens (creating if new). Called once by the engine before anything else. */
  open(): Promise<void>
  /** Every entry of a table, keys ascending (by UTF-16 code unit, like `Array.prototype.sort`). */
  entries(table: StoreTable): Promise<Array<[string, StoredValue]>>
  /**
   * Applies all changes or none. Once the promise resolves, the changes survive a crash of the
   * process (and, for durable stores, of the machine).
   */
  commit(changes: readonly StoreChange[]): Promise<void>
  /** Releases files/handles. The store may be opened again afterwards. */
  close(): Promise<void>
}

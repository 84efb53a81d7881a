/**
 * Browser LocalStore on IndexedDB, with the raw API (a few requests do not justify a dependency).
 * One database, two object stores (schema version 2):
 *
 *   batches   "<table>\0<first key>" → JSON text of sorted [key, value] rows, ~256 KiB each
 *   log       auto-increment → JSON text of the commits written since (StoreChange[][])
 *
 * A browser's IndexedDB costs per record, whatever its size (batches.ts): a commit is one log
 * record, and once the log passes `compactAfterChars` a compaction folds it into the batches its
 * keys fall in, rewriting only those, in one transaction. Reads merge the log over the batches.
 * Version 1 (one record per row in `docs`, `outbox`, `meta`) is converted on open.
 *
 * Group commit: one write transaction at a time; commits arriving while it runs go together in the
 * next one (with durability 'strict', a transaction is a flush to disk). Each commit resolves when
 * the transaction holding it completes. Should a shared transaction fail, its commits are retried
 * one transaction each, so one commit's failure is never another's.
 *
 * Several tabs: every tab of an origin opens the same database. Where Web Locks and BroadcastChannel
 * exist (every current browser), the store hands the engine their coordination (tabs/coordinator.ts):
 * one tab syncs, every tab writes, none sends a queued write twice.
 */
import { invalidArgument, PortabaseError } from '../../errors.js'
import { STORE_TABLES, type LocalStore, type StoredValue, type StoreErrorListener, type StoreTable } from '../store.js'
import { tabCoordinator, type TabCoordinatorOptions } from '../tabs/coordinator.js'
import { applyKeyChanges, BATCH_CHARS, batchesFor, changesByBatch, lastChanges, parseBatch, parseLog, toBatches, type Row } from './batches.js'
import { checkChanges, checkPrefix, checkTable, notOpen } from './changes.js'

export interface IndexedDbStoreOptions {
  /** The IndexedDB database name; also shown in errors. One database per store. */
  name: string
  /** Default `globalThis.indexedDB`; pass one for tests (fake-indexeddb) or other realms. */
  indexedDB?: IDBFactory
  /**
   * The IDBKeyRange of that factory's realm (fake-indexeddb exports its own), for reading one
   * partition as a key range. Default `globalThis.IDBKeyRange` when `indexedDB` is not given;
   * without one, reads filter the keys instead.
   */
  IDBKeyRange?: typeof IDBKeyRange
  /**
   * Coordination of the tabs sharing the database. Default: `navigator.locks` and
   * `BroadcastChannel` where both exist, else none (one client at a time). `false` turns it off;
   * `{ locks, channel }` injects them (tests, other realms).
   */
  tabs?: false | Omit<TabCoordinatorOptions, 'name'>
  /**
   * Fold the log into the batches once it holds more than this many characters of JSON. Default:
   * 4 MiB, or a quarter of what the batches hold when that is more (each counted as 256 KiB), which
   * bounds both the log a read merges and the rewriting.
   */
  compactAfterChars?: number
}

const BATCHES = 'batches'
const LOG = 'log'
const COMPACT_AFTER_CHARS = 4 * 1024 * 1024
const batchKey = (batch: { table: StoreTable; firstKey: string }): string => `${batch.table}\u0000${batch.firstKey}`

/**
 * Schema upgrades: step i takes the database from version i to i + 1, so the database version is
 * the number of steps. A v2 appends a step here; never edit a step that has shipped.
 */
const UPGRADES: ReadonlyArray<(db: IDBDatabase, tx: IDBTransaction) => void> = [
  // v1: docs, outbox, meta (one record per row)
  (db) => {
    for (const table of STORE_TABLES) db.createObjectStore(table)
  },
  // v2: the rows moved into batches, and the log
  (db, tx) => {
    db.createObjectStore(BATCHES)
    db.createObjectStore(LOG, { autoIncrement: true })
    for (const table of STORE_TABLES) {
      const store = tx.objectStore(table)
      const keys = store.getAllKeys()
      const values = store.getAll()
      // Requests of one transaction complete in order: both are done here.
      values.onsuccess = guarded(tx, () => {
        const rows = (keys.result as string[]).map((key, i): Row => [key, values.result[i] as StoredValue])
        for (const batch of toBatches(table, rows)) tx.objectStore(BATCHES).put(batch.text, batchKey(batch))
        db.deleteObjectStore(table)
      })
    }
  },
]
const VERSION = UPGRADES.length

export function indexedDbStore(options: IndexedDbStoreOptions): LocalStore {
  const name = options.name
  const label = `indexedDbStore(${JSON.stringify(name)})`
  const compactAfter = options.compactAfterChars
  if (compactAfter !== undefined && (typeof compactAfter !== 'number' || !(compactAfter >= 0))) throw invalidArgument(`${label}: compactAfterChars must be a number ≥ 0`)
  const threshold = (): number => compactAfter ?? Math.max(COMPACT_AFTER_CHARS, (batchCount * BATCH_CHARS) / 4)
  let db: IDBDatabase | undefined
  /** Why the connection went away without close(), for the next error message. */
  let lostReason: string | undefined
  /** Characters of JSON in the log (this connection's view: what it read at open and wrote since). */
  let logChars = 0
  /** Batches in the database (counted at open, kept by compactions). */
  let batchCount = 0
  const listeners = new Set<StoreErrorListener>()

  const connection = (): IDBDatabase => {
    if (db) return db
    if (lostReason) throw new PortabaseError('failed-precondition', `${label}: ${lostReason}; open() it again`, { details: { store: name } })
    throw notOpen(label)
  }

  const Range = options.IDBKeyRange ?? (options.indexedDB ? undefined : (globalThis as { IDBKeyRange?: typeof IDBKeyRange }).IDBKeyRange)
  /** One table's batches as a key range (undefined: all batches, filtered after). */
  const tableRange = (table: StoreTable): IDBKeyRange | undefined => (Range ? Range.bound(`${table}\u0000`, `${table}\u0001`, false, true) : undefined)

  /** Commits waiting for the next write transaction, and the loop running them (set while it runs). */
  let pending: PendingCommit[] = []
  let writing: Promise<void> | undefined

  const append = async (commits: readonly PendingCommit[]): Promise<void> => {
    const text = `[${commits.map((c) => c.text).join(',')}]`
    const tx = transaction(connection(), [LOG], 'readwrite', label)
    const finished = done(tx, label)
    try {
      tx.objectStore(LOG).add(text)
    } catch (error) {
      abort(tx, finished)
      throw toStoreError(error, label)
    }
    // Resolves on `complete`: with durability 'strict' that is after the data reached the disk.
    await finished
    logChars += text.length
  }

  const report = (error: unknown): void => {
    const failure = toStoreError(error, label)
    for (const listener of listeners) {
      try {
        listener(failure)
      } catch {
        // a listener's own failure is not the store's
      }
    }
  }

  const runGroups = async (): Promise<void> => {
    try {
      while (pending.length > 0) {
        const group = pending
        pending = []
        try {
          await append(group)
          for (const c of group) c.resolve()
        } catch (error) {
          if (group.length === 1) group[0]!.reject(error)
          else {
            for (const c of group) {
              try {
                await append([c])
                c.resolve()
              } catch (own) {
                c.reject(own)
              }
            }
          }
        }
        if (logChars > threshold()) {
          try {
            batchCount = await compact(connection(), label)
            logChars = 0
          } catch (error) {
            // Nothing is lost (the log still holds every commit): reported, and tried again after the next commit.
            report(error)
          }
        }
      }
    } finally {
      // In the same step as the last check of `pending`: a commit made by a caller just resolved
      // runs after this, and starts a new loop instead of waiting for this ended one.
      writing = undefined
    }
  }

  /** Resolves once the commits called so far have settled. */
  const settled = async (): Promise<void> => {
    while (writing) await writing
  }

  const lose = (reason: string): void => {
    db?.close()
    db = undefined
    lostReason = reason
  }

  return {
    name,
    tabs: () => (options.tabs === false ? undefined : tabCoordinator({ ...options.tabs, name })),
    async open() {
      if (db) return
      // Looked up here, not at creation, so merely creating the store during server-side rendering is harmless.
      const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB
      if (!factory) throw new PortabaseError('unsupported', `${label}: IndexedDB is not available in this environment`, { details: { store: name } })
      const opened = await openDatabase(factory, name, label)
      // Another tab wants a newer schema: step aside instead of blocking its upgrade forever.
      opened.onversionchange = () => lose('the database was upgraded or deleted by another connection')
      // Fired when the browser closes it (storage cleared, disk error).
      opened.onclose = () => lose('the browser closed the database')
      try {
        // What the compaction threshold starts from.
        const tx = transaction(opened, [LOG, BATCHES], 'readonly', label)
        const log = tx.objectStore(LOG).getAll()
        const count = tx.objectStore(BATCHES).count()
        await done(tx, label)
        logChars = (log.result as string[]).reduce((sum, text) => sum + text.length, 0)
        batchCount = count.result
      } catch (error) {
        opened.close()
        throw error
      }
      db = opened
      lostReason = undefined
    },

    onError(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },

    async entries(table, options) {
      checkTable(table, label)
      const prefix = checkPrefix(options, label)
      await settled() // a read sees every commit called before it
      // One transaction: the batches and the log from the same snapshot.
      const tx = transaction(connection(), [BATCHES, LOG], 'readonly', label)
      const store = tx.objectStore(BATCHES)
      const own = `${table}\u0000`
      const range = tableRange(table)
      const log = tx.objectStore(LOG).getAll()
      let texts: () => string[]
      if (range && prefix !== '') {
        // One partition: only the batches whose key range can hold the prefix are read.
        const keys = store.getAllKeys(range)
        const reads: Array<IDBRequest<unknown>> = []
        keys.onsuccess = guarded(tx, () => {
          const firstKeys = (keys.result as string[]).map((key) => key.slice(own.length))
          for (const i of batchesFor(firstKeys, prefix)) reads.push(store.get(keys.result[i]!))
        })
        texts = () => reads.map((read) => read.result as string)
      } else {
        const keys = range ? undefined : store.getAllKeys()
        const batches = store.getAll(range)
        texts = () => (batches.result as string[]).filter((_, i) => !keys || (keys.result[i] as string).startsWith(own))
      }
      await done(tx, label)
      const rows: Row[] = []
      for (const text of texts()) for (const row of parseBatch(text)) rows.push(row)
      const changes = lastChanges(parseLog(log.result as string[])).get(table)
      const merged = applyKeyChanges(rows, changes)
      return prefix === '' ? merged : merged.filter(([key]) => key.startsWith(prefix))
    },

    async commit(changes) {
      // Serialised here, before commit() returns: later changes to the caller's objects do not count.
      const checked = checkChanges(changes, label, false)
      connection()
      if (checked.length === 0) return
      const text = JSON.stringify(checked)
      return new Promise<void>((resolve, reject) => {
        pending.push({ text, resolve, reject })
        // Started a microtask later, so commits called together (Promise.all) share the first transaction.
        writing ??= Promise.resolve().then(runGroups)
      })
    },

    async close() {
      await settled()
      // IndexedDB lets transactions already started finish after close().
      db?.close()
      db = undefined
      lostReason = undefined
    },
  }
}

interface PendingCommit {
  /** The commit's changes as JSON text. */
  text: string
  resolve: () => void
  reject: (error: unknown) => void
}

/**
 * Folds the log into the batches its keys fall in, in one readwrite transaction: only the batches a
 * change touches are read, merged and rewritten (split again at ~256 KiB). Resolves with the number
 * of batches after it.
 */
async function compact(database: IDBDatabase, label: string): Promise<number> {
  const tx = transaction(database, [BATCHES, LOG], 'readwrite', label)
  const finished = done(tx, label)
  const batches = tx.objectStore(BATCHES)
  const log = tx.objectStore(LOG)
  let count = 0
  let failure: unknown
  // A callback that throws aborts the whole transaction (the log is only cleared with its batches rewritten).
  const step = (fn: () => void) =>
    guarded(tx, fn, (error) => {
      failure ??= error
    })
  try {
    // Requests run in order and each callback issues the next: the transaction stays active throughout.
    const keysRequest = batches.getAllKeys()
    const logRequest = log.getAll()
    logRequest.onsuccess = step(() => {
      const keys = keysRequest.result as string[]
      const changes = lastChanges(parseLog(logRequest.result as string[]))
      log.clear()
      for (const table of STORE_TABLES) {
        const own = `${table}\u0000`
        const tableKeys = keys.filter((key) => key.startsWith(own))
        const tableChanges = changes.get(table)
        if (!tableChanges) continue
        for (const [i, group] of changesByBatch(
          tableKeys.map((key) => key.slice(own.length)),
          tableChanges,
        )) {
          const replace = (rows: Row[], old: string | undefined): void => {
            if (old !== undefined) batches.delete(old)
            const rewritten = toBatches(table, applyKeyChanges(rows, group))
            for (const batch of rewritten) batches.put(batch.text, batchKey(batch))
            count += rewritten.length - (old === undefined ? 0 : 1)
          }
          const old = tableKeys[i]
          // No batch yet: the changes make the table's first batches.
          if (old === undefined) replace([], undefined)
          else {
            const read = batches.get(old)
            read.onsuccess = step(() => replace(parseBatch(read.result as string), old))
          }
        }
      }
      count += keys.length
    })
  } catch (error) {
    abort(tx, finished)
    throw toStoreError(error, label)
  }
  try {
    await finished
  } catch (error) {
    throw failure === undefined ? error : toStoreError(failure, label)
  }
  return count
}

/** A request callback that aborts its transaction when it throws (not every implementation does). */
function guarded(tx: IDBTransaction, fn: () => void, onError?: (error: unknown) => void): () => void {
  return () => {
    try {
      fn()
    } catch (error) {
      onError?.(error)
      try {
        tx.abort()
      } catch {
        // already aborting
      }
    }
  }
}

function abort(tx: IDBTransaction, finished: Promise<void>): void {
  try {
    tx.abort()
  } catch {
    // already aborting
  }
  finished.catch(() => {})
}

function openDatabase(factory: IDBFactory, name: string, label: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let request: IDBOpenDBRequest
    try {
      request = factory.open(name, VERSION)
    } catch (error) {
      reject(toStoreError(error, label))
      return
    }
    request.onupgradeneeded = (event) => {
      const tx = request.transaction!
      try {
        for (let version = event.oldVersion; version < VERSION; version++) UPGRADES[version]!(request.result, tx)
      } catch (error) {
        tx.abort() // the open request then fails with AbortError: no half-upgraded schema
        reject(toStoreError(error, label))
      }
    }
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(toStoreError(request.error, label))
    // onblocked: an older connection has not closed yet; ours (onversionchange above) do, so wait.
  })
}

function transaction(db: IDBDatabase, tables: string[], mode: IDBTransactionMode, label: string): IDBTransaction {
  try {
    // 'strict': Chrome's default ('relaxed') reports complete before the data is flushed, so a
    // crash right after could lose a write we already acknowledged. Ignored where unsupported.
    return db.transaction(tables, mode, { durability: 'strict' })
  } catch (error) {
    throw toStoreError(error, label)
  }
}

function done(tx: IDBTransaction, label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    // A failed request aborts the transaction by default, so abort covers errors too.
    tx.onabort = () => reject(toStoreError(tx.error ?? new Error('transaction aborted'), label))
  })
}

function toStoreError(error: unknown, label: string): PortabaseError {
  if (error instanceof PortabaseError) return error
  const domName = (error as { name?: unknown } | null)?.name
  const message = error instanceof Error ? error.message : String(error)
  const code =
    domName === 'QuotaExceededError'
      ? 'resource-exhausted'
      : domName === 'VersionError'
        ? 'failed-precondition' // the database was created by a newer version of the app
        : domName === 'InvalidStateError'
          ? 'failed-precondition' // the connection is closing or closed
          : 'internal'
  return new PortabaseError(code, `${label}: IndexedDB ${String(domName ?? 'error')}: ${message}`, { cause: error, details: { store: label } })
}

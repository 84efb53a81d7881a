/**
 * Browser LocalStore on IndexedDB, with the raw API (a few requests do not justify a dependency):
 * one database, one object store per table, string keys out of line, JSON values.
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
import { PortabaseError } from '../../errors.js'
import { STORE_TABLES, type LocalStore, type StoreChange, type StoredValue } from '../store.js'
import { tabCoordinator, type TabCoordinatorOptions } from '../tabs/coordinator.js'
import { checkChanges, checkPrefix, checkTable, notOpen, prefixEnd } from './changes.js'

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
}

/**
 * Schema upgrades: step i takes the database from version i to i + 1, so the database version is
 * the number of steps. A v2 appends a step here; never edit a step that has shipped.
 */
const UPGRADES: ReadonlyArray<(db: IDBDatabase, tx: IDBTransaction) => void> = [
  // v1: docs, outbox, meta
  (db) => {
    for (const table of STORE_TABLES) db.createObjectStore(table)
  },
]
const VERSION = UPGRADES.length

export function indexedDbStore(options: IndexedDbStoreOptions): LocalStore {
  const name = options.name
  const label = `indexedDbStore(${JSON.stringify(name)})`
  let db: IDBDatabase | undefined
  /** Why the connection went away without close(), for the next error message. */
  let lostReason: string | undefined

  const connection = (): IDBDatabase => {
    if (db) return db
    if (lostReason) throw new PortabaseError('failed-precondition', `${label}: ${lostReason}; open() it again`, { details: { store: name } })
    throw notOpen(label)
  }

  const Range = options.IDBKeyRange ?? (options.indexedDB ? undefined : (globalThis as { IDBKeyRange?: typeof IDBKeyRange }).IDBKeyRange)
  /** The keys starting with `prefix` as a key range (undefined: all keys, filtered after). */
  const keyRange = (prefix: string): IDBKeyRange | undefined => {
    if (prefix === '' || !Range) return undefined
    const end = prefixEnd(prefix)
    return end === undefined ? Range.lowerBound(prefix) : Range.bound(prefix, end, false, true)
  }

  /** Commits waiting for the next write transaction, and the loop running them (set while it runs). */
  let pending: PendingCommit[] = []
  let writing: Promise<void> | undefined

  const runGroups = async (): Promise<void> => {
    try {
      while (pending.length > 0) {
        const group = pending
        pending = []
        try {
          await write(connection(), group.flatMap((c) => c.changes), label)
          for (const c of group) c.resolve()
        } catch (error) {
          if (group.length === 1) group[0]!.reject(error)
          else {
            for (const c of group) {
              try {
                await write(connection(), c.changes, label)
                c.resolve()
              } catch (own) {
                c.reject(own)
              }
            }
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
      db = opened
      lostReason = undefined
    },

    async entries(table, options) {
      checkTable(table, label)
      const prefix = checkPrefix(options, label)
      await settled() // a read sees every commit called before it
      const tx = transaction(connection(), [table], 'readonly', label)
      const store = tx.objectStore(table)
      const range = keyRange(prefix)
      // One transaction: keys and values come from the same snapshot, both in key order.
      const keys = store.getAllKeys(range)
      const values = store.getAll(range)
      await done(tx, label)
      const valueList = values.result as StoredValue[]
      const out: Array<[string, StoredValue]> = []
      for (const [i, key] of (keys.result as string[]).entries()) if (range || key.startsWith(prefix)) out.push([key, valueList[i]!])
      return out
    },

    async commit(changes) {
      const checked = checkChanges(changes, label)
      connection()
      if (checked.length === 0) return
      return new Promise<void>((resolve, reject) => {
        pending.push({ changes: checked, resolve, reject })
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
  changes: StoreChange[]
  resolve: () => void
  reject: (error: unknown) => void
}

/** One readwrite transaction applying `changes` in order; resolves on `complete`. */
async function write(database: IDBDatabase, changes: readonly StoreChange[], label: string): Promise<void> {
  const tables = [...new Set(changes.map((change) => change.table))]
  const tx = transaction(database, tables, 'readwrite', label)
  const finished = done(tx, label)
  try {
    for (const change of changes) {
      const store = tx.objectStore(change.table)
      if ('delete' in change) store.delete(change.key)
      else store.put(change.value, change.key)
    }
  } catch (error) {
    try {
      tx.abort()
    } catch {
      // already aborting
    }
    finished.catch(() => {})
    throw toStoreError(error, label)
  }
  // Resolves on `complete`: with durability 'strict' that is after the data reached the disk.
  await finished
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

/**
 * The reference LocalStore: three Maps. Nothing survives the process, but the data survives
 * close() + open() of the same object, which lets tests simulate an app restart.
 *
 * Rows are kept as JSON text, not as objects: the text is the store's copy (about the data's JSON
 * size; the engine's cache holds the one decoded copy), and parsing it on the way out hands every
 * reader a fresh copy that cannot change the store.
 */
import { STORE_TABLES, type LocalStore, type StoredValue, type StoreTable } from '../store.js'
import { checkChanges, checkPrefix, checkTable, notOpen, prefixEnd } from './changes.js'

export interface MemoryStoreOptions {
  /** Shown in errors. Default `memory`. */
  name?: string
}

interface Table {
  rows: Map<string, string>
  /** The keys in order, kept until a key is added or removed (overwrites keep the order). */
  sorted: string[] | undefined
}

export function memoryStore(options: MemoryStoreOptions = {}): LocalStore {
  const name = options.name ?? 'memory'
  const label = `memoryStore(${JSON.stringify(name)})`
  const tables = new Map<StoreTable, Table>(STORE_TABLES.map((table) => [table, { rows: new Map(), sorted: undefined }]))
  let isOpen = false

  return {
    name,
    async open() {
      isOpen = true
    },
    async entries(table, options) {
      if (!isOpen) throw notOpen(label)
      const t = tables.get(checkTable(table, label))!
      const prefix = checkPrefix(options, label)
      const keys = (t.sorted ??= [...t.rows.keys()].sort())
      const end = prefixEnd(prefix)
      const out: Array<[string, StoredValue]> = []
      for (let i = prefix === '' ? 0 : lowerBound(keys, prefix); i < keys.length && (end === undefined || keys[i]! < end); i++) {
        out.push([keys[i]!, JSON.parse(t.rows.get(keys[i]!)!) as StoredValue])
      }
      return out
    },
    async commit(changes) {
      if (!isOpen) throw notOpen(label)
      // Validate every change before applying any: all or nothing. Not copied: kept as JSON text at once.
      for (const change of checkChanges(changes, label, false)) {
        const t = tables.get(change.table)!
        if ('delete' in change) {
          if (t.rows.delete(change.key)) t.sorted = undefined
        } else {
          if (!t.rows.has(change.key)) t.sorted = undefined
          t.rows.set(change.key, JSON.stringify(change.value))
        }
      }
    },
    async close() {
      isOpen = false
    },
  }
}

/** The first index whose key is ≥ `key`. */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (keys[mid]! < key) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * The reference LocalStore: three Maps. Nothing survives the process, but the data survives
 * close() + open() of the same object, which lets tests simulate an app restart.
 */
import { STORE_TABLES, type LocalStore, type StoredValue, type StoreTable } from '../store.js'
import { applyChange, checkChanges, checkTable, copyValue, notOpen } from './changes.js'

export interface MemoryStoreOptions {
  /** Shown in errors. Default `memory`. */
  name?: string
}

export function memoryStore(options: MemoryStoreOptions = {}): LocalStore {
  const name = options.name ?? 'memory'
  const label = `memoryStore(${JSON.stringify(name)})`
  const tables = new Map<StoreTable, Map<string, StoredValue>>(STORE_TABLES.map((table) => [table, new Map()]))
  let isOpen = false

  return {
    name,
    async open() {
      isOpen = true
    },
    async entries(table) {
      if (!isOpen) throw notOpen(label)
      const rows = tables.get(checkTable(table, label))!
      // Copies on the way out too: a caller mutating what it read must not change the store.
      return [...rows.keys()].sort().map((key) => [key, copyValue(rows.get(key), key, label)])
    },
    async commit(changes) {
      if (!isOpen) throw notOpen(label)
      // Validate (and copy) every change before applying any: all or nothing.
      for (const change of checkChanges(changes, label)) applyChange(tables.get(change.table)!, change)
    },
    async close() {
      isOpen = false
    },
  }
}

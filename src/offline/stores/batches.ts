/**
 * A table kept as batches of rows (the IndexedDB store's layout, indexeddb.ts): each batch a sorted
 * run of `[key, value]` rows stored as one JSON text, found by its first key; changes since the last
 * compaction kept apart in a log and merged into the rows they touch. A browser's IndexedDB costs per
 * record, whatever its size: 100k documents as one record each took ≈ 28 s to write in Chromium,
 * as 400 records of 250 ≈ 0.6 s (bench/RESULTS.md). Pure functions: no IndexedDB here.
 */
import type { StoreChange, StoredValue, StoreTable } from '../store.js'
import { prefixEnd } from './changes.js'

export type Row = [string, StoredValue]

/** A batch as stored: its table, its first key, and its rows' JSON text. */
export interface StoredBatch {
  table: StoreTable
  firstKey: string
  text: string
}

/** Payload of one batch (JSON characters): the unit of reading and rewriting. */
export const BATCH_CHARS = 256 * 1024

/** A change of one key: its new value, or DELETED. */
export const DELETED: unique symbol = Symbol('deleted')
export type KeyChange = StoredValue | typeof DELETED

/** Per table, the last change of each key in `commits` (applied in order). */
export function lastChanges(commits: Iterable<readonly StoreChange[]>): Map<StoreTable, Map<string, KeyChange>> {
  const out = new Map<StoreTable, Map<string, KeyChange>>()
  for (const changes of commits) {
    for (const change of changes) {
      let table = out.get(change.table)
      if (!table) out.set(change.table, (table = new Map()))
      table.set(change.key, 'delete' in change ? DELETED : change.value)
    }
  }
  return out
}

/**
 * `rows` (sorted by key, UTF-16 code units) with `changes` applied, still sorted. `rows` is not
 * modified.
 */
export function applyKeyChanges(rows: readonly Row[], changes: ReadonlyMap<string, KeyChange> | undefined): Row[] {
  if (!changes || changes.size === 0) return rows as Row[]
  const merged: Row[] = []
  const seen = new Set<string>()
  for (const row of rows) {
    const change = changes.get(row[0])
    if (change === undefined) merged.push(row)
    else {
      seen.add(row[0])
      if (change !== DELETED) merged.push([row[0], change])
    }
  }
  const added: Row[] = []
  for (const [key, change] of changes) if (change !== DELETED && !seen.has(key)) added.push([key, change])
  if (added.length === 0) return merged
  added.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  // Two sorted runs into one.
  const out: Row[] = []
  let i = 0
  let j = 0
  while (i < merged.length && j < added.length) out.push(merged[i]![0] < added[j]![0] ? merged[i++]! : added[j++]!)
  while (i < merged.length) out.push(merged[i++]!)
  while (j < added.length) out.push(added[j++]!)
  return out
}

/** Sorted rows as batches of about BATCH_CHARS each (one row may exceed it). */
export function toBatches(table: StoreTable, rows: readonly Row[]): StoredBatch[] {
  const batches: StoredBatch[] = []
  let texts: string[] = []
  let chars = 0
  let firstKey = ''
  const close = (): void => {
    if (texts.length === 0) return
    batches.push({ table, firstKey, text: `[${texts.join(',')}]` })
    texts = []
    chars = 0
  }
  for (const [key, value] of rows) {
    const text = JSON.stringify([key, value])
    if (texts.length > 0 && chars + text.length > BATCH_CHARS) close()
    if (texts.length === 0) firstKey = key
    texts.push(text)
    chars += text.length + 1
  }
  close()
  return batches
}

export function parseBatch(text: string): Row[] {
  return JSON.parse(text) as Row[]
}

/** The log's records (each the JSON text of a group of commits), as the commits in order. */
export function parseLog(texts: readonly string[]): StoreChange[][] {
  return texts.flatMap((text) => JSON.parse(text) as StoreChange[][])
}

/**
 * `changes` grouped by the batch each key falls in (index into `firstKeys`, the batches' first keys
 * ascending): the batch whose first key is the greatest not above the key; a key before every batch
 * falls in the first. With no batches, everything falls in index 0. Each batch is then rewritten on
 * its own, so rewritten rows never cross into another batch's range.
 */
export function changesByBatch(firstKeys: readonly string[], changes: ReadonlyMap<string, KeyChange>): Map<number, Map<string, KeyChange>> {
  const out = new Map<number, Map<string, KeyChange>>()
  for (const [key, change] of changes) {
    let low = 0
    let high = firstKeys.length - 1
    let at = 0
    while (low <= high) {
      const mid = (low + high) >> 1
      if (firstKeys[mid]! <= key) {
        at = mid
        low = mid + 1
      } else high = mid - 1
    }
    let group = out.get(at)
    if (!group) out.set(at, (group = new Map()))
    group.set(key, change)
  }
  return out
}

/**
 * The batches (indexes into `firstKeys`, ascending) that can hold a key starting with `prefix`:
 * batch i holds keys in [firstKeys[i], firstKeys[i + 1]), the keys with the prefix are in
 * [prefix, prefixEnd(prefix)).
 */
export function batchesFor(firstKeys: readonly string[], prefix: string): number[] {
  const end = prefixEnd(prefix)
  const out: number[] = []
  for (let i = 0; i < firstKeys.length; i++) {
    const next = firstKeys[i + 1]
    if ((next === undefined || next > prefix) && (end === undefined || firstKeys[i]! < end)) out.push(i)
  }
  return out
}

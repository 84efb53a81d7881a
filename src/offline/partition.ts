/**
 * One user per queue: the store holds one partition per user (and one for the signed-out
 * "guest"), each with its own cached documents, outbox and checkpoints, under a key prefix. The
 * engine reads and writes only the partition of the user signed in now, so a queued write is sent
 * only under the session of the user who made it, and no user reads another's local documents.
 */
import { outboxKey, withStoredBase } from './cache.js'
import { STORE_TABLES, type LocalStore, type StoreChange, type StoredValue, type StoreTable } from './store.js'

/** Where a store written before partitions (schema 1) keeps its data until the first user adopts it. */
export const LEGACY_PREFIX = 'legacy/'
const GUEST_PREFIX = 'guest/'
const USER_PREFIX = 'u:'

/** The key prefix of a user's partition (null: signed out). `/` is escaped, so no prefix extends another. */
export function partitionPrefix(uid: string | null): string {
  return uid === null ? GUEST_PREFIX : `${USER_PREFIX}${encodeURIComponent(uid)}/`
}

/** The uid a stored key belongs to (null: guest), or undefined for keys outside any user's partition. */
export function uidOfKey(key: string): string | null | undefined {
  if (key.startsWith(GUEST_PREFIX)) return null
  if (!key.startsWith(USER_PREFIX)) return undefined
  const end = key.indexOf('/', USER_PREFIX.length)
  return end < 0 ? undefined : decodeURIComponent(key.slice(USER_PREFIX.length, end))
}

/** The store as one partition sees it: its keys without the prefix. Opening and closing stay with the engine. */
export function partitionView(store: LocalStore, prefix: string): LocalStore {
  return {
    name: store.name,
    open: async () => undefined,
    close: async () => undefined,
    async entries(table, options) {
      const within = prefix + (options?.prefix ?? '')
      const out: Array<[string, StoredValue]> = []
      // The store reads only the partition where it can (a key range); older stores return every key.
      for (const [key, value] of await store.entries(table, { prefix: within })) if (key.startsWith(within)) out.push([key.slice(prefix.length), value])
      return out
    },
    commit: (changes) => store.commit(changes.map((change) => ({ ...change, key: prefix + change.key }))),
  }
}

/**
 * Hands one partition's queue to another (an anonymous user who signed up; a legacy store's first
 * user), in one commit. The queued writes go after the target's own, in their order. Cached
 * documents and checkpoints move too when the target has none; otherwise they are dropped (the
 * target pulls its own view).
 */
export async function movePartition(store: LocalStore, from: string, to: string): Promise<void> {
  const source = await readAll(store, from)
  if (source.size === 0) return
  const target = await readAll(store, to)
  const keepAll = target.size === 0
  let seq = 0
  for (const [key, value] of target.get('outbox') ?? []) seq = Math.max(seq, Number(key) || 0, Number((value as { s?: number }).s) || 0)
  // Queued writes moved without their documents carry their bases in full (their rows stay behind).
  const docs = keepAll ? undefined : new Map(source.get('docs'))
  const changes: StoreChange[] = []
  for (const table of STORE_TABLES) {
    for (const [key, value] of source.get(table) ?? []) {
      changes.push({ table, key: from + key, delete: true })
      if (table === 'outbox') {
        seq += 1
        const moved = docs === undefined ? value : withStoredBase(value, docs)
        changes.push({ table, key: to + outboxKey(seq), value: { ...(moved as Record<string, StoredValue>), s: seq } })
      } else if (keepAll) {
        changes.push({ table, key: to + key, value })
      }
    }
  }
  await store.commit(changes)
}

/** Deletes a partition, in one commit; returns what it held. */
export async function dropPartition(store: LocalStore, prefix: string): Promise<Map<StoreTable, Array<[string, StoredValue]>>> {
  const content = await readAll(store, prefix)
  const changes: StoreChange[] = []
  for (const [table, rows] of content) for (const [key] of rows) changes.push({ table, key: prefix + key, delete: true })
  if (changes.length > 0) await store.commit(changes)
  return content
}

/** The partition's rows per table (tables without rows left out). */
async function readAll(store: LocalStore, prefix: string): Promise<Map<StoreTable, Array<[string, StoredValue]>>> {
  const view = partitionView(store, prefix)
  const out = new Map<StoreTable, Array<[string, StoredValue]>>()
  for (const table of STORE_TABLES) {
    const rows = await view.entries(table)
    if (rows.length > 0) out.set(table, rows)
  }
  return out
}

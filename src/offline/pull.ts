/**
 * Pull: brings the server's documents into the cache. `delta` asks the SyncService for changes after
 * the collection's checkpoint (updateTime, id), deletions arriving as tombstones; `full` reads the
 * whole feed and drops local documents the server no longer has; `{ query }` reads only matching
 * documents (the server filters) and drops the rest. Each page is committed with its checkpoint in
 * one store commit, so an interrupted pull resumes where it stopped.
 */
import { isPortabaseError } from '../errors.js'
import { cursorOf } from '../query/evaluate.js'
import { withIdOrder, type Query } from '../query/model.js'
import type { DocumentsService, SyncCheckpoint, SyncRecord, SyncService } from '../spi.js'
import { docKey, serverStateOf, type LocalCache, type ServerState } from './cache.js'
import type { LocalStore, StoreChange, StoredValue } from './store.js'
import type { SyncMode } from './types.js'

const CHECKPOINT_PREFIX = 'checkpoint/'

export interface PullContext {
  /** Runs a read-cache → commit → apply-to-cache step alone (no local write interleaves with it). */
  locked<T>(step: () => Promise<T>): Promise<T>
  /** Throws once another user signed in: nothing read under their session lands in this partition. */
  checkUser(): void
  sync: SyncService
  documents: DocumentsService
  store: LocalStore
  cache: LocalCache
  checkpoints: Map<string, SyncCheckpoint>
  pageSize: number
  collection: string
  mode: SyncMode
}

export function readCheckpoints(meta: ReadonlyArray<[string, StoredValue]>): Array<[string, SyncCheckpoint]> {
  const out: Array<[string, SyncCheckpoint]> = []
  for (const [key, value] of meta) {
    if (!key.startsWith(CHECKPOINT_PREFIX) || value === null || typeof value !== 'object') continue
    const { t, id, p } = value as { t: number; id: string; p?: string }
    out.push([key.slice(CHECKPOINT_PREFIX.length), { updateTime: new Date(t), id, ...(p !== undefined ? { position: p } : {}) }])
  }
  return out
}

/** Pulls one collection; resolves the number of documents fetched. */
export async function pullCollection(ctx: PullContext): Promise<number> {
  if (ctx.mode === 'delta') return pullDelta(ctx)
  if (ctx.mode === 'full') return pullFeed(ctx, null, true)
  return pullQuery(ctx, ctx.mode.query)
}

async function pullDelta(ctx: PullContext): Promise<number> {
  try {
    return await pullFeed(ctx, ctx.checkpoints.get(ctx.collection) ?? null, false)
  } catch (error) {
    // Tombstones after our checkpoint may be gone: only a full pull is safe now.
    if (isPortabaseError(error, 'failed-precondition') && error.details?.reason === 'checkpoint-expired') return pullFeed(ctx, null, true)
    throw error
  }
}

async function pullFeed(ctx: PullContext, from: SyncCheckpoint | null, evictUnseen: boolean): Promise<number> {
  let after = from
  let fetched = 0
  const seen = new Set<string>()
  for (;;) {
    const records = await ctx.sync.changes(ctx.collection, after, ctx.pageSize)
    fetched += records.length
    if (records.length === 0) break
    for (const r of records) seen.add(r.id)
    const last = records[records.length - 1]!
    after = { updateTime: last.updateTime, id: last.id, ...(last.position !== undefined ? { position: last.position } : {}) }
    await commitPage(ctx, statesOf(ctx.collection, records), after)
    if (records.length < ctx.pageSize) break
  }
  if (evictUnseen) {
    const gone = new Map<string, ServerState | undefined>()
    for (const id of ctx.cache.ids(ctx.collection)) if (!seen.has(id)) gone.set(docKey(ctx.collection, id), undefined)
    await commitPage(ctx, gone, after)
  }
  return fetched
}

/**
 * Fetches named documents (ids a live event reported) and applies what the server holds: the
 * record, or a deletion for a tombstone or an id the server no longer has. Delta sync orders by
 * updateTime, and a backend that stamps it before the commit (Parse) can commit a change after a
 * later-stamped one was read, which the checkpoint then skips; the live event still names it.
 * Leaves the checkpoint alone.
 */
export async function pullIds(ctx: PullContext, ids: readonly string[]): Promise<number> {
  let fetched = 0
  for (let at = 0; at < ids.length; at += ctx.pageSize) {
    const chunk = ids.slice(at, at + ctx.pageSize)
    const records = new Map((await ctx.sync.fetch(ctx.collection, chunk)).map((r) => [r.id, r]))
    fetched += records.size
    const states = new Map<string, ServerState | undefined>()
    for (const id of chunk) {
      const record = records.get(id)
      states.set(docKey(ctx.collection, id), record === undefined || record.data === null ? undefined : serverStateOf(record))
    }
    await commitPage(ctx, states, null)
  }
  return fetched
}

async function pullQuery(ctx: PullContext, query: Query): Promise<number> {
  const orderBy = withIdOrder(query.orderBy)
  const seen = new Set<string>()
  let fetched = 0
  let startAfter: Query['startAfter']
  for (;;) {
    const page: Query = { filters: query.filters, orderBy, limit: ctx.pageSize }
    if (startAfter) page.startAfter = startAfter
    const docs = await ctx.documents.query(ctx.collection, page)
    fetched += docs.length
    const states = new Map<string, ServerState | undefined>()
    for (const doc of docs) {
      seen.add(doc.id)
      // The version is the same string the SyncService reports, so conflict detection still works.
      states.set(docKey(ctx.collection, doc.id), { data: doc.data, version: doc.meta.version, writeId: null, updateTime: doc.meta.updateTime })
    }
    await commitPage(ctx, states, null)
    if (docs.length < ctx.pageSize) break
    startAfter = cursorOf(docs[docs.length - 1]!, orderBy)
  }
  const gone = new Map<string, ServerState | undefined>()
  for (const id of ctx.cache.ids(ctx.collection)) if (!seen.has(id)) gone.set(docKey(ctx.collection, id), undefined)
  await commitPage(ctx, gone, null)
  return fetched
}

function statesOf(collection: string, records: readonly SyncRecord[]): Map<string, ServerState | undefined> {
  return new Map(records.map((r) => [docKey(collection, r.id), r.data === null ? undefined : serverStateOf(r)]))
}

async function commitPage(ctx: PullContext, states: ReadonlyMap<string, ServerState | undefined>, checkpoint: SyncCheckpoint | null): Promise<void> {
  if (states.size === 0 && checkpoint === null) return
  await ctx.locked(async () => {
    ctx.checkUser()
    const settle = ctx.cache.prepareSettle({ states })
    const changes: StoreChange[] = settle.changes
    if (checkpoint) {
      const value = { t: checkpoint.updateTime.getTime(), id: checkpoint.id, ...(checkpoint.position !== undefined ? { p: checkpoint.position } : {}) }
      changes.push({ table: 'meta', key: CHECKPOINT_PREFIX + ctx.collection, value })
    }
    await ctx.store.commit(changes)
    settle.apply()
    if (checkpoint) ctx.checkpoints.set(ctx.collection, checkpoint)
  })
}

/**
 * Pull: brings the server's documents into the cache. Every mode follows the SyncService's change
 * feed after the collection's checkpoint (updateTime, id), deletions arriving as tombstones, so an
 * unchanged document is not downloaded again:
 * - `delta`: the feed, and nothing else;
 * - `full`: the first pull of a session (and one after the checkpoint expired) reads the whole feed
 *   and drops local documents the server no longer has (a deletion whose tombstone was purged, a
 *   document the read rules now hide, a change an inexact feed skipped); later pulls follow the feed;
 * - `{ query }`: the first pull of a session reads the matching documents (the server filters) and
 *   drops the rest; later pulls follow the feed and keep, of each changed document, only what matches
 *   the query, evaluated on the device under the adapter's declared semantics (a document that
 *   stopped matching is dropped).
 * Each page is committed with its checkpoint in one store commit, so an interrupted pull resumes
 * where it stopped.
 */
import { isPortabaseError } from '../errors.js'
import { cursorOf, type Predicate } from '../query/evaluate.js'
import { withIdOrder, type Query } from '../query/model.js'
import type { DocumentsService, SyncCheckpoint, SyncRecord, SyncService } from '../spi.js'
import type { Doc } from '../types.js'
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
  /** `{ query }` mode: the query as the adapter evaluates it (declared semantics), for feed records. */
  selection?: Predicate
  /** Collections read in full in this session (full and query modes; see the file comment). */
  reconciled: Set<string>
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
  if (ctx.mode === 'delta' || (ctx.reconciled.has(ctx.collection) && ctx.checkpoints.has(ctx.collection))) return pullDelta(ctx)
  return pullComplete(ctx)
}

/** Reads the whole selection (the feed, or the query) and drops what the server no longer has. */
async function pullComplete(ctx: PullContext): Promise<number> {
  const fetched = typeof ctx.mode === 'object' ? await pullQuery(ctx, ctx.mode.query) : await pullFeed(ctx, null, true)
  ctx.reconciled.add(ctx.collection)
  return fetched
}

async function pullDelta(ctx: PullContext): Promise<number> {
  try {
    return await pullFeed(ctx, ctx.checkpoints.get(ctx.collection) ?? null, false)
  } catch (error) {
    // Tombstones after our checkpoint may be gone: only a complete pull is safe now.
    if (isPortabaseError(error, 'failed-precondition') && error.details?.reason === 'checkpoint-expired') return pullComplete(ctx)
    throw error
  }
}

async function pullFeed(ctx: PullContext, from: SyncCheckpoint | null, evictUnseen: boolean): Promise<number> {
  let after = from
  let fetched = 0
  const seen = new Set<string>()
  let next: Promise<SyncRecord[]> | undefined = ctx.sync.changes(ctx.collection, after, ctx.pageSize)
  while (next !== undefined) {
    const records: SyncRecord[] = await next
    next = undefined
    fetched += records.length
    if (records.length === 0) break
    for (const r of records) seen.add(r.id)
    const last = records[records.length - 1]!
    after = { updateTime: last.updateTime, id: last.id, ...(last.position !== undefined ? { position: last.position } : {}) }
    if (records.length === ctx.pageSize) {
      // The next page is read while this one commits (its fsync): a read changes nothing, and
      // pages still land in order, each after the user check of its own commit.
      next = ctx.sync.changes(ctx.collection, after, ctx.pageSize)
      next.catch(() => undefined) // awaited below; unobserved only when this page's commit fails
    }
    await commitPage(ctx, statesOf(ctx, records), after)
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
      states.set(docKey(ctx.collection, id), record === undefined ? undefined : stateOf(ctx, record))
    }
    await commitPage(ctx, states, null)
  }
  return fetched
}

async function pullQuery(ctx: PullContext, query: Query): Promise<number> {
  const orderBy = withIdOrder(query.orderBy)
  const seen = new Set<string>()
  let fetched = 0
  let newest: Doc | undefined
  let startAfter: Query['startAfter']
  for (;;) {
    const page: Query = { filters: query.filters, orderBy, limit: ctx.pageSize }
    if (startAfter) page.startAfter = startAfter
    const docs = await ctx.documents.query(ctx.collection, page)
    fetched += docs.length
    const states = new Map<string, ServerState | undefined>()
    for (const doc of docs) {
      seen.add(doc.id)
      if (!newest || doc.meta.updateTime > newest.meta.updateTime) newest = doc
      // The version is the same string the SyncService reports, so conflict detection still works.
      states.set(docKey(ctx.collection, doc.id), { data: doc.data, version: doc.meta.version, writeId: null, updateTime: doc.meta.updateTime })
    }
    await commitPage(ctx, states, null)
    if (docs.length < ctx.pageSize) break
    startAfter = cursorOf(docs[docs.length - 1]!, orderBy)
  }
  const gone = new Map<string, ServerState | undefined>()
  for (const id of ctx.cache.ids(ctx.collection)) if (!seen.has(id)) gone.set(docKey(ctx.collection, id), undefined)
  await commitPage(ctx, gone, newest ? await feedPosition(ctx, newest) : null)
  return fetched
}

/**
 * A feed checkpoint no later than the query read: the feed record of the newest document read, if
 * it has not changed since (the feed from there on repeats a few changes, misses none).
 */
async function feedPosition(ctx: PullContext, doc: Doc): Promise<SyncCheckpoint | null> {
  const record = (await ctx.sync.fetch(ctx.collection, [doc.id])).find((r) => r.id === doc.id)
  if (!record || record.version !== doc.meta.version) return null
  return { updateTime: record.updateTime, id: record.id, ...(record.position !== undefined ? { position: record.position } : {}) }
}

/** A record's server state for this collection: undefined for a deletion, or one outside the selection. */
function stateOf(ctx: PullContext, r: SyncRecord): ServerState | undefined {
  if (r.data === null || (ctx.selection !== undefined && !ctx.selection({ id: r.id, data: r.data }))) return undefined
  return serverStateOf(r)
}

function statesOf(ctx: PullContext, records: readonly SyncRecord[]): Map<string, ServerState | undefined> {
  return new Map(records.map((r) => [docKey(ctx.collection, r.id), stateOf(ctx, r)]))
}

async function commitPage(ctx: PullContext, states: ReadonlyMap<string, ServerState | undefined>, checkpoint: SyncCheckpoint | null): Promise<void> {
  if (states.size === 0 && checkpoint === null) return
  await ctx.locked(async () => {
    ctx.checkUser()
    const settle = ctx.cache.prepareSettle({ states: held(ctx, states) })
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

/** The states without deletions of documents this device holds no server state of (a feed's tombstones of strangers, changes outside a selection). */
function held(ctx: PullContext, states: ReadonlyMap<string, ServerState | undefined>): Map<string, ServerState | undefined> {
  const out = new Map<string, ServerState | undefined>()
  const prefix = ctx.collection.length + 1
  for (const [key, state] of states) if (state !== undefined || ctx.cache.holds(ctx.collection, key.slice(prefix))) out.set(key, state)
  return out
}

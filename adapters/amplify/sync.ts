/**
 * The SyncService of the Amplify adapter (src/spi.ts): what the offline engine calls to push queued
 * writes and pull changes, on the models `portabaseModels` builds (schema.ts), through the documents
 * service's client, session and storage format (documents.ts).
 *
 * - writeIds: every write through the adapter records its writeId in `pbWriteId` (null: none);
 *   `SyncRecord.writeId` reads it back.
 * - tombstones: a deletion is an update to `pbDeleted = true` (declared fields REMOVEd), so the item
 *   stays in the table, with the deletion's `updatedAt` and writeId; re-creating the document turns
 *   the same item back. One item per document: nothing to merge or supersede.
 * - version = `Doc.meta.version` as documents.ts produces it (`updatedAt`, milliseconds).
 *
 * fetch(ids): one `get<Model>` per id (8 at a time), tombstones included; an item the owner rule
 * hides (`Unauthorized`) is absent, as with `readRules: 'filter'`.
 *
 * changes(after, limit): the `pbFeed` index (partition `pbPart` = 'all', sort key the string
 * `updatedAt#id`: fixed-width ISO times, so string order is (updatedAt, id) order), ascending, with
 * the key condition `updatedAtId > …`, following `nextToken` until `limit` records (no filter, so
 * DynamoDB's limit-before-filter only cuts pages short for owner collections, whose auth filter
 * hides other users' items). Tombstones are in it (data null).
 *
 * Late writes. A feed ordered by a server timestamp can miss a write stamped before a record the
 * reader already passed: AppSync stamps `updatedAt` in the resolver before DynamoDB commits, several
 * resolvers stamp concurrently, and the pbFeed index is a GSI, eventually consistent, filled item by
 * item in no guaranteed order. Parse's adapter leaves this to the engine (it fetches the ids live
 * events name; a full sync catches the rest); Supabase's never hands out a position a running
 * transaction could slip behind. Here, the records carry a `position` (handed back in the
 * checkpoint) that makes the next `changes()` read again from a *settled* point instead of from the
 * checkpoint:
 * - settled: every record stamped more than `feedLagMs` (default 10 s) before the read is in the
 *   index by the time of the read. The read time is bounded from below without trusting the
 *   device's clock: the newest `updatedAt` this adapter has seen plus the monotonic time elapsed
 *   since (ServerClock), and the `updatedAt`s of the first page read.
 * - the position holds the settled key S and a digest (32-bit hashes of the exact item states) of
 *   the records after S the reader already has. `changes()` reads from S and skips the items in the
 *   digest, so a write that shows up late, behind the checkpoint, is delivered on the next call,
 *   and nothing is delivered twice. Positions stay small: records older than `feedLagMs` are
 *   settled (exact key, no digest), and at most DIGEST_MAX records are kept (the oldest beyond are
 *   taken as settled: a burst of more unsettled writes than that is protected only in part).
 * - a checkpoint without a position (built from a record's (updateTime, id) alone) is exact:
 *   strictly after it, as the SPI says. An unreadable position counts as absent.
 * Not protected: a write that takes longer than `feedLagMs` to reach the index, and a client that
 * sets `updatedAt` itself (the model's input accepts it; portabase never sends it). The engine's
 * live watches (it fetches the ids they name) and its full sync remain the backstop.
 *
 * Checkpoint expiry: the adapter never purges tombstones, so by default no checkpoint expires. An
 * app that purges them (a scheduled job deleting items with `pbDeleted = true` older than N days,
 * or a DynamoDB TTL attribute it sets itself) passes `tombstoneTtlMs` = N days: `changes()` then
 * refuses older checkpoints with `failed-precondition` (details.reason 'checkpoint-expired'), and
 * the engine syncs in full.
 *
 * write(ops): each op on its own, in order, one outcome each; exactly once per writeId:
 * - the item is read first: when its `pbWriteId` is this op's writeId, the write was applied (an
 *   earlier attempt whose answer was lost) and is answered ok without writing again;
 * - every mutation carries the condition `NOT pbWriteId = <writeId>` (a NOT of `=` holds for a
 *   missing attribute on DynamoDB and dynalite alike), so two replays racing each other cannot both
 *   apply: the loser fails its condition, reads again, finds its writeId and answers ok;
 * - create: missing → create; a tombstone → brought back (condition `pbDeleted = true`); live →
 *   already-exists. set: missing → create, else a full replacement. update: missing or a tombstone →
 *   not-found; a null or deleteField() rewrites `pbNulls` (condition `updatedAt` unchanged). delete:
 *   live → tombstone; missing or already a tombstone → ok (no new tombstone, as in memory).
 *   A failed condition (someone wrote in between) reads again and decides again, 3 times at most
 *   (then `conflict`, which the engine retries).
 * - another owner's item → permission-denied (an owner rule answers `Unauthorized`); data the
 *   model does not declare, wrong types, NaN → invalid-argument; sentinels other than deleteField()
 *   (increment, arrayUnion/arrayRemove, serverTimestamp: capabilities false) → unsupported, as
 *   documents.write; a collection not in `amplify({ collections })` → failed-precondition.
 * - the call rejects as a whole (the rest not attempted) on request failures: unavailable,
 *   cancelled, deadline-exceeded, resource-exhausted.
 * - a write that fails in a way a retry may mend (internal, conflict: not a rejection) holds back
 *   the later writes to the same document in the call: they are not attempted and fail the same
 *   way, so the engine sends them again after it, in order (else an update could run before the
 *   create it follows, and be rejected as not-found).
 * AppSync's own conflict detection (`_version`, the Sync/DeltaSync tables of DataStore) is not used:
 * the simulator does not run it, and portabase's models do not enable it.
 */
import { PortabaseError, toPortabaseError, type ErrorCode } from '../../src/errors.js'
import type { CallOptions, SyncCheckpoint, SyncRecord, SyncService, SyncWrite, SyncWriteOutcome } from '../../src/spi.js'
import { assertChangesLimit, assertCheckpointFresh, assertSyncWrite, isPermanentFailure } from '../../src/sync-kit.js'
import { assertDocId } from '../../src/values.js'
import type { AmplifyDocuments } from './documents.js'
import { PAGE_FLOOR, PAGE_MAX, tombstoneInput, updateInput } from './documents.js'
import { amplifyError, dataErrorTypeOf, mapDataError, PROVIDER, UNAUTHORIZED } from './errors.js'
import { decodeItem, encodeWrite, feedFieldOf, getDocument, isTombstone, listFeed, type Item, type ModelInfo } from './graphql.js'
import { PARTITION } from './schema.js'

export interface AmplifySyncOptions {
  /**
   * How long tombstones are kept, when the app purges them (the adapter never does): `changes()`
   * refuses checkpoints older than this. Default: Infinity (never purged, no checkpoint expires).
   */
  tombstoneTtlMs?: number
  /**
   * How long after its `updatedAt` a write may take to show in the pbFeed index (resolver to commit,
   * GSI propagation, resolver clocks). `changes()` reads that much of the feed again behind each
   * position so late writes are still delivered (see the file comment). Default 10 000.
   */
  feedLagMs?: number
}

/** Records after the settled key a position remembers at most. */
export const DIGEST_MAX = 256
const WRITE_ATTEMPTS = 3
const FETCH_CONCURRENCY = 8
/** Position format version. */
const POSITION_VERSION = '1'
const HASH_WIDTH = 7

/** Codes that mean the request failed, not the write: the whole `write()` call rejects. */
const REQUEST_FAILURES = new Set<ErrorCode>(['unavailable', 'cancelled', 'deadline-exceeded', 'resource-exhausted'])

/** A place in the feed: (time ms, id); id '' is the boundary before every record of that millisecond. */
interface FeedKey {
  t: number
  id: string
}

const compareKeys = (a: FeedKey, b: FeedKey): number => a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
const maxKey = (a: FeedKey, b: FeedKey): FeedKey => (compareKeys(a, b) >= 0 ? a : b)

/** A record read from the feed: its key, the hash of its exact state, and whether the reader had it (position digest). */
interface Known {
  key: FeedKey
  hash: string
  had: boolean
}

type Probe = { state: 'missing' } | { state: 'forbidden' } | { state: 'tombstone'; item: Item } | { state: 'live'; item: Item }

/**
 * A lower bound of the server's clock: the newest `updatedAt` seen, plus the monotonic time elapsed
 * since it arrived. Never the device's wall clock; a suspended process only makes it lower.
 */
class ServerClock {
  /** max(updatedAt − monotonic time of arrival) over everything seen. */
  private offset = -Infinity

  observe(iso: unknown): void {
    if (typeof iso !== 'string') return
    const t = Date.parse(iso)
    if (Number.isFinite(t)) this.offset = Math.max(this.offset, t - performance.now())
  }

  /** The server's clock was at least this at the monotonic instant `at` (also for instants before the observations). */
  floorAt(at: number): number {
    return this.offset + at
  }
}

export class AmplifySync implements SyncService {
  private readonly tombstoneTtlMs: number
  private readonly feedLagMs: number
  private readonly clock = new ServerClock()

  constructor(
    private readonly documents: AmplifyDocuments,
    options: AmplifySyncOptions = {},
  ) {
    this.tombstoneTtlMs = options.tombstoneTtlMs ?? Infinity
    this.feedLagMs = options.feedLagMs ?? 10_000
    if (!(this.tombstoneTtlMs > 0)) throw new TypeError('AmplifySync: tombstoneTtlMs must be a positive number of ms')
    if (!(this.feedLagMs >= 0) || !Number.isFinite(this.feedLagMs)) throw new TypeError('AmplifySync: feedLagMs must be a finite number of ms, 0 or more')
  }

  // ---------------------------------------------------------------- reads

  private async probe(m: ModelInfo, id: string, signal?: AbortSignal): Promise<Probe> {
    try {
      const data = await this.documents.send<Record<string, Item | null>>(getDocument(m), { id }, signal)
      const item = data[`get${m.model}`]
      if (!item) return { state: 'missing' }
      this.clock.observe(item.updatedAt)
      return isTombstone(item) ? { state: 'tombstone', item } : { state: 'live', item }
    } catch (error) {
      if (dataErrorTypeOf(error) === UNAUTHORIZED) return { state: 'forbidden' }
      throw mapDataError(error, { what: `get ${m.collection}/${id}` })
    }
  }

  async fetch(collection: string, ids: readonly string[], options?: CallOptions): Promise<SyncRecord[]> {
    const m = this.documents.model(collection)
    ids.forEach((id) => assertDocId(id))
    const unique = [...new Set(ids)]
    const found = new Map<string, SyncRecord>()
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < unique.length) {
        const id = unique[next++]!
        const probe = await this.probe(m, id, options?.signal)
        if (probe.state === 'live' || probe.state === 'tombstone') found.set(id, recordOf(m, probe.item))
      }
    }
    await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, unique.length) }, worker))
    return unique.flatMap((id) => found.get(id) ?? [])
  }

  async changes(collection: string, after: SyncCheckpoint | null, limit: number, options?: CallOptions): Promise<SyncRecord[]> {
    assertChangesLimit(limit, PROVIDER)
    const m = this.documents.model(collection)
    assertCheckpointFresh(after, Date.now(), this.tombstoneTtlMs, PROVIDER)
    const signal = options?.signal

    // Where to read from, and what the reader already has after that point.
    const position = after ? parsePosition(after.position) : null
    const start: FeedKey | null = position ? position.settled : after ? { t: after.updateTime.getTime(), id: after.id } : null
    const seen = position?.hashes ?? new Set<string>()
    const checkpoint: FeedKey | null = after ? { t: after.updateTime.getTime(), id: after.id } : null
    // Before the first request: every page is read after this instant.
    const readStart = performance.now()

    const query = listFeed(m)
    const field = feedFieldOf(m)
    const known: Known[] = [] // every record read, in feed order: skipped (the reader had it) or delivered
    const delivered: { record: SyncRecord; at: number }[] = []
    let nextToken: string | null = null
    let passedCheckpoint = checkpoint === null
    do {
      const variables: Record<string, unknown> = {
        pbPart: PARTITION,
        sortDirection: 'ASC',
        limit: Math.min(PAGE_MAX, Math.max(PAGE_FLOOR, limit - delivered.length + seen.size)),
        nextToken,
      }
      if (start) variables.updatedAtId = { gt: start.id === '' ? { updatedAt: isoOf(start.t) } : { updatedAt: isoOf(start.t), id: start.id } }
      let page: { items: (Item | null)[]; nextToken: string | null } | null
      try {
        page = (await this.documents.send<Record<string, typeof page>>(query, variables, signal))[field] ?? null
      } catch (error) {
        throw mapDataError(error, { what: `changes of ${m.collection}` })
      }
      const items = (page?.items ?? []).filter((item): item is Item => item !== null)
      for (const item of items) this.clock.observe(item.updatedAt)
      for (const item of items) {
        const key = { t: timeOf(item), id: item.id }
        if (checkpoint && compareKeys(key, checkpoint) > 0) passedCheckpoint = true
        const hash = hashOf(item)
        if (seen.has(hash)) {
          known.push({ key, hash, had: true })
          continue
        }
        if (delivered.length === limit) break
        known.push({ key, hash, had: false })
        delivered.push({ record: recordOf(m, item), at: known.length - 1 })
      }
      nextToken = delivered.length < limit ? (page?.nextToken ?? null) : null
    } while (nextToken)

    // Hashes of the position not met again: still had by the reader when the read stopped before
    // the checkpoint (a later call meets them), else stale (those items changed since).
    const unread: string[] = []
    if (!passedCheckpoint && delivered.length === limit) {
      const met = new Set(known.map((k) => k.hash))
      for (const hash of seen) if (!met.has(hash)) unread.push(hash)
    }

    // Every page was read when the server's clock was at least floorAt(readStart): a record stamped
    // more than feedLagMs before that was in the index then, and so was everything before it.
    // (Not before 1970: the time boundary must stay an AWSDateTime; no item is stamped earlier.)
    const horizon = Math.max(0, Math.floor(this.clock.floorAt(readStart) - this.feedLagMs))
    return delivered.map(({ record, at }) => {
      const key = known[at]!.key
      let settled: FeedKey = key.t < horizon ? key : { t: horizon, id: '' }
      if (start) settled = maxKey(settled, start)
      if (compareKeys(settled, key) > 0) settled = key
      // What the reader has after `settled` once it took this record: the records read up to it, and
      // the ones after it it had before (skipped here, or not met when the read stopped early).
      let upTo = known.slice(0, at + 1).filter((k) => compareKeys(k.key, settled) > 0)
      if (upTo.length > DIGEST_MAX) {
        // A burst of unsettled writes: the oldest count as settled.
        settled = upTo[upTo.length - DIGEST_MAX - 1]!.key
        upTo = upTo.slice(-DIGEST_MAX)
      }
      const later = known.slice(at + 1).filter((k) => k.had)
      // Beyond DIGEST_MAX, records after this one drop out of the digest: at worst delivered twice.
      const hashes = [...upTo, ...later].map((k) => k.hash).concat(unread).slice(0, DIGEST_MAX)
      return { ...record, position: formatPosition(settled, hashes) }
    })
  }

  // ---------------------------------------------------------------- writes

  async write(ops: readonly SyncWrite[], options?: CallOptions): Promise<SyncWriteOutcome[]> {
    const outcomes: SyncWriteOutcome[] = []
    // Documents whose write failed in a way a retry may mend: their later writes wait for it.
    const held = new Map<string, PortabaseError>()
    for (const op of ops) {
      const key = `${op.collection}/${op.id}`
      const earlier = held.get(key)
      if (earlier) {
        outcomes.push({ ok: false, error: amplifyError(earlier.code, `${key}: not attempted, an earlier write to this document failed (${earlier.code})`, earlier) })
        continue
      }
      try {
        await this.apply(op, options?.signal)
        outcomes.push({ ok: true })
      } catch (error) {
        const failure = toPortabaseError(error, PROVIDER)
        if (REQUEST_FAILURES.has(failure.code)) throw failure
        if (!isPermanentFailure(failure)) held.set(key, failure)
        outcomes.push({ ok: false, error: failure })
      }
    }
    return outcomes
  }

  private async apply(op: SyncWrite, signal?: AbortSignal): Promise<void> {
    assertSyncWrite(op, PROVIDER)
    const { documents } = this
    const m = documents.model(op.collection)
    const { id, writeId } = op
    // Checked and encoded before any request: undeclared fields, wrong types, unsupported sentinels.
    const encoded = op.type === 'delete' ? undefined : encodeWrite(m, op.data, op.type === 'update')
    if (encoded?.owner !== undefined) encoded.owner = await documents.storedOwner(encoded.owner)
    const what = `${op.type} ${m.collection}/${id}`
    const refused = (code: ErrorCode, message: string): PortabaseError => amplifyError(code, `${m.collection}/${id}: ${message}`)
    const denied = (): PortabaseError => refused('permission-denied', `not authorized to ${op.type} this document`)
    // Never applied twice: a replay that lost a race to itself fails this and finds its writeId.
    const once = { not: { pbWriteId: { eq: writeId } } }
    const mutate = async (kind: 'create' | 'update', input: Record<string, unknown>, ...conditions: Record<string, unknown>[]): Promise<boolean> => {
      const result = await documents.mutate(m, kind, input, { and: [once, ...conditions] }, what, signal)
      if (result === 'unauthorized') throw denied()
      return result === 'ok'
    }

    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      const found = await this.probe(m, id, signal)
      if (found.state === 'forbidden') throw denied()
      if (found.state !== 'missing' && found.item.pbWriteId === writeId) return // applied before
      switch (op.type) {
        case 'create':
          if (found.state === 'live') throw refused('already-exists', 'the document already exists')
          if (found.state === 'missing' ? await mutate('create', documents.createInput(m, id, encoded!, writeId)) : await mutate('update', documents.replacement(m, id, encoded!, writeId), { pbDeleted: { eq: true } })) return
          break
        case 'set':
          if (found.state === 'missing' ? await mutate('create', documents.createInput(m, id, encoded!, writeId)) : await mutate('update', documents.replacement(m, id, encoded!, writeId))) return
          break
        case 'update': {
          if (found.state !== 'live') throw refused('not-found', 'no such document')
          const [input, conditions] = updateInput(m, id, op.data, encoded!, writeId, found.item)
          if (await mutate('update', input, ...conditions)) return
          break
        }
        case 'delete': {
          if (found.state !== 'live') return // nothing to delete: no tombstone (a tombstone stays as it is)
          if (await mutate('update', tombstoneInput(m, id, writeId), { pbDeleted: { ne: true } })) return
          break
        }
      }
      // A failed condition: written in between (maybe by a replay of this very write): read again.
    }
    throw refused('conflict', 'the document kept changing between reads and writes; try again')
  }
}

function recordOf(m: ModelInfo, item: Item): SyncRecord {
  const doc = decodeItem(m, item)
  const writeId = typeof item.pbWriteId === 'string' && item.pbWriteId.length > 0 ? item.pbWriteId : null
  return { id: item.id, data: isTombstone(item) ? null : doc.data, version: doc.meta.version, updateTime: doc.meta.updateTime, writeId }
}

function timeOf(item: Item): number {
  const t = Date.parse(item.updatedAt ?? '')
  return Number.isFinite(t) ? t : 0
}

/** ISO form of a feed time, as AppSync stores `updatedAt` (fixed width, milliseconds). */
const isoOf = (t: number): string => new Date(t).toISOString()

/** 32-bit FNV-1a of the item's state as read (every selected attribute), fixed-width base 36. */
function hashOf(item: Item): string {
  const text = JSON.stringify(item)
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(36).padStart(HASH_WIDTH, '0')
}

/** `1:<settled ms>:<hashes, 7 chars each>:<settled id>` (ids are A–Z a–z 0–9 _ -: no ':'). */
function formatPosition(settled: FeedKey, hashes: readonly string[]): string {
  return `${POSITION_VERSION}:${settled.t}:${hashes.join('')}:${settled.id}`
}

function parsePosition(position: string | undefined): { settled: FeedKey; hashes: Set<string> } | null {
  const match = position === undefined ? null : /^1:(-?\d+):((?:[0-9a-z]{7})*):([A-Za-z0-9_-]*)$/.exec(position)
  if (!match) return null
  const t = Number(match[1])
  if (!Number.isSafeInteger(t)) return null
  const hashes = new Set<string>()
  for (let i = 0; i < match[2]!.length; i += HASH_WIDTH) hashes.add(match[2]!.slice(i, i + HASH_WIDTH))
  return { settled: { t, id: match[3]! }, hashes }
}

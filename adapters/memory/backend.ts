import { Subject } from 'rxjs'
import { PortabaseError } from '../../src/errors.js'
import { deepFreeze } from '../../src/freeze.js'
import { typeRank } from '../../src/query/compare.js'
import { DOC_ID, type Cursor, type OrderBy } from '../../src/query/model.js'
import { OrderedIndex, OrderedIndexes } from '../../src/query/ordered-index.js'
import type { ConfigScalar, Doc, DocumentData, User } from '../../src/types.js'
import { systemClock, type Clock } from './clock.js'

/** Context a server function receives. */
export interface FunctionContext {
  /** The caller, or null when signed out. */
  auth: User | null
  signal?: AbortSignal
}

export type MemoryFunction = (input: unknown, context: FunctionContext) => unknown

export interface RuleContext {
  auth: User | null
  /** For read: the document read. For write: the document as it would be after the write (null for delete). */
  doc: Doc | null
  /** For write: the document before the write (null when it does not exist). */
  existing: Doc | null
}

/** Access rules of one collection; a missing predicate allows everything. */
export interface CollectionRules {
  read?: (ctx: RuleContext) => boolean
  write?: (ctx: RuleContext) => boolean
}

export interface MemoryBackendOptions {
  functions?: Record<string, MemoryFunction>
  /** Remote config values served by `fetchAndActivate`. */
  config?: Record<string, ConfigScalar>
  rules?: Record<string, CollectionRules>
  clock?: Clock
  /** Lifetime of ID tokens. Default 1 hour. */
  tokenTtlMs?: number
  /** PBKDF2 iterations for stored passwords. Default 10,000: a test backend, not a vault. */
  passwordIterations?: number
  /**
   * How long the backend remembers a deletion (a tombstone) for delta sync (`adapter.sync.changes`),
   * in backend-clock ms. Older tombstones are purged; a `changes` checkpoint older than this fails
   * with `failed-precondition` (details.reason 'checkpoint-expired'). Default 30 days.
   */
  tombstoneTtlMs?: number
  /**
   * Ordered indexes for limited queries (see `orderedDocs`): a collection gets one per ordering a
   * limited query uses once it holds `minDocs` documents (default 1,000), at most `perCollection`
   * (default 8; later orderings are scanned). `false`: never. Results are the same either way.
   */
  indexes?: { minDocs?: number; perCollection?: number } | false
}

/** Default lifetime of tombstones: 30 days. */
export const DEFAULT_TOMBSTONE_TTL_MS = 30 * 24 * 60 * 60 * 1000

/** A remembered deletion: what `sync.fetch`/`sync.changes` return for a deleted document. */
export interface Tombstone {
  id: string
  version: string
  /** Deletion time (backend clock). */
  updateTime: Date
  writeId: string | null
  /** The document as it was when deleted: read rules decide a tombstone's visibility on it. */
  last: Doc
}

/** One record of a collection's change feed: a document or a tombstone, at its commit time `data.t`. */
export interface FeedEntry {
  id: string
  data: { t: number }
  doc?: Doc
  tombstone?: Tombstone
}

/** The feed's order: (commit time, id). */
const FEED_ORDER: readonly OrderBy[] = [
  { field: 't', direction: 'asc' },
  { field: DOC_ID, direction: 'asc' },
]

/** Per-collection state the offline engine's SyncService reads: writeIds and tombstones. */
export interface SyncState {
  /** The writeId of each existing document's last write (null: the write carried none). */
  readonly writeIds: Map<string, string | null>
  readonly tombstones: Map<string, Tombstone>
}

export interface UserRecord {
  user: User
  salt?: Uint8Array
  passwordHash?: Uint8Array
}

export interface StoredBlob {
  bytes: Uint8Array
  contentType: string
  metadata: Record<string, string>
  updated: Date
}

/** One committed change to a document, as every connected client sees it. */
export interface DocumentEvent {
  collection: string
  id: string
  after: Doc | undefined
  /** The writeId the write carried (sync writes); absent or null for plain writes. */
  writeId?: string | null
}

/**
 * The server side of the memory adapter: state several clients share, as they share a real
 * backend. Clients (adapters) never touch each other, only this.
 */
export class MemoryBackend {
  readonly clock: Clock
  readonly tokenTtlMs: number
  readonly passwordIterations: number
  readonly tombstoneTtlMs: number
  readonly functions: Map<string, MemoryFunction>
  readonly rules: Map<string, CollectionRules>
  config: Record<string, ConfigScalar>
  readonly configChanges$ = new Subject<void>()

  readonly collections = new Map<string, Map<string, Doc>>()
  readonly users = new Map<string, UserRecord>()
  readonly uidByEmail = new Map<string, string>()
  /** ID token → uid and expiry. */
  readonly idTokens = new Map<string, { uid: string; expiresAt: number }>()
  /** Refresh token → uid. */
  readonly refreshTokens = new Map<string, string>()
  readonly files = new Map<string, StoredBlob>()
  /** Password-reset emails "sent", for tests to inspect. */
  readonly sentEmails: { to: string; kind: 'password-reset' }[] = []
  /** Committed document changes, in commit order. */
  readonly events$ = new Subject<DocumentEvent[]>()
  private versionCounter = 0
  private lastCommitTime = Number.NEGATIVE_INFINITY
  private readonly schemas = new Map<string, Map<string, number>>()
  private readonly syncStates = new Map<string, SyncState>()
  /** Deletion time of the oldest tombstone kept (Infinity: none), so purging is free until one expires. */
  private oldestTombstone = Number.POSITIVE_INFINITY
  /** Ordered indexes per collection; updated by every commit. */
  private readonly indexes = new Map<string, OrderedIndexes<Doc>>()
  /** Each collection's change feed, ordered, with its entry per id: a page is a seek, not a sort. */
  private readonly feeds = new Map<string, { index: OrderedIndex<FeedEntry>; byId: Map<string, FeedEntry> }>()
  private readonly indexMinDocs: number
  private readonly indexesPerCollection: number

  constructor(options: MemoryBackendOptions = {}) {
    this.clock = options.clock ?? systemClock
    this.tokenTtlMs = options.tokenTtlMs ?? 3_600_000
    this.passwordIterations = options.passwordIterations ?? 10_000
    this.tombstoneTtlMs = options.tombstoneTtlMs ?? DEFAULT_TOMBSTONE_TTL_MS
    if (!(this.tombstoneTtlMs > 0)) throw new TypeError('createMemoryBackend(): tombstoneTtlMs must be a positive number of ms')
    this.functions = new Map(Object.entries(options.functions ?? {}))
    this.rules = new Map(Object.entries(options.rules ?? {}))
    this.config = { ...(options.config ?? {}) }
    const indexes = options.indexes ?? {}
    this.indexMinDocs = indexes === false ? Number.POSITIVE_INFINITY : (indexes.minDocs ?? 1_000)
    this.indexesPerCollection = indexes === false ? 0 : (indexes.perCollection ?? 8)
  }

  collection(name: string): Map<string, Doc> {
    let docs = this.collections.get(name)
    if (!docs) {
      docs = new Map()
      this.collections.set(name, docs)
    }
    return docs
  }

  /**
   * The collection's documents sorted by `orderBy`, from an index every commit keeps up to date
   * (created on first use), from the cursor's position on when there is one; undefined for a
   * collection below `indexes.minDocs` or past its quota of indexes, which the caller then scans.
   */
  orderedDocs(collection: string, orderBy: readonly OrderBy[], after?: Cursor): Iterable<Doc> | undefined {
    let indexes = this.indexes.get(collection)
    if (indexes === undefined) {
      if (this.indexesPerCollection === 0) return undefined
      this.indexes.set(collection, (indexes = new OrderedIndexes<Doc>({ minDocs: this.indexMinDocs, max: this.indexesPerCollection })))
    }
    return indexes.ordered(orderBy, this.collection(collection))?.values(after)
  }

  /** Field → type rank per collection, learnt from the data on first use (typed-fields mode). */
  fieldTypes(collection: string): Map<string, number> {
    let types = this.schemas.get(collection)
    if (!types) {
      types = new Map()
      for (const doc of this.collection(collection).values()) {
        for (const [field, value] of Object.entries(doc.data)) if (value !== null && !types.has(field)) types.set(field, typeRank(value))
      }
      this.schemas.set(collection, types)
    }
    return types
  }

  /** writeIds and tombstones of a collection (see SyncState). */
  syncState(collection: string): SyncState {
    let state = this.syncStates.get(collection)
    if (!state) this.syncStates.set(collection, (state = { writeIds: new Map(), tombstones: new Map() }))
    return state
  }

  /**
   * Commits document changes: stores them, records each write's writeId, leaves a tombstone for
   * every deletion of an existing document (a re-created document drops its tombstone), and
   * publishes them to every client. The one way documents change.
   */
  commitEvents(events: DocumentEvent[]): void {
    const now = this.commitTime()
    for (const { collection, id, after, writeId = null } of events) {
      const store = this.collection(collection)
      const state = this.syncState(collection)
      const before = store.get(id)
      this.indexes.get(collection)?.replace(before, after)
      if (after) {
        store.set(id, after)
        state.writeIds.set(id, writeId)
        state.tombstones.delete(id)
        this.putFeed(collection, id, { id, data: { t: after.meta.updateTime.getTime() }, doc: after })
      } else if (before) {
        store.delete(id)
        state.writeIds.delete(id)
        const tombstone: Tombstone = { id, version: this.nextVersion(), updateTime: new Date(now), writeId, last: before }
        state.tombstones.set(id, tombstone)
        this.putFeed(collection, id, { id, data: { t: now }, tombstone })
        this.oldestTombstone = Math.min(this.oldestTombstone, now)
      }
    }
    this.purgeTombstones()
    this.events$.next(events)
  }

  /**
   * Forgets tombstones older than `tombstoneTtlMs` (backend clock). Runs on every commit and sync
   * read; a `changes` checkpoint older than the TTL is refused, so no reader misses a purged one.
   */
  purgeTombstones(): void {
    const limit = this.clock.now() - this.tombstoneTtlMs
    if (this.oldestTombstone >= limit) return
    let oldest = Number.POSITIVE_INFINITY
    for (const [collection, state] of this.syncStates) {
      for (const [id, tombstone] of state.tombstones) {
        const time = tombstone.updateTime.getTime()
        if (time < limit) {
          state.tombstones.delete(id)
          this.putFeed(collection, id, undefined)
        } else oldest = Math.min(oldest, time)
      }
    }
    this.oldestTombstone = oldest
  }

  /**
   * The collection's feed entries in (commit time, id) order, from `after` on (an entry equal to it
   * included: the caller skips it).
   */
  feedFrom(collection: string, after: { updateTime: Date; id: string } | null): IterableIterator<FeedEntry> {
    const feed = this.feeds.get(collection)
    if (!feed) return [][Symbol.iterator]()
    return feed.index.values(after ? { values: [after.updateTime.getTime()], id: after.id } : undefined)
  }

  private putFeed(collection: string, id: string, entry: FeedEntry | undefined): void {
    let feed = this.feeds.get(collection)
    if (!feed) this.feeds.set(collection, (feed = { index: new OrderedIndex<FeedEntry>(FEED_ORDER, []), byId: new Map() }))
    feed.index.replace(feed.byId.get(id), entry)
    if (entry) feed.byId.set(id, entry)
    else feed.byId.delete(id)
  }

  /**
   * The time of a new commit: the clock, or 1 ms after the previous commit if the clock has not
   * moved past it. Commit times strictly increase, so delta sync's (updateTime, id) feed never
   * misses a later commit that got the same millisecond and a smaller id.
   */
  commitTime(): number {
    this.lastCommitTime = Math.max(this.clock.now(), this.lastCommitTime + 1)
    return this.lastCommitTime
  }

  nextVersion(): string {
    this.versionCounter += 1
    return String(this.versionCounter)
  }

  /** Replaces the remote config served to clients (clients listening with `config.updates()` hear of it). */
  setConfig(values: Record<string, ConfigScalar>): void {
    this.config = { ...values }
    this.configChanges$.next()
  }

  defineFunction(name: string, handler: MemoryFunction): void {
    this.functions.set(name, handler)
  }

  /** Writes documents directly, bypassing rules and networks (seed data for tests); they carry no writeId. */
  seed(collection: string, docs: Record<string, DocumentData>): void {
    const events: DocumentEvent[] = []
    const now = new Date(this.commitTime())
    for (const [id, data] of Object.entries(docs)) {
      const doc = freezeDoc(id, data, now, this.nextVersion())
      events.push({ collection, id, after: doc })
    }
    this.commitEvents(events)
  }

  userForToken(token: string | null): User | null {
    if (!token) return null
    const entry = this.idTokens.get(token)
    if (!entry) return null
    if (entry.expiresAt <= this.clock.now()) throw new PortabaseError('unauthenticated', 'The ID token has expired', { provider: 'memory' })
    return this.users.get(entry.uid)?.user ?? null
  }
}

export function freezeDoc(id: string, data: DocumentData, updateTime: Date, version: string): Doc {
  return Object.freeze({
    id,
    data: deepFreeze(data),
    meta: Object.freeze({ updateTime, version, fromCache: false, hasPendingWrites: false }),
  })
}


export function createMemoryBackend(options: MemoryBackendOptions = {}): MemoryBackend {
  return new MemoryBackend(options)
}

import type { Observable, Subscription } from 'rxjs'
import { PortabaseError } from '../errors.js'
import { cancelledError } from './abort.js'
import { builtinLink, cancelOf } from './cancel.js'
import { stableKey } from './key.js'
import type { Link, NextLink, Operation } from './link.js'
import { callNext, monotonicNow } from './internal.js'

/** An event saying a collection changed elsewhere; without `collection`, anything may have. */
export interface CollectionChange {
  collection?: string
}

export interface CacheOptions {
  /** How long a result is served without asking the backend again. Default 10,000 ms. */
  ttlMs?: number
  /** Most results kept; the least recently used goes first. Default 500. */
  maxEntries?: number
  /** Remote changes (e.g. from a realtime feed): each event invalidates its collection. Subscribed on first use. */
  changes$?: Observable<CollectionChange>
  /** Clock in ms, injected for tests. Default performance.now. */
  now?: () => number
}

export interface CacheStats {
  size: number
  hits: number
  misses: number
}

/** The cache link, with handles to drive it from app code. */
export interface CacheLink extends Link {
  /** Drops cached results of one collection, or of all; reads already in flight will not be stored. */
  invalidate(collection?: string): void
  stats(): CacheStats
  /** Unsubscribes from `changes$` and empties the cache. */
  dispose(): void
}

interface Entry {
  readonly collection: string
  readonly value: unknown
  readonly expiresAt: number
}

const CACHED_METHODS: ReadonlySet<string> = new Set(['get', 'query', 'count'])
/** Auth calls that cannot change who the caller is; any other may, and cached reads were authorised for the old one. */
const AUTH_KEEPS_USER: ReadonlySet<string> = new Set(['getIdToken', 'sendPasswordReset'])

/**
 * Read-through cache of `documents.get`, `documents.query` and `documents.count` results, with a TTL
 * and an LRU bound. Invalidation: a `documents.write` drops its collections (at its start and when
 * it settles, so a read overlapping the write is never stored); an auth call that may change the
 * user drops everything; `invalidate()` and `changes$` do the rest.
 *
 * Results are shared, not copied: documents are frozen on the way in (adapters hand out snapshots,
 * and the memory adapter's are frozen already), and each caller of a query gets its own array of
 * those documents, so sorting a result in place does not disturb the cache.
 */
export function cache(options: CacheOptions = {}): CacheLink {
  const { ttlMs = 10_000, maxEntries = 500, changes$, now = monotonicNow } = options
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new PortabaseError('invalid-argument', `cache() ttlMs must be a positive number, got ${ttlMs}`)
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new PortabaseError('invalid-argument', `cache() maxEntries must be an integer ≥ 1, got ${maxEntries}`)

  // Map iteration order is insertion order: re-inserting on a hit makes the first key the LRU.
  const entries = new Map<string, Entry>()
  // Invalidation clock: a read may store its result only if nothing it depends on was invalidated since it started.
  let tick = 0
  let allInvalidatedAt = 0
  const invalidatedAt = new Map<string, number>()
  let hits = 0
  let misses = 0
  let subscription: Subscription | undefined
  let disposed = false

  const invalidate = (collection?: string): void => {
    tick += 1
    if (collection === undefined) {
      allInvalidatedAt = tick
      entries.clear()
      return
    }
    invalidatedAt.set(collection, tick)
    for (const [key, entry] of entries) if (entry.collection === collection) entries.delete(key)
  }

  const listen = (): void => {
    if (subscription || !changes$ || disposed) return
    subscription = changes$.subscribe({
      next: (change) => invalidate(typeof change?.collection === 'string' ? change.collection : undefined),
      // Without the feed, remote changes go unseen: drop everything and carry on with TTL only.
      error: () => invalidate(),
    })
  }

  const lookup = (key: string): Entry | undefined => {
    const entry = entries.get(key)
    if (!entry) return undefined
    entries.delete(key)
    if (entry.expiresAt <= now()) return undefined
    entries.set(key, entry)
    return entry
  }

  const store = (key: string, collection: string, value: unknown): void => {
    entries.delete(key)
    entries.set(key, { collection, value, expiresAt: now() + ttlMs })
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value!)
  }

  const around = (op: Operation, next: NextLink, drop: () => void): Promise<unknown> => {
    drop()
    const result = callNext(next, op)
    result.then(drop, drop)
    return result
  }

  const read = (op: Operation, next: NextLink, collection: string): Promise<unknown> => {
    const key = stableKey([op.method, op.args])
    if (key === undefined) return next(op)
    const cancel = cancelOf(op)
    if (cancel?.aborted) return Promise.reject(cancelledError(cancel))
    const hit = lookup(key)
    if (hit) {
      hits += 1
      return Promise.resolve(share(hit.value))
    }
    misses += 1
    const startedAt = tick
    return callNext(next, op).then((value) => {
      const snapshot = freezeResult(value)
      const fresh = allInvalidatedAt <= startedAt && (invalidatedAt.get(collection) ?? 0) <= startedAt
      if (fresh && !disposed) store(key, collection, snapshot)
      return share(snapshot)
    })
  }

  const link: Link = builtinLink((op, next) => {
    listen()
    if (op.service === 'auth') return AUTH_KEEPS_USER.has(op.method) ? next(op) : around(op, next, () => invalidate())
    if (op.service !== 'documents') return next(op)
    if (op.method === 'write') {
      const collections = writtenCollections(op.args[0])
      return around(op, next, () => (collections === 'all' ? invalidate() : collections.forEach((c) => invalidate(c))))
    }
    const collection = op.args[0]
    if (!CACHED_METHODS.has(op.method) || typeof collection !== 'string') return next(op)
    return read(op, next, collection)
  })

  return Object.assign(link, {
    invalidate,
    stats: (): CacheStats => ({ size: entries.size, hits, misses }),
    dispose: (): void => {
      disposed = true
      subscription?.unsubscribe()
      subscription = undefined
      invalidate()
    },
  })
}

function writtenCollections(ops: unknown): Set<string> | 'all' {
  if (!Array.isArray(ops)) return 'all'
  const collections = new Set<string>()
  for (const op of ops as unknown[]) {
    const collection = typeof op === 'object' && op !== null ? (op as { collection?: unknown }).collection : undefined
    if (typeof collection !== 'string') return 'all'
    collections.add(collection)
  }
  return collections
}

/** Freezes documents in place (no copy). Already-frozen objects are taken as frozen snapshots all the way down. */
function freezeResult(value: unknown): unknown {
  if (Array.isArray(value)) value.forEach(deepFreeze)
  else deepFreeze(value)
  return value
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value) || ArrayBuffer.isView(value)) return
  Object.freeze(value)
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
}

/** Query results: a fresh array per caller around the shared, frozen documents. */
function share(value: unknown): unknown {
  return Array.isArray(value) ? value.slice() : value
}

/**
 * Shadow reads: a sample of the app's document reads is sent to the secondary too, and the two
 * answers are compared with the reference value comparison (src/query/compare.ts). Differences go
 * to `differences$`; the app only ever sees the primary's answer, and never waits for the secondary.
 *
 * A comparison is skipped (counted as `skipped`) when writes to the collection were queued for the
 * secondary or made through the mirror while the reads ran: the secondary is then behind by design.
 * Writes other clients make to the primary directly cannot be seen, and may show as differences.
 */
import { BehaviorSubject, Subject } from 'rxjs'
import { toPortabaseError, type PortabaseError } from '../../src/errors.js'
import { valuesEqual } from '../../src/query/compare.js'
import type { Query } from '../../src/query/model.js'
import type { Adapter } from '../../src/spi.js'
import type { Doc, Value } from '../../src/types.js'

export interface ShadowReadOptions {
  /** Share of reads (get, query, count) sent to the secondary too, 0 to 1. */
  sampleRate: number
}

/** How the secondary's answer to a read differed from the primary's. */
export interface ShadowDifference {
  method: 'get' | 'query' | 'count'
  collection: string
  /** The document read (`get`). */
  id?: string
  /** The query run (`query`, `count`). */
  query?: Query
  /** Documents only the primary returned. */
  onlyInPrimary: string[]
  /** Documents only the secondary returned. */
  onlyInSecondary: string[]
  /** Documents both returned, with different data (metadata such as updateTime is not compared). */
  changed: string[]
  /** Same documents, in another order (`query`). */
  orderDiffers: boolean
  /** Both counts (`count`). */
  counts?: { primary: number; secondary: number }
  /** The secondary failed the read. */
  error?: PortabaseError
}

export interface ShadowStats {
  /** Reads compared. */
  compared: number
  /** Of those, reads whose answers differed. */
  differed: number
  /** Sampled reads not compared: writes to the collection were pending meanwhile. */
  skipped: number
}

type Read = { method: 'get'; id: string } | { method: 'query'; query: Query } | { method: 'count'; query: Query }

export class ShadowReader {
  readonly differences$ = new Subject<ShadowDifference>()
  readonly stats$ = new BehaviorSubject<ShadowStats>({ compared: 0, differed: 0, skipped: 0 })
  private readonly inFlight = new Set<Promise<void>>()

  constructor(
    private readonly secondary: Adapter,
    private readonly sampleRate: number,
    private readonly random: () => number,
    /** Writes to the collection made through the mirror so far (changes while a read runs). */
    private readonly writesTo: (collection: string) => number,
    /** Writes to the collection still queued for the secondary. */
    private readonly pendingIn: (collection: string) => number,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * Runs the read on the primary and, for a sample, on the secondary at the same time; resolves
   * the primary's answer as soon as it is there.
   */
  read<T extends Doc | null | Doc[] | number>(collection: string, read: Read, primary: () => Promise<T>): Promise<T> {
    if (this.signal.aborted || !(this.random() < this.sampleRate)) return primary()
    const writes = this.writesTo(collection)
    const quiet = this.pendingIn(collection) === 0
    const secondary = Promise.resolve()
      .then(() => this.secondaryRead(collection, read))
      .then(
      (value) => ({ value }),
      (error: unknown) => ({ error: toPortabaseError(error, this.secondary.name) }),
    )
    const answer = primary()
    const comparison = Promise.all([answer, secondary])
      .then(([mine, theirs]) => {
        if (this.signal.aborted) return
        const stable = quiet && this.writesTo(collection) === writes && this.pendingIn(collection) === 0
        if (!stable) return this.count('skipped')
        const difference = 'error' in theirs ? { ...base(collection, read), error: theirs.error } : compare(collection, read, mine, theirs.value as T)
        this.count(difference ? 'differed' : 'compared')
        if (difference) this.differences$.next(difference)
      })
      // The primary failed: the app hears of it; there is nothing to compare.
      .catch(() => undefined)
    this.track(comparison)
    return answer
  }

  /** Waits for the comparisons under way (dispose: after the signal is aborted they end at once). */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight])
  }

  close(): void {
    this.differences$.complete()
    this.stats$.complete()
  }

  private secondaryRead(collection: string, read: Read): Promise<unknown> {
    const options = { signal: this.signal }
    const docs = this.secondary.documents
    if (read.method === 'get') return docs.get(collection, read.id, options)
    if (read.method === 'query') return docs.query(collection, read.query, options)
    return docs.count(collection, read.query, options)
  }

  private count(what: 'compared' | 'differed' | 'skipped'): void {
    const stats = { ...this.stats$.value }
    if (what === 'skipped') stats.skipped++
    else {
      stats.compared++
      if (what === 'differed') stats.differed++
    }
    this.stats$.next(stats)
  }

  private track(promise: Promise<void>): void {
    this.inFlight.add(promise)
    void promise.finally(() => this.inFlight.delete(promise))
  }
}

function base(collection: string, read: Read): ShadowDifference {
  return {
    method: read.method,
    collection,
    ...(read.method === 'get' ? { id: read.id } : { query: read.query }),
    onlyInPrimary: [],
    onlyInSecondary: [],
    changed: [],
    orderDiffers: false,
  }
}

/** The difference between two answers, or null when they agree. */
function compare(collection: string, read: Read, primary: unknown, secondary: unknown): ShadowDifference | null {
  const difference = base(collection, read)
  if (read.method === 'count') {
    if (primary === secondary) return null
    return { ...difference, counts: { primary: primary as number, secondary: secondary as number } }
  }
  const mine = read.method === 'get' ? (primary === null ? [] : [primary as Doc]) : (primary as Doc[])
  const theirs = read.method === 'get' ? (secondary === null ? [] : [secondary as Doc]) : (secondary as Doc[])
  const byId = new Map(theirs.map((doc) => [doc.id, doc]))
  const mineIds = new Set(mine.map((doc) => doc.id))
  for (const doc of mine) {
    const other = byId.get(doc.id)
    if (!other) difference.onlyInPrimary.push(doc.id)
    else if (!valuesEqual(doc.data as Value, other.data as Value)) difference.changed.push(doc.id)
  }
  for (const doc of theirs) if (!mineIds.has(doc.id)) difference.onlyInSecondary.push(doc.id)
  const shared = (docs: readonly Doc[], other: ReadonlySet<string>): string[] => docs.map((d) => d.id).filter((id) => other.has(id))
  difference.orderDiffers = shared(mine, new Set(byId.keys())).join('\n') !== shared(theirs, mineIds).join('\n')
  const differs = difference.onlyInPrimary.length + difference.onlyInSecondary.length + difference.changed.length > 0 || difference.orderDiffers
  return differs ? difference : null
}

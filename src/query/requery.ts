/**
 * A live query kept exact by running it again: for vendors whose change events cannot be applied to
 * a result (they know nothing of order, limit or cursors; row-level security hides what a delete
 * removed), the events are only triggers (Supabase's postgres_changes, AppSync's subscriptions).
 *
 * Runs are debounced and coalesced: at most one in flight, plus one pending for triggers that came
 * meanwhile. The first result is emitted whole (every document `added`); later ones only when they
 * differ (`diffResults`). A failure before the first snapshot fails the watch; afterwards a retryable
 * one is retried with a doubling wait (capped), anything else fails it. Without any trigger within
 * `initialWaitMs` (the change stream slow or unreachable), the first run happens anyway.
 */
import type { Subscriber } from 'rxjs'
import type { PortabaseError } from '../errors.js'
import type { Doc, DocChange, QuerySnapshot } from '../types.js'
import { diffResults } from './live.js'

export interface RequeryTiming {
  /** Wait after a trigger, so a burst of events costs one run. */
  debounceMs: number
  /** Run anyway this long after start when no trigger came. */
  initialWaitMs: number
  /** First wait before retrying a failed run (doubling, at most 30 s). */
  retryMs: number
}

const MAX_RETRY_MS = 30_000

export class RequeryView {
  private last: readonly Doc[] | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private initialTimer: ReturnType<typeof setTimeout> | undefined
  private inFlight: AbortController | undefined
  /** A trigger came while a run was in flight: one more run follows it. */
  private pending = false
  /** Retryable failures in a row (backoff). */
  private failures = 0
  private ended = false

  constructor(
    private readonly run: (signal: AbortSignal) => Promise<Doc[]>,
    private readonly subscriber: Subscriber<QuerySnapshot>,
    private readonly timing: RequeryTiming,
    /** Turns whatever a run threw into the error the watch fails with. */
    private readonly toError: (error: unknown) => PortabaseError,
    /** Called once when the view stops, whatever the reason: release the triggers here. */
    private readonly onStop: () => void,
  ) {}

  get stopped(): boolean {
    return this.ended
  }

  start(): void {
    this.initialTimer = setTimeout(() => {
      this.initialTimer = undefined
      if (this.last === undefined) this.trigger()
    }, this.timing.initialWaitMs)
  }

  /** Asks for a run: debounced, and at most one in flight plus one pending. */
  trigger(delayMs = this.timing.debounceMs): void {
    if (this.ended) return
    if (this.inFlight) {
      this.pending = true
      return
    }
    if (this.timer !== undefined) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.runOnce()
    }, delayMs)
  }

  stop(): void {
    if (this.ended) return
    this.ended = true
    clearTimeout(this.timer)
    clearTimeout(this.initialTimer)
    this.timer = undefined
    this.initialTimer = undefined
    this.inFlight?.abort()
    this.inFlight = undefined
    this.onStop()
  }

  complete(): void {
    if (this.ended) return
    this.stop()
    this.subscriber.complete()
  }

  fail(error: PortabaseError): void {
    if (this.ended) return
    this.stop()
    this.subscriber.error(error)
  }

  private async runOnce(): Promise<void> {
    if (this.ended || this.inFlight) return
    const controller = new AbortController()
    this.inFlight = controller
    this.pending = false
    let docs: Doc[]
    try {
      docs = await this.run(controller.signal)
    } catch (error) {
      this.inFlight = undefined
      if (this.ended) return
      const failure = this.toError(error)
      if (this.last === undefined || !failure.retryable) return this.fail(failure)
      this.pending = false
      return this.trigger(Math.min(this.timing.retryMs * 2 ** this.failures++, MAX_RETRY_MS))
    }
    this.inFlight = undefined
    if (this.ended) return
    this.failures = 0
    this.emit(docs)
    if (this.pending) {
      this.pending = false
      this.trigger()
    }
  }

  private emit(docs: readonly Doc[]): void {
    let changes: DocChange[]
    if (this.last === undefined) {
      clearTimeout(this.initialTimer)
      this.initialTimer = undefined
      changes = docs.map((doc, newIndex) => ({ type: 'added', doc, oldIndex: -1, newIndex }))
    } else {
      // Same ids at the same versions: nothing to tell (a document's version changes with every write).
      changes = diffResults(this.last, docs)
      if (changes.length === 0) return
    }
    this.last = docs
    this.subscriber.next(Object.freeze({ docs: Object.freeze([...docs]), changes: Object.freeze(changes), fromCache: false, hasPendingWrites: false }))
  }
}

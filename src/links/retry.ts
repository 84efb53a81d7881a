import { PortabaseError, isPortabaseError } from '../errors.js'
import { sleep } from './abort.js'
import { withContext, type Cancel } from './cancel.js'
import type { Link, Operation } from './link.js'
import { monotonicNow, readClock, shareClock } from './internal.js'
import { stageLink, type Below, type Outlet } from './stage.js'

export interface RetryOptions {
  /** Total attempts including the first. Default 3. */
  maxAttempts?: number
  /** First backoff ceiling in ms; doubles each attempt. Default 100. */
  baseDelayMs?: number
  /** Backoff ceiling. Default 5,000. A server's retryAfterMs may exceed it. */
  maxDelayMs?: number
  /**
   * Budget for the whole operation, from the first attempt: no retry is started whose backoff would
   * end past it, and the last error is returned instead. Default unbounded. Does not cut short an
   * attempt in flight; use timeout() for that.
   */
  maxElapsedMs?: number
  /** Injected for tests; defaults to Math.random. */
  random?: () => number
  /** Clock in ms, injected for tests. Default performance.now. */
  now?: () => number
}

/**
 * Retries retryable failures of idempotent operations with exponential backoff and full jitter
 * (delay = random × min(max, base × 2^attempt)), waiting at least a server's Retry-After hint
 * (`PortabaseError.retryAfterMs`), within an optional total time budget.
 *
 * The first attempt costs one operation copy (`context.attempt`) and one small object; the clock is
 * read only once something failed (or from the start, with maxElapsedMs).
 */
export function retry(options: RetryOptions = {}): Link {
  const { maxAttempts = 3, baseDelayMs = 100, maxDelayMs = 5_000, maxElapsedMs = Number.POSITIVE_INFINITY, random = Math.random, now = monotonicNow } = options
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new PortabaseError('invalid-argument', 'retry() maxAttempts must be an integer ≥ 1')
  if (!(maxElapsedMs > 0)) throw new PortabaseError('invalid-argument', `retry() maxElapsedMs must be a positive number, got ${maxElapsedMs}`)
  const bounded = maxElapsedMs !== Number.POSITIVE_INFINITY

  const policy: RetryPolicy = { maxAttempts, baseDelayMs, maxDelayMs, maxElapsedMs, random, now }
  return stageLink((op, below, out, at, cancel) => {
    // The budget runs from the first attempt; without one, the clock is never read.
    const startedAt = bounded ? readClock(now, at) : 0
    below.run(attemptOf(op, 1), new RetriedCall(policy, op, cancel, below, out, startedAt), bounded ? shareClock(now, startedAt, at) : at, cancel)
  })
}

type RetryPolicy = Required<RetryOptions>

function attemptOf(op: Operation, attempt: number): Operation {
  // Object.assign, then a store: `{ ...context, attempt }` is a slow path in V8 (see copyOperation).
  const context: Record<string, unknown> = Object.assign({}, op.context)
  context.attempt = attempt
  return withContext(op, context)
}

/** One operation and its attempts: each failure passing outward is retried or passed on. */
class RetriedCall implements Outlet {
  private attempt = 1

  constructor(
    private readonly policy: RetryPolicy,
    private readonly op: Operation,
    private readonly cancel: Cancel,
    private readonly below: Below,
    private readonly out: Outlet,
    private readonly startedAt: number,
  ) {}

  settle(ok: boolean, value: unknown, at?: number): void {
    if (ok) return this.out.settle(true, value, at)
    let delay: number
    try {
      delay = this.delayBefore(value, at)
    } catch (error) {
      // A throwing injected clock or random: the caller sees it, as from an async link.
      return this.out.settle(false, error)
    }
    if (delay < 0) return this.out.settle(false, value, at)
    sleep(delay, this.cancel).then(
      () => {
        this.attempt += 1
        this.below.run(attemptOf(this.op, this.attempt), this, undefined, this.cancel)
      },
      (error: unknown) => this.out.settle(false, error),
    )
  }

  /** The backoff before the next attempt after `error`, or -1 when there must be none. */
  private delayBefore(error: unknown, at: number | undefined): number {
    const { op, attempt, policy } = this
    if (!op.idempotent || !isPortabaseError(error) || !error.retryable || attempt >= policy.maxAttempts || this.cancel?.aborted) return -1
    const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))
    const delay = Math.max(error.retryAfterMs ?? 0, policy.random() * ceiling)
    // Waiting past the budget only to fail later helps nobody: fail now with the real cause.
    if (readClock(policy.now, at) - this.startedAt + delay > policy.maxElapsedMs) return -1
    return delay
  }
}

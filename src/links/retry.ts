import { PortabaseError, isPortabaseError } from '../errors.js'
import { sleep } from './abort.js'
import { builtinLink, cancelOf, withContext } from './cancel.js'
import type { Link, NextLink, Operation } from './link.js'
import { callNext, monotonicNow } from './internal.js'

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
 * The first attempt costs one operation copy (`context.attempt`) and one promise; the clock is read
 * only once something failed.
 */
export function retry(options: RetryOptions = {}): Link {
  const { maxAttempts = 3, baseDelayMs = 100, maxDelayMs = 5_000, maxElapsedMs = Number.POSITIVE_INFINITY, random = Math.random, now = monotonicNow } = options
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new PortabaseError('invalid-argument', 'retry() maxAttempts must be an integer ≥ 1')
  if (!(maxElapsedMs > 0)) throw new PortabaseError('invalid-argument', `retry() maxElapsedMs must be a positive number, got ${maxElapsedMs}`)
  const bounded = maxElapsedMs !== Number.POSITIVE_INFINITY

  const attemptOf = (op: Operation, attempt: number): Operation => {
    // Object.assign, then a store: `{ ...context, attempt }` is a slow path in V8 (see copyOperation).
    const context: Record<string, unknown> = Object.assign({}, op.context)
    context.attempt = attempt
    return withContext(op, context)
  }

  const again = async (op: Operation, next: NextLink, first: unknown, startedAt: number): Promise<unknown> => {
    let error = first
    for (let attempt = 1; ; attempt++) {
      const cancel = cancelOf(op)
      if (!op.idempotent || !isPortabaseError(error) || !error.retryable || attempt >= maxAttempts || cancel?.aborted) throw error
      const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1))
      const delay = Math.max(error.retryAfterMs ?? 0, random() * ceiling)
      // Waiting past the budget only to fail later helps nobody: fail now with the real cause.
      if (now() - startedAt + delay > maxElapsedMs) throw error
      await sleep(delay, cancel)
      try {
        return await next(attemptOf(op, attempt + 1))
      } catch (failure) {
        error = failure
      }
    }
  }

  return builtinLink((op, next) => {
    // The budget runs from the first attempt; without one, the clock is never read.
    const startedAt = bounded ? now() : 0
    return callNext(next, attemptOf(op, 1)).catch((error: unknown) => again(op, next, error, startedAt))
  })
}

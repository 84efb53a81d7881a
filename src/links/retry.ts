import { PortabaseError, isPortabaseError } from '../errors.js'
import { sleep } from './abort.js'
import type { Link } from './link.js'
import { monotonicNow } from './internal.js'

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
 */
export function retry(options: RetryOptions = {}): Link {
  const { maxAttempts = 3, baseDelayMs = 100, maxDelayMs = 5_000, maxElapsedMs = Number.POSITIVE_INFINITY, random = Math.random, now = monotonicNow } = options
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new PortabaseError('invalid-argument', 'retry() maxAttempts must be an integer ≥ 1')
  if (!(maxElapsedMs > 0)) throw new PortabaseError('invalid-argument', `retry() maxElapsedMs must be a positive number, got ${maxElapsedMs}`)
  return async (op, next) => {
    const startedAt = now()
    for (let attempt = 1; ; attempt++) {
      try {
        return await next({ ...op, context: { ...op.context, attempt } })
      } catch (error) {
        const retryable = op.idempotent && isPortabaseError(error) && error.retryable
        if (!retryable || attempt >= maxAttempts || op.signal?.aborted) throw error
        const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1))
        const delay = Math.max(error.retryAfterMs ?? 0, random() * ceiling)
        // Waiting past the budget only to fail later helps nobody: fail now with the real cause.
        if (now() - startedAt + delay > maxElapsedMs) throw error
        await sleep(delay, op.signal)
      }
    }
  }
}

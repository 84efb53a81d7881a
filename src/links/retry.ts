import { PortabaseError, isPortabaseError } from '../errors.js'
import { sleep } from './abort.js'
import type { Link } from './link.js'

export interface RetryOptions {
  /** Total attempts including the first. Default 3. */
  maxAttempts?: number
  /** First backoff ceiling in ms; doubles each attempt. Default 100. */
  baseDelayMs?: number
  /** Backoff ceiling. Default 5,000. */
  maxDelayMs?: number
  /** Injected for tests; defaults to Math.random. */
  random?: () => number
}

/**
 * Retries retryable failures of idempotent operations with exponential backoff and full jitter
 * (delay = random × min(max, base × 2^attempt)), honouring a server's Retry-After hint.
 */
export function retry(options: RetryOptions = {}): Link {
  const { maxAttempts = 3, baseDelayMs = 100, maxDelayMs = 5_000, random = Math.random } = options
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new PortabaseError('invalid-argument', 'retry() maxAttempts must be an integer ≥ 1')
  return async (op, next) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await next({ ...op, context: { ...op.context, attempt } })
      } catch (error) {
        const retryable = op.idempotent && isPortabaseError(error) && error.retryable
        if (!retryable || attempt >= maxAttempts || op.signal?.aborted) throw error
        const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1))
        const delay = Math.max(error.retryAfterMs ?? 0, random() * ceiling)
        await sleep(delay, op.signal)
      }
    }
  }
}

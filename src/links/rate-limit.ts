import { PortabaseError } from '../errors.js'
import { cancelledError } from './abort.js'
import { builtinLink, cancelOf, listen, unlisten, type AbortListener, type Cancel } from './cancel.js'
import type { Link, Operation } from './link.js'
import { monotonicNow } from './internal.js'

export interface RateLimitOptions {
  /** Sustained rate: tokens added to each bucket per second. */
  perSecond: number
  /** Bucket capacity: how many calls may start at once after a quiet period. Default max(1, floor(perSecond)). */
  burst?: number
  /** The bucket an operation draws from; `null` exempts it. Default `${service}.${method}`. */
  key?: (op: Operation) => string | null
  /** Most calls allowed to wait per bucket; beyond it calls fail with `resource-exhausted`. Default unbounded. */
  maxQueue?: number
  /** Clock in ms, injected for tests. Default performance.now. */
  now?: () => number
}

interface Waiter {
  resolve: () => void
  signal: Cancel
  /** Listens to `signal` while queued. */
  onAbort: AbortListener | undefined
}

interface Bucket {
  tokens: number
  updatedAt: number
  /** FIFO: a call never overtakes one queued before it, even when a token is free. */
  queue: Waiter[]
  timer: ReturnType<typeof setTimeout> | undefined
}

// Refill arithmetic is floating point; a token 1e-12 short of whole is whole.
const EPSILON = 1e-9
// Idle full buckets are dropped once there are this many, so a fine-grained key cannot leak memory.
const SWEEP_AT = 1_000

const defaultKey = (op: Operation): string => `${op.service}.${op.method}`

/**
 * Token-bucket rate limiting per service/method (or a custom key). Calls over the rate wait in a
 * FIFO queue instead of failing; a call whose signal aborts while queued leaves the queue with
 * `cancelled`; with `maxQueue`, a call finding the queue full fails with `resource-exhausted`.
 */
export function rateLimit(options: RateLimitOptions): Link {
  const { perSecond, key = defaultKey, maxQueue = Number.POSITIVE_INFINITY, now = monotonicNow } = options ?? {}
  if (typeof perSecond !== 'number' || !Number.isFinite(perSecond) || perSecond <= 0) {
    throw new PortabaseError('invalid-argument', `rateLimit() perSecond must be a positive number, got ${String(perSecond)}`)
  }
  const burst = options.burst ?? Math.max(1, Math.floor(perSecond))
  if (!Number.isInteger(burst) || burst < 1) throw new PortabaseError('invalid-argument', `rateLimit() burst must be an integer ≥ 1, got ${burst}`)
  if (!(maxQueue >= 0) || (maxQueue !== Number.POSITIVE_INFINITY && !Number.isInteger(maxQueue))) {
    throw new PortabaseError('invalid-argument', `rateLimit() maxQueue must be an integer ≥ 0, got ${maxQueue}`)
  }

  const buckets = new Map<string, Bucket>()

  const refill = (bucket: Bucket): void => {
    const t = now()
    bucket.tokens = Math.min(burst, bucket.tokens + ((t - bucket.updatedAt) * perSecond) / 1_000)
    bucket.updatedAt = t
  }

  const take = (bucket: Bucket): void => {
    bucket.tokens = Math.max(0, bucket.tokens - 1)
  }

  const bucketFor = (name: string): Bucket => {
    let bucket = buckets.get(name)
    if (!bucket) {
      if (buckets.size >= SWEEP_AT) sweep()
      bucket = { tokens: burst, updatedAt: now(), queue: [], timer: undefined }
      buckets.set(name, bucket)
    }
    return bucket
  }

  const sweep = (): void => {
    for (const [name, bucket] of buckets) {
      if (bucket.queue.length > 0) continue
      refill(bucket)
      if (bucket.tokens >= burst - EPSILON) buckets.delete(name)
    }
  }

  const release = (bucket: Bucket): void => {
    bucket.timer = undefined
    refill(bucket)
    while (bucket.queue.length > 0 && bucket.tokens >= 1 - EPSILON) {
      take(bucket)
      const waiter = bucket.queue.shift()!
      if (waiter.onAbort && waiter.signal) unlisten(waiter.signal, waiter.onAbort)
      waiter.resolve()
    }
    schedule(bucket)
  }

  // One timer per bucket, set for when the head of the queue will have its token.
  const schedule = (bucket: Bucket): void => {
    if (bucket.timer !== undefined || bucket.queue.length === 0) return
    const waitMs = Math.max(0, ((1 - bucket.tokens) * 1_000) / perSecond)
    bucket.timer = setTimeout(() => release(bucket), Math.ceil(waitMs))
  }

  const enqueue = (bucket: Bucket, name: string, signal: Cancel): Promise<void> => {
    if (signal?.aborted) return Promise.reject(cancelledError(signal))
    if (bucket.queue.length >= maxQueue) {
      return Promise.reject(
        // Not retryable: the queue bound exists to shed load, and retry() would only add it back.
        new PortabaseError('resource-exhausted', `Rate limit queue for ${name} is full (maxQueue ${maxQueue})`, {
          retryable: false,
          details: { key: name, maxQueue },
        }),
      )
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, signal, onAbort: undefined }
      if (signal) {
        waiter.onAbort = {
          handleEvent: () => {
            const index = bucket.queue.indexOf(waiter)
            if (index >= 0) bucket.queue.splice(index, 1)
            if (bucket.queue.length === 0 && bucket.timer !== undefined) {
              clearTimeout(bucket.timer)
              bucket.timer = undefined
            }
            reject(cancelledError(signal))
          },
        }
        listen(signal, waiter.onAbort)
      }
      bucket.queue.push(waiter)
      schedule(bucket)
    })
  }

  return builtinLink(async (op, next) => {
    const name = key(op)
    if (name === null) return next(op)
    const signal = cancelOf(op)
    // An abandoned call must not spend a token another call could use.
    if (signal?.aborted) throw cancelledError(signal)
    const bucket = bucketFor(name)
    refill(bucket)
    if (bucket.queue.length === 0 && bucket.tokens >= 1 - EPSILON) take(bucket)
    else await enqueue(bucket, name, signal)
    return next(op)
  })
}

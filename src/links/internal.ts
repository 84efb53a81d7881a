/** Helpers shared by the links; not part of the public API. */
import { isAbortError, isPortabaseError, type ErrorCode } from '../errors.js'

/** The code a caller will see for this failure: the pipeline maps anything else the same way. */
export function errorCodeOf(error: unknown): ErrorCode {
  if (isPortabaseError(error)) return error.code
  if (isAbortError(error)) return 'cancelled'
  return 'internal'
}

/** Monotonic ms where available (immune to wall-clock jumps), else Date.now. */
export function monotonicNow(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now()
}

/** Calls `next` so that a synchronous throw becomes a rejection, like an async function would. */
export function callNext<T>(next: () => Promise<T>): Promise<T> {
  try {
    return next()
  } catch (error) {
    return Promise.reject(error)
  }
}

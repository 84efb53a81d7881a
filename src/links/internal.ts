/** Helpers shared by the links; not part of the public API. */
import { isAbortError, isPortabaseError, type ErrorCode } from '../errors.js'
import type { NextLink, Operation } from './link.js'

/** The code a caller will see for this failure: the pipeline maps anything else the same way. */
export function errorCodeOf(error: unknown): ErrorCode {
  if (isPortabaseError(error)) return error.code
  if (isAbortError(error)) return 'cancelled'
  return 'internal'
}

/**
 * Monotonic ms where available (immune to wall-clock jumps), else Date.now. Looks `performance` up
 * on every call (test fake timers replace the global object), but only once.
 */
export function monotonicNow(): number {
  const perf = (globalThis as { performance?: { now(): number } }).performance
  return perf !== undefined ? perf.now() : Date.now()
}

/** `now()`, or `at` when `now` is the default clock and a neighbouring link has just read it (see stage.ts). */
export function readClock(now: () => number, at: number | undefined): number {
  return at !== undefined && now === monotonicNow ? at : now()
}

/** The `at` a stage passes on after reading `now` (as `reading`): its own reading if on the default clock. */
export function shareClock(now: () => number, reading: number, at: number | undefined): number | undefined {
  return now === monotonicNow ? reading : at
}

/** Calls `next(op)` so that a synchronous throw becomes a rejection, like an async function would. */
export function callNext(next: NextLink, op: Operation): Promise<unknown> {
  try {
    return next(op)
  } catch (error) {
    return Promise.reject(error)
  }
}

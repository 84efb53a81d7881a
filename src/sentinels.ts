import type { Value } from './types.js'

const BRAND = Symbol.for('portabase.sentinel')

export type Sentinel =
  | { readonly [BRAND]: true; readonly kind: 'serverTimestamp' }
  | { readonly [BRAND]: true; readonly kind: 'increment'; readonly by: number }
  | { readonly [BRAND]: true; readonly kind: 'arrayUnion'; readonly values: readonly Value[] }
  | { readonly [BRAND]: true; readonly kind: 'arrayRemove'; readonly values: readonly Value[] }
  | { readonly [BRAND]: true; readonly kind: 'deleteField' }

export type SentinelKind = Sentinel['kind']

/** The server's clock at write time (capability `serverTimestamp`). */
export const serverTimestamp = (): Sentinel => Object.freeze({ [BRAND]: true as const, kind: 'serverTimestamp' as const })
/** Atomically adds `by` to a number (capability `increment`); a missing field counts as 0. */
export const increment = (by: number): Sentinel => Object.freeze({ [BRAND]: true as const, kind: 'increment' as const, by })
/** Adds each value not already present (capability `arrayOps`). */
export const arrayUnion = (...values: Value[]): Sentinel => Object.freeze({ [BRAND]: true as const, kind: 'arrayUnion' as const, values })
/** Removes every occurrence of each value (capability `arrayOps`). */
export const arrayRemove = (...values: Value[]): Sentinel => Object.freeze({ [BRAND]: true as const, kind: 'arrayRemove' as const, values })
/** Removes the field, in `update()` only. */
export const deleteField = (): Sentinel => Object.freeze({ [BRAND]: true as const, kind: 'deleteField' as const })

export function isSentinel(value: unknown): value is Sentinel {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
}

/** A value as written by app code: plain values, or sentinels at top-level fields. */
export type WriteValue = Value | Sentinel
export type WriteData = { [field: string]: WriteValue }

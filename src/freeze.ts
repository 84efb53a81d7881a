/**
 * Deep-freezes a value in place. The client freezes every document it hands out, whatever the
 * adapter, so code that mutates a snapshot fails the same way on every backend (and in tests).
 * Already-frozen values (the memory adapter's) return at once.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
  }
  return value
}

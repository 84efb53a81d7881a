import { PortabaseError } from './errors.js'
import { valuesEqual } from './query/compare.js'
import { isSentinel, type Sentinel, type WriteData } from './sentinels.js'
import type { DocumentData, Value } from './types.js'
import { cloneValue } from './values.js'

/** Resolves one sentinel against the field's current value. `undefined` means: remove the field. */
export function resolveSentinel(sentinel: Sentinel, current: Value | undefined, now: Date): Value | undefined {
  switch (sentinel.kind) {
    case 'serverTimestamp':
      return new Date(now.getTime())
    case 'increment':
      return (typeof current === 'number' ? current : 0) + sentinel.by
    case 'arrayUnion': {
      const base = Array.isArray(current) ? [...current] : []
      for (const v of sentinel.values) if (!base.some((x) => valuesEqual(x, v))) base.push(cloneValue(v))
      return base
    }
    case 'arrayRemove':
      return Array.isArray(current) ? current.filter((x) => !sentinel.values.some((v) => valuesEqual(x, v))) : []
    case 'deleteField':
      return undefined
  }
}

/**
 * The data a document holds after a write, computed the same way by the memory adapter and the
 * offline cache. `existing` is undefined when the document does not exist.
 */
export function applyWrite(
  existing: DocumentData | undefined,
  op: { type: 'create' | 'set' | 'update'; data: WriteData },
  now: Date,
): DocumentData {
  if (op.type === 'update' && existing === undefined) {
    throw new PortabaseError('not-found', 'Cannot update a document that does not exist')
  }
  const base: DocumentData = op.type === 'update' ? { ...existing } : {}
  for (const [field, value] of Object.entries(op.data)) {
    const next = isSentinel(value) ? resolveSentinel(value, base[field], now) : cloneValue(value)
    if (next === undefined) delete base[field]
    else base[field] = next
  }
  return base
}

/** Kinds of sentinel in a write, for capability checks. */
export function sentinelKinds(data: WriteData): Set<Sentinel['kind']> {
  const kinds = new Set<Sentinel['kind']>()
  for (const value of Object.values(data)) if (isSentinel(value)) kinds.add(value.kind)
  return kinds
}

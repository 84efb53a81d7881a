/**
 * The vendor limits an adapter declares (`capabilities.limits`), enforced by the client before the
 * adapter is called, so an app meets them as the same `invalid-argument` on every vendor that has
 * them — and not at all on vendors that do not. (`limits` is read defensively: an adapter built
 * before it existed declares none.)
 */
import { PortabaseError } from './errors.js'
import type { Adapter, AdapterLimits } from './spi.js'

function overLimit(adapter: Pick<Adapter, 'name'>, message: string, details: Record<string, unknown>): PortabaseError {
  return new PortabaseError('invalid-argument', message, { provider: adapter.name, details })
}

/** `maxBatchWrites`: a `batch()` with more writes is refused. */
export function assertBatchSize(adapter: Pick<Adapter, 'name' | 'capabilities'>, writes: number): void {
  const max = adapter.capabilities.limits?.maxBatchWrites
  if (max !== undefined && writes > max) {
    throw overLimit(adapter, `A batch on the ${adapter.name} adapter holds at most ${max} writes; got ${writes}`, { limit: 'maxBatchWrites', max })
  }
}

/** `maxInValues`: an `in`, `not-in` or `array-contains-any` list with more values is refused. */
export function assertListSize(adapter: Pick<Adapter, 'name'>, limits: AdapterLimits | undefined, op: string, values: number): void {
  const max = limits?.maxInValues
  if (max !== undefined && values > max) {
    throw overLimit(adapter, `'${op}' on the ${adapter.name} adapter takes at most ${max} values; got ${values}`, { limit: 'maxInValues', max })
  }
}

/** `reservedFieldNames`: a top-level field (of a write, or the head of a query's field path) with one of these names is refused. */
export function assertFieldNotReserved(adapter: Pick<Adapter, 'name'>, limits: AdapterLimits | undefined, field: string): void {
  if (limits?.reservedFieldNames?.includes(field)) {
    throw overLimit(adapter, `The field name ${field} is reserved by the ${adapter.name} adapter (reserved: ${limits.reservedFieldNames.join(', ')})`, {
      limit: 'reservedFieldNames',
      field,
    })
  }
}

/**
 * Adapter-declared limits (src/limits.ts) as the client enforces them: a declared limit refuses
 * one over it with invalid-argument naming the adapter, accepts up to it; none declared, nothing
 * is refused (also for adapters built before `limits` existed). The contract suite's `limits`
 * section checks the same through the client on every adapter.
 */
import { PortabaseError } from '../../src/errors.js'
import { assertBatchSize, assertFieldNotReserved, assertListSize } from '../../src/limits.js'
import type { AdapterLimits, Capabilities } from '../../src/spi.js'

const LIMITS: AdapterLimits = { maxBatchWrites: 500, maxInValues: 30, reservedFieldNames: ['objectId', 'ACL'] }
const adapter = (limits: AdapterLimits | undefined) => ({ name: 'vendor', capabilities: { limits } as unknown as Capabilities })

function refusal(action: () => void): PortabaseError {
  try {
    action()
  } catch (error) {
    if (error instanceof PortabaseError) return error
    throw error
  }
  throw new Error('expected a refusal')
}

describe('declared limits', () => {
  test('maxBatchWrites: 500 accepted, 501 refused', () => {
    expect(() => assertBatchSize(adapter(LIMITS), 500)).not.toThrow()
    expect(refusal(() => assertBatchSize(adapter(LIMITS), 501))).toMatchObject({ code: 'invalid-argument', provider: 'vendor', details: { limit: 'maxBatchWrites', max: 500 } })
  })

  test('maxInValues: 30 accepted, 31 refused', () => {
    expect(() => assertListSize(adapter(LIMITS), LIMITS, 'in', 30)).not.toThrow()
    expect(refusal(() => assertListSize(adapter(LIMITS), LIMITS, 'not-in', 31))).toMatchObject({ code: 'invalid-argument', provider: 'vendor', details: { limit: 'maxInValues', max: 30 } })
  })

  test('reservedFieldNames: the declared names refused, others accepted', () => {
    for (const name of ['objectId', 'ACL']) {
      expect(refusal(() => assertFieldNotReserved(adapter(LIMITS), LIMITS, name))).toMatchObject({ code: 'invalid-argument', provider: 'vendor', details: { limit: 'reservedFieldNames', field: name } })
    }
    expect(() => assertFieldNotReserved(adapter(LIMITS), LIMITS, 'sessionToken')).not.toThrow()
    expect(() => assertFieldNotReserved(adapter(LIMITS), LIMITS, 'objectid')).not.toThrow()
  })

  test.each([[{}], [undefined]])('none declared (%p): nothing is refused', (limits) => {
    expect(() => assertBatchSize(adapter(limits), 100_000)).not.toThrow()
    expect(() => assertListSize(adapter(limits), limits, 'in', 100_000)).not.toThrow()
    expect(() => assertFieldNotReserved(adapter(limits), limits, 'objectId')).not.toThrow()
  })
})

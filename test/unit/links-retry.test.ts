import { PortabaseError, type ErrorCode } from '../../src/errors.js'
import { retry, type NextLink, type Operation } from '../../src/links/index.js'
import { createTestClient } from '../../adapters/memory/testing.js'
import { op as baseOp } from './link-support.js'

const op = (overrides: Partial<Operation> = {}): Operation => baseOp(overrides, [])
const failure = (code: ErrorCode, retryAfterMs?: number): PortabaseError => new PortabaseError(code, `injected ${code}`, { retryAfterMs })

/** Fails with the given errors in turn, then resolves 'ok'; records when each attempt started. */
function flaky(errors: unknown[]): NextLink & { times: number[] } {
  const times: number[] = []
  const next = async (): Promise<unknown> => {
    times.push(Date.now())
    const error = errors[times.length - 1]
    if (error !== undefined) throw error
    return 'ok'
  }
  return Object.assign(next, { times })
}

async function settle(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  )
}

describe('retry(): retryAfterMs and maxElapsedMs', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }))
  afterEach(() => jest.useRealTimers())

  it("honours a server's retryAfterMs even above maxDelayMs", async () => {
    const next = flaky([failure('resource-exhausted', 8_000)])
    const result = settle(retry({ maxDelayMs: 1_000, random: () => 1 })(op(), next))
    await jest.advanceTimersByTimeAsync(7_999)
    expect(next.times).toEqual([0])
    await jest.advanceTimersByTimeAsync(1)
    expect(await result).toEqual({ value: 'ok' })
    expect(next.times).toEqual([0, 8_000])
  })

  it('uses the jittered backoff when it is longer than retryAfterMs', async () => {
    const next = flaky([failure('unavailable', 10)])
    const result = settle(retry({ baseDelayMs: 400, random: () => 0.5 })(op(), next))
    await jest.runAllTimersAsync()
    expect(await result).toEqual({ value: 'ok' })
    expect(next.times).toEqual([0, 200])
  })

  it('does not start a retry whose wait would end past maxElapsedMs, and fails with the last error', async () => {
    const errors = [failure('unavailable'), failure('unavailable'), failure('deadline-exceeded'), failure('unavailable')]
    const next = flaky(errors)
    // Waits: 1,000 then 2,000 (random 1, base 1,000): attempts at 0, 1,000, 3,000; the next wait would end at 7,000 > 5,000.
    const result = settle(retry({ maxAttempts: 10, baseDelayMs: 1_000, maxElapsedMs: 5_000, random: () => 1 })(op(), next))
    await jest.runAllTimersAsync()
    expect(await result).toEqual({ error: errors[2] })
    expect(next.times).toEqual([0, 1_000, 3_000])
  })

  it('counts the time attempts take, not just the waits', async () => {
    let calls = 0
    const slow: NextLink = () =>
      new Promise((_, reject) => {
        calls += 1
        setTimeout(() => reject(failure('unavailable')), 3_000)
      })
    const result = settle(retry({ maxAttempts: 10, baseDelayMs: 100, maxElapsedMs: 5_000, random: () => 0 })(op(), slow))
    await jest.runAllTimersAsync()
    expect(await result).toMatchObject({ error: { code: 'unavailable' } })
    // 0–3,000 first attempt, 3,000–6,000 second; a third would start past the budget.
    expect(calls).toBe(2)
    expect(Date.now()).toBe(6_000)
  })

  it('gives up at once when retryAfterMs exceeds what is left of the budget', async () => {
    const error = failure('resource-exhausted', 60_000)
    const next = flaky([error])
    const result = settle(retry({ maxElapsedMs: 10_000 })(op(), next))
    await jest.advanceTimersByTimeAsync(0)
    expect(await result).toEqual({ error })
    expect(next.times).toEqual([0])
    expect(jest.getTimerCount()).toBe(0)
  })

  it('measures elapsed time with the injected clock', async () => {
    const readings = [0, 400, 1_200]
    const next = flaky([failure('unavailable'), failure('unavailable'), failure('unavailable')])
    const link = retry({ maxAttempts: 5, maxElapsedMs: 1_000, random: () => 0, now: () => readings.shift()! })
    const result = settle(link(op(), next))
    await jest.runAllTimersAsync()
    // Start at 0; first failure read at 400 (within budget: retry); second at 1,200 (past it: give up).
    expect(await result).toMatchObject({ error: { code: 'unavailable' } })
    expect(next.times).toHaveLength(2)
  })

  it.each([0, -1, Number.NaN])('refuses maxElapsedMs %p with invalid-argument', (maxElapsedMs) => {
    expect(() => retry({ maxElapsedMs })).toThrow(expect.objectContaining({ code: 'invalid-argument' }))
  })

  it("in a client: waits the memory backend's injected retryAfterMs before retrying", async () => {
    const kit = createTestClient({ seed: { todos: { t1: { v: 1 } } }, links: [retry({ random: () => 0 })] })
    kit.failNext(1, 'resource-exhausted', { service: 'documents', method: 'get', retryAfterMs: 1_500 })
    const read = kit.app.db.collection('todos').doc('t1').get()
    await jest.advanceTimersByTimeAsync(1_499)
    expect(kit.adapter.network.calls.get('documents.get')).toBe(1)
    await jest.advanceTimersByTimeAsync(1)
    expect((await read)?.data).toEqual({ v: 1 })
    expect(kit.adapter.network.calls.get('documents.get')).toBe(2)
    await kit.dispose()
  })
})

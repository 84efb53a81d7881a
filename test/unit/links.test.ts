import { memory } from '../../adapters/memory/index.js'
import { createClient } from '../../src/client/client.js'
import { PortabaseError, type ErrorCode } from '../../src/errors.js'
import { chain, retry, timeout, type Link, type NextLink, type Operation } from '../../src/links/index.js'
import { op as baseOp, rejection } from './link-support.js'

const op = (overrides: Partial<Operation> = {}): Operation => baseOp(overrides, [])
const failure = (code: ErrorCode, extra: { retryAfterMs?: number; retryable?: boolean } = {}) => new PortabaseError(code, `injected ${code}`, { provider: 'test', ...extra })

/** A terminal that fails with the given errors in turn, then resolves 'ok'; records when each attempt started. */
function flaky(errors: unknown[]): NextLink & { calls: Operation[]; times: number[] } {
  const calls: Operation[] = []
  const times: number[] = []
  const next = (async (o: Operation) => {
    calls.push(o)
    times.push(Date.now())
    const error = errors[calls.length - 1]
    if (error !== undefined) throw error
    return 'ok'
  }) as NextLink & { calls: Operation[]; times: number[] }
  next.calls = calls
  next.times = times
  return next
}

describe('retry()', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }))
  afterEach(() => jest.useRealTimers())

  it('retries a retryable failure of an idempotent operation until it succeeds', async () => {
    const next = flaky([failure('unavailable'), failure('deadline-exceeded')])
    const result = retry({ random: () => 0 })(op(), next)
    await jest.runAllTimersAsync()
    await expect(result).resolves.toBe('ok')
    expect(next.calls).toHaveLength(3)
    expect(next.calls.map((c) => c.context.attempt)).toEqual([1, 2, 3])
  })

  it('gives up after maxAttempts with the last error', async () => {
    const next = flaky([failure('unavailable'), failure('unavailable'), failure('resource-exhausted'), failure('unavailable')])
    const result = rejection(retry({ maxAttempts: 3, random: () => 0 })(op(), next) as Promise<unknown>)
    await jest.runAllTimersAsync()
    expect((await result).code).toBe('resource-exhausted')
    expect(next.calls).toHaveLength(3)
  })

  it('never retries a non-idempotent operation', async () => {
    const next = flaky([failure('unavailable')])
    const result = rejection(retry({ random: () => 0 })(op({ idempotent: false }), next) as Promise<unknown>)
    await jest.runAllTimersAsync()
    expect((await result).code).toBe('unavailable')
    expect(next.calls).toHaveLength(1)
  })

  it.each<ErrorCode>(['not-found', 'permission-denied', 'invalid-argument', 'internal', 'cancelled'])('does not retry the non-retryable code %s', async (code) => {
    const next = flaky([failure(code)])
    const result = rejection(retry({ random: () => 0 })(op(), next) as Promise<unknown>)
    await jest.runAllTimersAsync()
    expect((await result).code).toBe(code)
    expect(next.calls).toHaveLength(1)
  })

  it('does not retry a raw error (only PortabaseErrors carry retryability)', async () => {
    const next = flaky([new Error('boom')])
    const result = retry({ random: () => 0 })(op(), next)
    const settled = expect(result).rejects.toThrow('boom')
    await jest.runAllTimersAsync()
    await settled
    expect(next.calls).toHaveLength(1)
  })

  it('retries an error explicitly marked retryable', async () => {
    const next = flaky([failure('internal', { retryable: true })])
    const result = retry({ random: () => 0 })(op(), next)
    await jest.runAllTimersAsync()
    await expect(result).resolves.toBe('ok')
    expect(next.calls).toHaveLength(2)
  })

  it('waits random × min(maxDelay, base × 2^(attempt-1)) between attempts (full jitter)', async () => {
    const next = flaky([failure('unavailable'), failure('unavailable'), failure('unavailable')])
    const result = retry({ maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 5_000, random: () => 0.5 })(op(), next)
    await jest.runAllTimersAsync()
    await expect(result).resolves.toBe('ok')
    expect(next.times).toEqual([0, 50, 150, 350])
  })

  it('caps the backoff ceiling at maxDelayMs', async () => {
    const next = flaky([failure('unavailable'), failure('unavailable'), failure('unavailable')])
    const result = retry({ maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 1_500, random: () => 1 })(op(), next)
    await jest.runAllTimersAsync()
    await expect(result).resolves.toBe('ok')
    expect(next.times).toEqual([0, 1_000, 2_500, 4_000])
  })

  it("waits at least the server's retryAfterMs", async () => {
    const next = flaky([failure('resource-exhausted', { retryAfterMs: 2_000 })])
    const result = retry({ baseDelayMs: 100, random: () => 0.1 })(op(), next)
    await jest.advanceTimersByTimeAsync(1_999)
    expect(next.calls).toHaveLength(1)
    await jest.advanceTimersByTimeAsync(1)
    await expect(result).resolves.toBe('ok')
    expect(next.times).toEqual([0, 2_000])
  })

  it('stops with cancelled when the signal aborts during the backoff', async () => {
    const controller = new AbortController()
    const next = flaky([failure('unavailable'), failure('unavailable')])
    const result = rejection(retry({ baseDelayMs: 1_000, random: () => 1 })(op({ signal: controller.signal }), next) as Promise<unknown>)
    await jest.advanceTimersByTimeAsync(500)
    controller.abort()
    await jest.runAllTimersAsync()
    expect((await result).code).toBe('cancelled')
    expect(next.calls).toHaveLength(1)
  })

  it('does not retry once the signal is already aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    const next = flaky([failure('unavailable')])
    const result = rejection(retry({ random: () => 0 })(op({ signal: controller.signal }), next) as Promise<unknown>)
    await jest.runAllTimersAsync()
    expect((await result).code).toBe('unavailable')
    expect(next.calls).toHaveLength(1)
  })

  it.each([0, -1, 1.5])('refuses maxAttempts %p with invalid-argument', (maxAttempts) => {
    expect(() => retry({ maxAttempts })).toThrow(expect.objectContaining({ code: 'invalid-argument' }))
  })
})

describe('timeout()', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }))
  afterEach(() => jest.useRealTimers())

  it('fails with deadline-exceeded at the deadline even if the call never settles, and aborts its signal', async () => {
    let seen: AbortSignal | undefined
    const next: NextLink = (o) => {
      seen = o.signal
      return new Promise(() => undefined)
    }
    const result = rejection(timeout(1_000)(op(), next) as Promise<unknown>)
    await jest.advanceTimersByTimeAsync(999)
    expect(seen?.aborted).toBe(false)
    await jest.advanceTimersByTimeAsync(1)
    const error = await result
    expect(error.code).toBe('deadline-exceeded')
    expect(error.retryable).toBe(true)
    expect(seen?.aborted).toBe(true)
    expect(seen?.reason).toBeInstanceOf(PortabaseError)
    expect((seen?.reason as PortabaseError).code).toBe('deadline-exceeded')
  })

  it('passes the result through in time; its one shared timer stops by itself once idle', async () => {
    const next: NextLink = async () => 'done'
    const link = timeout(1_000)
    await expect(link(op(), next)).resolves.toBe('done')
    await expect(link(op(), next)).resolves.toBe('done')
    // Not cleared per call (that costs more than the rest of the link): left unref'd, so it holds
    // nothing open (test/unit/links-deadlines.test.ts checks the ref state), and gone after one period.
    expect(jest.getTimerCount()).toBeLessThanOrEqual(1)
    await jest.advanceTimersByTimeAsync(1_000)
    expect(jest.getTimerCount()).toBe(0)
  })

  it('dispose() drops its timer at once', async () => {
    const link = timeout(1_000)
    await link(op(), async () => 'done')
    link.dispose?.()
    expect(jest.getTimerCount()).toBe(0)
  })

  it("passes the caller's abort through as cancelled", async () => {
    const controller = new AbortController()
    const next: NextLink = () => new Promise(() => undefined)
    const result = rejection(timeout(10_000)(op({ signal: controller.signal }), next) as Promise<unknown>)
    controller.abort()
    expect((await result).code).toBe('cancelled')
  })

  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %p ms with invalid-argument', (ms) => {
    expect(() => timeout(ms)).toThrow(expect.objectContaining({ code: 'invalid-argument' }))
  })

  it('inside retry(), each attempt gets its own deadline and a timed-out read is retried', async () => {
    let attempts = 0
    const next: NextLink = () => (++attempts === 1 ? new Promise(() => undefined) : Promise.resolve('second'))
    const result = chain([retry({ random: () => 0 }), timeout(100)], next)(op())
    await jest.runAllTimersAsync()
    await expect(result).resolves.toBe('second')
    expect(attempts).toBe(2)
  })
})

describe('chain()', () => {
  it('runs links outermost first around the terminal call', async () => {
    const order: string[] = []
    const tag =
      (name: string): Link =>
      async (o, next) => {
        order.push(`>${name}`)
        const result = await next(o)
        order.push(`<${name}`)
        return result
      }
    const result = await chain([tag('a'), tag('b')], async () => {
      order.push('call')
      return 1
    })(op())
    expect(result).toBe(1)
    expect(order).toEqual(['>a', '>b', 'call', '<b', '<a'])
  })
})

describe('links in a client (memory adapter)', () => {
  it('retry() recovers reads from transient faults; on an adapter without write ids, writes that are not idempotent are not repeated', async () => {
    // Without `sync` the adapter records no write ids (as Firebase): an update cannot be keyed.
    const adapter = { ...memory(), sync: undefined }
    const app = createClient({ adapter, links: [retry({ random: () => 0 })] })
    const todos = app.db.collection('todos')
    await todos.doc('t').set({ v: 1 })
    adapter.network.failNext(2, 'unavailable', { service: 'documents', method: 'get' })
    expect((await todos.doc('t').get())?.data).toEqual({ v: 1 })
    expect(adapter.network.calls.get('documents.get')).toBe(3)

    adapter.network.failNext(1, 'unavailable', { service: 'documents', method: 'write' })
    await expect(todos.doc('u').update({ v: 2 })).rejects.toMatchObject({ code: 'unavailable' })
    expect(adapter.network.calls.get('documents.write')).toBe(2)
    await app.dispose()
  })
})

import { PortabaseError } from '../../src/errors.js'
import { chain, rateLimit, timeout, type NextLink, type Operation } from '../../src/links/index.js'
import { createTestClient } from '../../adapters/memory/testing.js'
import { op as baseOp, rejection } from './link-support.js'

const op = (overrides: Partial<Operation> = {}): Operation => baseOp(overrides, ['c', 'id'])

/** A terminal that resolves at once and records the time and label of each call it receives. */
function recorder(): NextLink & { started: { at: number; label: unknown }[] } {
  const started: { at: number; label: unknown }[] = []
  const next = (async (o: Operation) => {
    started.push({ at: Date.now(), label: o.context.label })
    return o.context.label
  }) as NextLink & { started: { at: number; label: unknown }[] }
  next.started = started
  return next
}

describe('rateLimit()', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }))
  afterEach(() => jest.useRealTimers())

  it('lets a burst through at once, then one call per 1/perSecond, in FIFO order', async () => {
    const next = recorder()
    const link = rateLimit({ perSecond: 10, burst: 3 })
    const results = Array.from({ length: 6 }, (_, i) => link(op({ context: { label: i } }), next))
    await jest.advanceTimersByTimeAsync(0)
    expect(next.started.map((s) => s.label)).toEqual([0, 1, 2])
    await jest.runAllTimersAsync()
    await expect(Promise.all(results)).resolves.toEqual([0, 1, 2, 3, 4, 5])
    expect(next.started).toEqual([
      { at: 0, label: 0 },
      { at: 0, label: 1 },
      { at: 0, label: 2 },
      { at: 100, label: 3 },
      { at: 200, label: 4 },
      { at: 300, label: 5 },
    ])
    expect(jest.getTimerCount()).toBe(0)
  })

  it('queues rather than drops, and a newcomer never overtakes the queue even when a token is free', async () => {
    const next = recorder()
    const link = rateLimit({ perSecond: 1, burst: 1 })
    const a = link(op({ context: { label: 'a' } }), next)
    const b = link(op({ context: { label: 'b' } }), next)
    await jest.advanceTimersByTimeAsync(999)
    expect(next.started.map((s) => s.label)).toEqual(['a'])
    const c = link(op({ context: { label: 'c' } }), next)
    await jest.advanceTimersByTimeAsync(1)
    expect(next.started.map((s) => s.label)).toEqual(['a', 'b'])
    await jest.runAllTimersAsync()
    await Promise.all([a, b, c])
    expect(next.started.map((s) => [s.label, s.at])).toEqual([
      ['a', 0],
      ['b', 1_000],
      ['c', 2_000],
    ])
  })

  it('keeps one bucket per service/method by default', async () => {
    const next = recorder()
    const link = rateLimit({ perSecond: 1, burst: 1 })
    void link(op({ method: 'get', context: { label: 'get1' } }), next)
    void link(op({ method: 'query', context: { label: 'query1' } }), next)
    void link(op({ method: 'get', context: { label: 'get2' } }), next)
    await jest.advanceTimersByTimeAsync(0)
    expect(next.started.map((s) => s.label)).toEqual(['get1', 'query1'])
    await jest.runAllTimersAsync()
    expect(next.started.map((s) => s.label)).toEqual(['get1', 'query1', 'get2'])
  })

  it('uses a custom key to share or split buckets, and null exempts an operation', async () => {
    const next = recorder()
    const link = rateLimit({ perSecond: 1, burst: 1, key: (o) => (o.service === 'auth' ? null : o.service) })
    void link(op({ method: 'get', context: { label: 'get' } }), next)
    void link(op({ method: 'query', context: { label: 'query' } }), next)
    void link(op({ service: 'auth', method: 'signIn', context: { label: 'auth1' } }), next)
    void link(op({ service: 'auth', method: 'signIn', context: { label: 'auth2' } }), next)
    await jest.advanceTimersByTimeAsync(0)
    expect(next.started.map((s) => s.label)).toEqual(['get', 'auth1', 'auth2'])
    await jest.runAllTimersAsync()
    expect(next.started.map((s) => s.label)).toEqual(['get', 'auth1', 'auth2', 'query'])
  })

  it('refills up to burst while idle, not beyond', async () => {
    const next = recorder()
    const link = rateLimit({ perSecond: 2, burst: 2 })
    await Promise.all([link(op(), next), link(op(), next)])
    await jest.advanceTimersByTimeAsync(60_000)
    const calls = [link(op(), next), link(op(), next), link(op(), next)]
    await jest.advanceTimersByTimeAsync(0)
    expect(next.started.map((s) => s.at)).toEqual([0, 0, 60_000, 60_000])
    await jest.runAllTimersAsync()
    await Promise.all(calls)
    expect(next.started.map((s) => s.at)).toEqual([0, 0, 60_000, 60_000, 60_500])
  })

  it('defaults burst to floor(perSecond), at least 1', async () => {
    const next = recorder()
    const fractional = rateLimit({ perSecond: 0.5 })
    void fractional(op(), next)
    void fractional(op(), next)
    await jest.advanceTimersByTimeAsync(0)
    expect(next.started).toHaveLength(1)
    await jest.advanceTimersByTimeAsync(2_000)
    expect(next.started.map((s) => s.at)).toEqual([0, 2_000])

    const fast = recorder()
    const five = rateLimit({ perSecond: 5 })
    for (let i = 0; i < 6; i++) void five(op(), fast)
    await jest.advanceTimersByTimeAsync(0)
    expect(fast.started).toHaveLength(5)
    await jest.runAllTimersAsync()
  })

  it('an abort while queued rejects with cancelled, leaves the queue, and the next waiter moves up', async () => {
    const next = recorder()
    const link = rateLimit({ perSecond: 1, burst: 1 })
    const controller = new AbortController()
    void link(op({ context: { label: 'first' } }), next)
    const aborted = rejection(link(op({ signal: controller.signal, context: { label: 'aborted' } }), next) as Promise<unknown>)
    const third = link(op({ context: { label: 'third' } }), next)
    await jest.advanceTimersByTimeAsync(300)
    controller.abort()
    expect((await aborted).code).toBe('cancelled')
    await jest.advanceTimersByTimeAsync(700)
    await expect(third).resolves.toBe('third')
    expect(next.started.map((s) => [s.label, s.at])).toEqual([
      ['first', 0],
      ['third', 1_000],
    ])
  })

  it('clears its timer when the last waiter aborts, so nothing keeps the process alive', async () => {
    const next = recorder()
    const link = rateLimit({ perSecond: 1, burst: 1 })
    const controller = new AbortController()
    void link(op(), next)
    const queued = rejection(link(op({ signal: controller.signal }), next) as Promise<unknown>)
    expect(jest.getTimerCount()).toBe(1)
    controller.abort()
    await queued
    expect(jest.getTimerCount()).toBe(0)
    expect(next.started).toHaveLength(1)
  })

  it('rejects a call whose signal is already aborted without queueing it or spending a token', async () => {
    const next = recorder()
    const link = rateLimit({ perSecond: 1, burst: 1 })
    const error = await rejection(link(op({ signal: AbortSignal.abort() }), next) as Promise<unknown>)
    expect(error.code).toBe('cancelled')
    expect(jest.getTimerCount()).toBe(0)
    await link(op(), next)
    expect(next.started).toHaveLength(1)
    expect((await rejection(link(op({ signal: AbortSignal.abort() }), next) as Promise<unknown>)).code).toBe('cancelled')
    expect(jest.getTimerCount()).toBe(0)
  })

  it('waiting in the queue counts against an outer timeout(), which surfaces as deadline-exceeded', async () => {
    const next = recorder()
    const send = chain([timeout(500), rateLimit({ perSecond: 1, burst: 1 })], next)
    void send(op())
    const late = rejection(send(op()) as Promise<unknown>)
    await jest.advanceTimersByTimeAsync(500)
    expect((await late).code).toBe('deadline-exceeded')
    await jest.runAllTimersAsync()
    expect(next.started).toHaveLength(1)
  })

  it('with maxQueue, a call finding the queue full fails with non-retryable resource-exhausted', async () => {
    const next = recorder()
    const link = rateLimit({ perSecond: 1, burst: 1, maxQueue: 2 })
    const accepted = [link(op(), next), link(op(), next), link(op(), next)]
    const error = await rejection(link(op(), next) as Promise<unknown>)
    expect(error.code).toBe('resource-exhausted')
    expect(error.retryable).toBe(false)
    expect(error.details).toEqual({ key: 'documents.get', maxQueue: 2 })
    await jest.runAllTimersAsync()
    await Promise.all(accepted)
    expect(next.started).toHaveLength(3)
  })

  it('maxQueue 0 never queues: calls over the rate fail at once', async () => {
    const next = recorder()
    const link = rateLimit({ perSecond: 1, burst: 1, maxQueue: 0 })
    await link(op(), next)
    expect((await rejection(link(op(), next) as Promise<unknown>)).code).toBe('resource-exhausted')
    await jest.advanceTimersByTimeAsync(1_000)
    await expect(link(op(), next)).resolves.toBeUndefined()
  })

  it('passes failures of the call through untouched', async () => {
    const link = rateLimit({ perSecond: 1 })
    const failing: NextLink = () => Promise.reject(new PortabaseError('not-found', 'gone'))
    expect((await rejection(link(op(), failing) as Promise<unknown>)).code).toBe('not-found')
  })

  it.each([
    [{ perSecond: 0 }],
    [{ perSecond: -1 }],
    [{ perSecond: Number.NaN }],
    [{ perSecond: Number.POSITIVE_INFINITY }],
    [{ perSecond: 1, burst: 0 }],
    [{ perSecond: 1, burst: 1.5 }],
    [{ perSecond: 1, maxQueue: -1 }],
    [{ perSecond: 1, maxQueue: 2.5 }],
  ])('refuses %p with invalid-argument', (options) => {
    expect(() => rateLimit(options)).toThrow(expect.objectContaining({ code: 'invalid-argument' }))
  })

  it('in a client: spaces out the round trips that reach the backend', async () => {
    const kit = createTestClient({ seed: { todos: { t1: { title: 'a' } } }, links: [rateLimit({ perSecond: 2, burst: 1 })] })
    const ref = kit.app.db.collection('todos').doc('t1')
    const reads = Promise.all([ref.get(), ref.get(), ref.get()])
    await jest.advanceTimersByTimeAsync(0)
    expect(kit.adapter.network.calls.get('documents.get')).toBe(1)
    await jest.advanceTimersByTimeAsync(500)
    expect(kit.adapter.network.calls.get('documents.get')).toBe(2)
    await jest.advanceTimersByTimeAsync(500)
    expect((await reads).map((d) => d?.data)).toEqual([{ title: 'a' }, { title: 'a' }, { title: 'a' }])
    await kit.dispose()
  })
})

import fc from 'fast-check'
import { PortabaseError, type ErrorCode } from '../../src/errors.js'
import { DEFAULT_LATENCY_BUCKETS_MS, metrics, type MetricsSnapshot, type NextLink, type Operation } from '../../src/links/index.js'
import { createTestClient } from '../../adapters/memory/testing.js'

const op = (overrides: Partial<Operation> = {}): Operation => ({ service: 'documents', method: 'get', args: ['todos', 't1'], idempotent: true, context: {}, ...overrides })

/** A clock the test moves by hand, and a terminal that takes `ms` of it and then succeeds or fails. */
function manual(): { now: () => number; call: (ms: number, error?: unknown) => NextLink } {
  let t = 0
  return {
    now: () => t,
    call: (ms, error) => async () => {
      t += ms
      if (error !== undefined) throw error
      return 'ok'
    },
  }
}

const fail = (code: ErrorCode): PortabaseError => new PortabaseError(code, `injected ${code}`)

describe('metrics()', () => {
  it('counts operations, successes and errors by code, per service.method and in total', async () => {
    const clock = manual()
    const m = metrics({ now: clock.now })
    await m(op(), clock.call(1))
    await m(op(), clock.call(1))
    await m(op(), clock.call(1, fail('not-found'))).catch(() => undefined)
    await m(op({ method: 'query' }), clock.call(1, fail('unavailable'))).catch(() => undefined)
    await m(op({ method: 'query' }), clock.call(1, fail('unavailable'))).catch(() => undefined)
    await m(op({ service: 'functions', method: 'call' }), clock.call(1, new TypeError('raw'))).catch(() => undefined)
    const s = m.snapshot()
    expect(Object.keys(s.operations).sort()).toEqual(['documents.get', 'documents.query', 'functions.call'])
    const get = s.operations['documents.get']!
    expect([get.count, get.ok, get.errors, get.errorsByCode]).toEqual([3, 2, 1, { 'not-found': 1 }])
    expect(s.operations['documents.query']!.errorsByCode).toEqual({ unavailable: 2 })
    expect(s.operations['functions.call']!.errorsByCode).toEqual({ internal: 1 })
    expect([s.total.count, s.total.ok, s.total.errors]).toEqual([6, 2, 4])
    expect(s.total.errorsByCode).toEqual({ 'not-found': 1, unavailable: 2, internal: 1 })
  })

  it('passes results and errors through unchanged', async () => {
    const clock = manual()
    const m = metrics({ now: clock.now })
    await expect(m(op(), clock.call(0))).resolves.toBe('ok')
    const error = fail('conflict')
    await expect(m(op(), clock.call(0, error))).rejects.toBe(error)
  })

  it('puts each latency in its fixed bucket (upper bounds inclusive) and tracks sum, min and max', async () => {
    const clock = manual()
    const m = metrics({ now: clock.now, bucketsMs: [10, 100] })
    for (const ms of [5, 10, 11, 100, 101, 5_000]) await m(op(), clock.call(ms))
    const latency = m.snapshot().total.latency
    expect(latency.buckets).toEqual([
      { le: 10, count: 2 },
      { le: 100, count: 2 },
      { le: Number.POSITIVE_INFINITY, count: 2 },
    ])
    expect([latency.count, latency.sumMs, latency.minMs, latency.maxMs]).toEqual([6, 5_227, 5, 5_000])
  })

  it('estimates percentiles by interpolating within the bucket, clamped to what was observed', async () => {
    const clock = manual()
    const m = metrics({ now: clock.now, bucketsMs: [10, 20, 40] })
    // 10 samples: 5 in (0, 10], 4 in (10, 20], 1 in (20, 40].
    for (const ms of [2, 4, 6, 8, 10, 12, 14, 16, 18, 30]) await m(op(), clock.call(ms))
    const { p50, p95, p99 } = m.snapshot().total.latency
    expect(p50).toBe(10) // rank 5: the top of the first bucket
    expect(p95).toBeCloseTo(30, 6) // rank 9.5: halfway through (20, 40] = 30
    expect(p99).toBeCloseTo(30, 6) // rank 9.9: 39.6 by interpolation, clamped to the max seen, 30
  })

  it('reports null percentiles, min and max before any sample', () => {
    const latency = metrics().snapshot().total.latency
    expect([latency.count, latency.p50, latency.p95, latency.p99, latency.minMs, latency.maxMs]).toEqual([0, null, null, null, null, null])
    expect(latency.buckets.map((b) => b.le)).toEqual([...DEFAULT_LATENCY_BUCKETS_MS, Number.POSITIVE_INFINITY])
  })

  it('counts operations in flight', async () => {
    const m = metrics()
    let release!: () => void
    const next: NextLink = () => new Promise((resolve) => (release = () => resolve('ok')))
    const running = m(op(), next)
    expect(m.snapshot().total.inFlight).toBe(1)
    expect(m.snapshot().operations['documents.get']!.inFlight).toBe(1)
    release()
    await running
    expect(m.snapshot().total.inFlight).toBe(0)
    expect(m.snapshot().total.count).toBe(1)
  })

  it('metrics$ replays the current snapshot, then emits one per completed operation', async () => {
    const clock = manual()
    const m = metrics({ now: clock.now })
    await m(op(), clock.call(3))
    const seen: MetricsSnapshot[] = []
    const sub = m.metrics$.subscribe((s) => seen.push(s))
    expect(seen.map((s) => s.total.count)).toEqual([1])
    await m(op(), clock.call(3))
    await m(op({ method: 'query' }), clock.call(3, fail('unavailable'))).catch(() => undefined)
    expect(seen.map((s) => s.total.count)).toEqual([1, 2, 3])
    expect(seen[2]!.operations['documents.query']!.errorsByCode).toEqual({ unavailable: 1 })
    sub.unsubscribe()
    await m(op(), clock.call(3))
    expect(seen).toHaveLength(3)
  })

  it('snapshots are independent copies', async () => {
    const clock = manual()
    const m = metrics({ now: clock.now })
    const before = m.snapshot()
    await m(op(), clock.call(1))
    expect(before.total.count).toBe(0)
    expect(m.snapshot().total.count).toBe(1)
  })

  it('reset() zeroes the counters; operations in flight still settle into them', async () => {
    const m = metrics()
    let release!: () => void
    await m(op(), async () => 'ok')
    const running = m(op(), () => new Promise((resolve) => (release = () => resolve('ok'))))
    m.reset()
    expect(m.snapshot().total.count).toBe(0)
    expect(m.snapshot().total.inFlight).toBe(1)
    release()
    await running
    expect(m.snapshot().total).toMatchObject({ count: 1, inFlight: 0 })
  })

  it.each([[[]], [[0]], [[10, 5]], [[5, 5]], [[1, Number.POSITIVE_INFINITY]], [[Number.NaN]]])('refuses bucketsMs %p with invalid-argument', (bucketsMs) => {
    expect(() => metrics({ bucketsMs })).toThrow(expect.objectContaining({ code: 'invalid-argument' }))
  })

  it('property: buckets add up, percentiles are ordered and within [min, max]', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.double({ min: 0, max: 20_000, noNaN: true }), { minLength: 1, maxLength: 200 }), async (latencies) => {
        const clock = manual()
        const m = metrics({ now: clock.now })
        for (const ms of latencies) await m(op(), clock.call(ms))
        const l = m.snapshot().total.latency
        expect(l.buckets.reduce((sum, b) => sum + b.count, 0)).toBe(latencies.length)
        expect(l.p50!).toBeLessThanOrEqual(l.p95!)
        expect(l.p95!).toBeLessThanOrEqual(l.p99!)
        expect(l.p50!).toBeGreaterThanOrEqual(l.minMs!)
        expect(l.p99!).toBeLessThanOrEqual(l.maxMs!)
        // The estimate lands in the same bucket as the true percentile.
        const sorted = [...latencies].sort((a, b) => a - b)
        const truth = sorted[Math.max(0, Math.ceil(0.5 * sorted.length) - 1)]!
        const bucketOf = (ms: number): number => l.buckets.findIndex((b) => ms <= b.le)
        expect(bucketOf(l.p50!)).toBe(bucketOf(truth))
      }),
      { numRuns: 200 },
    )
  })

  it('in a client: counts calls and injected faults', async () => {
    const m = metrics()
    const kit = createTestClient({ seed: { todos: { t1: { v: 1 } } }, links: [m] })
    const ref = kit.app.db.collection('todos').doc('t1')
    await ref.get()
    kit.failNext(1, 'unavailable', { service: 'documents', method: 'get' })
    await expect(ref.get()).rejects.toMatchObject({ code: 'unavailable' })
    await ref.set({ v: 2 })
    const s = m.snapshot()
    expect(s.operations['documents.get']).toMatchObject({ count: 2, ok: 1, errors: 1, errorsByCode: { unavailable: 1 } })
    expect(s.operations['documents.write']).toMatchObject({ count: 1, ok: 1 })
    await kit.dispose()
  })
})

/** The recommended order from docs/networking.md, exercised end to end on the memory adapter. */
import { cache, dedupe, log, metrics, rateLimit, retry, timeout, type LogEntry } from '../../src/links/index.js'
import { createTestClient } from '../../adapters/memory/testing.js'

function stack() {
  const entries: LogEntry[] = []
  const m = metrics()
  const c = cache({ ttlMs: 60_000 })
  const links = [log({ logger: (e) => entries.push(e) }), m, c, dedupe(), retry({ random: () => 0, maxElapsedMs: 10_000 }), rateLimit({ perSecond: 1, burst: 1 }), timeout(1_000)]
  return { links, entries, metrics: m, cache: c }
}

describe('recommended link order: [log, metrics, cache, dedupe, retry, rateLimit, timeout]', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }))
  afterEach(() => jest.useRealTimers())

  it('concurrent identical reads: one round trip and one rate token, one log entry and one metric per caller', async () => {
    const s = stack()
    const kit = createTestClient({ seed: { todos: { t1: { v: 1 } } }, links: s.links })
    const ref = kit.app.db.collection('todos').doc('t1')
    const reads = Promise.all([ref.get(), ref.get(), ref.get()])
    await jest.advanceTimersByTimeAsync(0)
    expect((await reads).map((d) => d?.data)).toEqual([{ v: 1 }, { v: 1 }, { v: 1 }])
    expect(kit.adapter.network.calls.get('documents.get')).toBe(1)
    expect(s.entries).toHaveLength(3)
    expect(s.metrics.snapshot().operations['documents.get']!.count).toBe(3)
    await kit.dispose()
  })

  it('cache hits spend no rate tokens: the next miss goes out at once', async () => {
    const s = stack()
    const kit = createTestClient({ seed: { todos: { t1: { v: 1 }, t2: { v: 2 } } }, links: s.links })
    const todos = kit.app.db.collection('todos')
    await todos.doc('t1').get() // takes the only token
    await jest.advanceTimersByTimeAsync(1_000)
    for (let i = 0; i < 5; i++) await todos.doc('t1').get() // hits
    const miss = todos.doc('t2').get()
    await jest.advanceTimersByTimeAsync(0)
    expect((await miss)?.data).toEqual({ v: 2 })
    expect(kit.adapter.network.calls.get('documents.get')).toBe(2)
    await kit.dispose()
  })

  it('each retry attempt waits for its own rate token; the caller sees one outcome', async () => {
    const s = stack()
    const kit = createTestClient({ seed: { todos: { t1: { v: 1 } } }, links: s.links })
    kit.failNext(1, 'unavailable', { service: 'documents', method: 'get' })
    const read = kit.app.db.collection('todos').doc('t1').get()
    await jest.advanceTimersByTimeAsync(999)
    expect(kit.adapter.network.calls.get('documents.get')).toBe(1)
    await jest.advanceTimersByTimeAsync(1)
    expect((await read)?.data).toEqual({ v: 1 })
    expect(kit.adapter.network.calls.get('documents.get')).toBe(2)
    expect(s.entries.map((e) => e.outcome)).toEqual(['ok'])
    await kit.dispose()
  })

  it('a write passes every layer once and is visible to the next read', async () => {
    const s = stack()
    const kit = createTestClient({ seed: { todos: { t1: { v: 1 } } }, links: s.links })
    const ref = kit.app.db.collection('todos').doc('t1')
    await ref.get()
    const write = ref.set({ v: 2 })
    await jest.advanceTimersByTimeAsync(1_000)
    await write
    const read = ref.get()
    await jest.advanceTimersByTimeAsync(1_000)
    expect((await read)?.data).toEqual({ v: 2 })
    expect(s.entries.map((e) => `${e.method}:${e.outcome}`)).toEqual(['get:ok', 'write:ok', 'get:ok'])
    expect(kit.adapter.network.calls.get('documents.write')).toBe(1)
    await kit.dispose()
  })
})

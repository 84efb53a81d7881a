/**
 * The fault scenarios of test/parse/faults.test.ts on the memory adapter, through
 * `portabase/testing` (failNext, setLatency, goOffline). Same links as there:
 * retry({ baseDelayMs: 5 }) then timeout(5000). Counts of calls that reached the backend
 * (`adapter.network.calls`) are asserted, not durations.
 *
 * Faults fail a call before it reaches the backend, or, with `lostResponse: true`, after a write
 * was applied (as the Parse suite's proxy drops responses).
 */
import { increment, retry, timeout, type Link } from '../../src/index.js'
import { createTestClient, type TestKit } from '../../adapters/memory/testing.js'
import { expectError } from '../contract/helpers.js'

const kits: TestKit[] = []
function kit(links: Link[] = [retry({ baseDelayMs: 5 }), timeout(5000)]): TestKit {
  const k = createTestClient({ links, seed: { todos: { a: { n: 1 } } } })
  kits.push(k)
  return k
}
const calls = (k: TestKit, name: string): number => k.adapter.network.calls.get(name) ?? 0

afterEach(async () => {
  jest.useRealTimers()
  await Promise.all(kits.splice(0).map((k) => k.dispose()))
})

describe('reads retry and succeed (memory)', () => {
  test('get() after two unavailable failures: three calls, the third answered', async () => {
    const k = kit()
    k.failNext(2, 'unavailable', { service: 'documents', method: 'get' })
    expect((await k.app.db.collection('todos').doc('a').get())?.data).toEqual({ n: 1 })
    expect(calls(k, 'documents.get')).toBe(3)
  })

  test('query get() after resource-exhausted: retried', async () => {
    const k = kit()
    k.failNext(2, 'resource-exhausted', { service: 'documents', method: 'query' })
    const result = await k.app.db.collection('todos').where('n', '==', 1).get()
    expect(result.docs.map((d) => d.id)).toEqual(['a'])
    expect(calls(k, 'documents.query')).toBe(3)
  })

  test('retryAfterMs is honoured: no retry before the hint has passed (fake timers, counted calls)', async () => {
    jest.useFakeTimers()
    const k = kit([retry({ baseDelayMs: 5, random: () => 0 }), timeout(60_000)])
    k.failNext(1, 'resource-exhausted', { service: 'documents', method: 'get', retryAfterMs: 2_000 })
    const read = k.app.db.collection('todos').doc('a').get()
    await jest.advanceTimersByTimeAsync(1_999)
    expect(calls(k, 'documents.get')).toBe(1)
    await jest.advanceTimersByTimeAsync(1)
    expect((await read)?.data).toEqual({ n: 1 })
    expect(calls(k, 'documents.get')).toBe(2)
  })

  test('a read while offline is unavailable; online again, it works', async () => {
    const k = kit()
    k.goOffline()
    await expectError(() => k.app.db.collection('todos').doc('a').get(), 'unavailable', 'a read while offline')
    expect(calls(k, 'documents.get')).toBe(3)
    k.goOnline()
    expect((await k.app.db.collection('todos').doc('a').get())?.data).toEqual({ n: 1 })
  })
})

describe('writes are never applied twice (memory)', () => {
  test('set() is idempotent: retried after unavailable, applied with its data', async () => {
    const k = kit()
    k.failNext(1, 'unavailable', { service: 'documents', method: 'write' })
    await k.app.db.collection('todos').doc('b').set({ title: 'x', n: 1 })
    expect(calls(k, 'documents.write')).toBe(2)
    expect((await k.app.db.collection('todos').doc('b').get())?.data).toEqual({ title: 'x', n: 1 })
    expect(await k.app.db.collection('todos').count()).toBe(2)
  })

  test('delete() is idempotent: retried after unavailable', async () => {
    const k = kit()
    k.failNext(1, 'unavailable', { service: 'documents', method: 'write' })
    await k.app.db.collection('todos').doc('a').delete()
    expect(calls(k, 'documents.write')).toBe(2)
    expect(await k.app.db.collection('todos').doc('a').get()).toBeNull()
  })

  test('add() failing before the backend is retried with its write id: applied once', async () => {
    const k = kit()
    k.failNext(1, 'unavailable', { service: 'documents', method: 'write' })
    const ref = await k.app.db.collection('todos').add({ title: 'once' })
    expect(calls(k, 'documents.write')).toBe(2)
    expect(calls(k, 'sync.fetch')).toBe(1)
    expect((await ref.get())?.data).toEqual({ title: 'once' })
    expect(await k.app.db.collection('todos').count()).toBe(2)
  })

  test('add() whose response was lost: the retry finds its write id on the document and sends nothing', async () => {
    const k = kit()
    k.failNext(1, 'unavailable', { service: 'documents', method: 'write', lostResponse: true })
    const ref = await k.app.db.collection('todos').add({ title: 'once' })
    expect(calls(k, 'documents.write')).toBe(1)
    expect(calls(k, 'sync.fetch')).toBe(1)
    expect((await ref.get())?.data).toEqual({ title: 'once' })
    expect(await k.app.db.collection('todos').count()).toBe(2)
  })

  test('a replayed create with the same id is already-exists: no duplicate', async () => {
    const k = kit()
    const ref = k.app.db.collection('todos').doc('c')
    await k.app.db.batch((b) => void b.create(ref, { title: 'once' }))
    await expectError(() => k.app.db.batch((b) => void b.create(ref, { title: 'twice?' })), 'already-exists', 'the replayed create')
    expect(await k.app.db.collection('todos').count()).toBe(2)
    expect((await ref.get())?.data).toEqual({ title: 'once' })
  })

  test('update() with increment() whose response was lost is applied once', async () => {
    const k = kit()
    k.failNext(1, 'unavailable', { service: 'documents', method: 'write', lostResponse: true })
    await k.app.db.collection('todos').doc('a').update({ n: increment(1) })
    expect(calls(k, 'documents.write')).toBe(1)
    expect((await k.app.db.collection('todos').doc('a').get())?.data).toEqual({ n: 2 })
  })

  test('update() with increment() failing before the backend is retried and applied once', async () => {
    const k = kit()
    k.failNext(2, 'unavailable', { service: 'documents', method: 'write' })
    await k.app.db.collection('todos').doc('a').update({ n: increment(1) })
    expect(calls(k, 'documents.write')).toBe(3)
    expect((await k.app.db.collection('todos').doc('a').get())?.data).toEqual({ n: 2 })
  })

  test('a batch whose response was lost is not sent again: every increment applied once', async () => {
    const k = kit()
    const todos = k.app.db.collection('todos')
    k.failNext(1, 'unavailable', { service: 'documents', method: 'write', lostResponse: true })
    await k.app.db.batch((b) => {
      b.update(todos.doc('a'), { n: increment(10) })
      b.create(todos.doc('z'), { n: 0 })
      b.update(todos.doc('z'), { n: increment(1) })
    })
    expect(calls(k, 'documents.write')).toBe(1)
    expect((await todos.doc('a').get())?.data).toEqual({ n: 11 })
    expect((await todos.doc('z').get())?.data).toEqual({ n: 1 })
  })

  test('a create answered resource-exhausted is retried after the hint, applied once', async () => {
    const k = kit()
    k.failNext(1, 'resource-exhausted', { service: 'documents', method: 'write', retryAfterMs: 1 })
    await k.app.db.collection('todos').add({ title: 'later' })
    expect(calls(k, 'documents.write')).toBe(2)
    expect(await k.app.db.collection('todos').count()).toBe(2)
  })

  test('without retry() a lost response still surfaces: unavailable, the write applied once', async () => {
    const k = kit([timeout(5000)])
    k.failNext(1, 'unavailable', { service: 'documents', method: 'write', lostResponse: true })
    await expectError(() => k.app.db.collection('todos').doc('a').update({ n: increment(1) }), 'unavailable', 'an increment whose response was lost')
    expect((await k.app.db.collection('todos').doc('a').get())?.data).toEqual({ n: 2 })
  })
})

describe('failures given up on surface as PortabaseError with the right code (memory)', () => {
  test('unavailable on every attempt: unavailable after maxAttempts (3) calls', async () => {
    const k = kit()
    k.failNext(3, 'unavailable', { service: 'documents', method: 'get' })
    const error = await expectError(() => k.app.db.collection('todos').doc('a').get(), 'unavailable', 'a read failing on every attempt')
    expect(error.provider).toBe('memory')
    expect(error.retryable).toBe(true)
    expect(calls(k, 'documents.get')).toBe(3)
  })

  test('resource-exhausted on every attempt: resource-exhausted with retryAfterMs, after 3 calls', async () => {
    const k = kit()
    k.failNext(3, 'resource-exhausted', { service: 'documents', method: 'get', retryAfterMs: 1 })
    const error = await expectError(() => k.app.db.collection('todos').doc('a').get(), 'resource-exhausted', 'a read rate-limited on every attempt')
    expect(error.retryAfterMs).toBe(1)
    expect(calls(k, 'documents.get')).toBe(3)
  })

  test('latency beyond the deadline: deadline-exceeded', async () => {
    const k = kit([retry({ baseDelayMs: 5, maxAttempts: 2 }), timeout(50)])
    k.setLatency(10_000)
    const error = await expectError(() => k.app.db.collection('todos').doc('a').get(), 'deadline-exceeded', 'a read slower than its deadline')
    expect(error.retryable).toBe(true)
    expect(calls(k, 'documents.get')).toBe(2)
  })

  test('a non-retryable failure is not retried and keeps its code', async () => {
    const k = kit()
    k.failNext(1, 'internal', { service: 'documents', method: 'get' })
    await expectError(() => k.app.db.collection('todos').doc('a').get(), 'internal', 'a read failing with internal')
    expect(calls(k, 'documents.get')).toBe(1)
  })
})

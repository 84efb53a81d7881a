import { firstValueFrom, filter, take, toArray } from 'rxjs'
import { PortabaseError, createClient, retry } from '../../src/index.js'
import { createTestClient } from '../../adapters/memory/testing.js'

const expectCode = async (promise: Promise<unknown>, code: string): Promise<PortabaseError> => {
  const error = await promise.then(
    () => {
      throw new Error(`expected ${code}, but the call succeeded`)
    },
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(PortabaseError)
  expect((error as PortabaseError).code).toBe(code)
  return error as PortabaseError
}

describe('portabase/testing', () => {
  test('seed data is readable through the public API', async () => {
    const kit = createTestClient({ seed: { todos: { t1: { title: 'seeded', done: false } } } })
    const doc = await kit.app.db.collection('todos').doc('t1').get()
    expect(doc?.data).toEqual({ title: 'seeded', done: false })
    kit.seed('todos', { t2: { title: 'later' } })
    expect(await kit.app.db.collection('todos').count()).toBe(2)
    await kit.dispose()
  })

  test('goOffline makes calls fail with unavailable and flips connection$; goOnline restores', async () => {
    const kit = createTestClient()
    const states = firstValueFrom(kit.app.connection$.pipe(take(3), toArray()))
    kit.goOffline()
    await expectCode(kit.app.db.collection('todos').doc('a').get(), 'unavailable')
    kit.goOnline()
    expect(await states).toEqual(['online', 'offline', 'online'])
    expect(await kit.app.db.collection('todos').doc('a').get()).toBeNull()
    await kit.dispose()
  })

  test('live queries pause offline and catch up on reconnect', async () => {
    const kit = createTestClient()
    const other = kit.connect()
    const todos = kit.app.db.collection('todos')
    const seen: number[] = []
    const sub = todos.watch().subscribe((s) => seen.push(s.docs.length))
    kit.goOffline()
    await other.app.db.collection('todos').doc('x').set({ n: 1 })
    expect(seen).toEqual([0])
    kit.goOnline()
    expect(seen).toEqual([0, 1])
    sub.unsubscribe()
    await kit.dispose()
  })

  test('failNext injects faults for matching calls only, and retry() gets past retryable ones', async () => {
    const kit = createTestClient()
    kit.failNext(1, 'permission-denied', { service: 'documents', method: 'get' })
    await kit.app.db.collection('todos').count() // not a get: unaffected
    await expectCode(kit.app.db.collection('todos').doc('a').get(), 'permission-denied')
    expect(await kit.app.db.collection('todos').doc('a').get()).toBeNull()

    const retrying = kit.connect({ links: [retry({ baseDelayMs: 1 })] })
    retrying.adapter.network.failNext(2, 'unavailable')
    expect(await retrying.app.db.collection('todos').doc('a').get()).toBeNull()
    expect(retrying.adapter.network.calls.get('documents.get')).toBe(3)
    await kit.dispose()
  })

  test('setLatency delays calls by real time', async () => {
    const kit = createTestClient()
    kit.setLatency(30)
    const started = performance.now()
    await kit.app.db.collection('todos').doc('a').get()
    expect(performance.now() - started).toBeGreaterThanOrEqual(25)
    await kit.dispose()
  })

  test('the manual clock drives updateTime and serverTimestamp', async () => {
    const kit = createTestClient({ now: new Date('2031-05-01T00:00:00Z') })
    const { serverTimestamp } = await import('../../src/index.js')
    const ref = kit.app.db.collection('events').doc('e1')
    await ref.set({ at: serverTimestamp() })
    const first = await ref.get()
    expect(first?.data.at).toEqual(new Date('2031-05-01T00:00:00Z'))
    expect(first?.meta.updateTime).toEqual(new Date('2031-05-01T00:00:00Z'))
    kit.clock.advance(60_000)
    await ref.update({ at: serverTimestamp() })
    expect((await ref.get())?.meta.updateTime).toEqual(new Date('2031-05-01T00:01:00Z'))
    await kit.dispose()
  })

  test('ID tokens expire with the clock and refresh once for concurrent callers', async () => {
    const kit = createTestClient({ tokenTtlMs: 60_000 })
    await kit.app.auth.signUp({ email: 'a@example.com', password: 'secret123' })
    const token = await kit.app.auth.getIdToken()
    expect(await kit.app.auth.getIdToken()).toBe(token)
    kit.clock.advance(61_000)
    const refreshed = await Promise.all(Array.from({ length: 1_000 }, () => kit.app.auth.getIdToken()))
    expect(new Set(refreshed).size).toBe(1)
    expect(refreshed[0]).not.toBe(token)
    expect(kit.adapter.network.calls.get('auth.refreshToken')).toBe(1)
    await kit.dispose()
  })

  test('a revoked session signs the user out and emits null on user$', async () => {
    const kit = createTestClient()
    await kit.app.auth.signUp({ email: 'b@example.com', password: 'secret123' })
    kit.backend.refreshTokens.clear()
    const signedOut = firstValueFrom(kit.app.auth.user$.pipe(filter((u) => u === null)))
    await expectCode(kit.app.auth.getIdToken({ forceRefresh: true }), 'unauthenticated')
    expect(await signedOut).toBeNull()
    expect(kit.app.auth.currentUser).toBeNull()
    await kit.dispose()
  })

  test('clients made with createClient over kit adapters share the backend', async () => {
    const kit = createTestClient()
    const second = createClient({ adapter: kit.connect().adapter })
    await kit.app.db.collection('notes').doc('n').set({ text: 'shared' })
    expect((await second.db.collection('notes').doc('n').get())?.data.text).toBe('shared')
    await second.dispose()
    await kit.dispose()
  })
})

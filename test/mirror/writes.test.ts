/**
 * mirror(): writes reach both backends, the app never depends on the secondary, and the order of
 * each document's writes holds on the secondary whatever fails. Expected values are the primary's
 * state (the reference), never what the mirror reports.
 */
import { firstValueFrom, filter, take, toArray } from 'rxjs'
import { mirror, type MirrorRefusal, type MirrorRepair } from '../../adapters/mirror/index.js'
import { ManualClock } from '../../adapters/memory/index.js'
import { arrayUnion, deleteField, increment, isPortabaseError, PortabaseError, serverTimestamp } from '../../src/index.js'
import { contents, FAST_RETRY, history, loseSyncResponses, reconnect, setup, side, until, type MirrorSetup } from './harness.js'

let current: MirrorSetup[] = []
const make = (...args: Parameters<typeof setup>): MirrorSetup => {
  const s = setup(...args)
  current.push(s)
  return s
}

afterEach(async () => {
  await Promise.all(current.map((s) => s.app.dispose()))
  current = []
})

describe('mirror(): writes', () => {
  test('every kind of write reaches both backends, and the secondary ends as the primary', async () => {
    const { app, mirror: m, primary, secondary } = make()
    const todos = app.db.collection('todos')
    await todos.doc('a').set({ title: 'A', n: 1, tags: ['x'] })
    const added = await todos.add({ title: 'B', n: 0 })
    await todos.doc('a').update({ n: increment(2), tags: arrayUnion('y'), title: deleteField() })
    await app.db.batch((b) => {
      b.set(todos.doc('c'), { title: 'C' })
      b.update(todos.doc(added.id), { n: increment(5) })
      b.delete(todos.doc('c'))
    })
    await todos.doc('d').set({ title: 'D' })
    await todos.doc('d').delete()
    await m.drain()
    const expected = contents(primary.backend, 'todos')
    expect(expected).toEqual({ a: { n: 3, tags: ['x', 'y'] }, [added.id]: { title: 'B', n: 5 } })
    expect(contents(secondary.backend, 'todos')).toEqual(expected)
    expect(m.status.pending).toBe(0)
  })

  test("serverTimestamp() reaches the secondary as the primary's time (the document is copied)", async () => {
    const primary = side({ clock: new ManualClock(Date.parse('2031-01-01T00:00:00Z')) })
    const secondary = side({ clock: new ManualClock(Date.parse('2040-06-06T00:00:00Z')) })
    const { app, mirror: m } = make({}, { primary, secondary })
    await app.db.collection('events').doc('e').set({ kind: 'start', at: serverTimestamp() })
    await app.db.collection('events').doc('e').update({ n: increment(1) })
    await m.drain()
    expect(contents(primary.backend, 'events')).toEqual({ e: { kind: 'start', at: new Date('2031-01-01T00:00:00Z'), n: 1 } })
    expect(contents(secondary.backend, 'events')).toEqual(contents(primary.backend, 'events'))
  })

  test('the app reads from the primary only', async () => {
    const { app, mirror: m, secondary } = make()
    secondary.backend.seed('notes', { only: { on: 'secondary' } })
    await app.db.collection('notes').doc('n1').set({ on: 'both' })
    await m.drain()
    expect((await app.db.collection('notes').get()).docs.map((d) => d.id)).toEqual(['n1'])
    expect(await app.db.collection('notes').doc('only').get()).toBeNull()
    expect(secondary.adapter.network.calls.get('documents.query')).toBeUndefined()
    expect(secondary.adapter.network.calls.get('documents.get')).toBeUndefined()
  })

  test('an unreachable secondary neither fails nor holds up the app; the queue delivers once it is back', async () => {
    const { app, mirror: m, primary, secondary } = make()
    secondary.adapter.network.goOffline()
    const todos = app.db.collection('todos')
    for (let i = 0; i < 5; i++) await todos.doc(`t${i}`).set({ i })
    await todos.doc('t0').update({ i: increment(10) })
    expect(contents(primary.backend, 'todos')).toEqual({ t0: { i: 10 }, t1: { i: 1 }, t2: { i: 2 }, t3: { i: 3 }, t4: { i: 4 } })
    expect(contents(secondary.backend, 'todos')).toEqual({})
    await until(() => m.status.state === 'waiting')
    expect(m.status.pending).toBe(6)
    expect(m.status.lastError?.code).toBe('unavailable')
    secondary.adapter.network.goOnline()
    await m.drain()
    expect(contents(secondary.backend, 'todos')).toEqual(contents(primary.backend, 'todos'))
    expect(m.status.lastError).toBeNull()
  })

  test('a secondary that never answers does not hold up the app (its calls are cut at dispose)', async () => {
    const { app, mirror: m, primary, secondary } = make()
    secondary.adapter.network.latencyMs = 10 * 60_000
    await app.db.collection('todos').doc('a').set({ v: 1 })
    await app.db.collection('todos').doc('a').update({ v: 2 })
    expect(contents(primary.backend, 'todos')).toEqual({ a: { v: 2 } })
    await until(() => m.status.state === 'delivering')
    expect(m.status.pending).toBe(2)
  })

  test('injected faults on the secondary never reach the app', async () => {
    const { app, mirror: m, primary, secondary } = make()
    secondary.adapter.network.failNext(3, 'unavailable')
    secondary.adapter.network.failNext(2, 'resource-exhausted', { service: 'sync', retryAfterMs: 1 })
    secondary.adapter.network.failNext(1, 'internal')
    const todos = app.db.collection('todos')
    await Promise.all(Array.from({ length: 20 }, (_, i) => todos.doc(`t${i % 4}`).set({ i })))
    await m.drain()
    expect(contents(secondary.backend, 'todos')).toEqual(contents(primary.backend, 'todos'))
  })

  test("a primary failure is the app's failure, and nothing of it reaches the secondary", async () => {
    const { app, mirror: m, secondary } = make()
    const todos = app.db.collection('todos')
    await expect(todos.doc('missing').update({ v: 1 })).rejects.toMatchObject({ code: 'not-found' })
    await expect(app.db.batch((b) => {
      b.set(todos.doc('x'), { v: 1 })
      b.update(todos.doc('missing'), { v: 2 })
    })).rejects.toMatchObject({ code: 'not-found' })
    await m.drain()
    expect(contents(secondary.backend, 'todos')).toEqual({})
    expect(secondary.adapter.network.calls.get('sync.write')).toBeUndefined()
  })

  test('a write the primary applied but whose answer was lost still reaches the secondary (as a copy)', async () => {
    const { app, mirror: m, primary, secondary } = make()
    const repairs: MirrorRepair[] = []
    m.repaired$.subscribe((r) => repairs.push(r))
    primary.adapter.network.failNext(1, 'unavailable', { service: 'documents', method: 'write', lostResponse: true })
    await expect(app.db.collection('todos').doc('a').set({ v: 1 })).rejects.toMatchObject({ code: 'unavailable' })
    expect(contents(primary.backend, 'todos')).toEqual({ a: { v: 1 } })
    await m.drain()
    expect(contents(secondary.backend, 'todos')).toEqual({ a: { v: 1 } })
  })

  test('each document gets its writes in order, each once, through faults and lost responses', async () => {
    const { app, mirror: m, primary, secondary } = make({ batchSize: 3 })
    loseSyncResponses(secondary.adapter, 2)
    secondary.adapter.network.failNext(2, 'unavailable', { service: 'sync', method: 'write' })
    const counters = app.db.collection('counters')
    await counters.doc('c').set({ n: 0 })
    await counters.doc('d').set({ n: 100 })
    for (let i = 0; i < 10; i++) {
      await counters.doc('c').update({ n: increment(1) })
      if (i % 3 === 0) await counters.doc('d').update({ n: increment(-1) })
    }
    await m.drain()
    expect(contents(secondary.backend, 'counters')).toEqual({ c: { n: 10 }, d: { n: 96 } })
    // Exactly once and in order: the secondary went through the primary's states, one by one.
    expect(history(secondary.events, 'counters/c')).toEqual(history(primary.events, 'counters/c'))
    expect(history(secondary.events, 'counters/d')).toEqual(history(primary.events, 'counters/d'))
  })

  test('without a SyncService on the secondary, writes go one by one, in order', async () => {
    const primary = side()
    const secondary = side()
    const { sync: _sync, ...plain } = secondary.adapter
    const { app, mirror: m } = make({ secondary: plain as typeof secondary.adapter }, { primary, secondary })
    secondary.adapter.network.failNext(2, 'unavailable')
    for (let i = 1; i <= 5; i++) await app.db.collection('log').doc('x').set({ i })
    await m.drain()
    expect(history(secondary.events, 'log/x')).toEqual(history(primary.events, 'log/x'))
    expect(secondary.adapter.network.calls.get('sync.write')).toBeUndefined()
  })
})

describe('mirror(): refusals and repairs', () => {
  test('a write the secondary refuses for good is reported with the write, recorded, and does not block the rest', async () => {
    const secondary = side({ rules: { private: { write: () => false } } })
    const { app, mirror: m, primary } = make({}, { secondary })
    const reported = firstValueFrom(m.refused$)
    await app.db.collection('private').doc('p').set({ secret: false })
    await app.db.collection('public').doc('q').set({ ok: true })
    const refusal: MirrorRefusal = await reported
    expect(refusal.error.code).toBe('permission-denied')
    expect(refusal.write).toEqual({ kind: 'document', op: { type: 'set', collection: 'private', id: 'p', data: { secret: false } } })
    await m.drain()
    expect(contents(primary.backend, 'private')).toEqual({ p: { secret: false } })
    expect(contents(secondary.backend, 'private')).toEqual({})
    expect(contents(secondary.backend, 'public')).toEqual({ q: { ok: true } })
    const recorded = await m.refused()
    expect(recorded.map((r) => [r.write, r.error.code])).toEqual([[refusal.write, 'permission-denied']])
    await m.clearRefused()
    expect(await m.refused()).toEqual([])
  })

  test('a write the secondary cannot apply to its copy (not migrated yet) becomes a copy of the primary\'s document', async () => {
    const { app, mirror: m, primary, secondary } = make()
    primary.backend.seed('todos', { old: { title: 'from before the mirror', n: 1 } })
    const repaired = firstValueFrom(m.repaired$)
    await app.db.collection('todos').doc('old').update({ n: increment(1) })
    const repair = await repaired
    expect(repair.write).toEqual({ kind: 'document-copy', collection: 'todos', id: 'old' })
    expect(repair.cause.code).toBe('not-found')
    await m.drain()
    expect(contents(secondary.backend, 'todos')).toEqual({ old: { title: 'from before the mirror', n: 2 } })
  })

  test('a copy covers the later writes of its document: none is applied twice', async () => {
    const { app, mirror: m, primary, secondary } = make()
    primary.backend.seed('todos', { old: { n: 0 } })
    secondary.adapter.network.goOffline()
    for (let i = 0; i < 4; i++) await app.db.collection('todos').doc('old').update({ n: increment(1) })
    secondary.adapter.network.goOnline()
    await m.flush()
    expect(contents(secondary.backend, 'todos')).toEqual({ old: { n: 4 } })
    expect(contents(primary.backend, 'todos')).toEqual({ old: { n: 4 } })
  })
})

describe('mirror(): storage, functions, auth', () => {
  test('uploads (small ones with their bytes, large ones copied from the primary) and deletes reach the secondary', async () => {
    const { app, mirror: m, secondary } = make({ storage: { maxQueuedBytes: 8 } })
    const small = new Uint8Array([1, 2, 3])
    const large = new Uint8Array(64).map((_, i) => i)
    await app.storage.upload('a/small.bin', small, { contentType: 'application/octet-stream' })
    await app.storage.upload('a/large.bin', large, { contentType: 'application/x-large' })
    await app.storage.upload('a/gone.bin', small)
    await app.storage.delete('a/gone.bin')
    await m.drain()
    expect([...secondary.backend.files.keys()].sort()).toEqual(['a/large.bin', 'a/small.bin'])
    expect(secondary.backend.files.get('a/small.bin')!.bytes).toEqual(small)
    expect(secondary.backend.files.get('a/large.bin')!.bytes).toEqual(large)
    expect(secondary.backend.files.get('a/large.bin')!.contentType).toBe('application/x-large')
  })

  test('functions run on the primary only (they are not idempotent)', async () => {
    const primary = side({ functions: { hello: (input) => ({ hi: input }) } })
    const calls: unknown[] = []
    const secondary = side({ functions: { hello: (input) => calls.push(input) } })
    const { app } = make({}, { primary, secondary })
    expect(await app.functions.call('hello', 'x')).toEqual({ hi: 'x' })
    expect(calls).toEqual([])
  })

  test("auth is the primary's: signing in does not touch the secondary", async () => {
    const { app, secondary } = make()
    const user = await app.auth.signUp({ email: 'a@example.com', password: 'correct horse 1' })
    expect(app.auth.currentUser?.uid).toBe(user.uid)
    expect(secondary.backend.users.size).toBe(0)
    expect(secondary.adapter.auth.currentUser()).toBeNull()
  })
})

describe('mirror(): cut-over and lifecycle', () => {
  test('swapping the arguments makes the other backend the one the app reads', async () => {
    const a = side()
    const b = side()
    const first = mirror({ primary: a.adapter, secondary: b.adapter, retry: FAST_RETRY })
    await first.documents.write([{ type: 'set', collection: 'x', id: '1', data: { v: 1 } }], { atomic: false })
    await first.drain()
    await first.dispose()
    const a2 = reconnect(a)
    const b2 = reconnect(b)
    const swapped = mirror({ primary: b2.adapter, secondary: a2.adapter, retry: FAST_RETRY })
    b.backend.seed('x', { only: { on: 'b' } })
    expect((await swapped.documents.get('x', 'only'))?.data).toEqual({ on: 'b' })
    await swapped.documents.write([{ type: 'set', collection: 'x', id: '2', data: { v: 2 } }], { atomic: false })
    await swapped.drain()
    expect(contents(a.backend, 'x')).toEqual({ 1: { v: 1 }, 2: { v: 2 } })
    await swapped.dispose()
  })

  test('status$ and pending$ follow the queue', async () => {
    const { app, mirror: m, secondary } = make()
    secondary.adapter.network.goOffline()
    const counts = firstValueFrom(m.pending$.pipe(take(4), toArray()))
    await app.db.collection('t').doc('a').set({ v: 1 })
    await app.db.collection('t').doc('b').set({ v: 1 })
    await until(() => m.status.state === 'waiting')
    expect(m.status.nextAttemptAt).toBeInstanceOf(Date)
    secondary.adapter.network.goOnline()
    await m.drain()
    // Both went in one round.
    expect(await counts).toEqual([0, 1, 2, 0])
    await firstValueFrom(m.status$.pipe(filter((s) => s.state === 'idle' && s.pending === 0)))
    expect(m.status.lastDeliveredAt).toBeInstanceOf(Date)
  })

  test('drain() gives up with deadline-exceeded after timeoutMs, and with cancelled on abort', async () => {
    const { app, mirror: m, secondary } = make()
    secondary.adapter.network.goOffline()
    await app.db.collection('t').doc('a').set({ v: 1 })
    await expect(m.drain({ timeoutMs: 20 })).rejects.toMatchObject({ code: 'deadline-exceeded' })
    const abort = new AbortController()
    const waiting = m.drain({ signal: abort.signal })
    abort.abort()
    await expect(waiting).rejects.toMatchObject({ code: 'cancelled' })
  })

  test('dispose releases both adapters and leaves no timer behind, even with a backoff pending', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const primary = side()
    const secondary = side()
    const m = mirror({ primary: primary.adapter, secondary: secondary.adapter, retry: { initialDelayMs: 60_000, maxDelayMs: 60_000 } })
    secondary.adapter.network.goOffline()
    await m.documents.write([{ type: 'set', collection: 't', id: 'a', data: { v: 1 } }], { atomic: false })
    await until(() => m.status.state === 'waiting')
    const drained = m.drain()
    await m.dispose()
    await expect(drained).rejects.toMatchObject({ code: 'cancelled' })
    expect(m.status.state).toBe('disposed')
    // No timer of the mirror's is left (timers of earlier tests may have ended meanwhile).
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(before)
    // Disposed memory adapters complete their connection state.
    for (const { adapter } of [primary, secondary]) {
      let completed = false
      adapter.network.state$.subscribe({ complete: () => (completed = true) })
      expect(completed).toBe(true)
    }
  })

  test('bad options fail with invalid-argument', () => {
    const a = side().adapter
    const b = side().adapter
    const bad: Array<Parameters<typeof mirror>[0]> = [
      { primary: a, secondary: a },
      { primary: a, secondary: undefined as never },
      { primary: a, secondary: b, shadowReads: { sampleRate: 2 } },
      { primary: a, secondary: b, batchSize: 0 },
      { primary: a, secondary: b, retry: { initialDelayMs: -1 } },
      { primary: a, secondary: b, storage: { maxQueuedBytes: Number.NaN } },
    ]
    for (const options of bad) {
      let caught: unknown
      try {
        mirror(options)
      } catch (error) {
        caught = error
      }
      expect(isPortabaseError(caught, 'invalid-argument')).toBe(true)
      expect(caught).toBeInstanceOf(PortabaseError)
    }
  })
})

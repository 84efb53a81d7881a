import { defer, map, Subject } from 'rxjs'
import { PortabaseError } from '../../src/errors.js'
import { cache, chain, dedupe, type CollectionChange, type NextLink, type Operation } from '../../src/links/index.js'
import { createTestClient } from '../../adapters/memory/testing.js'

const get = (collection = 'todos', id = 't1', extra: Partial<Operation> = {}): Operation => ({
  service: 'documents',
  method: 'get',
  args: [collection, id],
  idempotent: true,
  context: {},
  ...extra,
})
const query = (collection: string, q: unknown): Operation => ({ service: 'documents', method: 'query', args: [collection, q], idempotent: true, context: {} })
const count = (collection: string, q: unknown): Operation => ({ service: 'documents', method: 'count', args: [collection, q], idempotent: true, context: {} })
const write = (...collections: string[]): Operation => ({
  service: 'documents',
  method: 'write',
  args: [collections.map((collection) => ({ type: 'set', collection, id: 'x', data: {} }))],
  idempotent: true,
  context: {},
})
const auth = (method: string): Operation => ({ service: 'auth', method, args: [], idempotent: true, context: {} })

/** A terminal that answers reads with a fresh document per call and counts calls by method. */
function backend(): NextLink & { calls: Operation[] } {
  const calls: Operation[] = []
  const next = (async (o: Operation) => {
    calls.push(o)
    const n = calls.length
    if (o.method === 'count') return n
    if (o.method === 'query') return [{ id: 'a', data: { n, nested: { list: [1] } } }, { id: 'b', data: { n } }]
    if (o.method === 'get') return { id: o.args[1], data: { n, tags: ['x'] }, meta: { updateTime: new Date(n) } }
    return undefined
  }) as NextLink & { calls: Operation[] }
  next.calls = calls
  return next
}

interface Pending {
  resolve: (value: unknown) => void
}
function controlled(): NextLink & { pending: Pending[] } {
  const pending: Pending[] = []
  return Object.assign((): Promise<unknown> => new Promise((resolve) => pending.push({ resolve })), { pending })
}

const Q = { filters: [{ kind: 'field', field: 'done', op: '==', value: false }], orderBy: [{ field: '__id__', direction: 'asc' }] }

describe('cache()', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }))
  afterEach(() => jest.useRealTimers())

  it('serves a repeated get, query and count from the cache', async () => {
    const next = backend()
    const link = cache()
    const first = await link(get(), next)
    expect(await link(get(), next)).toBe(first)
    await link(query('todos', Q), next)
    await link(query('todos', Q), next)
    expect(await link(count('todos', Q), next)).toBe(3)
    expect(await link(count('todos', Q), next)).toBe(3)
    expect(next.calls.map((c) => c.method)).toEqual(['get', 'query', 'count'])
    expect(link.stats()).toEqual({ size: 3, hits: 3, misses: 3 })
  })

  it('keys by value: key order and equal Dates hit, different args miss', async () => {
    const next = backend()
    const link = cache()
    await link(query('todos', { filters: [{ kind: 'field', field: 'at', op: '<', value: new Date(5) }], orderBy: [] }), next)
    await link(query('todos', { orderBy: [], filters: [{ value: new Date(5), op: '<', field: 'at', kind: 'field' }] }), next)
    expect(next.calls).toHaveLength(1)
    await link(query('todos', { orderBy: [], filters: [{ value: new Date(6), op: '<', field: 'at', kind: 'field' }] }), next)
    await link(query('other', { orderBy: [], filters: [{ value: new Date(5), op: '<', field: 'at', kind: 'field' }] }), next)
    await link(get('todos', 't2'), next)
    expect(next.calls).toHaveLength(4)
  })

  it('expires entries after ttlMs', async () => {
    const next = backend()
    const link = cache({ ttlMs: 1_000 })
    await link(get(), next)
    await jest.advanceTimersByTimeAsync(999)
    await link(get(), next)
    expect(next.calls).toHaveLength(1)
    await jest.advanceTimersByTimeAsync(1)
    await link(get(), next)
    expect(next.calls).toHaveLength(2)
  })

  it('a hit does not extend the TTL', async () => {
    const next = backend()
    const link = cache({ ttlMs: 1_000 })
    await link(get(), next)
    await jest.advanceTimersByTimeAsync(600)
    await link(get(), next)
    await jest.advanceTimersByTimeAsync(600)
    await link(get(), next)
    expect(next.calls).toHaveLength(2)
  })

  it('keeps at most maxEntries, evicting the least recently used', async () => {
    const next = backend()
    const link = cache({ maxEntries: 2 })
    await link(get('c', 'a'), next)
    await link(get('c', 'b'), next)
    await link(get('c', 'a'), next) // a is now the most recent
    await link(get('c', 'c'), next) // evicts b
    expect(link.stats().size).toBe(2)
    await link(get('c', 'a'), next)
    expect(next.calls).toHaveLength(3)
    await link(get('c', 'b'), next)
    expect(next.calls).toHaveLength(4)
  })

  it('a write drops the cached results of the collections it touches, and only those', async () => {
    const next = backend()
    const link = cache()
    await link(get('todos'), next)
    await link(query('todos', Q), next)
    await link(get('users'), next)
    await link(write('todos'), next)
    await link(get('todos'), next)
    await link(query('todos', Q), next)
    await link(get('users'), next)
    expect(next.calls.map((c) => (c.method === 'write' ? 'write' : `${c.method}:${String(c.args[0])}`))).toEqual([
      'get:todos',
      'query:todos',
      'get:users',
      'write',
      'get:todos',
      'query:todos',
    ])
  })

  it('a write with an unrecognisable shape drops everything', async () => {
    const next = backend()
    const link = cache()
    await link(get('todos'), next)
    await link({ ...write('x'), args: ['not-a-list'] }, next)
    await link(get('todos'), next)
    expect(next.calls.filter((c) => c.method === 'get')).toHaveLength(2)
  })

  it('never stores a read that overlapped a write to its collection', async () => {
    const next = controlled()
    const link = cache()
    const before = link(get(), next)
    const writing = link(write('todos'), next)
    next.pending[0]!.resolve({ id: 't1', data: { v: 'old' } })
    await before
    next.pending[1]!.resolve(undefined)
    await writing
    const after = link(get(), next)
    expect(next.pending).toHaveLength(3)
    next.pending[2]!.resolve({ id: 't1', data: { v: 'new' } })
    expect(await after).toEqual({ id: 't1', data: { v: 'new' } })
    expect(await link(get(), next)).toEqual({ id: 't1', data: { v: 'new' } })
  })

  it('a read that started before the write but ended after it is not stored either', async () => {
    const next = controlled()
    const link = cache()
    const before = link(get(), next)
    void link(write('todos'), next)
    next.pending[1]!.resolve(undefined)
    await Promise.resolve()
    next.pending[0]!.resolve({ id: 't1', data: { v: 'old' } })
    await before
    void link(get(), next)
    expect(next.pending).toHaveLength(3)
  })

  it('invalidate(collection) and invalidate() drop entries and keep in-flight reads from storing', async () => {
    const next = backend()
    const link = cache()
    await link(get('todos'), next)
    await link(get('users'), next)
    link.invalidate('todos')
    await link(get('todos'), next)
    await link(get('users'), next)
    expect(next.calls).toHaveLength(3)
    link.invalidate()
    expect(link.stats().size).toBe(0)

    const slow = controlled()
    const inFlight = link(get('todos'), slow)
    link.invalidate('todos')
    slow.pending[0]!.resolve({ id: 't1', data: {} })
    await inFlight
    expect(link.stats().size).toBe(0)
  })

  it('changes$ invalidates per collection (or all without one); subscribed on first use, released by dispose()', async () => {
    const changes = new Subject<CollectionChange>()
    const next = backend()
    const link = cache({ changes$: changes })
    expect(changes.observed).toBe(false)
    await link(get('todos'), next)
    await link(get('users'), next)
    expect(changes.observed).toBe(true)
    changes.next({ collection: 'todos' })
    await link(get('todos'), next)
    await link(get('users'), next)
    expect(next.calls).toHaveLength(3)
    changes.next({})
    expect(link.stats().size).toBe(0)
    link.dispose()
    expect(changes.observed).toBe(false)
  })

  it('when changes$ fails, drops everything and carries on with TTL only', async () => {
    const changes = new Subject<CollectionChange>()
    const next = backend()
    const link = cache({ changes$: changes })
    await link(get(), next)
    changes.error(new Error('socket closed'))
    expect(link.stats().size).toBe(0)
    await link(get(), next)
    await link(get(), next)
    expect(next.calls).toHaveLength(2)
  })

  it('an auth call that may change the user drops everything; getIdToken does not', async () => {
    const next = backend()
    const link = cache()
    await link(get(), next)
    await link(auth('getIdToken'), next)
    expect(link.stats().size).toBe(1)
    for (const method of ['signIn', 'signOut', 'signUp', 'signInAnonymously', 'signInWithOAuth', 'updateProfile']) {
      await link(get(), next)
      await link(auth(method), next)
      expect(link.stats().size).toBe(0)
    }
  })

  it('shares results without copying documents: frozen snapshots, a fresh array per query caller', async () => {
    const next = backend()
    const link = cache()
    const doc = (await link(get(), next)) as { data: { tags: string[] }; meta: { updateTime: Date } }
    expect(Object.isFrozen(doc)).toBe(true)
    expect(Object.isFrozen(doc.data.tags)).toBe(true)
    expect(() => doc.data.tags.push('y')).toThrow(TypeError)
    expect(await link(get(), next)).toBe(doc)

    const a = (await link(query('todos', Q), next)) as { data: object }[]
    const b = (await link(query('todos', Q), next)) as { data: object }[]
    expect(a).not.toBe(b)
    expect(a[0]).toBe(b[0])
    a.reverse()
    const c = (await link(query('todos', Q), next)) as { id: string }[]
    expect(c.map((d) => d.id)).toEqual(['a', 'b'])
  })

  it('does not cache failures', async () => {
    const link = cache()
    let calls = 0
    const next: NextLink = async () => {
      calls += 1
      if (calls === 1) throw new PortabaseError('unavailable', 'down')
      return null
    }
    await expect(link(get(), next)).rejects.toMatchObject({ code: 'unavailable' })
    await expect(link(get(), next)).resolves.toBeNull()
    await expect(link(get(), next)).resolves.toBeNull()
    expect(calls).toBe(2)
  })

  it('caches a missing document (null) like any other result', async () => {
    const link = cache()
    let calls = 0
    const next: NextLink = async () => {
      calls += 1
      return null
    }
    await link(get(), next)
    await link(get(), next)
    expect(calls).toBe(1)
  })

  it('rejects an already-aborted read with cancelled, even on a hit', async () => {
    const next = backend()
    const link = cache()
    await link(get(), next)
    await expect(link(get('todos', 't1', { signal: AbortSignal.abort() }), next)).rejects.toMatchObject({ code: 'cancelled' })
  })

  it('passes everything else through untouched', async () => {
    const next = backend()
    const link = cache()
    const others: Operation[] = [
      { service: 'storage', method: 'download', args: ['a'], idempotent: true, context: {} },
      { service: 'functions', method: 'call', args: ['f', null], idempotent: false, context: {} },
      { service: 'config', method: 'fetch', args: [], idempotent: true, context: {} },
      { service: 'documents', method: 'watchSomething', args: ['todos'], idempotent: true, context: {} },
    ]
    for (const o of [...others, ...others]) await link(o, next)
    expect(next.calls).toHaveLength(8)
    expect(link.stats()).toEqual({ size: 0, hits: 0, misses: 0 })
  })

  it.each([{ ttlMs: 0 }, { ttlMs: -1 }, { ttlMs: Number.NaN }, { maxEntries: 0 }, { maxEntries: 1.5 }])('refuses %p with invalid-argument', (options) => {
    expect(() => cache(options)).toThrow(expect.objectContaining({ code: 'invalid-argument' }))
  })

  it('outside dedupe(): concurrent misses share one request', async () => {
    const next = controlled()
    const send = chain([cache(), dedupe()], next)
    const a = send(get())
    const b = send(get())
    expect(next.pending).toHaveLength(1)
    next.pending[0]!.resolve({ id: 't1', data: {} })
    expect(await a).toBe(await b)
    await send(get())
    expect(next.pending).toHaveLength(1)
  })

  describe('in a client', () => {
    it('repeat reads cost no round trip; local writes are read back at once', async () => {
      const kit = createTestClient({ seed: { todos: { t1: { v: 1 } } }, links: [cache({ ttlMs: 60_000 })] })
      const todos = kit.app.db.collection('todos')
      const calls = (m: string): number | undefined => kit.adapter.network.calls.get(`documents.${m}`)
      expect((await todos.doc('t1').get())?.data).toEqual({ v: 1 })
      expect((await todos.doc('t1').get())?.data).toEqual({ v: 1 })
      expect((await todos.where('v', '>=', 0).get()).docs).toHaveLength(1)
      expect((await todos.where('v', '>=', 0).get()).docs).toHaveLength(1)
      expect(await todos.count()).toBe(1)
      expect(await todos.count()).toBe(1)
      expect([calls('get'), calls('query'), calls('count')]).toEqual([1, 1, 1])

      await todos.doc('t1').update({ v: 2 })
      await todos.doc('t2').set({ v: 3 })
      expect((await todos.doc('t1').get())?.data).toEqual({ v: 2 })
      expect((await todos.where('v', '>=', 0).get()).docs.map((d) => d.data)).toEqual([{ v: 2 }, { v: 3 }])
      expect(await todos.count()).toBe(2)
      await kit.dispose()
    })

    it("another device's write is seen after invalidate(), or at once through changes$", async () => {
      const changes = new Subject<CollectionChange>()
      const link = cache({ ttlMs: 60_000, changes$: changes })
      const kit = createTestClient({ seed: { todos: { t1: { v: 1 } } }, links: [link] })
      const other = kit.connect({ links: [] })
      const ref = kit.app.db.collection('todos').doc('t1')
      await ref.get()
      await other.app.db.collection('todos').doc('t1').set({ v: 2 })
      expect((await ref.get())?.data).toEqual({ v: 1 })
      link.invalidate('todos')
      expect((await ref.get())?.data).toEqual({ v: 2 })

      // Realtime-driven: feed the cache from a watch on the collection.
      const feed = kit.app.db
        .collection('todos')
        .watch()
        .subscribe(() => changes.next({ collection: 'todos' }))
      await other.app.db.collection('todos').doc('t1').set({ v: 3 })
      await jest.advanceTimersByTimeAsync(0)
      expect((await ref.get())?.data).toEqual({ v: 3 })
      feed.unsubscribe()
      link.dispose()
      await kit.dispose()
    })

    it('the documented pattern: changes$ deferred onto a watch of the same client', async () => {
      const link = cache({
        ttlMs: 60_000,
        // `kit` is read on first use, by then it exists.
        changes$: defer(() => kit.app.db.collection('todos').watch()).pipe(map(() => ({ collection: 'todos' }))),
      })
      const kit = createTestClient({ seed: { todos: { t1: { v: 1 } } }, links: [link] })
      const other = kit.connect({ links: [] })
      const ref = kit.app.db.collection('todos').doc('t1')
      expect((await ref.get())?.data).toEqual({ v: 1 })
      await jest.advanceTimersByTimeAsync(0)
      await ref.get()
      const before = kit.adapter.network.calls.get('documents.get')
      expect((await ref.get())?.data).toEqual({ v: 1 })
      expect(kit.adapter.network.calls.get('documents.get')).toBe(before)
      await other.app.db.collection('todos').doc('t1').set({ v: 2 })
      await jest.advanceTimersByTimeAsync(0)
      expect((await ref.get())?.data).toEqual({ v: 2 })
      link.dispose()
      await kit.dispose()
    })
  })
})

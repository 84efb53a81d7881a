import { PortabaseError } from '../../src/errors.js'
import { chain, dedupe, DEDUPE_READS, timeout, type NextLink, type Operation } from '../../src/links/index.js'
import { stableKey } from '../../src/links/key.js'
import { createTestClient } from '../../adapters/memory/testing.js'
import { op as baseOp, rejection } from './link-support.js'

const op = (overrides: Partial<Operation> = {}): Operation => baseOp(overrides, ['todos', 't1'])

interface Pending {
  op: Operation
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

/** A terminal whose calls stay pending until the test settles them. */
function controlled(): NextLink & { pending: Pending[] } {
  const pending: Pending[] = []
  const next = ((o: Operation) => new Promise((resolve, reject) => pending.push({ op: o, resolve, reject }))) as NextLink & { pending: Pending[] }
  next.pending = pending
  return next
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('dedupe()', () => {
  it('shares one request between concurrent identical reads', async () => {
    const next = controlled()
    const link = dedupe()
    const a = link(op(), next)
    const b = link(op(), next)
    const c = link(op(), next)
    expect(next.pending).toHaveLength(1)
    const doc = { id: 't1', data: {} }
    next.pending[0]!.resolve(doc)
    const results = await Promise.all([a, b, c])
    expect(results[0]).toBe(doc)
    expect(results[1]).toBe(doc)
    expect(results[2]).toBe(doc)
  })

  it('shares the failure too', async () => {
    const next = controlled()
    const link = dedupe()
    const a = rejection(link(op(), next) as Promise<unknown>)
    const b = rejection(link(op(), next) as Promise<unknown>)
    next.pending[0]!.reject(new PortabaseError('unavailable', 'down'))
    expect((await a).code).toBe('unavailable')
    expect((await b).code).toBe('unavailable')
  })

  it('does not cache: a read after the shared one settled sends a new request', async () => {
    const next = controlled()
    const link = dedupe()
    const first = link(op(), next)
    next.pending[0]!.resolve(1)
    await first
    const second = link(op(), next)
    expect(next.pending).toHaveLength(2)
    next.pending[1]!.resolve(2)
    await expect(second).resolves.toBe(2)
  })

  it('compares args by value: key order does not matter, Dates compare by time, types do not mix', async () => {
    const next = controlled()
    const link = dedupe()
    const when = 1_700_000_000_000
    const q1 = { filters: [{ kind: 'field', field: 'at', op: '>', value: new Date(when) }], orderBy: [{ field: '__id__', direction: 'asc' }], limit: 5 }
    const q2 = { limit: 5, orderBy: [{ direction: 'asc', field: '__id__' }], filters: [{ value: new Date(when), op: '>', field: 'at', kind: 'field' }] }
    const q3 = { ...q1, filters: [{ ...q1.filters[0], value: new Date(when).toISOString() }] }
    const q4 = { ...q1, filters: [{ ...q1.filters[0], value: new Date(when + 1) }] }
    void link(op({ method: 'query', args: ['todos', q1] }), next)
    void link(op({ method: 'query', args: ['todos', q2] }), next)
    expect(next.pending).toHaveLength(1)
    void link(op({ method: 'query', args: ['todos', q3] }), next)
    void link(op({ method: 'query', args: ['todos', q4] }), next)
    void link(op({ method: 'count', args: ['todos', q1] }), next)
    void link(op({ method: 'query', args: ['other', q1] }), next)
    expect(next.pending).toHaveLength(5)
  })

  it('never shares writes, even idempotent ones, nor non-idempotent calls', async () => {
    const next = controlled()
    const link = dedupe()
    const write = { type: 'set', collection: 'todos', id: 't1', data: { v: 1 } }
    void link(op({ method: 'write', args: [[write]], idempotent: true }), next)
    void link(op({ method: 'write', args: [[write]], idempotent: true }), next)
    void link(op({ service: 'functions', method: 'call', args: ['f', null], idempotent: false }), next)
    void link(op({ service: 'functions', method: 'call', args: ['f', null], idempotent: false }), next)
    void link(op({ idempotent: false }), next)
    void link(op({ idempotent: false }), next)
    expect(next.pending).toHaveLength(6)
  })

  it('does not share calls whose args do not describe them: auth, storage.getUrl, storage.list', async () => {
    const next = controlled()
    const link = dedupe()
    for (const o of [
      op({ service: 'auth', method: 'getIdToken', args: [] }),
      op({ service: 'auth', method: 'updateProfile', args: [] }),
      op({ service: 'storage', method: 'getUrl', args: ['a.png'] }),
      op({ service: 'storage', method: 'list', args: ['avatars/'] }),
    ]) {
      void link(o, next)
      void link(o, next)
    }
    expect(next.pending).toHaveLength(8)
    expect([...DEDUPE_READS].sort()).toEqual(['config.fetch', 'documents.count', 'documents.get', 'documents.query', 'storage.download', 'storage.getMetadata'])
  })

  it('include overrides which operations are shared', async () => {
    const next = controlled()
    const link = dedupe({ include: (o) => o.service === 'storage' && o.method === 'list' })
    void link(op({ service: 'storage', method: 'list', args: ['p/'] }), next)
    void link(op({ service: 'storage', method: 'list', args: ['p/'] }), next)
    void link(op(), next)
    void link(op(), next)
    expect(next.pending).toHaveLength(3)
  })

  it('passes args it cannot key (functions, class instances, cycles) straight through', async () => {
    const next = controlled()
    const link = dedupe()
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    for (const arg of [() => 1, new Map(), cyclic]) {
      void link(op({ args: ['todos', arg] }), next)
      void link(op({ args: ['todos', arg] }), next)
    }
    expect(next.pending).toHaveLength(6)
  })

  describe('abort', () => {
    it("one caller's abort rejects only that caller; the shared request goes on for the others", async () => {
      const next = controlled()
      const link = dedupe()
      const ca = new AbortController()
      const cb = new AbortController()
      const a = rejection(link(op({ signal: ca.signal }), next) as Promise<unknown>)
      const b = link(op({ signal: cb.signal }), next)
      ca.abort()
      expect((await a).code).toBe('cancelled')
      const shared = next.pending[0]!
      expect(shared.op.signal?.aborted).toBe(false)
      shared.resolve('doc')
      await expect(b).resolves.toBe('doc')
    })

    it('aborts the shared request when every caller has aborted, and a newcomer then starts afresh', async () => {
      const next = controlled()
      const link = dedupe()
      const ca = new AbortController()
      const cb = new AbortController()
      const a = rejection(link(op({ signal: ca.signal }), next) as Promise<unknown>)
      const b = rejection(link(op({ signal: cb.signal }), next) as Promise<unknown>)
      const shared = next.pending[0]!
      ca.abort()
      await a
      expect(shared.op.signal?.aborted).toBe(false)
      cb.abort()
      expect((await b).code).toBe('cancelled')
      expect(shared.op.signal?.aborted).toBe(true)
      expect((shared.op.signal?.reason as PortabaseError).code).toBe('cancelled')
      shared.reject(shared.op.signal?.reason)
      const c = link(op(), next)
      expect(next.pending).toHaveLength(2)
      next.pending[1]!.resolve('fresh')
      await expect(c).resolves.toBe('fresh')
    })

    it('a caller without a signal keeps the shared request alive', async () => {
      const next = controlled()
      const link = dedupe()
      const controller = new AbortController()
      const a = link(op(), next)
      const b = rejection(link(op({ signal: controller.signal }), next) as Promise<unknown>)
      controller.abort()
      await b
      expect(next.pending[0]!.op.signal?.aborted).toBe(false)
      next.pending[0]!.resolve('doc')
      await expect(a).resolves.toBe('doc')
    })

    it("passes the caller's abort reason through (e.g. an outer timeout's deadline-exceeded)", async () => {
      const next = controlled()
      const link = dedupe()
      const controller = new AbortController()
      const a = rejection(link(op({ signal: controller.signal }), next) as Promise<unknown>)
      controller.abort(new PortabaseError('deadline-exceeded', 'too slow'))
      expect((await a).code).toBe('deadline-exceeded')
    })

    it('rejects an already-aborted caller without sending anything', async () => {
      const next = controlled()
      const error = await rejection(dedupe()(op({ signal: AbortSignal.abort() }), next) as Promise<unknown>)
      expect(error.code).toBe('cancelled')
      expect(next.pending).toHaveLength(0)
    })
  })

  describe('read-your-writes', () => {
    const write = (collection: string): Operation =>
      op({ method: 'write', args: [[{ type: 'set', collection, id: 'x', data: {} }]], idempotent: true })

    it('a read issued after a write to its collection never joins a read issued before it', async () => {
      const next = controlled()
      const link = dedupe()
      const before = link(op(), next)
      const writing = link(write('todos'), next)
      next.pending[1]!.resolve(undefined)
      await writing
      const after = link(op(), next)
      expect(next.pending).toHaveLength(3)
      next.pending[0]!.resolve('old')
      next.pending[2]!.resolve('new')
      await expect(before).resolves.toBe('old')
      await expect(after).resolves.toBe('new')
    })

    it('a read issued while a write is in flight is not joined by reads issued after the write settles', async () => {
      const next = controlled()
      const link = dedupe()
      void link(write('todos'), next)
      void link(op(), next)
      next.pending[0]!.resolve(undefined)
      await flush()
      void link(op(), next)
      expect(next.pending).toHaveLength(3)
    })

    it('a write to another collection does not stop sharing', async () => {
      const next = controlled()
      const link = dedupe()
      void link(op(), next)
      void link(write('other'), next)
      void link(op(), next)
      expect(next.pending).toHaveLength(2)
    })

    it('any other state-changing call (a function, sign-out) stops sharing everywhere; known reads do not', async () => {
      const next = controlled()
      const link = dedupe()
      void link(op(), next)
      void link(op({ service: 'storage', method: 'list', args: ['p/'] }), next)
      void link(op({ service: 'auth', method: 'getIdToken', args: [] }), next)
      void link(op(), next)
      expect(next.pending).toHaveLength(3)
      void link(op({ service: 'functions', method: 'call', args: ['reset', null], idempotent: false }), next)
      void link(op(), next)
      void link(op({ service: 'auth', method: 'signOut', args: [] }), next)
      void link(op(), next)
      expect(next.pending).toHaveLength(7)
    })
  })

  it('gives each joiner its own copy of downloaded bytes', async () => {
    const next = controlled()
    const link = dedupe()
    const download = op({ service: 'storage', method: 'download', args: ['a.bin'] })
    const a = link(download, next) as Promise<Uint8Array>
    const b = link(download, next) as Promise<Uint8Array>
    const bytes = new Uint8Array([1, 2, 3])
    next.pending[0]!.resolve(bytes)
    const [ra, rb] = await Promise.all([a, b])
    expect(ra).toBe(bytes)
    expect(rb).not.toBe(bytes)
    expect([...rb]).toEqual([1, 2, 3])
    ra[0] = 9
    expect(rb[0]).toBe(1)
  })

  it('turns a synchronous throw below it into a rejection for every caller', async () => {
    const link = dedupe()
    const next: NextLink = () => {
      throw new PortabaseError('internal', 'sync')
    }
    expect((await rejection(link(op(), next) as Promise<unknown>)).code).toBe('internal')
    expect((await rejection(link(op({ method: 'write', args: [[]] }), next) as Promise<unknown>)).code).toBe('internal')
  })

  it('stableKey: same value, same key; different types, different keys', () => {
    expect(stableKey({ a: 1, b: [new Date(5), 'x'] })).toBe(stableKey({ b: [new Date(5), 'x'], a: 1 }))
    expect(stableKey({ a: 1, b: undefined })).toBe(stableKey({ a: 1 }))
    expect(stableKey(['1'])).not.toBe(stableKey([1]))
    expect(stableKey(new Date(0))).not.toBe(stableKey(new Date(0).toISOString()))
    expect(stableKey(new Date(0))).not.toBe(stableKey(0))
    expect(stableKey(null)).not.toBe(stableKey('null'))
    expect(stableKey([0])).not.toBe(stableKey([-0]))
    const shared = { x: 1 }
    expect(stableKey([shared, shared])).toBe('[{"x":1},{"x":1}]')
  })

  it('stableKey quotes strings exactly as JSON does (quotes, backslashes, control characters, surrogates)', () => {
    for (const s of ['plain', 'with "quotes"', 'back\\slash', 'line\nbreak', '\u0000nul', 'emoji 😀', 'lone \ud800', 'é', '']) {
      expect(stableKey(s)).toBe(JSON.stringify(s))
      expect(stableKey({ [s]: s })).toBe(`{${JSON.stringify(s)}:${JSON.stringify(s)}}`)
    }
  })

  it('in a client: concurrent reads cost one round trip; a read after a write sees the write', async () => {
    jest.useFakeTimers({ now: 0 })
    try {
      const kit = createTestClient({ seed: { todos: { t1: { v: 1 } } }, links: [dedupe()] })
      kit.setLatency(50)
      const ref = kit.app.db.collection('todos').doc('t1')
      const reads = Promise.all([ref.get(), ref.get(), ref.get()])
      const counts = Promise.all([kit.app.db.collection('todos').count(), kit.app.db.collection('todos').count()])
      await jest.advanceTimersByTimeAsync(50)
      expect((await reads).map((d) => d?.data)).toEqual([{ v: 1 }, { v: 1 }, { v: 1 }])
      expect(await counts).toEqual([1, 1])
      expect(kit.adapter.network.calls.get('documents.get')).toBe(1)
      expect(kit.adapter.network.calls.get('documents.count')).toBe(1)

      const stale = ref.get()
      const writing = ref.set({ v: 2 })
      await jest.advanceTimersByTimeAsync(50)
      await writing
      const fresh = ref.get()
      await jest.advanceTimersByTimeAsync(50)
      expect((await stale)?.data).toEqual({ v: 1 })
      expect((await fresh)?.data).toEqual({ v: 2 })
      await kit.dispose()
    } finally {
      jest.useRealTimers()
    }
  })

  it('composes under an outer timeout: the late caller times out, the shared request serves the rest', async () => {
    jest.useFakeTimers({ now: 0 })
    try {
      const next = controlled()
      const link = dedupe()
      const hurried = chain([timeout(100), link], next)
      const patient = chain([link], next)
      const a = rejection(hurried(op()) as Promise<unknown>)
      const b = patient(op())
      await jest.advanceTimersByTimeAsync(100)
      expect((await a).code).toBe('deadline-exceeded')
      expect(next.pending).toHaveLength(1)
      expect(next.pending[0]!.op.signal?.aborted).toBe(false)
      next.pending[0]!.resolve('ok')
      await expect(b).resolves.toBe('ok')
    } finally {
      jest.useRealTimers()
    }
  })
})

import { createClient, isPortabaseError, localStorageSessionStore, memorySessionStore, PortabaseError, type PortabaseClient, type SessionStore, type User } from '../../src/index.js'
import { createMemoryBackend, memory, type MemoryBackend } from '../../adapters/memory/index.js'

const KEY = 'portabase.session.memory'
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

/** A Web Storage look-alike (Node has no localStorage). */
function fakeLocalStorage(): { getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem(k: string): void; data: Map<string, string> } {
  const data = new Map<string, string>()
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) }
}

/** An async store with a delay, like a Keychain/Keystore or AsyncStorage wrapper on React Native. */
function asyncStore(): SessionStore & { data: Map<string, string> } {
  const data = new Map<string, string>()
  const later = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 2))
  return {
    data,
    get: async (k) => (await later(), data.get(k) ?? null),
    set: async (k, v) => (await later(), void data.set(k, v)),
    remove: async (k) => (await later(), void data.delete(k)),
  }
}

const apps: PortabaseClient[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.dispose()))
})

function start(backend: MemoryBackend, store: SessionStore, extra: { key?: string; onError?: (e: PortabaseError) => void } = {}): PortabaseClient {
  const app = createClient({ adapter: memory({ backend }), session: { store, ...extra } })
  apps.push(app)
  return app
}

describe('memorySessionStore', () => {
  test('get/set/remove', () => {
    const store = memorySessionStore()
    expect(store.get('k')).toBeNull()
    store.set('k', 'v')
    expect(store.get('k')).toBe('v')
    store.remove('k')
    expect(store.get('k')).toBeNull()
  })
})

describe('localStorageSessionStore', () => {
  test('reads and writes the given storage', () => {
    const storage = fakeLocalStorage()
    const store = localStorageSessionStore(storage)
    store.set('k', 'v')
    expect(storage.data.get('k')).toBe('v')
    expect(store.get('k')).toBe('v')
    store.remove('k')
    expect(storage.data.has('k')).toBe(false)
  })

  test('fails with unsupported where there is no localStorage (Node)', () => {
    let caught: unknown
    try {
      localStorageSessionStore()
    } catch (error) {
      caught = error
    }
    expect(isPortabaseError(caught, 'unsupported')).toBe(true)
    expect(String((caught as Error).message)).toMatch(/localStorage/)
  })
})

describe('session persistence on the memory adapter', () => {
  const credentials = { email: 'ada@example.com', password: 'correct horse' }

  test.each([
    ['memory store', (): SessionStore => memorySessionStore()],
    ['localStorage store', (): SessionStore => localStorageSessionStore(fakeLocalStorage())],
    ['async store', (): SessionStore => asyncStore()],
  ])('restart: a second client restores the session (%s)', async (_name, makeStore) => {
    const backend = createMemoryBackend()
    const store = makeStore()
    const first = start(backend, store)
    await first.auth.ready
    const user = await first.auth.signUp(credentials)
    await first.dispose()
    const stored = await store.get(KEY)
    expect(typeof stored).toBe('string')
    expect(stored).not.toContain(credentials.password)

    const second = start(backend, store)
    const seen: (User | null)[] = []
    const sub = second.auth.user$.subscribe((u) => seen.push(u))
    await second.auth.ready
    expect(second.auth.currentUser?.uid).toBe(user.uid)
    expect(seen.at(-1)?.uid).toBe(user.uid)
    const token = await second.auth.getIdToken()
    expect(typeof token).toBe('string')
    expect(await second.auth.getIdToken({ forceRefresh: true })).not.toBe(token)
    // The restored session reads data as that user.
    await second.db.collection('notes').doc('n').set({ by: user.uid })
    sub.unsubscribe()
  })

  test('sign-out removes the stored session; the next start is signed out', async () => {
    const backend = createMemoryBackend()
    const store = asyncStore()
    const app = start(backend, store)
    await app.auth.ready
    await app.auth.signUp(credentials)
    await app.dispose()
    expect(store.data.has(KEY)).toBe(true)

    const again = start(backend, store)
    await again.auth.ready
    expect(again.auth.currentUser).not.toBeNull()
    await again.auth.signOut()
    await again.dispose()
    expect(store.data.has(KEY)).toBe(false)

    const third = start(backend, store)
    await third.auth.ready
    expect(third.auth.currentUser).toBeNull()
  })

  test('a revoked refresh token restores as signed out and the entry is removed', async () => {
    const backend = createMemoryBackend()
    const store = memorySessionStore()
    const app = start(backend, store)
    await app.auth.signUp(credentials)
    await app.dispose()
    backend.refreshTokens.clear()

    const next = start(backend, store)
    const seen: (User | null)[] = []
    const sub = next.auth.user$.subscribe((u) => seen.push(u))
    await next.auth.ready
    await settle()
    expect(next.auth.currentUser).toBeNull()
    expect(await next.auth.getIdToken()).toBeNull()
    expect(seen).toEqual([null])
    expect(store.get(KEY)).toBeNull()
    sub.unsubscribe()
  })

  test('a malformed stored value restores as signed out', async () => {
    const store = memorySessionStore()
    store.set(KEY, 'not a session')
    const app = start(createMemoryBackend(), store)
    await app.auth.ready
    await settle()
    expect(app.auth.currentUser).toBeNull()
    expect(store.get(KEY)).toBeNull()
  })

  test('a session ended by a failed refresh is removed from the store', async () => {
    const backend = createMemoryBackend()
    const store = memorySessionStore()
    const app = start(backend, store)
    await app.auth.signUp(credentials)
    await settle()
    expect(store.get(KEY)).not.toBeNull()
    backend.refreshTokens.clear()
    await expect(app.auth.getIdToken({ forceRefresh: true })).rejects.toMatchObject({ code: 'unauthenticated' })
    await settle()
    expect(store.get(KEY)).toBeNull()
  })

  test('uses the given key', async () => {
    const store = memorySessionStore()
    const app = start(createMemoryBackend(), store, { key: 'my-app' })
    await app.auth.signInAnonymously()
    await settle()
    expect(store.get('my-app')).not.toBeNull()
    expect(store.get(KEY)).toBeNull()
  })

  test('store failures never crash the client; they reach onError without the session string', async () => {
    const backend = createMemoryBackend()
    const good = memorySessionStore()
    const seed = start(backend, good)
    await seed.auth.signUp(credentials)
    await seed.dispose()
    const session = good.get(KEY) as string

    const errors: PortabaseError[] = []
    const broken: SessionStore = {
      get: () => session,
      set: () => Promise.reject(new Error('disk full')),
      remove: () => {
        throw new Error('locked')
      },
    }
    const app = start(backend, broken, { onError: (e) => errors.push(e) })
    await app.auth.ready
    expect(app.auth.currentUser).not.toBeNull()
    await app.auth.signOut()
    await app.auth.signInAnonymously()
    await settle()
    expect(app.auth.currentUser?.isAnonymous).toBe(true)
    expect(errors.length).toBeGreaterThanOrEqual(2)
    for (const error of errors) {
      expect(error).toBeInstanceOf(PortabaseError)
      expect(JSON.stringify(error)).not.toContain(JSON.parse(session).refreshToken)
      expect(error.message).not.toContain(JSON.parse(session).refreshToken)
    }

    // Without onError the failures are dropped silently, and a throwing get leaves the client signed out.
    const silent = start(backend, { get: () => Promise.reject(new Error('no keychain')), set: () => undefined, remove: () => undefined })
    await expect(silent.auth.ready).resolves.toBeUndefined()
    expect(silent.auth.currentUser).toBeNull()
  })

  test('an offline start keeps the stored session for the next start', async () => {
    const backend = createMemoryBackend()
    const store = memorySessionStore()
    const seed = start(backend, store)
    await seed.auth.signUp(credentials)
    await seed.dispose()

    const adapter = memory({ backend })
    adapter.network.goOffline()
    const offline = createClient({ adapter, session: { store } })
    apps.push(offline)
    await offline.auth.ready
    await settle()
    expect(offline.auth.currentUser).toBeNull()
    expect(store.get(KEY)).not.toBeNull()
    await offline.dispose()

    const online = start(backend, store)
    await online.auth.ready
    expect(online.auth.currentUser?.email).toBe(credentials.email)
  })

  test('without a session store, auth.ready resolves at once and nothing is stored', async () => {
    const app = createClient({ adapter: memory() })
    apps.push(app)
    await expect(app.auth.ready).resolves.toBeUndefined()
  })

  test('rejects a malformed store', () => {
    expect(() => createClient({ adapter: memory(), session: { store: {} as SessionStore } })).toThrow(/SessionStore/)
  })
})

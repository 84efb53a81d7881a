/**
 * Proactive ID-token refresh (src/client/auth.ts, TokenRefresher) on the memory adapter, whose ID
 * tokens expire (`tokenTtlMs`). The testing kit's ManualClock decides expiry on the backend but
 * cannot drive timers, so jest's fake timers move device time and `advance()` moves both together.
 */
import { memory } from '../../adapters/memory/index.js'
import { AuthClient, type AuthClientOptions } from '../../src/client/auth.js'
import { createClient } from '../../src/client/client.js'
import { Pipeline } from '../../src/client/pipeline.js'
import { log, type LogEntry } from '../../src/links/index.js'
import { createTestClient, ManualClock, type TestKit } from '../../adapters/memory/testing.js'
import type { User } from '../../src/types.js'

const TTL = 120_000
// Default margin: 10 % of the lifetime (12 s), since that is under 60 s.
const REFRESH_AT = TTL - 12_000

let kit: TestKit

beforeEach(() => {
  jest.useFakeTimers({ now: 0 })
  kit = createTestClient({ tokenTtlMs: TTL })
})

afterEach(async () => {
  await kit.dispose()
  jest.useRealTimers()
})

/** Moves the backend clock and device time (timers) together. */
async function advance(ms: number): Promise<void> {
  kit.clock.advance(ms)
  await jest.advanceTimersByTimeAsync(ms)
}

const refreshes = (): number => kit.adapter.network.calls.get('auth.refreshToken') ?? 0

describe('proactive token refresh', () => {
  it('refreshes shortly before expiry, without any caller, and again for each new token', async () => {
    await kit.app.auth.signInAnonymously()
    const first = await kit.app.auth.getIdToken()
    await advance(REFRESH_AT - 1)
    expect(refreshes()).toBe(0)
    await advance(1)
    expect(refreshes()).toBe(1)
    const second = await kit.app.auth.getIdToken()
    expect(second).not.toBe(first)
    // The new token is planned from: one more refresh a lifetime later, none in between.
    await advance(REFRESH_AT - 1)
    expect(refreshes()).toBe(1)
    await advance(1)
    expect(refreshes()).toBe(2)
    // The token never expired on the backend: reads with it kept working all along.
    expect(kit.backend.idTokens.get((await kit.app.auth.getIdToken())!)!.expiresAt).toBeGreaterThan(kit.clock.now())
    expect(kit.app.auth.currentUser).not.toBeNull()
  })

  it("goes through the links like the app's own getIdToken({ forceRefresh: true })", async () => {
    const entries: LogEntry[] = []
    const other = kit.connect({ links: [log({ logger: (e) => entries.push(e) })] })
    await other.app.auth.signInAnonymously()
    entries.length = 0
    await advance(REFRESH_AT)
    expect(entries.map((e) => [e.method, e.outcome, e.args])).toEqual([['getIdToken', 'ok', [{ forceRefresh: true }]]])
  })

  it('shares the refresh with concurrent callers (single-flight)', async () => {
    await kit.app.auth.signInAnonymously()
    kit.setLatency(500)
    await advance(REFRESH_AT)
    // The proactive refresh is in flight (500 ms latency): callers join it.
    const tokens = Promise.all(Array.from({ length: 50 }, () => kit.app.auth.getIdToken()))
    await advance(500)
    expect(new Set(await tokens).size).toBe(1)
    expect(refreshes()).toBe(1)
  })

  it('plans from a token obtained on demand (a forced refresh by the app restarts the countdown)', async () => {
    await kit.app.auth.signInAnonymously()
    await advance(60_000)
    await kit.app.auth.getIdToken({ forceRefresh: true })
    expect(refreshes()).toBe(1)
    await advance(REFRESH_AT - 1)
    expect(refreshes()).toBe(1)
    await advance(1)
    expect(refreshes()).toBe(2)
  })

  it('plans for a restored session too', async () => {
    await kit.app.auth.signInAnonymously()
    const session = kit.adapter.auth.exportSession!()!
    const other = kit.connect()
    await other.adapter.auth.restoreSession!(session)
    await advance(REFRESH_AT)
    // Each client refreshes its own token (each adapter has its own simulated network).
    expect(refreshes()).toBe(1)
    expect(other.adapter.network.calls.get('auth.refreshToken')).toBe(2)
  })

  it('never refreshes after sign-out, and holds no timer', async () => {
    await kit.app.auth.signInAnonymously()
    await advance(60_000)
    await kit.app.auth.signOut()
    expect(jest.getTimerCount()).toBe(0)
    await advance(10 * TTL)
    expect(refreshes()).toBe(0)
  })

  it('never refreshes after dispose()', async () => {
    await kit.app.auth.signInAnonymously()
    await kit.app.dispose()
    expect(jest.getTimerCount()).toBe(0)
    await advance(10 * TTL)
    expect(refreshes()).toBe(0)
  })

  it('follows a new sign-in after a sign-out', async () => {
    await kit.app.auth.signInAnonymously()
    await kit.app.auth.signOut()
    await advance(60_000)
    await kit.app.auth.signInAnonymously()
    await advance(REFRESH_AT - 1)
    expect(refreshes()).toBe(0)
    await advance(1)
    expect(refreshes()).toBe(1)
  })

  describe('failures', () => {
    it('unauthenticated (the session was revoked): signs the user out, emits on user$, and stops', async () => {
      const users: (User | null)[] = []
      kit.app.auth.user$.subscribe((u) => users.push(u))
      await kit.app.auth.signInAnonymously()
      kit.backend.refreshTokens.clear()
      await advance(REFRESH_AT)
      expect(refreshes()).toBe(1)
      expect(kit.app.auth.currentUser).toBeNull()
      expect(users.map((u) => u !== null)).toEqual([false, true, false])
      await advance(10 * TTL)
      expect(refreshes()).toBe(1)
    })

    it('unavailable: stays signed in and retries later (5 s, then doubling), until it succeeds', async () => {
      await kit.app.auth.signInAnonymously()
      const first = await kit.app.auth.getIdToken()
      kit.failNext(2, 'unavailable', { service: 'auth', method: 'refreshToken' })
      await advance(REFRESH_AT)
      expect(refreshes()).toBe(1)
      expect(kit.app.auth.currentUser).not.toBeNull()
      await advance(4_999)
      expect(refreshes()).toBe(1)
      await advance(1)
      expect(refreshes()).toBe(2)
      await advance(9_999)
      expect(refreshes()).toBe(2)
      await advance(1)
      expect(refreshes()).toBe(3)
      expect(await kit.app.auth.getIdToken()).not.toBe(first)
      expect(kit.app.auth.currentUser).not.toBeNull()
      // Back to the normal plan: the next refresh a lifetime later.
      await advance(REFRESH_AT - 1)
      expect(refreshes()).toBe(3)
      await advance(1)
      expect(refreshes()).toBe(4)
    })

    it('offline past expiry: keeps retrying, never signs out, and recovers once back online', async () => {
      await kit.app.auth.signInAnonymously()
      kit.goOffline()
      await advance(REFRESH_AT)
      await advance(5_000 + 10_000 + 20_000 + 40_000 + 60_000 + 60_000)
      expect(refreshes()).toBe(7)
      expect(kit.app.auth.currentUser).not.toBeNull()
      kit.goOnline()
      await advance(60_000)
      expect(refreshes()).toBe(8)
      expect(await kit.app.auth.getIdToken()).toEqual(expect.any(String))
      expect(kit.app.auth.currentUser).not.toBeNull()
    })

    it('a sign-out during the retry wait cancels the retries', async () => {
      await kit.app.auth.signInAnonymously()
      kit.goOffline()
      await advance(REFRESH_AT)
      expect(refreshes()).toBe(1)
      await kit.app.auth.signOut()
      kit.goOnline()
      await advance(10 * TTL)
      expect(refreshes()).toBe(1)
    })
  })

  it('does not loop on a token the adapter cannot renew early', async () => {
    await kit.app.auth.signInAnonymously()
    const fixed = Date.now() + TTL
    // An adapter whose refresh hands back a token with the same expiry.
    kit.adapter.auth.idTokenExpiresAt = () => fixed
    await advance(REFRESH_AT)
    expect(refreshes()).toBe(1)
    await advance(TTL)
    expect(refreshes()).toBe(1)
  })
})

describe('options', () => {
  function client(options: AuthClientOptions) {
    const adapter = memory({ tokenTtlMs: TTL })
    const pipeline = new Pipeline(adapter, [])
    return { adapter, pipeline, auth: new AuthClient(adapter, pipeline, undefined, options) }
  }
  const calls = (adapter: ReturnType<typeof memory>): number => adapter.network.calls.get('auth.refreshToken') ?? 0

  it('marginMs sets how long before expiry (the memory adapter on the system clock: device time alone)', async () => {
    const { adapter, pipeline, auth } = client({ tokenRefresh: { marginMs: 30_000 } })
    await auth.signInAnonymously()
    await jest.advanceTimersByTimeAsync(TTL - 30_000 - 1)
    expect(calls(adapter)).toBe(0)
    await jest.advanceTimersByTimeAsync(1)
    expect(calls(adapter)).toBe(1)
    pipeline.close()
    await adapter.dispose()
  })

  it('a margin longer than the lifetime is capped at half of it', async () => {
    const { adapter, pipeline, auth } = client({ tokenRefresh: { marginMs: 10 * TTL } })
    await auth.signInAnonymously()
    await jest.advanceTimersByTimeAsync(TTL / 2 - 1)
    expect(calls(adapter)).toBe(0)
    await jest.advanceTimersByTimeAsync(1)
    expect(calls(adapter)).toBe(1)
    pipeline.close()
    await adapter.dispose()
  })

  it('tokenRefresh: false leaves refreshing to getIdToken() on demand', async () => {
    const { adapter, pipeline, auth } = client({ tokenRefresh: false })
    await auth.signInAnonymously()
    expect(jest.getTimerCount()).toBe(0)
    await jest.advanceTimersByTimeAsync(2 * TTL)
    expect(calls(adapter)).toBe(0)
    // Expired by now: the next caller refreshes.
    expect(await auth.getIdToken()).toEqual(expect.any(String))
    expect(calls(adapter)).toBe(1)
    pipeline.close()
    await adapter.dispose()
  })

  it('refuses a negative or non-numeric option', () => {
    expect(() => client({ tokenRefresh: { marginMs: -1 } })).toThrow(expect.objectContaining({ code: 'invalid-argument' }))
    expect(() => client({ tokenRefresh: { retryDelayMs: Number.NaN } })).toThrow(expect.objectContaining({ code: 'invalid-argument' }))
  })

  it('is on by default in createClient', async () => {
    const adapter = memory({ tokenTtlMs: TTL })
    const app = createClient({ adapter })
    await app.auth.signInAnonymously()
    await jest.advanceTimersByTimeAsync(REFRESH_AT)
    expect(calls(adapter)).toBe(1)
    await app.dispose()
  })
})

describe('real timers', () => {
  beforeEach(() => jest.useRealTimers())

  it("the refresh timer is unref'd: a signed-in client never keeps Node running", async () => {
    const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = timeouts()
    const setTimer = jest.spyOn(globalThis, 'setTimeout')
    try {
      const app = createClient({ adapter: memory({ tokenTtlMs: TTL }) })
      await app.auth.signInAnonymously()
      // A refresh timer exists (planned TTL − 12 s ahead), and it does not count.
      const armed = setTimer.mock.calls.findIndex(([, ms]) => ms === REFRESH_AT)
      expect(armed).toBeGreaterThanOrEqual(0)
      expect((setTimer.mock.results[armed]!.value as NodeJS.Timeout).hasRef()).toBe(false)
      expect(timeouts()).toBe(before)
      await app.dispose()
    } finally {
      setTimer.mockRestore()
    }
  })
})

describe('memory idTokenExpiresAt()', () => {
  it('is null when signed out, the token expiry on the system clock, and counted from Date.now() on a manual clock', async () => {
    const plain = memory({ tokenTtlMs: TTL })
    expect(plain.auth.idTokenExpiresAt!()).toBeNull()
    await plain.auth.signInAnonymously()
    expect(plain.auth.idTokenExpiresAt!()).toBe(Date.now() + TTL)
    await plain.dispose()

    const clock = new ManualClock(Date.UTC(2030, 0, 1))
    const manual = memory({ tokenTtlMs: TTL, clock })
    await manual.auth.signInAnonymously()
    clock.advance(20_000)
    expect(manual.auth.idTokenExpiresAt!()).toBe(Date.now() + TTL - 20_000)
    await manual.auth.signOut()
    expect(manual.auth.idTokenExpiresAt!()).toBeNull()
    await manual.dispose()
  })
})

describe('createClient({ auth })', () => {
  beforeEach(() => jest.useRealTimers())
  it('passes tokenRefresh options through: false turns proactive refresh off, the default plans it', async () => {
    const { createClient } = await import('../../src/index.js')
    const { memory } = await import('../../adapters/memory/index.js')
    const adapter = memory()
    let expiryAsked = 0
    const spied = Object.create(adapter, {
      auth: { value: Object.assign(Object.create(adapter.auth), { idTokenExpiresAt: () => (expiryAsked++, Date.now() + 1_000) }) },
    })
    const off = createClient({ adapter: spied, auth: { tokenRefresh: false } })
    await off.auth.signInAnonymously()
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(expiryAsked).toBe(0)
    await off.dispose()

    const onAdapter = memory({ backend: adapter.backend })
    const watched = Object.create(onAdapter, {
      auth: { value: Object.assign(Object.create(onAdapter.auth), { idTokenExpiresAt: () => (expiryAsked++, Date.now() + 60_000) }) },
    })
    const enabled = createClient({ adapter: watched })
    await enabled.auth.signInAnonymously()
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(expiryAsked).toBeGreaterThan(0)
    await enabled.dispose()
  })
})

import type { PortabaseClient, Value } from '../index.js'
import type { SuiteEnv } from './env.js'
import { expectError } from './helpers.js'
import { describe, expect, it } from './runner.js'

/** The `slow` fixture's wait, far above the timeouts below: a timeout that works returns long before. */
const SLOW_MS = 3_000

export function functionTests(env: SuiteEnv): void {
  /** A client, or null (after checking `unsupported`) without the `functions` capability. */
  async function functionsClient(app?: PortabaseClient): Promise<PortabaseClient | null> {
    const client = app ?? (await env.client())
    if (!env.caps.functions) {
      await expectError(() => client.functions.call('echo', { a: 1 }), 'unsupported')
      return null
    }
    return client
  }

  describe('functions', () => {
    it('echo round-trips JSON values at every depth', async () => {
      const app = await functionsClient()
      if (!app) return
      const input = {
        text: 'héllo 😀',
        int: 42,
        float: -0.125,
        yes: true,
        no: false,
        nothing: null,
        list: [1, 'two', null, { three: 3, four: [4, 5] }],
        nested: { deeper: { deepest: { leaf: 'ok', empty: {} } }, emptyList: [] },
      }
      expect(await app.functions.call('echo', input)).toEqual(input)
    })

    it('echo round-trips a top-level array and scalars', async () => {
      const app = await functionsClient()
      if (!app) return
      const inputs: Value[] = [[1, 2, 3], 'just a string', 7, true]
      for (const input of inputs) expect(await app.functions.call('echo', input)).toEqual(input)
    })

    it('whoami sees no caller when signed out', async () => {
      const app = await functionsClient()
      if (!app) return
      expect(await app.functions.call('whoami')).toEqual({ uid: null })
    })

    it("whoami sees the signed-in caller's uid", async () => {
      const { app, user } = await env.signedIn()
      if (!(await functionsClient(app))) return
      expect(await app.functions.call('whoami')).toEqual({ uid: user.uid })
      await app.auth.signOut()
      expect(await app.functions.call('whoami')).toEqual({ uid: null })
    })

    it('a function failing with invalid-argument reaches the caller as invalid-argument', async () => {
      const app = await functionsClient()
      if (!app) return
      const error = await expectError(() => app.functions.call('fail', {}), 'invalid-argument')
      expect(error.provider).toBe(env.adapterName)
      expect(error.message).toContain('bad input')
    })

    it('a call exceeding timeoutMs fails fast with deadline-exceeded', async () => {
      const app = await functionsClient()
      if (!app) return
      const started = Date.now()
      await expectError(() => app.functions.call('slow', { ms: SLOW_MS }, { timeoutMs: 200 }), 'deadline-exceeded')
      expect(Date.now() - started).toBeLessThan(SLOW_MS / 2)
    })

    it('a call finishing within timeoutMs returns its result', async () => {
      const app = await functionsClient()
      if (!app) return
      expect(await app.functions.call('slow', { ms: 10 }, { timeoutMs: 10_000 })).toEqual({ ok: true })
    })

    it("aborting the call's signal fails it with cancelled", async () => {
      const app = await functionsClient()
      if (!app) return
      const controller = new AbortController()
      const call = app.functions.call('slow', { ms: SLOW_MS }, { signal: controller.signal })
      setTimeout(() => controller.abort(), 50)
      const started = Date.now()
      await expectError(() => call, 'cancelled')
      expect(Date.now() - started).toBeLessThan(SLOW_MS / 2)
    })

    it('an unknown function fails with not-found', async () => {
      const app = await functionsClient()
      if (!app) return
      const error = await expectError(() => app.functions.call('noSuchFunction', {}), 'not-found')
      expect(error.provider).toBe(env.adapterName)
    })

    it('an invalid function name fails with invalid-argument', async () => {
      const app = await functionsClient()
      if (!app) return
      for (const name of ['', '1abc', 'has space', 'a/b']) await expectError(() => app.functions.call(name, {}), 'invalid-argument', `call('${name}')`)
    })

    it('input that cannot be sent (NaN, undefined inside, functions) fails with invalid-argument', async () => {
      const app = await functionsClient()
      if (!app) return
      await expectError(() => app.functions.call('echo', { n: Number.NaN }), 'invalid-argument')
      await expectError(() => app.functions.call('echo', { u: undefined }), 'invalid-argument')
      await expectError(() => app.functions.call('echo', { f: () => 1 }), 'invalid-argument')
    })

    it('a non-positive timeoutMs fails with invalid-argument', async () => {
      const app = await functionsClient()
      if (!app) return
      await expectError(() => app.functions.call('echo', {}, { timeoutMs: 0 }), 'invalid-argument')
    })
  })
}

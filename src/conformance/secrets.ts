import type { PortabaseError } from '../index.js'
import type { SuiteEnv } from './env.js'
import { expectError, uniqueEmail, uniquePassword } from './helpers.js'
import { describe, expect, it } from './runner.js'

/** Auth errors never carry the password: auth only, so backends without documents run it too. */
export function secretTests(env: SuiteEnv): void {
  describe('secrets never appear in errors', () => {
    function expectNoSecret(error: PortabaseError, secret: string): void {
      expect(error.message).not.toContain(secret)
      expect(JSON.stringify(error)).not.toContain(secret)
      expect(String(error)).not.toContain(secret)
      expect(error.stack ?? '').not.toContain(secret)
      expect(JSON.stringify(error.details ?? {})).not.toContain(secret)
    }

    it('a wrong-password sign-in error does not contain the password', async () => {
      const app = await env.client()
      const email = uniqueEmail()
      const password = uniquePassword()
      if (!env.caps.emailPasswordAuth) {
        expectNoSecret(await expectError(() => app.auth.signIn({ email, password }), 'unsupported'), password)
        return
      }
      await app.auth.signUp({ email, password })
      const wrong = `${password}-Wr0ng-${uniquePassword()}`
      const device = await env.client()
      const error = await expectError(() => device.auth.signIn({ email, password: wrong }), 'unauthenticated')
      expectNoSecret(error, wrong)
      expectNoSecret(error, password)
    })

    it('sign-up errors (duplicate account, weak password) do not contain the password', async () => {
      const app = await env.client()
      const email = uniqueEmail()
      const password = uniquePassword()
      if (!env.caps.emailPasswordAuth) {
        expectNoSecret(await expectError(() => app.auth.signUp({ email, password }), 'unsupported'), password)
        return
      }
      await app.auth.signUp({ email, password })
      const device = await env.client()
      const second = uniquePassword()
      expectNoSecret(await expectError(() => device.auth.signUp({ email, password: second }), 'already-exists'), second)
      const weak = 'Qz7'
      expectNoSecret(await expectError(() => device.auth.signUp({ email: uniqueEmail(), password: weak }), 'invalid-argument'), weak)
    })

  })
}

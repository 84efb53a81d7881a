import type { Adapter, AuthService, User } from '../index.js'
import type { SuiteEnv } from './env.js'
import { expectError, uniqueEmail, uniquePassword } from './helpers.js'
import { describe, expect, it } from './runner.js'

/** Wraps an adapter so the test can count how often the client asks it for a token. */
function countingTokens(adapter: Adapter, onCall: () => void): Adapter {
  const auth = new Proxy(adapter.auth, {
    get(target, key) {
      if (key === 'getIdToken') {
        return (options: { forceRefresh: boolean }) => {
          onCall()
          return target.getIdToken(options)
        }
      }
      const value: unknown = Reflect.get(target, key, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  }) as AuthService
  return new Proxy(adapter, {
    get(target, key) {
      if (key === 'auth') return auth
      const value: unknown = Reflect.get(target, key, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}

export function authTests(env: SuiteEnv): void {
  describe('auth', () => {
    /** Signs a new email/password user up on a new client; null (after checking `unsupported`) without the capability. */
    async function newAccount(): Promise<{ email: string; password: string; user: User } | null> {
      const app = await env.client()
      const email = uniqueEmail()
      const password = uniquePassword()
      if (!env.caps.emailPasswordAuth) {
        await expectError(() => app.auth.signUp({ email, password }), 'unsupported', 'signUp')
        return null
      }
      return { email, password, user: await app.auth.signUp({ email, password }) }
    }

    it('a fresh client is signed out: currentUser is null', async () => {
      const app = await env.client()
      expect(app.auth.currentUser).toBeNull()
    })

    it('signUp creates and signs in an email/password user (or refuses with unsupported)', async () => {
      const app = await env.client()
      const email = uniqueEmail()
      const password = uniquePassword()
      if (!env.caps.emailPasswordAuth) {
        await expectError(() => app.auth.signUp({ email, password }), 'unsupported')
        return
      }
      const user = await app.auth.signUp({ email, password })
      expect(typeof user.uid).toBe('string')
      expect(user.uid.length).toBeGreaterThan(0)
      expect(user.email).toBe(email)
      expect(user.isAnonymous).toBe(false)
      expect(user.providerId).toBe('password')
      expect(app.auth.currentUser?.uid).toBe(user.uid)
    })

    it('signIn on another device returns the same user', async () => {
      const account = await newAccount()
      if (!account) return
      const device = await env.client()
      const user = await device.auth.signIn({ email: account.email, password: account.password })
      expect(user.uid).toBe(account.user.uid)
      expect(user.email).toBe(account.email)
      expect(device.auth.currentUser?.uid).toBe(account.user.uid)
    })

    it('signIn trims whitespace around the email', async () => {
      const account = await newAccount()
      if (!account) return
      const device = await env.client()
      const user = await device.auth.signIn({ email: `  ${account.email} `, password: account.password })
      expect(user.uid).toBe(account.user.uid)
    })

    it('signIn with a wrong password fails with unauthenticated and stays signed out', async () => {
      const account = await newAccount()
      if (!account) return
      const device = await env.client()
      const error = await expectError(() => device.auth.signIn({ email: account.email, password: `${account.password}x` }), 'unauthenticated')
      expect(error.provider).toBe(env.adapterName)
      expect(device.auth.currentUser).toBeNull()
    })

    it('signIn with an unknown email fails with unauthenticated', async () => {
      const app = await env.client()
      const credentials = { email: uniqueEmail(), password: uniquePassword() }
      if (!env.caps.emailPasswordAuth) {
        await expectError(() => app.auth.signIn(credentials), 'unsupported')
        return
      }
      const error = await expectError(() => app.auth.signIn(credentials), 'unauthenticated')
      expect(error.provider).toBe(env.adapterName)
    })

    it('signUp with an email already registered fails with already-exists', async () => {
      const account = await newAccount()
      if (!account) return
      const device = await env.client()
      const error = await expectError(() => device.auth.signUp({ email: account.email, password: uniquePassword() }), 'already-exists')
      expect(error.provider).toBe(env.adapterName)
      expect(device.auth.currentUser).toBeNull()
    })

    it('signUp with a weak password fails with invalid-argument', async () => {
      const app = await env.client()
      const action = () => app.auth.signUp({ email: uniqueEmail(), password: 'x1' })
      await expectError(action, env.caps.emailPasswordAuth ? 'invalid-argument' : 'unsupported')
      expect(app.auth.currentUser).toBeNull()
    })

    it.each(['', 'plainaddress', 'no-at.example.com', 'a@b', 'two@@example.com', 'spa ce@example.com'])(
      'signUp with malformed email %p fails with invalid-argument',
      async (email) => {
        const app = await env.client()
        await expectError(() => app.auth.signUp({ email, password: uniquePassword() }), env.caps.emailPasswordAuth ? 'invalid-argument' : 'unsupported')
      },
    )

    it('signIn with an empty password fails with invalid-argument', async () => {
      const app = await env.client()
      await expectError(() => app.auth.signIn({ email: uniqueEmail(), password: '' }), env.caps.emailPasswordAuth ? 'invalid-argument' : 'unsupported')
    })

    it('signOut clears currentUser and user$ emits null', async () => {
      const { app } = await env.signedIn()
      const users = env.record(app.auth.user$)
      await users.waitFor((u) => u !== null, 'the signed-in user')
      await app.auth.signOut()
      expect(app.auth.currentUser).toBeNull()
      await users.waitFor((u) => u === null, 'null after signOut')
    })

    it('signOut when already signed out succeeds', async () => {
      const app = await env.client()
      await app.auth.signOut()
      expect(app.auth.currentUser).toBeNull()
    })

    it('signing in again after signOut gives back the same uid', async () => {
      const account = await newAccount()
      if (!account) return
      const device = await env.client()
      await device.auth.signIn({ email: account.email, password: account.password })
      await device.auth.signOut()
      const again = await device.auth.signIn({ email: account.email, password: account.password })
      expect(again.uid).toBe(account.user.uid)
    })

    it('signInAnonymously gives an anonymous user (or refuses with unsupported)', async () => {
      const app = await env.client()
      if (!env.caps.anonymousAuth) {
        await expectError(() => app.auth.signInAnonymously(), 'unsupported')
        return
      }
      const user = await app.auth.signInAnonymously()
      expect(user.isAnonymous).toBe(true)
      expect(user.providerId).toBe('anonymous')
      expect(user.email).toBeNull()
      expect(user.uid.length).toBeGreaterThan(0)
      expect(app.auth.currentUser?.uid).toBe(user.uid)
    })

    it('two anonymous sign-ins on different devices are different users', async () => {
      const a = await env.client()
      const b = await env.client()
      if (!env.caps.anonymousAuth) {
        await expectError(() => a.auth.signInAnonymously(), 'unsupported')
        return
      }
      const [ua, ub] = await Promise.all([a.auth.signInAnonymously(), b.auth.signInAnonymously()])
      expect(ua.uid).not.toBe(ub.uid)
    })

    it('sessions are per device: signing in on one client leaves another signed out', async () => {
      const { app } = await env.signedIn()
      const other = await env.client()
      expect(app.auth.currentUser).not.toBeNull()
      expect(other.auth.currentUser).toBeNull()
      expect(await other.auth.getIdToken()).toBeNull()
    })

    it('user$ replays null to a new subscriber while signed out', async () => {
      const app = await env.client()
      const users = env.record(app.auth.user$)
      const first = await users.waitFor(() => true, 'a replayed value')
      expect(first).toBeNull()
    })

    it('user$ replays the current user to a late subscriber', async () => {
      const { app, user } = await env.signedIn()
      const users = env.record(app.auth.user$)
      const first = await users.waitFor(() => true, 'a replayed value')
      expect(first?.uid).toBe(user.uid)
    })

    it('user$ emits the user on sign-in and null on sign-out, in order', async () => {
      const app = await env.client()
      const users = env.record(app.auth.user$)
      await users.waitFor((u) => u === null, 'the initial null')
      const user = env.caps.emailPasswordAuth
        ? await app.auth.signUp({ email: uniqueEmail(), password: uniquePassword() })
        : await app.auth.signInAnonymously()
      await users.waitFor((u) => u?.uid === user.uid, 'the signed-in user')
      await app.auth.signOut()
      await users.waitFor((u) => u === null, 'null after signOut')
    })

    it('getIdToken resolves null when signed out', async () => {
      const app = await env.client()
      expect(await app.auth.getIdToken()).toBeNull()
      expect(await app.auth.getIdToken({ forceRefresh: true })).toBeNull()
    })

    it('getIdToken resolves a non-empty string when signed in', async () => {
      const { app } = await env.signedIn()
      const token = await app.auth.getIdToken()
      expect(typeof token).toBe('string')
      expect(token!.length).toBeGreaterThan(0)
    })

    it('getIdToken({ forceRefresh: true }) resolves a usable token and the user stays signed in', async () => {
      const { app, user } = await env.signedIn()
      const refreshed = await app.auth.getIdToken({ forceRefresh: true })
      expect(typeof refreshed).toBe('string')
      expect(refreshed!.length).toBeGreaterThan(0)
      expect(app.auth.currentUser?.uid).toBe(user.uid)
      // The refreshed session still works for calls that need it.
      expect(await app.auth.getIdToken()).toEqual(expect.any(String))
    })

    it('getIdToken is null again after signOut', async () => {
      const { app } = await env.signedIn()
      await app.auth.signOut()
      expect(await app.auth.getIdToken()).toBeNull()
    })

    it('getIdToken is single-flight: concurrent callers share one adapter request', async () => {
      let calls = 0
      const app = env.clientFor(countingTokens(await env.target.createAdapter(), () => calls++))
      if (env.caps.emailPasswordAuth) await app.auth.signUp({ email: uniqueEmail(), password: uniquePassword() })
      else await app.auth.signInAnonymously()
      calls = 0
      const tokens = await Promise.all([app.auth.getIdToken({ forceRefresh: true }), app.auth.getIdToken(), app.auth.getIdToken(), app.auth.getIdToken()])
      expect(calls).toBe(1)
      expect(new Set(tokens).size).toBe(1)
      expect(tokens[0]).toEqual(expect.any(String))
    })

    it('updateProfile sets displayName and photoURL (or refuses with unsupported)', async () => {
      const { app, user } = await env.signedIn()
      if (!env.caps.updateProfile) {
        await expectError(() => app.auth.updateProfile({ displayName: 'Ada' }), 'unsupported')
        return
      }
      const users = env.record(app.auth.user$)
      const updated = await app.auth.updateProfile({ displayName: 'Ada Lovelace', photoURL: 'https://example.com/ada.png' })
      expect(updated.uid).toBe(user.uid)
      expect(updated.displayName).toBe('Ada Lovelace')
      expect(updated.photoURL).toBe('https://example.com/ada.png')
      expect(app.auth.currentUser?.displayName).toBe('Ada Lovelace')
      await users.waitFor((u) => u?.displayName === 'Ada Lovelace', 'user$ to emit the new displayName')
    })

    it('updateProfile with null clears displayName', async () => {
      const { app } = await env.signedIn()
      if (!env.caps.updateProfile) {
        await expectError(() => app.auth.updateProfile({ displayName: null }), 'unsupported')
        return
      }
      await app.auth.updateProfile({ displayName: 'Temp' })
      const cleared = await app.auth.updateProfile({ displayName: null })
      expect(cleared.displayName).toBeNull()
    })

    it('updateProfile with an unknown key fails with invalid-argument', async () => {
      const { app } = await env.signedIn()
      const bad = { displayName: 'x', email: 'other@example.com' } as unknown as { displayName: string }
      await expectError(() => app.auth.updateProfile(bad), env.caps.updateProfile ? 'invalid-argument' : 'unsupported')
    })

    it('updateProfile when signed out fails with unauthenticated', async () => {
      const app = await env.client()
      await expectError(() => app.auth.updateProfile({ displayName: 'Nobody' }), env.caps.updateProfile ? 'unauthenticated' : 'unsupported')
    })

    it('sendPasswordReset resolves for a registered email (or refuses with unsupported)', async () => {
      const account = await newAccount()
      const app = await env.client()
      const email = account?.email ?? uniqueEmail()
      if (!env.caps.passwordReset) {
        await expectError(() => app.auth.sendPasswordReset(email), 'unsupported')
        return
      }
      await expect(app.auth.sendPasswordReset(email)).resolves.toBeUndefined()
    })

    it('sendPasswordReset with a malformed email fails with invalid-argument', async () => {
      const app = await env.client()
      await expectError(() => app.auth.sendPasswordReset('not-an-email'), env.caps.passwordReset ? 'invalid-argument' : 'unsupported')
    })

    it('signInWithOAuth with a provider the adapter does not declare fails with unsupported', async () => {
      const app = await env.client()
      const provider = 'not-a-declared-provider'
      expect(env.caps.oauthProviders).not.toContain(provider)
      const error = await expectError(() => app.auth.signInWithOAuth({ provider }), 'unsupported')
      expect(error.provider).toBe(env.adapterName)
      expect(app.auth.currentUser).toBeNull()
    })

    it('signInWithOAuth without a provider fails with invalid-argument', async () => {
      const app = await env.client()
      await expectError(() => app.auth.signInWithOAuth({ provider: '' }), 'invalid-argument')
    })
  })
}

import { distinctUntilChanged, type Observable } from 'rxjs'
import { invalidArgument } from '../errors.js'
import type { Adapter } from '../spi.js'
import type { EmailPasswordCredentials, ProfileUpdate, User } from '../types.js'
import { requireCapability, type Pipeline } from './pipeline.js'

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
export const MIN_PASSWORD_LENGTH = 6

export class AuthClient {
  /** The signed-in user; replays the current value to each subscriber. */
  readonly user$: Observable<User | null>
  /**
   * Resolves when the stored session (`createClient({ session })`) has been restored, or found
   * missing or invalid; never rejects. Resolved at once without a session store.
   */
  readonly ready: Promise<void>
  private tokenInFlight: Promise<string | null> | null = null

  constructor(
    private readonly adapter: Adapter,
    private readonly pipeline: Pipeline,
    ready: Promise<void> = Promise.resolve(),
  ) {
    this.ready = ready
    this.user$ = adapter.auth.user$.pipe(distinctUntilChanged(sameUser))
  }

  get currentUser(): User | null {
    return this.adapter.auth.currentUser()
  }

  signUp(credentials: EmailPasswordCredentials): Promise<User> {
    requireCapability(this.adapter, this.adapter.capabilities.emailPasswordAuth, 'Email/password sign-up')
    assertCredentials(credentials, true)
    const { email, password } = credentials
    return this.call('signUp', false, () => this.adapter.auth.signUp({ email: email.trim(), password }))
  }

  signIn(credentials: EmailPasswordCredentials): Promise<User> {
    requireCapability(this.adapter, this.adapter.capabilities.emailPasswordAuth, 'Email/password sign-in')
    assertCredentials(credentials, false)
    const { email, password } = credentials
    return this.call('signIn', false, () => this.adapter.auth.signIn({ email: email.trim(), password }))
  }

  signInAnonymously(): Promise<User> {
    requireCapability(this.adapter, this.adapter.capabilities.anonymousAuth, 'Anonymous sign-in')
    return this.call('signInAnonymously', false, () => this.adapter.auth.signInAnonymously())
  }

  signInWithOAuth(options: { provider: string }): Promise<User> {
    const provider = options?.provider
    if (typeof provider !== 'string' || provider.length === 0) throw invalidArgument('signInWithOAuth needs a provider id')
    requireCapability(this.adapter, this.adapter.capabilities.oauthProviders.includes(provider), `OAuth provider "${provider}"`)
    return this.call('signInWithOAuth', false, () => this.adapter.auth.signInWithOAuth({ provider }), [{ provider }])
  }

  signOut(): Promise<void> {
    this.tokenInFlight = null
    return this.call('signOut', true, () => this.adapter.auth.signOut())
  }

  /**
   * The current ID token. Single-flight: concurrent callers share one request, so N callers during
   * an expiry cause one refresh, not N.
   */
  getIdToken(options: { forceRefresh?: boolean } = {}): Promise<string | null> {
    if (this.tokenInFlight) return this.tokenInFlight
    const forceRefresh = options.forceRefresh === true
    const request = this.call('getIdToken', true, () => this.adapter.auth.getIdToken({ forceRefresh }), [{ forceRefresh }]).finally(() => {
      if (this.tokenInFlight === request) this.tokenInFlight = null
    })
    this.tokenInFlight = request
    return request
  }

  sendPasswordReset(email: string): Promise<void> {
    requireCapability(this.adapter, this.adapter.capabilities.passwordReset, 'Password reset')
    if (typeof email !== 'string' || !EMAIL.test(email.trim())) throw invalidArgument('sendPasswordReset needs a valid email address')
    return this.call('sendPasswordReset', true, () => this.adapter.auth.sendPasswordReset(email.trim()))
  }

  updateProfile(update: ProfileUpdate): Promise<User> {
    requireCapability(this.adapter, this.adapter.capabilities.updateProfile, 'Profile update')
    if (typeof update !== 'object' || update === null) throw invalidArgument('updateProfile needs an object')
    for (const key of Object.keys(update)) {
      if (key !== 'displayName' && key !== 'photoURL') throw invalidArgument(`updateProfile does not accept "${key}"; use displayName or photoURL`)
      const value = update[key]
      if (value !== null && value !== undefined && (typeof value !== 'string' || value.length > 2048)) {
        throw invalidArgument(`${key} must be a string (max 2048) or null`)
      }
    }
    return this.call('updateProfile', true, () => this.adapter.auth.updateProfile(update))
  }

  private call<T>(method: string, idempotent: boolean, run: () => Promise<T>, args: unknown[] = []): Promise<T> {
    // Credentials and profile data are never put in `args`: links (loggers) never see them.
    return this.pipeline.invoke({ service: 'auth', method, args, idempotent, run })
  }
}

function assertCredentials(credentials: EmailPasswordCredentials, isSignUp: boolean): void {
  if (typeof credentials !== 'object' || credentials === null) throw invalidArgument('Credentials must be { email, password }')
  const { email, password } = credentials
  if (typeof email !== 'string' || !EMAIL.test(email.trim())) throw invalidArgument('A valid email address is required')
  if (typeof password !== 'string' || password.length === 0) throw invalidArgument('A password is required')
  if (isSignUp && password.length < MIN_PASSWORD_LENGTH) {
    throw invalidArgument(`Password must be at least ${MIN_PASSWORD_LENGTH} characters`)
  }
}

function sameUser(a: User | null, b: User | null): boolean {
  if (a === b) return true
  if (!a || !b) return false
  return (
    a.uid === b.uid &&
    a.email === b.email &&
    a.displayName === b.displayName &&
    a.photoURL === b.photoURL &&
    a.isAnonymous === b.isAnonymous &&
    a.providerId === b.providerId
  )
}

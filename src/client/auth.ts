import { distinctUntilChanged, type Observable, type Subscription } from 'rxjs'
import { invalidArgument, isPortabaseError, PortabaseError } from '../errors.js'
import type { Adapter } from '../spi.js'
import type { EmailPasswordCredentials, ProfileUpdate, User } from '../types.js'
import { requireCapability, type Pipeline } from './pipeline.js'

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
export const MIN_PASSWORD_LENGTH = 6

/** Proactive ID-token refresh, on adapters that report when the token expires (`idTokenExpiresAt`). */
export interface TokenRefreshOptions {
  /**
   * How long before expiry to refresh. Default: 10 % of the token's lifetime, at most 60 s (60 s for
   * a one-hour token). Never more than half the time the token has left when it is seen, so a short
   * token is not refreshed in a loop.
   */
  marginMs?: number
  /** First wait after a proactive refresh failed with a retryable error (e.g. offline); doubles each time. Default 5,000. */
  retryDelayMs?: number
  /** Longest wait between those retries. Default 60,000. */
  maxRetryDelayMs?: number
}

export interface AuthClientOptions {
  /** Proactive token refresh; `false` leaves refreshing to `getIdToken()` on demand. Default: on. */
  tokenRefresh?: TokenRefreshOptions | false
}

/** A refresh is never scheduled sooner than this (a token that does not renew cannot cause a busy loop). */
const MIN_REFRESH_DELAY_MS = 1_000
/** setTimeout's largest delay (about 24.8 days); longer delays fire at once, so longer waits are chained. */
const MAX_TIMER_DELAY_MS = 2_147_483_647

export class AuthClient {
  /** The signed-in user; replays the current value to each subscriber. */
  readonly user$: Observable<User | null>
  /**
   * Resolves when the stored session (`createClient({ session })`) has been restored, or found
   * missing or invalid; never rejects. Resolved at once without a session store.
   */
  readonly ready: Promise<void>
  private tokenInFlight: Promise<string | null> | null = null
  private readonly refresher: TokenRefresher | undefined

  constructor(
    private readonly adapter: Adapter,
    private readonly pipeline: Pipeline,
    ready: Promise<void> = Promise.resolve(),
    options: AuthClientOptions = {},
  ) {
    this.ready = ready
    this.user$ = adapter.auth.user$.pipe(distinctUntilChanged(sameUser))
    const refresh = options.tokenRefresh
    if (refresh !== false && typeof adapter.auth.idTokenExpiresAt === 'function') {
      this.refresher = new TokenRefresher(adapter, refresh ?? {}, () => this.getIdToken({ forceRefresh: true }), () => this.signOut())
      pipeline.onClose(() => this.refresher?.stop())
    }
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
    this.refresher?.cancel()
    return this.call('signOut', true, () => this.adapter.auth.signOut())
  }

  /**
   * The current ID token. Single-flight: concurrent callers share one request, so N callers during
   * an expiry cause one refresh, not N. The proactive refresh goes through here too.
   */
  getIdToken(options: { forceRefresh?: boolean } = {}): Promise<string | null> {
    if (this.tokenInFlight) return this.tokenInFlight
    const forceRefresh = options.forceRefresh === true
    const request = this.call('getIdToken', true, () => this.adapter.auth.getIdToken({ forceRefresh }), [{ forceRefresh }]).finally(() => {
      if (this.tokenInFlight === request) this.tokenInFlight = null
    })
    this.tokenInFlight = request
    // A new token (or the same one, confirmed): the next proactive refresh is planned from it.
    if (this.refresher) request.then(() => this.refresher?.tokenChanged(), () => undefined)
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

/**
 * Refreshes the ID token shortly before it expires, without any caller, on adapters that implement
 * `AuthService.idTokenExpiresAt()`. One timer (unref'd where timers can be), planned again on every
 * new token and user, cancelled on sign-out and dispose. The refresh itself is `getIdToken({
 * forceRefresh: true })`: single-flight with the app's own calls, and through the links.
 *
 * Failures: `unauthenticated` means the session is over, so the user is signed out (adapters end
 * the session themselves; this makes sure of it). A retryable failure (offline, timeout, rate
 * limit) is tried again later, with a doubling wait, without signing out. Anything else is left to
 * the next on-demand `getIdToken()`.
 */
class TokenRefresher {
  private timer: ReturnType<typeof setTimeout> | undefined = undefined
  /** The expiry the armed timer was planned for. */
  private plannedFor: number | undefined = undefined
  /** Lifetime of the current token as first seen (its expiry, and the time it had left then). */
  private seen: { expiresAt: number; lifetimeMs: number } | undefined = undefined
  /** An expiry a forced refresh did not move: the adapter cannot renew it, so stop planning for it. */
  private unrenewable: number | undefined = undefined
  /** Consecutive retryable failures of the proactive refresh. */
  private failures = 0
  private user: string | null = null
  private stopped = false
  private readonly subscription: Subscription

  constructor(
    private readonly adapter: Adapter,
    private readonly options: TokenRefreshOptions,
    private readonly refresh: () => Promise<string | null>,
    private readonly signOut: () => Promise<void>,
  ) {
    for (const [name, value] of Object.entries(options)) {
      if (value !== undefined && !(typeof value === 'number' && value >= 0 && Number.isFinite(value))) {
        throw invalidArgument(`tokenRefresh.${name} must be a number of ms ≥ 0`)
      }
    }
    this.subscription = adapter.auth.user$.subscribe({
      next: (user) => {
        const uid = user?.uid ?? null
        if (uid !== this.user) {
          // Another user, or none: start afresh.
          this.user = uid
          this.failures = 0
          this.unrenewable = undefined
          this.seen = undefined
        }
        if (uid === null) this.cancel()
        else this.plan()
      },
      error: () => this.cancel(),
    })
  }

  /** A token was obtained or confirmed. */
  tokenChanged(): void {
    this.failures = 0
    this.plan()
  }

  /** Signing out: nothing is refreshed until someone signs in. */
  cancel(): void {
    this.clear()
    this.failures = 0
  }

  stop(): void {
    this.stopped = true
    this.clear()
    this.subscription.unsubscribe()
  }

  private plan(): void {
    if (this.stopped) return
    const expiresAt = this.expiresAt()
    if (expiresAt === null || expiresAt === this.unrenewable) return this.clear()
    const now = Date.now()
    const remaining = expiresAt - now
    if (this.seen?.expiresAt !== expiresAt) this.seen = { expiresAt, lifetimeMs: Math.max(0, remaining) }
    let delay: number
    if (this.failures > 0) {
      const first = this.options.retryDelayMs ?? 5_000
      delay = Math.min(this.options.maxRetryDelayMs ?? 60_000, first * 2 ** (this.failures - 1))
    } else {
      // Expired already: the next getIdToken() refreshes on demand; nothing to plan.
      if (remaining <= 0) return this.clear()
      // Already planned for this token: keep the timer (getIdToken() calls land here all the time).
      if (this.timer !== undefined && this.plannedFor === expiresAt) return
      const margin = Math.min(this.options.marginMs ?? Math.min(60_000, this.seen.lifetimeMs / 10), remaining / 2)
      delay = Math.max(MIN_REFRESH_DELAY_MS, remaining - margin)
    }
    this.arm(delay, expiresAt)
  }

  private arm(delay: number, expiresAt: number): void {
    this.clear()
    this.plannedFor = expiresAt
    // Past setTimeout's limit a timer fires at once: wait in steps, planning again on waking.
    const step = Math.min(delay, MAX_TIMER_DELAY_MS)
    const timer = setTimeout(() => {
      if (this.timer !== timer) return
      this.timer = undefined
      if (step < delay) this.arm(delay - step, expiresAt)
      else void this.run(expiresAt)
    }, step)
    ;(timer as { unref?: () => void }).unref?.()
    this.timer = timer
  }

  private clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.plannedFor = undefined
  }

  private async run(expiresAt: number): Promise<void> {
    const user = this.user
    try {
      await this.refresh()
    } catch (error) {
      if (this.stopped || this.user !== user) return
      if (isPortabaseError(error, 'unauthenticated')) {
        // The session is over. Adapters sign out themselves; make sure, for those that do not.
        this.cancel()
        if (this.adapter.auth.currentUser() !== null) await this.signOut().catch(() => undefined)
        return
      }
      if (error instanceof PortabaseError && error.retryable) {
        this.failures += 1
        this.plan()
      }
      return
    }
    // Refreshed, but the expiry did not move (the adapter cannot renew it early, or the call joined an
    // app's non-forced getIdToken): stop planning for this token; on-demand refresh still works.
    if (!this.stopped && this.user === user && this.expiresAt() === expiresAt) {
      this.unrenewable = expiresAt
      this.clear()
    }
  }

  private expiresAt(): number | null {
    let value: number | null
    try {
      value = this.adapter.auth.idTokenExpiresAt?.() ?? null
    } catch {
      return null
    }
    return typeof value === 'number' && Number.isFinite(value) ? value : null
  }
}

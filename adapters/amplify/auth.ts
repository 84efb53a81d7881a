/**
 * Auth on Amplify: Cognito user pools through aws-amplify v6's auth API, on the adapter's own
 * context (context.ts), so each adapter is its own session.
 *
 * - The username is the email (Gen 2's default `loginWith: { email: true }`). A sign-up the pool
 *   leaves unconfirmed (a confirmation code was sent) fails with `failed-precondition`
 *   (`details.reason: 'email-confirmation-required'`): the account exists, and `signIn` works once
 *   it is confirmed. Pools with a pre-sign-up function that confirms users sign in at once.
 * - The ID token is Cognito's id token; refreshing spends the refresh token (`fetchAuthSession`
 *   with `forceRefresh`). The client's single-flight `getIdToken` and its refresher (planned from
 *   `idTokenExpiresAt`) are the only callers.
 * - `user$` follows this adapter's own calls, not Hub: Hub's auth events are process-wide and do
 *   not say which context they come from.
 * - Sign-in state inside aws-amplify (the user being signed in) is process-wide too: sign-in and
 *   sign-up of every adapter run one at a time (`exclusive`).
 * - No anonymous users (Cognito guests are identity-pool identities, not users): `anonymousAuth`
 *   is false. OAuth (the hosted UI) is a browser redirect.
 */
import { deleteUserAttributes, fetchAuthSession, fetchUserAttributes, getCurrentUser, resetPassword, signIn, signInWithRedirect, signOut, signUp, updateUserAttributes } from 'aws-amplify/auth'
import { BehaviorSubject, distinctUntilChanged, type Observable } from 'rxjs'
import { PortabaseError } from '../../src/errors.js'
import type { AuthService } from '../../src/spi.js'
import type { EmailPasswordCredentials, ProfileUpdate, User } from '../../src/types.js'
import type { AmplifyContext, SessionStore } from './context.js'
import { amplifyError, mapAuthError, PROVIDER } from './errors.js'

export interface AmplifyAuthOptions {
  /** `USER_SRP_AUTH` (Amplify's default, and AWS's) or `USER_PASSWORD_AUTH` (cognito-local has no SRP). */
  authFlowType?: 'USER_SRP_AUTH' | 'USER_PASSWORD_AUTH'
  /** Hosted-UI providers (`Google`, `Facebook`, `Amazon`, `Apple`, or a custom provider name). Browsers only. */
  oauthProviders?: readonly string[]
}

/** aws-amplify keeps the user being signed in process-wide: one sign-in/sign-up at a time. */
let queue: Promise<unknown> = Promise.resolve()
function exclusive<T>(work: () => Promise<T>): Promise<T> {
  const run = queue.then(work, work)
  queue = run.catch(() => undefined)
  return run
}

interface IdClaims {
  sub?: string
  email?: string
  name?: string
  picture?: string
  identities?: Array<{ providerName?: string }> | string
  exp?: number
}

function sameUser(a: User | null, b: User | null): boolean {
  if (a === b) return true
  if (!a || !b) return false
  return a.uid === b.uid && a.email === b.email && a.displayName === b.displayName && a.photoURL === b.photoURL && a.providerId === b.providerId
}

/** The neutral user from the id token's claims or the user's attributes (the same names). */
function userOf(claims: IdClaims): User {
  const identities = typeof claims.identities === 'string' ? (JSON.parse(claims.identities) as IdClaims['identities']) : claims.identities
  const federated = Array.isArray(identities) ? identities[0]?.providerName : undefined
  return {
    uid: String(claims.sub),
    email: claims.email ?? null,
    displayName: claims.name || null,
    photoURL: claims.picture || null,
    isAnonymous: false,
    providerId: federated ? federated.toLowerCase() : 'password',
  }
}

export class AmplifyAuth implements AuthService {
  private readonly state$ = new BehaviorSubject<User | null>(null)
  readonly user$: Observable<User | null> = this.state$.pipe(distinctUntilChanged(sameUser))
  private expiresAt: number | null = null

  constructor(
    private readonly ctx: AmplifyContext,
    private readonly store: SessionStore,
    private readonly options: AmplifyAuthOptions = {},
  ) {}

  currentUser(): User | null {
    return this.state$.value
  }

  /**
   * Reads the session the context holds now (null when there is none). With `profile`, the user is
   * read from Cognito's GetUser (`fetchUserAttributes`): id tokens need not carry every attribute.
   */
  private async publishSession(forceRefresh = false, profile = false): Promise<string | null> {
    const session = await fetchAuthSession(this.ctx, { forceRefresh })
    const idToken = session.tokens?.idToken
    if (!idToken) {
      this.set(null)
      return null
    }
    const claims = idToken.payload as IdClaims
    this.expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : null
    if (profile) this.set(userOf({ ...claims, ...((await fetchUserAttributes(this.ctx)) as IdClaims) }))
    else if (this.state$.value?.uid !== claims.sub) this.set(userOf(claims))
    return idToken.toString()
  }

  private set(user: User | null): void {
    if (user === null) this.expiresAt = null
    if (!this.state$.closed && !sameUser(user, this.state$.value)) this.state$.next(user)
  }

  private async signInWith(email: string, password: string): Promise<User> {
    // A signed-in context refuses another sign-in (UserAlreadyAuthenticatedException): the new one wins.
    if (this.state$.value) await this.signOut()
    const result = await signIn(this.ctx, { username: email, password, options: { authFlowType: this.options.authFlowType ?? 'USER_SRP_AUTH' } })
    if (!result.isSignedIn) {
      throw amplifyError('failed-precondition', `sign-in needs another step (${result.nextStep.signInStep}), which portabase does not drive`, undefined, {
        reason: result.nextStep.signInStep === 'CONFIRM_SIGN_UP' ? 'email-confirmation-required' : 'sign-in-step',
        step: result.nextStep.signInStep,
      })
    }
    await this.publishSession(false, true)
    return this.state$.value!
  }

  signUp({ email, password }: EmailPasswordCredentials): Promise<User> {
    return exclusive(async () => {
      try {
        const result = await signUp(this.ctx, { username: email, password, options: { userAttributes: { email } } })
        if (!result.isSignUpComplete) {
          throw amplifyError('failed-precondition', 'Sign-up: the user pool requires email confirmation before the first sign-in', undefined, { reason: 'email-confirmation-required' })
        }
        return await this.signInWith(email, password)
      } catch (error) {
        throw mapAuthError(error)
      }
    })
  }

  signIn({ email, password }: EmailPasswordCredentials): Promise<User> {
    return exclusive(async () => {
      try {
        return await this.signInWith(email, password)
      } catch (error) {
        throw mapAuthError(error, { signingIn: true })
      }
    })
  }

  async signInAnonymously(): Promise<User> {
    throw new PortabaseError('unsupported', 'Cognito user pools have no anonymous users', { provider: PROVIDER })
  }

  async signInWithOAuth({ provider }: { provider: string }): Promise<User> {
    if (!this.options.oauthProviders?.includes(provider)) throw new PortabaseError('unsupported', `OAuth provider "${provider}" is not configured for this amplify adapter`, { provider: PROVIDER })
    if (typeof window === 'undefined') throw new PortabaseError('unsupported', 'OAuth sign-in (the hosted UI) needs a browser', { provider: PROVIDER })
    const known = ['Google', 'Facebook', 'Amazon', 'Apple']
    await signInWithRedirect(this.ctx, { provider: known.includes(provider) ? (provider as 'Google') : { custom: provider } }).catch((error: unknown) => {
      throw mapAuthError(error)
    })
    throw new PortabaseError('cancelled', 'Redirecting to the hosted UI', { provider: PROVIDER })
  }

  async signOut(): Promise<void> {
    // Local: the tokens go at once; revoking the refresh token on Cognito is best effort.
    await signOut(this.ctx).catch(() => this.store.clear())
    this.set(null)
  }

  async getIdToken({ forceRefresh }: { forceRefresh: boolean }): Promise<string | null> {
    if (!this.state$.value) return null
    try {
      const token = await this.publishSession(forceRefresh)
      if (forceRefresh && token === null) throw amplifyError('unauthenticated', 'the session has ended (the refresh token was refused)')
      return token
    } catch (error) {
      const mapped = mapAuthError(error)
      if (mapped.code === 'unauthenticated') {
        await this.store.clear()
        this.set(null)
      }
      throw mapped
    }
  }

  idTokenExpiresAt(): number | null {
    return this.expiresAt
  }

  async sendPasswordReset(email: string): Promise<void> {
    try {
      await resetPassword(this.ctx, { username: email })
    } catch (error) {
      // The same answer for unknown addresses (no account enumeration).
      if ((error as { name?: string }).name === 'UserNotFoundException') return
      throw mapAuthError(error)
    }
  }

  async updateProfile(update: ProfileUpdate): Promise<User> {
    const user = this.state$.value
    if (!user) throw new PortabaseError('unauthenticated', 'Sign in to update the profile', { provider: PROVIDER })
    const set: Record<string, string> = {}
    const cleared: Array<'name' | 'picture'> = []
    for (const [key, attribute] of [['displayName', 'name'], ['photoURL', 'picture']] as const) {
      const value = update[key]
      if (value === undefined) continue
      if (value === null) cleared.push(attribute)
      else set[attribute] = value
    }
    try {
      if (Object.keys(set).length > 0) await updateUserAttributes(this.ctx, { userAttributes: set })
      if (cleared.length > 0) await deleteUserAttributes(this.ctx, { userAttributeKeys: cleared as never })
    } catch (error) {
      throw mapAuthError(error)
    }
    // Tokens issued before carry the old attributes: refresh them so token and user agree.
    await this.publishSession(true).catch(() => undefined)
    const next: User = {
      ...(this.state$.value ?? user),
      ...(update.displayName !== undefined ? { displayName: update.displayName } : {}),
      ...(update.photoURL !== undefined ? { photoURL: update.photoURL } : {}),
    }
    this.set(next)
    return next
  }

  /** aws-amplify's stored tokens for this context, as JSON (a secret: it holds the refresh token). */
  exportSession(): string | null {
    return this.state$.value ? JSON.stringify(this.store.snapshot()) : null
  }

  async restoreSession(stored: string): Promise<User | null> {
    if (this.state$.value) return this.state$.value
    let entries: Record<string, string>
    try {
      entries = JSON.parse(stored) as Record<string, string>
    } catch {
      return null
    }
    if (typeof entries !== 'object' || entries === null) return null
    this.store.replace(entries)
    try {
      // getCurrentUser checks the stored tokens are there; fetchAuthSession refreshes expired ones.
      await getCurrentUser(this.ctx)
      await this.publishSession(false, true)
      return this.state$.value
    } catch (error) {
      const mapped = mapAuthError(error)
      if (mapped.code === 'unavailable') throw mapped
      await this.store.clear()
      this.set(null)
      return null
    }
  }

  close(): void {
    this.state$.complete()
  }
}

/**
 * Auth on Supabase (GoTrue through supabase-js's auth client). The ID token is the session's access
 * token (a JWT, one hour by default); refreshing it spends the refresh token, which rotates.
 *
 * - `user$` follows `onAuthStateChange`, so sessions started or ended outside portabase (another
 *   tab's sign-out, a refresh token revoked on the server) show too.
 * - Refresh: the client's single-flight `getIdToken()` (plus its proactive refresher, planned from
 *   `idTokenExpiresAt`) is the one place that refreshes; the clients this adapter creates turn
 *   supabase-js's own refresher off. A forced refresh calls `refreshSession()`; an unforced one
 *   reads `getSession()`, which refreshes an expired session on demand.
 * - OAuth is a URL flow with PKCE: in browsers supabase-js redirects the page (the user arrives on
 *   `user$` after the return, the promise rejects with `cancelled`); elsewhere (React Native, Node)
 *   `oauth.openUrl` opens the provider's page and resolves the URL it came back to, whose `code` is
 *   exchanged for a session.
 * - Signing out is local to this device (`scope: 'local'`): the session ends here at once; revoking
 *   its refresh token on the server is best effort.
 */
import type { Session, SupabaseClient, User as SupabaseUser } from '@supabase/supabase-js'
import { BehaviorSubject, distinctUntilChanged, type Observable } from 'rxjs'
import { PortabaseError } from '../../src/errors.js'
import type { AuthService } from '../../src/spi.js'
import type { EmailPasswordCredentials, ProfileUpdate, User } from '../../src/types.js'
import { mapAuthError, PROVIDER, type AuthErrorLike } from './errors.js'

export interface SupabaseOAuthOptions {
  /** Provider ids as Supabase names them (`google`, `github`, `apple`…) that the project has enabled. */
  providers: readonly string[]
  /** Where the provider sends the user back (must be in the project's redirect allow list). */
  redirectTo?: string
  /**
   * Outside browsers: opens the provider's page (e.g. `WebBrowser.openAuthSessionAsync(url,
   * redirectTo)` on Expo) and resolves the URL it returned to, or null if the user gave up.
   */
  openUrl?: (url: string) => Promise<string | null>
  /** Extra scopes to ask the provider for, space-separated. */
  scopes?: string
}

export interface SupabaseAuthOptions {
  oauth?: SupabaseOAuthOptions
  /** Where the password-reset email links to. */
  passwordResetRedirectTo?: string
}

/** A GoTrue call: the error comes back as a value, and anything thrown is mapped too. */
async function run<R extends { data: unknown; error: unknown }>(call: () => Promise<R>): Promise<Extract<R, { error: null }>['data']> {
  let result: R
  try {
    result = await call()
  } catch (error) {
    throw error instanceof PortabaseError ? error : mapAuthError(error as AuthErrorLike)
  }
  if (result.error) throw mapAuthError(result.error as AuthErrorLike)
  return result.data as Extract<R, { error: null }>['data']
}

/** GoTrue's `email` provider is portabase's `password`. */
const PROVIDER_IDS: Record<string, string> = { email: 'password' }

export function toUser(user: SupabaseUser | null | undefined): User | null {
  if (!user) return null
  const meta = (user.user_metadata ?? {}) as Record<string, unknown>
  const text = (...keys: string[]): string | null => {
    for (const key of keys) if (typeof meta[key] === 'string' && meta[key] !== '') return meta[key]
    return null
  }
  const isAnonymous = user.is_anonymous === true
  const provider = typeof user.app_metadata?.provider === 'string' ? user.app_metadata.provider : 'email'
  return {
    uid: user.id,
    email: isAnonymous ? null : user.email || null,
    // display_name is what portabase writes; OAuth providers fill full_name/name and avatar_url/picture.
    displayName: text('display_name', 'full_name', 'name'),
    photoURL: text('avatar_url', 'picture'),
    isAnonymous,
    providerId: isAnonymous ? 'anonymous' : (PROVIDER_IDS[provider] ?? provider),
  }
}

function sameUser(a: User | null, b: User | null): boolean {
  if (a === b) return true
  if (!a || !b) return false
  return a.uid === b.uid && a.email === b.email && a.displayName === b.displayName && a.photoURL === b.photoURL && a.isAnonymous === b.isAnonymous && a.providerId === b.providerId
}

/** The session as `exportSession` writes it: what `setSession` needs, nothing more. */
interface ExportedSession {
  access_token: string
  refresh_token: string
}

export class SupabaseAuth implements AuthService {
  private readonly state$ = new BehaviorSubject<User | null>(null)
  readonly user$: Observable<User | null> = this.state$.pipe(distinctUntilChanged(sameUser))
  /** The last session supabase-js reported (its tokens are the exported session). */
  private session: Session | null = null
  private readonly unsubscribe: () => void

  constructor(
    private readonly client: SupabaseClient,
    private readonly options: SupabaseAuthOptions = {},
  ) {
    const { data } = client.auth.onAuthStateChange((_event, session) => this.track(session))
    this.unsubscribe = () => data.subscription.unsubscribe()
  }

  private track(session: Session | null): void {
    this.session = session
    const user = toUser(session?.user)
    if (!this.state$.closed && !sameUser(user, this.state$.value)) this.state$.next(user)
  }

  /** Takes the session a call returned (onAuthStateChange has usually reported it already). */
  private started(session: Session | null, what: string): User {
    if (!session) {
      // Sign-up on a project that confirms email addresses: the account exists, no session yet.
      throw new PortabaseError('failed-precondition', `${what}: the project requires email confirmation before the first sign-in`, {
        provider: PROVIDER,
        details: { reason: 'email-confirmation-required' },
      })
    }
    this.track(session)
    return this.state$.value!
  }

  currentUser(): User | null {
    return this.state$.value
  }

  async signUp({ email, password }: EmailPasswordCredentials): Promise<User> {
    const data = await run(() => this.client.auth.signUp({ email, password }))
    return this.started(data.session, 'Sign-up')
  }

  async signIn({ email, password }: EmailPasswordCredentials): Promise<User> {
    const data = await run(() => this.client.auth.signInWithPassword({ email, password }))
    return this.started(data.session, 'Sign-in')
  }

  async signInAnonymously(): Promise<User> {
    const data = await run(() => this.client.auth.signInAnonymously())
    return this.started(data.session, 'Anonymous sign-in')
  }

  async signInWithOAuth({ provider }: { provider: string }): Promise<User> {
    const oauth = this.options.oauth
    if (!oauth?.providers.includes(provider)) throw new PortabaseError('unsupported', `OAuth provider "${provider}" is not configured for this supabase adapter`, { provider: PROVIDER })
    const inBrowser = typeof window !== 'undefined' && typeof document !== 'undefined' && !oauth.openUrl
    if (!inBrowser && !oauth.openUrl) throw new PortabaseError('unsupported', 'OAuth sign-in outside a browser needs oauth.openUrl', { provider: PROVIDER })
    const { url } = await run(() =>
      this.client.auth.signInWithOAuth({
        provider: provider as never,
        options: { redirectTo: oauth.redirectTo, scopes: oauth.scopes, skipBrowserRedirect: !inBrowser },
      }),
    )
    // supabase-js has sent the page to the provider; the user arrives on user$ after the return.
    if (inBrowser) throw new PortabaseError('cancelled', 'Redirecting to the OAuth provider', { provider: PROVIDER })
    if (!url) throw new PortabaseError('internal', 'Supabase returned no OAuth URL', { provider: PROVIDER })
    const returned = await oauth.openUrl!(url)
    if (!returned) throw new PortabaseError('cancelled', 'OAuth sign-in was cancelled', { provider: PROVIDER })
    const params = new URL(returned).searchParams
    const failure = params.get('error_description') ?? params.get('error')
    if (failure) throw new PortabaseError('unauthenticated', `OAuth sign-in failed: ${failure}`, { provider: PROVIDER, details: { vendorCode: params.get('error_code') ?? params.get('error') } })
    const code = params.get('code')
    if (!code) throw new PortabaseError('unauthenticated', 'The OAuth redirect carried no code (is the client set to flowType "pkce"?)', { provider: PROVIDER })
    const data = await run(() => this.client.auth.exchangeCodeForSession(code))
    return this.started(data.session, 'OAuth sign-in')
  }

  async signOut(): Promise<void> {
    // supabase-js removes the local session before it asks the server to revoke the refresh token;
    // that request is best effort (offline, or a session the server already ended), as on Parse.
    await this.client.auth.signOut({ scope: 'local' }).catch(() => undefined)
    this.track(null)
  }

  async getIdToken({ forceRefresh }: { forceRefresh: boolean }): Promise<string | null> {
    if (!this.session) return null
    try {
      const data = forceRefresh ? await run(() => this.client.auth.refreshSession()) : await run(() => this.client.auth.getSession())
      if (!data.session) this.track(null)
      return data.session?.access_token ?? null
    } catch (error) {
      // A refresh token that is gone (revoked, reused, expired): supabase-js has ended the session.
      if (error instanceof PortabaseError && error.code === 'unauthenticated') this.track(null)
      throw error
    }
  }

  idTokenExpiresAt(): number | null {
    const seconds = this.session?.expires_at
    return typeof seconds === 'number' ? seconds * 1000 : null
  }

  async sendPasswordReset(email: string): Promise<void> {
    // GoTrue answers 200 for unknown addresses too (no account enumeration).
    await run(() => this.client.auth.resetPasswordForEmail(email, { redirectTo: this.options.passwordResetRedirectTo }))
  }

  async updateProfile(update: ProfileUpdate): Promise<User> {
    if (!this.session) throw new PortabaseError('unauthenticated', 'Sign in to update the profile', { provider: PROVIDER })
    const data: Record<string, string | null> = {}
    if (update.displayName !== undefined) Object.assign(data, { display_name: update.displayName, full_name: null, name: null })
    if (update.photoURL !== undefined) Object.assign(data, { avatar_url: update.photoURL, picture: null })
    const result = await run(() => this.client.auth.updateUser({ data }))
    const user = toUser(result.user)
    if (user && !sameUser(user, this.state$.value)) this.state$.next(user)
    return user ?? this.state$.value!
  }

  /** The access and refresh tokens (a secret: the refresh token starts new sessions). */
  exportSession(): string | null {
    if (!this.session) return null
    const exported: ExportedSession = { access_token: this.session.access_token, refresh_token: this.session.refresh_token }
    return JSON.stringify(exported)
  }

  async restoreSession(stored: string): Promise<User | null> {
    let tokens: ExportedSession
    try {
      tokens = JSON.parse(stored) as ExportedSession
    } catch {
      return null
    }
    if (typeof tokens?.access_token !== 'string' || typeof tokens.refresh_token !== 'string') return null
    // Signed in meanwhile: an explicit sign-in wins over the stored session.
    if (this.session) return this.currentUser()
    try {
      // Validated by GoTrue: the user behind a live token, or a refresh when it has expired.
      const data = await run(() => this.client.auth.setSession(tokens))
      return data.session ? this.started(data.session, 'Restoring the session') : null
    } catch (error) {
      if (error instanceof PortabaseError && error.code === 'unauthenticated') return null
      throw error
    }
  }

  close(): void {
    this.unsubscribe()
    this.state$.complete()
  }
}

/**
 * Auth on Parse users and sessions. The session token is the ID token; each adapter keeps its own
 * (in memory) and sends it explicitly, so several adapters in one process can be different users.
 * The username is the email (lower-cased); anonymous users use Parse's `anonymous` authData.
 */
import { BehaviorSubject, distinctUntilChanged, map, type Observable } from 'rxjs'
import { PortabaseError } from '../../src/errors.js'
import type { AuthService } from '../../src/spi.js'
import type { EmailPasswordCredentials, ProfileUpdate, User } from '../../src/types.js'
import { parseCodeOf, ParseCode, PROVIDER } from './errors.js'
import type { ParseRest } from './sdk.js'

interface SessionState {
  token: string
  user: User
}

/** The signed-in session of one adapter, shared by its services. */
export class Session {
  readonly state$ = new BehaviorSubject<SessionState | null>(null)

  get token(): string | null {
    return this.state$.value?.token ?? null
  }

  /** Emits when the session token changes (sign-in, sign-out, another user). */
  get tokenChanges$(): Observable<string | null> {
    return this.state$.pipe(
      map((s) => s?.token ?? null),
      distinctUntilChanged(),
    )
  }
}

interface ParseUserJSON {
  objectId: string
  sessionToken?: string
  email?: string
  displayName?: string
  photoURL?: string
  authData?: Record<string, unknown>
}

export interface ParseAuthOptions {
  anonymousAuth: boolean
  passwordReset: boolean
}

const userPath = (uid: string): string => `users/${encodeURIComponent(uid)}`

export class ParseAuth implements AuthService {
  readonly user$: Observable<User | null>

  constructor(
    private readonly rest: ParseRest,
    private readonly session: Session,
    private readonly options: ParseAuthOptions,
  ) {
    this.user$ = session.state$.pipe(
      map((s) => s?.user ?? null),
      distinctUntilChanged(),
    )
  }

  currentUser(): User | null {
    return this.session.state$.value?.user ?? null
  }

  async signUp({ email, password }: EmailPasswordCredentials): Promise<User> {
    const address = email.toLowerCase()
    const json = await this.rest.request<ParseUserJSON>('POST', 'users', { username: address, email: address, password }, { sessionToken: null, context: 'auth' })
    return this.start(json, { email: address, providerId: 'password', isAnonymous: false })
  }

  async signIn({ email, password }: EmailPasswordCredentials): Promise<User> {
    const address = email.toLowerCase()
    try {
      const json = await this.rest.request<ParseUserJSON>('POST', 'login', { username: address, password }, { sessionToken: null, context: 'login' })
      return this.start(json, { email: json.email ?? address, providerId: 'password', isAnonymous: false })
    } catch (error) {
      if (parseCodeOf(error) === ParseCode.OBJECT_NOT_FOUND) {
        // One message for unknown email and wrong password: no account enumeration.
        throw new PortabaseError('unauthenticated', 'Invalid email or password', { provider: PROVIDER, cause: error, details: { parseCode: ParseCode.OBJECT_NOT_FOUND } })
      }
      throw error
    }
  }

  async signInAnonymously(): Promise<User> {
    if (!this.options.anonymousAuth) throw new PortabaseError('unsupported', 'Anonymous sign-in is disabled for this parse adapter', { provider: PROVIDER })
    const json = await this.rest.request<ParseUserJSON>('POST', 'users', { authData: { anonymous: { id: crypto.randomUUID() } } }, { sessionToken: null, context: 'auth' })
    return this.start(json, { email: null, providerId: 'anonymous', isAnonymous: true })
  }

  async signInWithOAuth({ provider }: { provider: string }): Promise<User> {
    throw new PortabaseError('unsupported', `OAuth provider "${provider}" is not supported by the parse adapter`, { provider: PROVIDER })
  }

  async signOut(): Promise<void> {
    const token = this.session.token
    this.session.state$.next(null)
    if (!token) return
    // Signing out always ends the local session; revoking it on the server is best effort.
    await this.rest.request('POST', 'logout', {}, { sessionToken: token, context: 'auth' }).catch(() => undefined)
  }

  async getIdToken({ forceRefresh }: { forceRefresh: boolean }): Promise<string | null> {
    const state = this.session.state$.value
    if (!state) return null
    if (!forceRefresh) return state.token
    // Parse session tokens do not rotate: a forced refresh checks the session is still valid.
    try {
      const json = await this.rest.request<ParseUserJSON>('GET', 'users/me', undefined, { sessionToken: state.token, context: 'auth' })
      if (this.session.state$.value === state) this.session.state$.next({ token: state.token, user: this.profileOf(json, state.user) })
      return state.token
    } catch (error) {
      if (error instanceof PortabaseError && error.code === 'unauthenticated' && this.session.state$.value === state) this.session.state$.next(null)
      throw error
    }
  }

  /**
   * Always null: the client does not refresh Parse sessions proactively. A Parse session token is the
   * ID token and never rotates (a forced refresh only checks the session is still valid), and its
   * expiry is not visible to the client without an extra request: the login and sign-up answers do
   * not carry it, only `GET /sessions/me` does (`expiresAt`, one year by default, sliding with
   * `expireInactiveSessions`). An expired or revoked session surfaces as `unauthenticated` on the next
   * call (or `getIdToken({ forceRefresh: true })`), which signs the user out.
   */
  idTokenExpiresAt(): number | null {
    return null
  }

  async sendPasswordReset(email: string): Promise<void> {
    if (!this.options.passwordReset) throw new PortabaseError('unsupported', 'Password reset is disabled for this parse adapter', { provider: PROVIDER })
    try {
      await this.rest.request('POST', 'requestPasswordReset', { email: email.toLowerCase() }, { sessionToken: null, context: 'auth' })
    } catch (error) {
      // Succeeds for unknown addresses too (servers with resetPasswordSuccessOnInvalidEmail: false answer 205).
      if (parseCodeOf(error) === ParseCode.EMAIL_NOT_FOUND) return
      throw error
    }
  }

  async updateProfile(update: ProfileUpdate): Promise<User> {
    const state = this.session.state$.value
    if (!state) throw new PortabaseError('unauthenticated', 'Sign in to update the profile', { provider: PROVIDER })
    const body: Record<string, unknown> = {}
    for (const key of ['displayName', 'photoURL'] as const) {
      const value = update[key]
      if (value === undefined) continue
      if (value !== null) body[key] = value
      // Deleting a column the _User class never had is a server error: only clear a set value.
      else if (state.user[key] !== null) body[key] = { __op: 'Delete' }
    }
    if (Object.keys(body).length > 0) await this.rest.request('PUT', userPath(state.user.uid), body, { sessionToken: state.token, context: 'auth' })
    const user: User = {
      ...state.user,
      ...(update.displayName !== undefined ? { displayName: update.displayName } : {}),
      ...(update.photoURL !== undefined ? { photoURL: update.photoURL } : {}),
    }
    if (this.session.state$.value === state) this.session.state$.next({ token: state.token, user })
    return user
  }

  /** The session token: it restores the session until it expires or is revoked. */
  exportSession(): string | null {
    return this.session.token
  }

  async restoreSession(session: string): Promise<User | null> {
    if (typeof session !== 'string' || session.length === 0) return null
    let json: ParseUserJSON
    try {
      json = await this.rest.request<ParseUserJSON>('GET', 'users/me', undefined, { sessionToken: session, context: 'auth' })
    } catch (error) {
      // An invalid, expired or revoked token: stay signed out. Anything else (offline) rejects.
      if (error instanceof PortabaseError && error.code === 'unauthenticated') return null
      throw error
    }
    // Signed in meanwhile (an explicit sign-in wins over the stored session).
    if (this.session.state$.value) return this.currentUser()
    const isAnonymous = json.authData?.anonymous !== undefined && json.authData.anonymous !== null
    const user = this.profileOf(json, {
      uid: json.objectId,
      email: null,
      displayName: null,
      photoURL: null,
      isAnonymous,
      providerId: isAnonymous ? 'anonymous' : 'password',
    })
    this.session.state$.next({ token: session, user })
    return user
  }

  /** Ends the session without a round trip (dispose). */
  close(): void {
    this.session.state$.complete()
  }

  private start(json: ParseUserJSON, base: Pick<User, 'email' | 'providerId' | 'isAnonymous'>): User {
    if (typeof json.sessionToken !== 'string' || json.sessionToken.length === 0) {
      throw new PortabaseError('internal', 'Parse Server did not return a session token', { provider: PROVIDER })
    }
    const user = this.profileOf(json, { uid: json.objectId, displayName: null, photoURL: null, ...base })
    this.session.state$.next({ token: json.sessionToken, user })
    return user
  }

  /** A user from a full Parse user object (login, /users/me) or a sign-up answer (a new, empty profile). */
  private profileOf(json: ParseUserJSON, base: User): User {
    return {
      ...base,
      uid: json.objectId ?? base.uid,
      email: base.isAnonymous ? null : (json.email ?? base.email),
      displayName: typeof json.displayName === 'string' ? json.displayName : null,
      photoURL: typeof json.photoURL === 'string' ? json.photoURL : null,
    }
  }
}

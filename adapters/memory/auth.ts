import { BehaviorSubject } from 'rxjs'
import { PortabaseError } from '../../src/errors.js'
import { generateId } from '../../src/ids.js'
import type { AuthService } from '../../src/spi.js'
import type { EmailPasswordCredentials, ProfileUpdate, User } from '../../src/types.js'
import type { MemoryBackend } from './backend.js'
import { systemClock } from './clock.js'
import type { MemoryNetwork } from './network.js'

interface Session {
  uid: string
  idToken: string
  refreshToken: string
}

const fail = (code: 'unauthenticated' | 'already-exists' | 'not-found', message: string): PortabaseError =>
  new PortabaseError(code, message, { provider: 'memory' })

async function hashPassword(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveBits'])
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', salt: salt as BufferSource, iterations, hash: 'SHA-256' }, key, 256)
  return new Uint8Array(bits)
}

/** Constant-time comparison: timing does not tell how much of a hash matched. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

function parseStoredSession(session: string): { uid: string; refreshToken: string } | null {
  try {
    const value: unknown = JSON.parse(session)
    if (typeof value !== 'object' || value === null) return null
    const { v, uid, refreshToken } = value as Record<string, unknown>
    return v === 1 && typeof uid === 'string' && typeof refreshToken === 'string' ? { uid, refreshToken } : null
  } catch {
    return null
  }
}

/** One client's session against the memory backend: the user, an expiring ID token and a refresh token. */
export class MemoryAuth implements AuthService {
  private readonly state$ = new BehaviorSubject<User | null>(null)
  readonly user$ = this.state$.asObservable()
  private session: Session | null = null

  constructor(
    private readonly backend: MemoryBackend,
    private readonly network: MemoryNetwork,
    private readonly oauthProfiles: Record<string, { email?: string; displayName?: string }>,
  ) {}

  currentUser(): User | null {
    return this.state$.value
  }

  /** The signed-in user as the backend sees it (for rules and functions), or null. */
  caller(): User | null {
    return this.session ? (this.backend.users.get(this.session.uid)?.user ?? null) : null
  }

  async signUp({ email, password }: EmailPasswordCredentials): Promise<User> {
    await this.network.gate('auth', 'signUp')
    const key = email.toLowerCase()
    if (this.backend.uidByEmail.has(key)) throw fail('already-exists', 'An account with this email already exists')
    const salt = crypto.getRandomValues(new Uint8Array(16))
    const passwordHash = await hashPassword(password, salt, this.backend.passwordIterations)
    const user: User = { uid: generateId(28), email: key, displayName: null, photoURL: null, isAnonymous: false, providerId: 'password' }
    this.backend.users.set(user.uid, { user, salt, passwordHash })
    this.backend.uidByEmail.set(key, user.uid)
    return this.startSession(user)
  }

  async signIn({ email, password }: EmailPasswordCredentials): Promise<User> {
    await this.network.gate('auth', 'signIn')
    const uid = this.backend.uidByEmail.get(email.toLowerCase())
    const record = uid ? this.backend.users.get(uid) : undefined
    // One message for unknown email and wrong password: no account enumeration.
    const invalid = fail('unauthenticated', 'Invalid email or password')
    if (!record?.salt || !record.passwordHash) throw invalid
    const hash = await hashPassword(password, record.salt, this.backend.passwordIterations)
    if (!sameBytes(hash, record.passwordHash)) throw invalid
    return this.startSession(record.user)
  }

  async signInAnonymously(): Promise<User> {
    await this.network.gate('auth', 'signInAnonymously')
    const user: User = { uid: generateId(28), email: null, displayName: null, photoURL: null, isAnonymous: true, providerId: 'anonymous' }
    this.backend.users.set(user.uid, { user })
    return this.startSession(user)
  }

  async signInWithOAuth({ provider }: { provider: string }): Promise<User> {
    await this.network.gate('auth', 'signInWithOAuth')
    const profile = this.oauthProfiles[provider]
    if (!profile) throw new PortabaseError('unsupported', `OAuth provider "${provider}" is not configured`, { provider: 'memory' })
    const email = profile.email?.toLowerCase() ?? null
    const existing = email ? this.backend.uidByEmail.get(email) : undefined
    const record = existing ? this.backend.users.get(existing) : undefined
    if (record) return this.startSession(record.user)
    const user: User = { uid: generateId(28), email, displayName: profile.displayName ?? null, photoURL: null, isAnonymous: false, providerId: provider }
    this.backend.users.set(user.uid, { user })
    if (email) this.backend.uidByEmail.set(email, user.uid)
    return this.startSession(user)
  }

  async signOut(): Promise<void> {
    // Signing out works offline: the local session ends; tokens are revoked when reachable.
    if (this.session) {
      this.backend.idTokens.delete(this.session.idToken)
      this.backend.refreshTokens.delete(this.session.refreshToken)
    }
    this.endSession()
  }

  async getIdToken({ forceRefresh }: { forceRefresh: boolean }): Promise<string | null> {
    if (!this.session) return null
    const entry = this.backend.idTokens.get(this.session.idToken)
    const fresh = entry !== undefined && entry.expiresAt > this.backend.clock.now()
    if (fresh && !forceRefresh) return this.session.idToken
    await this.network.gate('auth', 'refreshToken')
    const uid = this.backend.refreshTokens.get(this.session.refreshToken)
    if (!uid || !this.backend.users.has(uid)) {
      this.endSession()
      throw fail('unauthenticated', 'The session has ended; sign in again')
    }
    this.backend.idTokens.delete(this.session.idToken)
    this.session = { ...this.session, idToken: this.issueIdToken(uid) }
    return this.session.idToken
  }

  /**
   * When the current ID token expires, on the device clock (`Date.now()`), or null when signed out.
   * The backend's clock may be a ManualClock (portabase/testing) set years away from the device's:
   * the token's remaining lifetime by the backend's clock is what counts, counted from now.
   */
  idTokenExpiresAt(): number | null {
    const entry = this.session ? this.backend.idTokens.get(this.session.idToken) : undefined
    if (!entry) return null
    const clock = this.backend.clock
    return clock === systemClock ? entry.expiresAt : Date.now() + (entry.expiresAt - clock.now())
  }

  async sendPasswordReset(email: string): Promise<void> {
    await this.network.gate('auth', 'sendPasswordReset')
    // Succeeds for unknown addresses too, so callers cannot probe which emails have accounts.
    if (this.backend.uidByEmail.has(email.toLowerCase())) this.backend.sentEmails.push({ to: email.toLowerCase(), kind: 'password-reset' })
  }

  async updateProfile(update: ProfileUpdate): Promise<User> {
    await this.network.gate('auth', 'updateProfile')
    const record = this.session ? this.backend.users.get(this.session.uid) : undefined
    if (!record) throw fail('unauthenticated', 'Sign in to update the profile')
    const user: User = {
      ...record.user,
      ...(update.displayName !== undefined ? { displayName: update.displayName } : {}),
      ...(update.photoURL !== undefined ? { photoURL: update.photoURL } : {}),
    }
    record.user = user
    this.state$.next(user)
    return user
  }

  /** The session as `{"v":1,"uid","refreshToken"}`: the refresh token restores it. */
  exportSession(): string | null {
    return this.session ? JSON.stringify({ v: 1, uid: this.session.uid, refreshToken: this.session.refreshToken }) : null
  }

  async restoreSession(session: string): Promise<User | null> {
    const stored = parseStoredSession(session)
    if (!stored) return null
    await this.network.gate('auth', 'refreshToken')
    const uid = this.backend.refreshTokens.get(stored.refreshToken)
    const record = uid === stored.uid ? this.backend.users.get(uid) : undefined
    if (!record) return null
    // Signed in meanwhile (an explicit sign-in wins over the stored session).
    if (this.session) return this.state$.value
    this.session = { uid: stored.uid, idToken: this.issueIdToken(stored.uid), refreshToken: stored.refreshToken }
    this.state$.next(record.user)
    return record.user
  }

  /** Ends the session without a round trip (dispose). */
  close(): void {
    this.state$.complete()
  }

  private startSession(user: User): User {
    if (this.session) this.backend.idTokens.delete(this.session.idToken)
    const refreshToken = generateId(40)
    this.backend.refreshTokens.set(refreshToken, user.uid)
    this.session = { uid: user.uid, idToken: this.issueIdToken(user.uid), refreshToken }
    this.state$.next(user)
    return user
  }

  private issueIdToken(uid: string): string {
    const token = generateId(40)
    this.backend.idTokens.set(token, { uid, expiresAt: this.backend.clock.now() + this.backend.tokenTtlMs })
    return token
  }

  private endSession(): void {
    this.session = null
    this.state$.next(null)
  }
}

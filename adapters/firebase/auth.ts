/** Firebase Auth (`firebase/auth`) as the portabase AuthService. */
import {
  connectAuthEmulator,
  createUserWithEmailAndPassword,
  getAuth,
  onAuthStateChanged,
  sendPasswordResetEmail,
  signInAnonymously,
  signInWithEmailAndPassword,
  signInWithPopup,
  signInWithRedirect,
  signOut,
  updateProfile,
  type Auth,
  type AuthProvider,
  type User as FirebaseUser,
} from 'firebase/auth'
import { BehaviorSubject } from 'rxjs'
import { PortabaseError, unsupported } from '../../src/errors.js'
import type { AuthService } from '../../src/spi.js'
import type { EmailPasswordCredentials, ProfileUpdate, User } from '../../src/types.js'
import type { FirebaseContext, FirebaseServicePlugin } from './context.js'
import { guard, mapError, PROVIDER } from './errors.js'
import { authCodes } from './auth-errors.js'

export interface FirebaseAuthOptions {
  /**
   * OAuth providers by id (`'google.com': new GoogleAuthProvider()`). Browsers only: in Node and
   * other non-DOM runtimes `signInWithOAuth` fails with `unsupported`.
   */
  oauthProviders?: Record<string, AuthProvider>
  /** `popup` (default) resolves with the user; `redirect` leaves the page and the user arrives on `user$` after the return. */
  oauthFlow?: 'popup' | 'redirect'
  /** Default true. A reset for an unknown email resolves like one for a known email (no enumeration). */
  passwordReset?: boolean
  /** Build the Auth instance yourself (e.g. `initializeAuth` with a React Native persistence). Default `getAuth(app)`. */
  getAuth?: (context: FirebaseContext) => Auth
}

export function toUser(user: FirebaseUser | null): User | null {
  if (!user) return null
  const providerId = user.isAnonymous ? 'anonymous' : (user.providerData[0]?.providerId ?? user.providerId)
  // A cleared name/photo may come back as '' (see updateProfile): neutral is null.
  return { uid: user.uid, email: user.email, displayName: user.displayName || null, photoURL: user.photoURL || null, isAnonymous: user.isAnonymous, providerId }
}

/**
 * No `exportSession`/`restoreSession`: the Firebase SDK persists and restores its own session
 * (`getAuth` in browsers, `initializeAuth` with `getReactNativePersistence` on React Native), so
 * `createClient({ session })` has nothing to do for this adapter and `auth.ready` resolves at once.
 */
export class FirebaseAuthService implements AuthService {
  private readonly state$: BehaviorSubject<User | null>
  readonly user$
  private readonly unsubscribe: () => void

  constructor(
    readonly auth: Auth,
    private readonly options: FirebaseAuthOptions,
  ) {
    this.state$ = new BehaviorSubject<User | null>(toUser(auth.currentUser))
    this.user$ = this.state$.asObservable()
    this.unsubscribe = onAuthStateChanged(auth, (user) => this.state$.next(toUser(user)))
  }

  currentUser(): User | null {
    return toUser(this.auth.currentUser)
  }

  signUp({ email, password }: EmailPasswordCredentials): Promise<User> {
    return this.session('Sign-up', () => createUserWithEmailAndPassword(this.auth, email, password))
  }

  signIn({ email, password }: EmailPasswordCredentials): Promise<User> {
    return this.session('Sign-in', () => signInWithEmailAndPassword(this.auth, email, password))
  }

  signInAnonymously(): Promise<User> {
    return this.session('Anonymous sign-in', () => signInAnonymously(this.auth))
  }

  async signInWithOAuth({ provider }: { provider: string }): Promise<User> {
    const authProvider = this.options.oauthProviders?.[provider]
    if (!authProvider) throw unsupported(`OAuth provider "${provider}"`, PROVIDER)
    // Popup and redirect need a DOM window; there is no headless OAuth flow in the web SDK.
    if (typeof window === 'undefined' || typeof document === 'undefined') throw unsupported('OAuth sign-in outside a browser', PROVIDER)
    if (this.options.oauthFlow === 'redirect') {
      await guard('OAuth sign-in', () => signInWithRedirect(this.auth, authProvider), authCodes)
      // The page navigates away; the user arrives on user$ after the return.
      throw new PortabaseError('cancelled', 'Redirecting to the OAuth provider', { provider: PROVIDER })
    }
    return this.session('OAuth sign-in', () => signInWithPopup(this.auth, authProvider))
  }

  signOut(): Promise<void> {
    return guard('Sign-out', async () => {
      await signOut(this.auth)
      this.state$.next(null)
    }, authCodes)
  }

  async getIdToken({ forceRefresh }: { forceRefresh: boolean }): Promise<string | null> {
    const user = this.auth.currentUser
    if (!user) return null
    return guard('Getting the ID token', () => user.getIdToken(forceRefresh), authCodes)
  }

  async sendPasswordReset(email: string): Promise<void> {
    try {
      await sendPasswordResetEmail(this.auth, email)
    } catch (error) {
      // Unknown accounts are not reported (no enumeration), as with Firebase's own protection on.
      if ((error as { code?: unknown }).code === 'auth/user-not-found') return
      throw mapError(error, 'Password reset', authCodes)
    }
  }

  async updateProfile(update: ProfileUpdate): Promise<User> {
    const user = this.auth.currentUser
    if (!user) throw new PortabaseError('unauthenticated', 'Sign in to update the profile', { provider: PROVIDER })
    // The auth emulator refuses null ("must be string"); '' clears the attribute on both.
    const clear = (v: string | null | undefined) => (v === null ? '' : v)
    await guard('Profile update', () => updateProfile(user, { displayName: clear(update.displayName), photoURL: clear(update.photoURL) }), authCodes)
    // onAuthStateChanged does not fire for profile changes.
    const mapped = toUser(user)!
    this.state$.next(mapped)
    return mapped
  }

  close(): void {
    this.unsubscribe()
    this.state$.complete()
  }

  private async session(what: string, run: () => Promise<{ user: FirebaseUser }>): Promise<User> {
    const { user } = await guard(what, run, authCodes)
    const mapped = toUser(user)!
    this.state$.next(mapped)
    return mapped
  }
}

/** The auth plug-in: email/password, anonymous, OAuth (browsers), tokens, reset, profile. */
export function firebaseAuth(options: FirebaseAuthOptions = {}): FirebaseServicePlugin<FirebaseAuthService> {
  return {
    kind: 'auth',
    create(context) {
      const auth = options.getAuth ? options.getAuth(context) : getAuth(context.app)
      const emulator = context.emulators.auth
      if (emulator) connectAuthEmulator(auth, `http://${emulator.host}:${emulator.port}`, { disableWarnings: true })
      const service = new FirebaseAuthService(auth, options)
      return {
        service,
        capabilities: {
          emailPasswordAuth: true,
          anonymousAuth: true,
          oauthProviders: Object.freeze(Object.keys(options.oauthProviders ?? {})),
          passwordReset: options.passwordReset ?? true,
          updateProfile: true,
        },
        dispose: () => service.close(),
      }
    },
  }
}

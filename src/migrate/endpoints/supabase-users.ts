/**
 * Supabase users through GoTrue's admin API (auth-js `auth.admin`), with the service-role key.
 * What GoTrue takes and gives, from its source (supabase/auth `internal/api/admin.go`,
 * `internal/models/user.go` NewUserWithPasswordHash, `internal/crypto/password.go`):
 *
 * - `POST /admin/users` takes `id` (a UUID, else "ID must conform to the uuid v4 format"; without
 *   one GoTrue assigns a v4 UUID), `email`, `email_confirm`, `user_metadata` and `password_hash`: a
 *   bcrypt hash, an argon2 PHC string, or Firebase scrypt as `$fbscrypt$v=1,n=<mem_cost>,r=<rounds>,
 *   p=1,ss=<salt separator>,sk=<signer key>$<salt>$<hash>` (base64). Anything else fails bcrypt's
 *   parse. PBKDF2 (the memory backend's) is none of them: those accounts are created without a
 *   password (GoTrue sets a random one) and reported must-reset. It creates accounts with an email
 *   or a phone only: anonymous accounts cannot be imported (reported not imported). An email that
 *   is already registered fails with 422 `email_exists`.
 * - Accounts whose uid is not a UUID (memory's, Parse's, Firebase's) are created without `id`: the
 *   import returns old → new in its id map. A repeated run finds them by email (`email_exists`,
 *   then `GET /admin/users?filter=<email>`, which matches `email LIKE %filter%`).
 * - `PUT /admin/users/{id}` has no `password_hash`: an account already in the target keeps its
 *   password; its email and profile are updated.
 * - `GET /admin/users?page&per_page` (created_at descending) never returns password hashes, so as
 *   a source every password account arrives without one (the target reports it must-reset).
 */
import type { SupabaseClient, User as SupabaseUser } from '@supabase/supabase-js'
import { PortabaseError } from '../../errors.js'
import { toUser } from '../../../adapters/supabase/auth.js'
import { mapAuthError, type AuthErrorLike } from '../../../adapters/supabase/errors.js'
import type { PasswordHash, UserAccess, UserImportResult } from '../endpoint.js'

/** The Firebase project's password hash parameters (Authentication → Users → "Password hash parameters"). */
export interface FirebaseScryptParameters {
  /** base64_signer_key */
  signerKey: string
  /** base64_salt_separator */
  saltSeparator: string
  rounds: number
  /** mem_cost (the power of two) */
  memCost: number
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

async function admin<T>(call: () => Promise<{ data: T | { user: null }; error: unknown }>): Promise<T> {
  let result: { data: T | { user: null }; error: unknown }
  try {
    result = await call()
  } catch (error) {
    throw mapAuthError(error as AuthErrorLike)
  }
  if (result.error) throw mapAuthError(result.error as AuthErrorLike)
  return result.data as T
}

/** `$fbscrypt$…` as GoTrue's fbscryptHashRegexp reads it; null when a part would not parse. */
export function fbscryptHash(password: { hash: string; salt: string }, params: FirebaseScryptParameters): string | null {
  const parts = [password.hash, password.salt, params.signerKey, params.saltSeparator]
  if (!parts.every((p) => typeof p === 'string' && BASE64.test(p))) return null
  if (![params.rounds, params.memCost].every((n) => Number.isInteger(n) && n > 0)) return null
  return `$fbscrypt$v=1,n=${params.memCost},r=${params.rounds},p=1,ss=${params.saltSeparator},sk=${params.signerKey}$${password.salt}$${password.hash}`
}

/** The `password_hash` GoTrue accepts for a hash, or why there is none. */
export function passwordHashFor(password: PasswordHash | undefined, firebase: FirebaseScryptParameters | undefined): { hash: string } | { reason: string } {
  if (!password) return { reason: 'the source exported no password hash' }
  switch (password.algorithm) {
    case 'bcrypt':
      return /^\$2[abxy]?\$\d\d\$/.test(password.hash) ? { hash: password.hash } : { reason: 'a malformed bcrypt hash' }
    case 'firebase-scrypt': {
      if (!firebase) return { reason: "a Firebase scrypt hash, but the target config has no options.firebaseScrypt (the Firebase project's hash parameters)" }
      const hash = fbscryptHash(password, firebase)
      return hash ? { hash } : { reason: 'a Firebase scrypt hash whose parts are not base64' }
    }
    default:
      return { reason: `a ${password.algorithm} hash, which GoTrue does not accept (bcrypt, argon2 and Firebase scrypt only)` }
  }
}

/** Where GoTrue's admin API is, for the one call auth-js does not offer (the list's `filter`). */
export interface GoTrueAccess {
  url: string
  serviceRoleKey: string
  fetch?: typeof fetch
}

const FILTER_PAGE = 50

/** The id of the account registered with this email, or null. */
async function idByEmail(gotrue: GoTrueAccess, email: string): Promise<string | null> {
  const wanted = email.toLowerCase()
  const headers = { apikey: gotrue.serviceRoleKey, Authorization: `Bearer ${gotrue.serviceRoleKey}` }
  // The filter is a substring match: other emails may contain this one; read on until it is found.
  for (let page = 1; ; page++) {
    let response: Response
    try {
      response = await (gotrue.fetch ?? fetch)(`${gotrue.url}/auth/v1/admin/users?filter=${encodeURIComponent(wanted)}&page=${page}&per_page=${FILTER_PAGE}`, { headers })
    } catch (error) {
      throw new PortabaseError('unavailable', `Supabase auth could not be reached looking up ${email}`, { provider: 'supabase', cause: error })
    }
    if (!response.ok) {
      const code = response.status === 401 || response.status === 403 ? 'permission-denied' : response.status >= 500 ? 'unavailable' : 'internal'
      throw new PortabaseError(code, `Supabase auth refused looking up ${email}: HTTP ${response.status}`, { provider: 'supabase' })
    }
    const { users = [] } = (await response.json()) as { users?: { id: string; email?: string }[] }
    const found = users.find((u) => u.email?.toLowerCase() === wanted)
    if (found) return found.id
    if (users.length < FILTER_PAGE) return null
  }
}

export function supabaseUsers(client: () => Promise<SupabaseClient>, firebase: FirebaseScryptParameters | undefined, gotrue: GoTrueAccess): UserAccess {
  return {
    async list(cursor, limit) {
      const page = cursor === null ? 1 : Number(cursor)
      if (!Number.isInteger(page) || page < 1) throw new PortabaseError('invalid-argument', 'Invalid users cursor')
      const auth = (await client()).auth.admin
      const { users } = await admin(() => auth.listUsers({ page, perPage: limit }) as Promise<{ data: { users: SupabaseUser[] }; error: unknown }>)
      // GoTrue's list has no hashes (see the module comment).
      const migrated = users.map((u) => toUser(u)!)
      return { users: migrated, cursor: users.length < limit ? null : String(page + 1) }
    },
    async import(users) {
      const auth = (await client()).auth.admin
      const result: Required<UserImportResult> = { imported: 0, mustReset: [], notImported: [], idMap: {} }
      for (const user of users) {
        if (user.isAnonymous || !user.email) {
          result.notImported.push({ uid: user.uid, email: user.email, reason: `${user.isAnonymous ? 'an anonymous account' : 'no email'}: GoTrue's admin API creates accounts with an email or a phone only` })
          continue
        }
        const email = user.email
        const profile = { email, email_confirm: true, user_metadata: { ...(user.displayName ? { display_name: user.displayName } : {}), ...(user.photoURL ? { avatar_url: user.photoURL } : {}) } }
        const password = user.providerId === 'password' ? passwordHashFor(user.password, firebase) : null
        const hash = password && 'hash' in password ? { password_hash: password.hash } : {}
        let id: string
        if (UUID.test(user.uid)) {
          // Kept as the account's id; found again by it.
          const existing = await auth.getUserById(user.uid).catch((error: unknown) => ({ data: { user: null }, error }))
          if (existing.data.user) {
            await admin(() => auth.updateUserById(user.uid, profile))
            result.imported += 1
            continue
          }
          if (existing.error && !isNotFound(existing.error)) throw mapAuthError(existing.error as AuthErrorLike)
          await admin(() => auth.createUser({ id: user.uid, ...profile, ...hash }))
          id = user.uid
        } else {
          // GoTrue assigns the id; a repeated run finds the account by its email.
          const created = await auth.createUser({ ...profile, ...hash }).catch((error: unknown) => ({ data: { user: null }, error }))
          if (created.error && (created.error as AuthErrorLike).code === 'email_exists') {
            const found = await idByEmail(gotrue, email)
            if (!found) throw mapAuthError(created.error as AuthErrorLike)
            await admin(() => auth.updateUserById(found, profile))
            result.imported += 1
            result.idMap[user.uid] = found
            continue
          }
          if (created.error || !created.data.user) throw mapAuthError(created.error as AuthErrorLike)
          id = created.data.user.id
          result.idMap[user.uid] = id
        }
        result.imported += 1
        if (password && 'reason' in password) result.mustReset.push({ uid: user.uid, email, reason: password.reason })
      }
      return result
    },
  }
}

const isNotFound = (error: unknown): boolean => {
  const e = error as AuthErrorLike
  return e.status === 404 || e.code === 'user_not_found'
}

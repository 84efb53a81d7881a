/**
 * Firebase Auth accounts through firebase-admin: `listUsers` out, `importUsers` in.
 *
 * Out: uid, email, displayName, photoURL, whether anonymous (no provider), and the password hash
 * and salt when the download holds them (a service account with the hash-config permission; else
 * Firebase redacts them). They are the project's modified-scrypt hashes: verifying them needs the
 * project's hash parameters (console → Authentication → Users → ⋮ → Password hash parameters), which
 * the endpoint's `scrypt` option gives and every exported hash then carries as `parameters`.
 *
 * In: `importUsers` takes one hash algorithm per call, so accounts are grouped by it: memory's
 * PBKDF2-SHA256 as `PBKDF2_SHA256` with its rounds (Firebase allows 0–120000), bcrypt as `BCRYPT`,
 * Firebase scrypt as `SCRYPT` with the parameters the hash carries or the `scrypt` option. A password
 * account whose hash cannot go in is imported without one and reported as must-reset. An account
 * that already exists on the target (a resumed run) is not replaced: importUsers refuses existing
 * uids, and deleting accounts is not a migration's call; its email, name and photo are updated and
 * its password stays as the target has it.
 */
import type { Auth, UserImportOptions, UserImportRecord, UserRecord } from 'firebase-admin/auth'
import { PortabaseError } from '../../errors.js'
import type { MigratedUser, PasswordHash, UserImportResult } from '../endpoint.js'
import { adminError, guardAdmin } from './firebase-errors.js'

/** A Firebase project's password hash parameters, as the console shows them (base64 and numbers). */
export interface FirebaseScryptParameters {
  signerKey: string
  saltSeparator: string
  rounds: number
  memoryCost: number
}

/** A Firebase scrypt hash with the parameters that verify it (absent when the source config gave none). */
export type FirebaseScryptHash = Extract<PasswordHash, { algorithm: 'firebase-scrypt' }> & { parameters?: FirebaseScryptParameters }

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/
const MAX_PBKDF2_ROUNDS = 120_000
const IMPORT_BATCH = 1000
const LOOKUP_BATCH = 100

export function assertScryptParameters(value: unknown): asserts value is FirebaseScryptParameters {
  const p = value as Partial<FirebaseScryptParameters> | null
  const ok =
    typeof p === 'object' &&
    p !== null &&
    typeof p.signerKey === 'string' &&
    BASE64.test(p.signerKey) &&
    typeof p.saltSeparator === 'string' &&
    (p.saltSeparator === '' || BASE64.test(p.saltSeparator)) &&
    Number.isInteger(p.rounds) &&
    p.rounds! >= 1 &&
    p.rounds! <= 8 &&
    Number.isInteger(p.memoryCost) &&
    p.memoryCost! >= 1 &&
    p.memoryCost! <= 14
  // The signer key is a secret: the message names the fields, never their values.
  if (!ok) throw new PortabaseError('invalid-argument', 'options.scrypt must be { signerKey: base64, saltSeparator: base64, rounds: 1–8, memoryCost: 1–14 } (the project’s password hash parameters)', { details: { option: 'scrypt' } })
}

const text = (value: string | undefined): string | null => (value ? value : null)
/** Standard base64 (Firebase answers web-safe base64; Node decodes both). */
const base64 = (value: string): string => Buffer.from(value, 'base64').toString('base64')

/** A downloaded account → a migrated user. */
export function userOf(record: UserRecord, scrypt: FirebaseScryptParameters | undefined): MigratedUser {
  const providers = record.providerData.map((p) => p.providerId)
  const isAnonymous = providers.length === 0 && !record.email && !record.phoneNumber
  const providerId = providers.includes('password') ? 'password' : (providers[0] ?? (isAnonymous ? 'anonymous' : 'password'))
  const user: MigratedUser = { uid: record.uid, email: text(record.email), displayName: text(record.displayName), photoURL: text(record.photoURL), isAnonymous, providerId }
  // The auth emulator's "hashes" are not scrypt (`fakeHash:salt=…:password=…`): only base64 is a hash.
  const { passwordHash, passwordSalt } = record
  if (passwordHash && passwordSalt !== undefined && BASE64.test(passwordHash) && (passwordSalt === '' || BASE64.test(passwordSalt))) {
    const password: FirebaseScryptHash = { algorithm: 'firebase-scrypt', hash: base64(passwordHash), salt: base64(passwordSalt), ...(scrypt ? { parameters: scrypt } : {}) }
    user.password = password
  }
  return user
}

export async function listFirebaseUsers(auth: Auth, cursor: string | null, limit: number, scrypt: FirebaseScryptParameters | undefined): Promise<{ users: MigratedUser[]; cursor: string | null }> {
  const page = await guardAdmin('listing users', () => auth.listUsers(Math.min(limit, 1000), cursor ?? undefined))
  return { users: page.users.map((r) => userOf(r, scrypt)), cursor: page.pageToken ?? null }
}

type HashPlan = { key: string; options?: UserImportOptions; hash?: Buffer; salt?: Buffer } | { reason: string }

/** How a hash goes into importUsers, or why it cannot. */
export function hashPlan(password: PasswordHash | undefined, scrypt: FirebaseScryptParameters | undefined): HashPlan {
  if (!password) return { reason: 'the source exported no password hash' }
  const bytes = (value: string): Buffer => Buffer.from(value, 'base64')
  switch (password.algorithm) {
    case 'pbkdf2-sha256':
      if (!Number.isInteger(password.iterations) || password.iterations < 0 || password.iterations > MAX_PBKDF2_ROUNDS) {
        return { reason: `a pbkdf2-sha256 hash of ${password.iterations} iterations (Firebase imports at most ${MAX_PBKDF2_ROUNDS})` }
      }
      return { key: `pbkdf2:${password.iterations}`, options: { hash: { algorithm: 'PBKDF2_SHA256', rounds: password.iterations } }, hash: bytes(password.hash), salt: bytes(password.salt) }
    case 'bcrypt':
      // The modular-crypt string holds cost and salt; Firebase takes its bytes as the hash.
      return { key: 'bcrypt', options: { hash: { algorithm: 'BCRYPT' } }, hash: Buffer.from(password.hash, 'utf8') }
    case 'firebase-scrypt': {
      const parameters = (password as FirebaseScryptHash).parameters ?? scrypt
      if (!parameters) return { reason: 'a Firebase scrypt hash without its project’s hash parameters (options.scrypt of either endpoint)' }
      const { signerKey, saltSeparator, rounds, memoryCost } = parameters
      const options: UserImportOptions = { hash: { algorithm: 'SCRYPT', key: bytes(signerKey), saltSeparator: bytes(saltSeparator), rounds, memoryCost } }
      return { key: `scrypt:${signerKey}:${saltSeparator}:${rounds}:${memoryCost}`, options, hash: bytes(password.hash), salt: bytes(password.salt) }
    }
    default:
      return { reason: `a ${(password as { algorithm: string }).algorithm} hash, which Firebase cannot import` }
  }
}

const isPasswordAccount = (user: MigratedUser): boolean => !user.isAnonymous && user.email !== null && user.providerId === 'password'

async function existingAccounts(auth: Auth, uids: readonly string[]): Promise<Map<string, UserRecord>> {
  const found = new Map<string, UserRecord>()
  for (let i = 0; i < uids.length; i += LOOKUP_BATCH) {
    const chunk = uids.slice(i, i + LOOKUP_BATCH)
    const { users } = await guardAdmin('looking up users', () => auth.getUsers(chunk.map((uid) => ({ uid }))))
    for (const record of users) found.set(record.uid, record)
  }
  return found
}

export async function importFirebaseUsers(auth: Auth, users: readonly MigratedUser[], scrypt: FirebaseScryptParameters | undefined): Promise<UserImportResult> {
  const result: UserImportResult = { imported: 0, mustReset: [] }
  const existing = await existingAccounts(auth, users.map((u) => u.uid))
  const groups = new Map<string, { options?: UserImportOptions; records: UserImportRecord[] }>()
  for (const user of users) {
    const there = existing.get(user.uid)
    if (there) {
      await guardAdmin(`updating user ${user.uid}`, () => auth.updateUser(user.uid, { displayName: user.displayName, photoURL: user.photoURL, ...(user.email ? { email: user.email } : {}) }))
      result.imported += 1
      const hasPassword = there.passwordHash !== undefined || there.providerData.some((p) => p.providerId === 'password')
      if (isPasswordAccount(user) && !hasPassword) result.mustReset.push({ uid: user.uid, email: user.email, reason: 'the account already existed on the target without a password' })
      continue
    }
    const record: UserImportRecord = { uid: user.uid, ...(user.email ? { email: user.email } : {}), ...(user.displayName ? { displayName: user.displayName } : {}), ...(user.photoURL ? { photoURL: user.photoURL } : {}) }
    const plan = isPasswordAccount(user) ? hashPlan(user.password, scrypt) : { key: 'none' }
    let key = 'none'
    let options: UserImportOptions | undefined
    if ('reason' in plan) result.mustReset.push({ uid: user.uid, email: user.email, reason: plan.reason })
    else if (plan.hash) {
      ;({ key, options } = plan)
      record.passwordHash = plan.hash
      if (plan.salt) record.passwordSalt = plan.salt
    }
    const group = groups.get(key) ?? { options, records: [] }
    group.records.push(record)
    groups.set(key, group)
  }
  for (const { options, records } of groups.values()) {
    for (let i = 0; i < records.length; i += IMPORT_BATCH) {
      const chunk = records.slice(i, i + IMPORT_BATCH)
      const outcome = await guardAdmin('importing users', () => auth.importUsers(chunk, options))
      const failed = outcome.errors[0]
      if (failed) throw adminError(failed.error, `importing user ${chunk[failed.index]?.uid ?? '?'} (${outcome.failureCount} of ${chunk.length} failed)`)
      result.imported += outcome.successCount
    }
  }
  return result
}

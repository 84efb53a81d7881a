/** Firebase error codes (`auth/…`, `storage/…`, `functions/…`, Firestore's bare codes) → PortabaseError. */
import { isAbortError, isPortabaseError, PortabaseError, type ErrorCode } from '../../src/errors.js'

export const PROVIDER = 'firebase'

/** gRPC-style codes shared by Firestore and callable functions. */
const CANONICAL: Record<string, ErrorCode> = {
  cancelled: 'cancelled',
  unknown: 'internal',
  'invalid-argument': 'invalid-argument',
  'deadline-exceeded': 'deadline-exceeded',
  'not-found': 'not-found',
  'already-exists': 'already-exists',
  'permission-denied': 'permission-denied',
  'resource-exhausted': 'resource-exhausted',
  'failed-precondition': 'failed-precondition',
  aborted: 'conflict',
  'out-of-range': 'invalid-argument',
  unimplemented: 'unsupported',
  internal: 'internal',
  unavailable: 'unavailable',
  'data-loss': 'internal',
  unauthenticated: 'unauthenticated',
}

/** Wrong password and unknown account share one code and one message: no account enumeration. */
const BAD_CREDENTIALS = 'Invalid email or password'

const AUTH: Record<string, [ErrorCode, string?]> = {
  'auth/wrong-password': ['unauthenticated', BAD_CREDENTIALS],
  'auth/invalid-credential': ['unauthenticated', BAD_CREDENTIALS],
  'auth/invalid-login-credentials': ['unauthenticated', BAD_CREDENTIALS],
  'auth/user-not-found': ['unauthenticated', BAD_CREDENTIALS],
  'auth/user-disabled': ['permission-denied', 'This account is disabled'],
  'auth/email-already-in-use': ['already-exists', 'An account with this email already exists'],
  'auth/credential-already-in-use': ['already-exists'],
  'auth/weak-password': ['invalid-argument', 'The password is too weak'],
  'auth/invalid-email': ['invalid-argument', 'The email address is invalid'],
  'auth/missing-password': ['invalid-argument', 'A password is required'],
  'auth/missing-email': ['invalid-argument', 'An email address is required'],
  'auth/argument-error': ['invalid-argument'],
  'auth/network-request-failed': ['unavailable', 'Network error reaching Firebase Auth'],
  'auth/too-many-requests': ['resource-exhausted', 'Too many attempts; try again later'],
  'auth/quota-exceeded': ['resource-exhausted'],
  'auth/timeout': ['deadline-exceeded'],
  'auth/user-token-expired': ['unauthenticated', 'The session expired; sign in again'],
  'auth/requires-recent-login': ['unauthenticated', 'Sign in again to do this'],
  'auth/invalid-user-token': ['unauthenticated'],
  'auth/user-mismatch': ['unauthenticated'],
  'auth/operation-not-allowed': ['unsupported', 'This sign-in method is not enabled for the Firebase project'],
  'auth/admin-restricted-operation': ['unsupported', 'This sign-in method is not enabled for the Firebase project'],
  'auth/operation-not-supported-in-this-environment': ['unsupported', 'This sign-in flow does not work in this environment'],
  'auth/popup-blocked': ['failed-precondition', 'The sign-in popup was blocked'],
  'auth/popup-closed-by-user': ['cancelled', 'The sign-in popup was closed'],
  'auth/cancelled-popup-request': ['cancelled'],
  'auth/user-cancelled': ['cancelled'],
  'auth/account-exists-with-different-credential': ['already-exists', 'An account with this email exists with another sign-in method'],
  'auth/unauthorized-domain': ['permission-denied'],
  'auth/invalid-api-key': ['failed-precondition', 'The Firebase API key is invalid'],
  'auth/app-deleted': ['failed-precondition'],
}

const STORAGE: Record<string, ErrorCode> = {
  'storage/object-not-found': 'not-found',
  'storage/bucket-not-found': 'not-found',
  'storage/project-not-found': 'not-found',
  'storage/unauthorized': 'permission-denied',
  'storage/unauthenticated': 'unauthenticated',
  'storage/canceled': 'cancelled',
  'storage/retry-limit-exceeded': 'unavailable',
  'storage/quota-exceeded': 'resource-exhausted',
  'storage/invalid-checksum': 'internal',
  'storage/server-file-wrong-size': 'internal',
  'storage/invalid-argument': 'invalid-argument',
  'storage/invalid-url': 'invalid-argument',
  'storage/invalid-default-bucket': 'failed-precondition',
  'storage/no-default-bucket': 'failed-precondition',
  'storage/cannot-slice-blob': 'invalid-argument',
  'storage/app-deleted': 'failed-precondition',
  'storage/unknown': 'internal',
}

/** HTTP statuses (Remote Config `fetch-status`, Installations `request-failed`, firebase-admin's REST calls) → neutral codes. */
export function fromHttpStatus(status: number): ErrorCode {
  if (status === 400) return 'invalid-argument'
  if (status === 401) return 'unauthenticated'
  if (status === 403) return 'permission-denied'
  if (status === 404) return 'not-found'
  if (status === 408) return 'deadline-exceeded'
  if (status === 409) return 'conflict'
  // An ETag precondition (a Remote Config template publish): someone changed it meanwhile.
  if (status === 412) return 'conflict'
  if (status === 429) return 'resource-exhausted'
  if (status === 501) return 'unsupported'
  if (status >= 500) return 'unavailable'
  return 'internal'
}

/** Remote Config (`remoteconfig/…`) and the Installations service it depends on (`installations/…`). */
const REMOTE_CONFIG: Record<string, ErrorCode> = {
  'remoteconfig/fetch-client-network': 'unavailable',
  'remoteconfig/fetch-timeout': 'deadline-exceeded',
  // Timed out while backing off after 429/500/503/504 answers: the service is not answering.
  'remoteconfig/fetch-throttle': 'unavailable',
  'remoteconfig/fetch-client-parse': 'internal',
  'remoteconfig/registration-window': 'unsupported',
  'remoteconfig/indexed-db-unavailable': 'unsupported',
  'remoteconfig/registration-project-id': 'failed-precondition',
  'remoteconfig/registration-api-key': 'failed-precondition',
  'remoteconfig/registration-app-id': 'failed-precondition',
  'remoteconfig/already-initialized': 'failed-precondition',
  'remoteconfig/storage-open': 'internal',
  'remoteconfig/storage-get': 'internal',
  'remoteconfig/storage-set': 'internal',
  'remoteconfig/storage-delete': 'internal',
  'installations/app-offline': 'unavailable',
  'installations/missing-app-config-values': 'failed-precondition',
  'installations/not-registered': 'unavailable',
  'installations/installation-not-found': 'not-found',
}

function customNumber(error: unknown, key: string): number | undefined {
  const data = typeof error === 'object' && error !== null ? (error as { customData?: unknown }).customData : undefined
  const value = typeof data === 'object' && data !== null ? Number((data as Record<string, unknown>)[key]) : NaN
  return Number.isFinite(value) ? value : undefined
}

function codeOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return typeof code === 'string' ? code : undefined
}

/** Firebase messages look like `Firebase: Error (auth/x).`; keep a short, secret-free text. */
function vendorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : ''
  return message.replace(/^Firebase(Error)?:\s*/, '').slice(0, 300) || 'Firebase error'
}

/** The console link Firestore puts in a `failed-precondition` for a query that lacks its composite index. */
const INDEX_URL = /https:\/\/console\.firebase\.google\.com\/\S*indexes\S*/

/**
 * A query that needs a composite index that does not exist: `failed-precondition`, with the link
 * that creates it in the message (whole: vendorMessage would cut it) and in `details.indexUrl`.
 */
function missingIndex(error: unknown, what: string): PortabaseError | undefined {
  // A sentence's closing punctuation is not part of the link.
  const url = error instanceof Error ? INDEX_URL.exec(error.message)?.[0].replace(/[.,;)]+$/, '') : undefined
  if (url === undefined) return undefined
  return new PortabaseError('failed-precondition', `${what} needs a composite index that does not exist yet; create it here: ${url}`, {
    provider: PROVIDER,
    cause: error,
    details: { vendorCode: 'failed-precondition', indexUrl: url },
  })
}

/** Maps anything a Firebase SDK throws; PortabaseErrors pass through. */
export function mapFirebaseError(error: unknown, what = 'The request'): PortabaseError {
  if (isPortabaseError(error)) return error
  if (isAbortError(error)) return new PortabaseError('cancelled', `${what} was cancelled`, { provider: PROVIDER, cause: error })
  const code = codeOf(error) ?? ''
  if (code.startsWith('auth/')) {
    const [neutral, message] = AUTH[code] ?? ['internal']
    return new PortabaseError(neutral, message ?? `${what} failed (${code})`, { provider: PROVIDER, cause: error, details: { vendorCode: code } })
  }
  if (code.startsWith('storage/')) {
    const neutral = STORAGE[code] ?? 'internal'
    return new PortabaseError(neutral, `${what} failed (${code})`, { provider: PROVIDER, cause: error, details: { vendorCode: code } })
  }
  if (code.startsWith('functions/')) {
    // Callable errors carry the function's own message (HttpsError), meant for the caller.
    const neutral = CANONICAL[code.slice('functions/'.length)] ?? 'internal'
    const message = neutral === 'internal' ? `${what} failed` : vendorMessage(error)
    return new PortabaseError(neutral, message, { provider: PROVIDER, cause: error, details: { vendorCode: code } })
  }
  if (code.startsWith('remoteconfig/') || code.startsWith('installations/')) {
    // fetch-status carries the HTTP status; request-failed (Installations) the server's code.
    const status = code === 'remoteconfig/fetch-status' ? customNumber(error, 'httpStatus') : code === 'installations/request-failed' ? customNumber(error, 'serverCode') : undefined
    const neutral = status !== undefined ? fromHttpStatus(status) : (REMOTE_CONFIG[code] ?? 'internal')
    return new PortabaseError(neutral, `${what} failed (${code}${status !== undefined ? ` ${status}` : ''})`, {
      provider: PROVIDER,
      cause: error,
      details: { vendorCode: code, ...(status !== undefined ? { httpStatus: status } : {}) },
    })
  }
  if (code === 'failed-precondition') {
    const index = missingIndex(error, what)
    if (index) return index
  }
  const neutral = CANONICAL[code]
  if (neutral) return new PortabaseError(neutral, `${what} failed: ${vendorMessage(error)}`, { provider: PROVIDER, cause: error, details: { vendorCode: code } })
  return new PortabaseError('internal', `${what} failed unexpectedly`, { provider: PROVIDER, cause: error })
}

/** Runs a vendor call and maps its failure. */
export async function guard<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw mapFirebaseError(error, what)
  }
}

/**
 * Firebase errors → PortabaseError: what every service shares (the gRPC-style codes of Firestore and
 * callable functions). Each service's own codes (`auth/…`, `storage/…`, `remoteconfig/…`) live in its
 * errors module; `mapFirebaseError` (index.ts) maps them all.
 */
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

function codeOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return typeof code === 'string' ? code : undefined
}

/** Firebase messages look like `Firebase: Error (auth/x).`; keep a short, secret-free text. */
function vendorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : ''
  return message.replace(/^Firebase(Error)?:\s*/, '').slice(0, 300) || 'Firebase error'
}

/**
 * One service's own codes (`auth/…`, `storage/…`): its PortabaseError, or undefined for codes it
 * does not own. Each service module brings its table, so an app bundles only the tables of the
 * services it imports.
 */
export type ServiceCodes = (error: unknown, code: string, what: string) => PortabaseError | undefined

/** The mapped error of a service-specific code (`<service>/<code>`), with the vendor code in details. */
export function serviceError(neutral: ErrorCode, message: string, error: unknown, code: string, details?: Record<string, unknown>): PortabaseError {
  return new PortabaseError(neutral, message, { provider: PROVIDER, cause: error, details: { vendorCode: code, ...details } })
}

/**
 * Maps what a Firebase SDK throws: the service's own codes first (`codes`), then callable
 * functions' and the gRPC-style codes every service shares. PortabaseErrors pass through.
 */
export function mapError(error: unknown, what = 'The request', codes?: ServiceCodes): PortabaseError {
  if (isPortabaseError(error)) return error
  if (isAbortError(error)) return new PortabaseError('cancelled', `${what} was cancelled`, { provider: PROVIDER, cause: error })
  const code = codeOf(error) ?? ''
  const own = codes?.(error, code, what)
  if (own) return own
  if (code.startsWith('functions/')) {
    // Callable errors carry the function's own message (HttpsError), meant for the caller.
    const neutral = CANONICAL[code.slice('functions/'.length)] ?? 'internal'
    return serviceError(neutral, neutral === 'internal' ? `${what} failed` : vendorMessage(error), error, code)
  }
  const neutral = CANONICAL[code]
  if (neutral) return serviceError(neutral, `${what} failed: ${vendorMessage(error)}`, error, code)
  // A service's code that its table does not know yet.
  if (code.includes('/')) return serviceError('internal', `${what} failed (${code})`, error, code)
  return new PortabaseError('internal', `${what} failed unexpectedly`, { provider: PROVIDER, cause: error })
}

/** Runs a vendor call and maps its failure (with the service's own codes, if any). */
export async function guard<T>(what: string, run: () => Promise<T>, codes?: ServiceCodes): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw mapError(error, what, codes)
  }
}

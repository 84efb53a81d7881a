/**
 * What firebase-admin throws → PortabaseError. Its services fail differently: Firestore with gRPC
 * status numbers, Storage with HTTP statuses, Auth and Remote Config with `service/name` codes, and
 * the network layer with Node's errno codes. The message keeps the SDK's text (no secrets: the SDK
 * does not echo credentials or hashes), cut short.
 */
import { isPortabaseError, PortabaseError, type ErrorCode } from '../../errors.js'
import { fromHttpStatus } from '../../../adapters/firebase/errors.js'

const PROVIDER = 'firebase'

const GRPC: Record<number, ErrorCode> = {
  1: 'cancelled',
  3: 'invalid-argument',
  4: 'deadline-exceeded',
  5: 'not-found',
  6: 'already-exists',
  7: 'permission-denied',
  8: 'resource-exhausted',
  9: 'failed-precondition',
  10: 'conflict',
  11: 'invalid-argument',
  12: 'unsupported',
  14: 'unavailable',
  16: 'unauthenticated',
}

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', 'app/network-error', 'app/network-timeout'])

/** A firebase-admin code (`auth/email-already-exists`, 5, 404, 'ECONNREFUSED') as a neutral one. */
export function neutralCode(code: unknown): ErrorCode {
  if (typeof code === 'number') return code < 100 ? (GRPC[code] ?? 'internal') : fromHttpStatus(code)
  if (typeof code !== 'string') return 'internal'
  if (NETWORK.has(code)) return 'unavailable'
  const name = code.slice(code.indexOf('/') + 1)
  if (name.endsWith('already-exists')) return 'already-exists'
  if (name.endsWith('not-found')) return 'not-found'
  if (name === 'invalid-credential' || name === 'unauthenticated') return 'unauthenticated'
  if (name === 'insufficient-permission' || name === 'permission-denied') return 'permission-denied'
  if (name.startsWith('invalid-') || name.startsWith('missing-')) return 'invalid-argument'
  if (name === 'failed-precondition') return 'conflict' // Remote Config: the template changed since it was read (ETag)
  if (name === 'quota-exceeded' || name === 'resource-exhausted' || name === 'too-many-requests') return 'resource-exhausted'
  if (name === 'unavailable' || name === 'deadline-exceeded') return name
  return 'internal'
}

export function adminError(error: unknown, what: string): PortabaseError {
  if (isPortabaseError(error)) return error
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown }
  const text = typeof message === 'string' ? message.split('\n')[0]!.slice(0, 300) : 'unknown error'
  return new PortabaseError(neutralCode(code), `Firebase refused ${what}: ${text}`, { provider: PROVIDER, cause: error, details: { vendorCode: code } })
}

/** Runs a firebase-admin call and maps its failure. */
export async function guardAdmin<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw adminError(error, what)
  }
}

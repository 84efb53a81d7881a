/** Cloud Storage for Firebase's own codes (`storage/…`) → PortabaseError. */
import type { ErrorCode } from '../../src/errors.js'
import { serviceError, type ServiceCodes } from './errors.js'

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

export const storageCodes: ServiceCodes = (error, code, what) =>
  code.startsWith('storage/') ? serviceError(STORAGE[code] ?? 'internal', `${what} failed (${code})`, error, code) : undefined

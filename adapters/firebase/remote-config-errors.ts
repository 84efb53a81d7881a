/** Remote Config's own codes (`remoteconfig/…`, and `installations/…` of the service it depends on) → PortabaseError. */
import type { ErrorCode } from '../../src/errors.js'
import { fromHttpStatus, serviceError, type ServiceCodes } from './errors.js'

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

export const remoteConfigCodes: ServiceCodes = (error, code, what) => {
  if (!code.startsWith('remoteconfig/') && !code.startsWith('installations/')) return undefined
  // fetch-status carries the HTTP status; request-failed (Installations) the server's code.
  const status = code === 'remoteconfig/fetch-status' ? customNumber(error, 'httpStatus') : code === 'installations/request-failed' ? customNumber(error, 'serverCode') : undefined
  const neutral = status !== undefined ? fromHttpStatus(status) : (REMOTE_CONFIG[code] ?? 'internal')
  return serviceError(neutral, `${what} failed (${code}${status !== undefined ? ` ${status}` : ''})`, error, code, status !== undefined ? { httpStatus: status } : undefined)
}

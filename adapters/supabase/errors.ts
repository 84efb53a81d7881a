/**
 * Supabase errors → PortabaseError. Each service reports failures its own way (from their sources:
 * PostgREST `Error.hs`, auth-js `lib/errors.ts` + GoTrue `apierrors`, storage-js + Storage API,
 * functions-js); every mapper keys on the vendor's machine-readable code, never on the message,
 * and keeps the vendor error as the (non-enumerable) cause. Messages carry no token: a JWT that a
 * vendor message might quote is cut out.
 */
import { isAbortError, PortabaseError, type ErrorCode } from '../../src/errors.js'

export const PROVIDER = 'supabase'

/** PostgREST's error body (supabase-js `PostgrestError`), plus the HTTP status when known (0: network). */
export interface PostgrestErrorLike {
  code?: string
  message?: string
  details?: string | null
  hint?: string | null
}

/** SQLSTATEs and PostgREST codes → neutral codes. Our RPCs raise the first five on purpose (sql.ts). */
const POSTGREST_CODES: Record<string, ErrorCode> = {
  '23505': 'already-exists',
  P0002: 'not-found',
  '42501': 'permission-denied',
  '22023': 'invalid-argument',
  '42P01': 'failed-precondition', // not a portabase collection: its setup SQL did not run
  '23502': 'invalid-argument',
  '23514': 'invalid-argument',
  '22P02': 'invalid-argument',
  '22P05': 'invalid-argument', // \u0000 in a string: jsonb cannot store it
  '22001': 'invalid-argument',
  '23503': 'failed-precondition',
  P0001: 'failed-precondition',
  '57014': 'deadline-exceeded',
  '40001': 'conflict',
  '40P01': 'conflict',
  '25006': 'failed-precondition',
  '42883': 'internal', // an operator the adapter should never emit
  '42703': 'invalid-argument',
  PGRST000: 'unavailable',
  PGRST001: 'unavailable',
  PGRST002: 'unavailable',
  PGRST003: 'deadline-exceeded',
  PGRST100: 'invalid-argument',
  PGRST102: 'invalid-argument',
  PGRST103: 'invalid-argument',
  PGRST116: 'not-found',
  PGRST202: 'failed-precondition', // RPC missing: setup SQL not applied
  PGRST204: 'invalid-argument',
  PGRST205: 'failed-precondition', // table missing: setup SQL not applied
  PGRST301: 'unauthenticated', // JWT invalid or expired (v12)
  PGRST302: 'unauthenticated',
  PGRST303: 'unauthenticated', // JWT claims invalid or expired (v13+)
}

const RETRYABLE = new Set<ErrorCode>(['unavailable', 'deadline-exceeded', 'resource-exhausted', 'conflict'])

function make(code: ErrorCode, message: string, cause: unknown, details?: Record<string, unknown>): PortabaseError {
  return new PortabaseError(code, `Supabase: ${withoutTokens(message)}`, { provider: PROVIDER, cause, retryable: RETRYABLE.has(code), ...(details ? { details } : {}) })
}

/** Cuts JWTs (three base64url parts starting "eyJ") and bearer values out of a vendor message. */
export function withoutTokens(message: string): string {
  return message.replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, '[token]').replace(/(Bearer\s+)\S+/gi, '$1[token]')
}

export function mapPostgrestError(error: PostgrestErrorLike, status?: number): PortabaseError {
  const code = error.code ?? ''
  if (status === 0 || (code === '' && /fetch|network|ECONNREFUSED|socket/i.test(error.message ?? ''))) {
    return make('unavailable', error.message || 'the server could not be reached', error)
  }
  const mapped = POSTGREST_CODES[code] ?? (code.startsWith('08') || code.startsWith('53') || code === '57P01' ? 'unavailable' : undefined)
  if (mapped) return make(mapped, error.message || code, error, { vendorCode: code })
  if (status === 401) return make('unauthenticated', error.message || 'not authenticated', error, { vendorCode: code })
  if (status === 403) return make('permission-denied', error.message || 'forbidden', error, { vendorCode: code })
  if (status !== undefined && status >= 500) return make('unavailable', error.message || `HTTP ${status}`, error, { vendorCode: code })
  return make(code.startsWith('22') || code.startsWith('23') ? 'invalid-argument' : 'internal', error.message || `error ${code}`, error, { vendorCode: code })
}

/** auth-js errors: `AuthApiError { status, code }`, `AuthSessionMissingError`, `AuthRetryableFetchError`, `AuthWeakPasswordError`… */
export interface AuthErrorLike {
  name?: string
  status?: number
  code?: string
  message?: string
}

const AUTH_CODES: Record<string, ErrorCode> = {
  invalid_credentials: 'unauthenticated',
  email_not_confirmed: 'failed-precondition',
  user_already_exists: 'already-exists',
  email_exists: 'already-exists',
  weak_password: 'invalid-argument',
  validation_failed: 'invalid-argument',
  email_address_invalid: 'invalid-argument',
  over_request_rate_limit: 'resource-exhausted',
  over_email_send_rate_limit: 'resource-exhausted',
  signup_disabled: 'unsupported',
  anonymous_provider_disabled: 'unsupported',
  email_provider_disabled: 'unsupported',
  session_not_found: 'unauthenticated',
  session_expired: 'unauthenticated',
  refresh_token_not_found: 'unauthenticated',
  refresh_token_already_used: 'unauthenticated',
  bad_jwt: 'unauthenticated',
  no_authorization: 'unauthenticated',
  user_not_found: 'unauthenticated',
}

/** auth-js's client-side errors (lib/errors.ts), by class name. */
const AUTH_ERROR_NAMES: Record<string, ErrorCode> = {
  AuthInvalidJwtError: 'unauthenticated',
  AuthInvalidTokenResponseError: 'unauthenticated',
  AuthImplicitGrantRedirectError: 'unauthenticated',
  AuthPKCEGrantCodeExchangeError: 'unauthenticated',
  AuthPKCECodeVerifierMissingError: 'failed-precondition',
  AuthInvalidCredentialsError: 'invalid-argument',
  // A sign-out or sign-in raced the refresh (auth-js discards its result).
  AuthRefreshDiscardedError: 'cancelled',
}

export function mapAuthError(error: AuthErrorLike): PortabaseError {
  if (isAbortError(error)) return make('cancelled', 'the request was cancelled', error)
  const name = error.name ?? ''
  if (name === 'AuthRetryableFetchError') return make('unavailable', error.message ?? 'the auth server could not be reached', error)
  if (name === 'AuthSessionMissingError') return make('unauthenticated', 'no session (signed out, or the session ended)', error)
  if (name === 'AuthWeakPasswordError') return make('invalid-argument', error.message ?? 'the password is too weak', error, { vendorCode: 'weak_password' })
  const byName = AUTH_ERROR_NAMES[name]
  if (byName) return make(byName, error.message ?? name, error, error.code ? { vendorCode: error.code } : undefined)
  const mapped = error.code ? AUTH_CODES[error.code] : undefined
  // Unknown account and wrong password read the same (no account enumeration).
  if (mapped === 'unauthenticated' && error.code === 'invalid_credentials') return make('unauthenticated', 'wrong email or password', error, { vendorCode: error.code })
  if (mapped) return make(mapped, error.message ?? error.code!, error, { vendorCode: error.code })
  if (error.status === 429) return make('resource-exhausted', error.message ?? 'rate limited', error)
  if (error.status !== undefined && error.status >= 500) return make('unavailable', error.message ?? `HTTP ${error.status}`, error)
  return make('internal', error.message ?? 'unexpected auth error', error, error.code ? { vendorCode: error.code } : undefined)
}

/** storage-js errors: `StorageApiError { status (HTTP, 400 for every 4xx), statusCode (the real one, a string), code }`. */
export interface StorageErrorLike {
  name?: string
  status?: number
  statusCode?: string
  code?: string
  message?: string
}

const STORAGE_CODES: Record<string, ErrorCode> = {
  NoSuchKey: 'not-found',
  NoSuchBucket: 'failed-precondition',
  KeyAlreadyExists: 'already-exists',
  ResourceAlreadyExists: 'already-exists',
  AccessDenied: 'permission-denied',
  InvalidKey: 'invalid-argument',
  EntityTooLarge: 'invalid-argument',
  InvalidJWT: 'unauthenticated',
  InvalidMimeType: 'invalid-argument',
  // list-v2 on a tenant without the search-v2 migration (storage routes/object/listObjectsV2.ts)
  FeatureNotEnabled: 'failed-precondition',
}
const STORAGE_STATUS: Record<string, ErrorCode> = { '400': 'invalid-argument', '401': 'unauthenticated', '403': 'permission-denied', '404': 'not-found', '409': 'already-exists', '413': 'invalid-argument', '415': 'invalid-argument', '429': 'resource-exhausted' }

export function mapStorageError(error: StorageErrorLike): PortabaseError {
  if (isAbortError(error)) return make('cancelled', 'the request was cancelled', error)
  if (error.name === 'StorageUnknownError') return make('unavailable', error.message ?? 'the storage server could not be reached', error)
  // The body's code and statusCode carry the real cause (the HTTP status is 400 for every 4xx).
  const mapped = (error.code && STORAGE_CODES[error.code]) || (error.statusCode && STORAGE_STATUS[error.statusCode])
  if (mapped) return make(mapped, error.message ?? error.code ?? 'storage error', error, { vendorCode: error.code ?? error.statusCode })
  if ((error.status ?? 0) >= 500 || Number(error.statusCode) >= 500) return make('unavailable', error.message ?? 'storage unavailable', error)
  return make('internal', error.message ?? 'unexpected storage error', error)
}

/** functions-js errors: FunctionsHttpError (context: the Response), FunctionsRelayError, FunctionsFetchError. */
export interface FunctionsErrorLike {
  name?: string
  message?: string
  context?: { status?: number } | unknown
}

/**
 * `body` is the function's JSON error body when it sent one ({ code, message }: a function can
 * answer a neutral code itself, as the contract's `fail` fixture does).
 */
export function mapFunctionsError(error: FunctionsErrorLike, body?: { code?: unknown; message?: unknown; error?: unknown }): PortabaseError {
  if (error.name === 'FunctionsFetchError') {
    const cause = (error.context ?? error) as unknown
    return isAbortError(cause) ? make('deadline-exceeded', 'the function did not answer in time (or was cancelled)', error) : make('unavailable', 'the function could not be reached', error)
  }
  if (error.name === 'FunctionsRelayError') return make('unavailable', error.message ?? 'relay error', error)
  const status = (error.context as { status?: number } | undefined)?.status
  const neutral = typeof body?.code === 'string' ? (body.code as ErrorCode) : undefined
  const message = typeof body?.message === 'string' ? body.message : typeof body?.error === 'string' ? body.error : (error.message ?? 'the function failed')
  if (neutral && FUNCTION_CODES.has(neutral)) return make(neutral, message, error)
  if (status === 404) return make('not-found', message, error)
  if (status === 401) return make('unauthenticated', message, error)
  if (status === 403) return make('permission-denied', message, error)
  if (status === 400 || status === 422) return make('invalid-argument', message, error)
  if (status === 429) return make('resource-exhausted', message, error)
  if (status === 504) return make('deadline-exceeded', message, error)
  if (status !== undefined && status >= 500) return make('internal', message, error)
  return make('internal', message, error)
}

const FUNCTION_CODES = new Set<ErrorCode>(['not-found', 'already-exists', 'permission-denied', 'unauthenticated', 'invalid-argument', 'failed-precondition', 'resource-exhausted', 'unavailable', 'deadline-exceeded', 'internal'])

/**
 * Parse error codes → PortabaseError codes. Parse reuses some codes for different situations
 * (101 is "wrong password" on login and "no such object" elsewhere; 141 is both "no such function"
 * and "the function threw"), so the caller says what it was doing.
 */
import { isAbortError, PortabaseError, type ErrorCode } from '../../src/errors.js'

export const PROVIDER = 'parse'

/** What the failed request was doing: decides the ambiguous codes. */
export type ParseErrorContext = 'login' | 'auth' | 'read' | 'write' | 'function' | 'file' | 'config' | 'live'

/** Parse.Error codes this adapter names (a subset of Parse.Error.*). */
export const ParseCode = {
  OTHER_CAUSE: -1,
  INTERNAL_SERVER_ERROR: 1,
  CONNECTION_FAILED: 100,
  OBJECT_NOT_FOUND: 101,
  INVALID_QUERY: 102,
  INVALID_CLASS_NAME: 103,
  MISSING_OBJECT_ID: 104,
  INVALID_KEY_NAME: 105,
  INVALID_POINTER: 106,
  INVALID_JSON: 107,
  COMMAND_UNAVAILABLE: 108,
  NOT_INITIALIZED: 109,
  INCORRECT_TYPE: 111,
  INVALID_CHANNEL_NAME: 112,
  PUSH_MISCONFIGURED: 115,
  OBJECT_TOO_LARGE: 116,
  OPERATION_FORBIDDEN: 119,
  CACHE_MISS: 120,
  INVALID_NESTED_KEY: 121,
  INVALID_FILE_NAME: 122,
  INVALID_ACL: 123,
  TIMEOUT: 124,
  INVALID_EMAIL_ADDRESS: 125,
  MISSING_CONTENT_TYPE: 126,
  MISSING_CONTENT_LENGTH: 127,
  INVALID_CONTENT_LENGTH: 128,
  FILE_TOO_LARGE: 129,
  FILE_SAVE_ERROR: 130,
  FILE_DELETE_ERROR: 131,
  FILE_DELETE_UNNAMED_ERROR: 132,
  DUPLICATE_VALUE: 137,
  INVALID_ROLE_NAME: 139,
  EXCEEDED_QUOTA: 140,
  SCRIPT_FAILED: 141,
  VALIDATION_ERROR: 142,
  INVALID_IMAGE_DATA: 143,
  UNSAVED_FILE_ERROR: 150,
  INVALID_PUSH_TIME_ERROR: 151,
  FILE_READ_ERROR: 153,
  REQUEST_LIMIT_EXCEEDED: 155,
  DUPLICATE_REQUEST: 159,
  INVALID_EVENT_NAME: 160,
  INVALID_VALUE: 161,
  USERNAME_MISSING: 200,
  PASSWORD_MISSING: 201,
  USERNAME_TAKEN: 202,
  EMAIL_TAKEN: 203,
  EMAIL_MISSING: 204,
  EMAIL_NOT_FOUND: 205,
  SESSION_MISSING: 206,
  MUST_CREATE_USER_THROUGH_SIGNUP: 207,
  ACCOUNT_ALREADY_LINKED: 208,
  INVALID_SESSION_TOKEN: 209,
  MFA_ERROR: 210,
  MFA_TOKEN_REQUIRED: 211,
  LINKED_ID_MISSING: 250,
  INVALID_LINKED_SESSION: 251,
  UNSUPPORTED_SERVICE: 252,
  X_DOMAIN_REQUEST: 255,
} as const

/** Codes whose meaning does not depend on what the request was doing. */
const FIXED: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [ParseCode.CONNECTION_FAILED, 'unavailable'],
  [ParseCode.X_DOMAIN_REQUEST, 'unavailable'],
  [ParseCode.INVALID_QUERY, 'invalid-argument'],
  [ParseCode.INVALID_CLASS_NAME, 'invalid-argument'],
  [ParseCode.MISSING_OBJECT_ID, 'invalid-argument'],
  [ParseCode.INVALID_KEY_NAME, 'invalid-argument'],
  [ParseCode.INVALID_POINTER, 'invalid-argument'],
  [ParseCode.INVALID_JSON, 'invalid-argument'],
  [ParseCode.COMMAND_UNAVAILABLE, 'unsupported'],
  [ParseCode.NOT_INITIALIZED, 'failed-precondition'],
  [ParseCode.INCORRECT_TYPE, 'invalid-argument'],
  [ParseCode.INVALID_CHANNEL_NAME, 'invalid-argument'],
  [ParseCode.PUSH_MISCONFIGURED, 'failed-precondition'],
  [ParseCode.OBJECT_TOO_LARGE, 'invalid-argument'],
  [ParseCode.OPERATION_FORBIDDEN, 'permission-denied'],
  [ParseCode.CACHE_MISS, 'not-found'],
  [ParseCode.INVALID_NESTED_KEY, 'invalid-argument'],
  [ParseCode.INVALID_FILE_NAME, 'invalid-argument'],
  [ParseCode.INVALID_ACL, 'invalid-argument'],
  [ParseCode.TIMEOUT, 'deadline-exceeded'],
  [ParseCode.INVALID_EMAIL_ADDRESS, 'invalid-argument'],
  [ParseCode.MISSING_CONTENT_TYPE, 'invalid-argument'],
  [ParseCode.MISSING_CONTENT_LENGTH, 'invalid-argument'],
  [ParseCode.INVALID_CONTENT_LENGTH, 'invalid-argument'],
  [ParseCode.FILE_TOO_LARGE, 'invalid-argument'],
  [ParseCode.FILE_SAVE_ERROR, 'internal'],
  [ParseCode.FILE_DELETE_ERROR, 'internal'],
  [ParseCode.FILE_DELETE_UNNAMED_ERROR, 'invalid-argument'],
  [ParseCode.DUPLICATE_VALUE, 'already-exists'],
  [ParseCode.INVALID_ROLE_NAME, 'invalid-argument'],
  [ParseCode.EXCEEDED_QUOTA, 'resource-exhausted'],
  [ParseCode.VALIDATION_ERROR, 'invalid-argument'],
  [ParseCode.INVALID_IMAGE_DATA, 'invalid-argument'],
  [ParseCode.UNSAVED_FILE_ERROR, 'failed-precondition'],
  [ParseCode.INVALID_PUSH_TIME_ERROR, 'invalid-argument'],
  [ParseCode.FILE_READ_ERROR, 'internal'],
  [ParseCode.REQUEST_LIMIT_EXCEEDED, 'resource-exhausted'],
  [ParseCode.DUPLICATE_REQUEST, 'conflict'],
  [ParseCode.INVALID_EVENT_NAME, 'invalid-argument'],
  [ParseCode.INVALID_VALUE, 'invalid-argument'],
  [ParseCode.USERNAME_MISSING, 'invalid-argument'],
  [ParseCode.PASSWORD_MISSING, 'invalid-argument'],
  [ParseCode.USERNAME_TAKEN, 'already-exists'],
  [ParseCode.EMAIL_TAKEN, 'already-exists'],
  [ParseCode.EMAIL_MISSING, 'invalid-argument'],
  [ParseCode.EMAIL_NOT_FOUND, 'not-found'],
  [ParseCode.SESSION_MISSING, 'unauthenticated'],
  [ParseCode.MUST_CREATE_USER_THROUGH_SIGNUP, 'failed-precondition'],
  [ParseCode.ACCOUNT_ALREADY_LINKED, 'already-exists'],
  [ParseCode.INVALID_SESSION_TOKEN, 'unauthenticated'],
  [ParseCode.MFA_ERROR, 'unauthenticated'],
  [ParseCode.MFA_TOKEN_REQUIRED, 'unauthenticated'],
  [ParseCode.LINKED_ID_MISSING, 'unauthenticated'],
  [ParseCode.INVALID_LINKED_SESSION, 'unauthenticated'],
  [ParseCode.UNSUPPORTED_SERVICE, 'unsupported'],
  [ParseCode.INTERNAL_SERVER_ERROR, 'internal'],
  [ParseCode.OTHER_CAUSE, 'internal'],
])

/** A Parse.Error, or the `{ code, error }` JSON a Parse Server sends. */
export interface ParseErrorLike {
  code: number
  message: string
}

export function asParseError(error: unknown): ParseErrorLike | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { code, message, error: text } = error as { code?: unknown; message?: unknown; error?: unknown }
  if (typeof code !== 'number') return undefined
  return { code, message: typeof message === 'string' ? message : typeof text === 'string' ? text : '' }
}

/** The Parse code of an error, if it carries one (a PortabaseError keeps it in `details.parseCode`). */
export function parseCodeOf(error: unknown): number | undefined {
  if (error instanceof PortabaseError) {
    const code = error.details?.parseCode
    return typeof code === 'number' ? code : undefined
  }
  return asParseError(error)?.code
}

/** Session tokens (`r:…`) and anything after `password` never reach a message. */
export function scrub(message: string): string {
  return message
    .replace(/\br:[A-Za-z0-9]{8,}/g, 'r:…')
    .replace(/(password["']?\s*[:=]\s*)("[^"]*"|'[^']*'|\S+)/gi, '$1…')
    .slice(0, 500)
}

/** A function name out of Parse's `Invalid function: "name"`. */
const UNKNOWN_FUNCTION = /^Invalid function: /

export function mapParseCode(code: number, message: string, context: ParseErrorContext): ErrorCode {
  switch (code) {
    case ParseCode.OBJECT_NOT_FOUND:
      // Parse answers a wrong password with 101 "Invalid username/password.".
      return context === 'login' ? 'unauthenticated' : 'not-found'
    case ParseCode.SCRIPT_FAILED:
      return UNKNOWN_FUNCTION.test(message) ? 'not-found' : 'internal'
    case ParseCode.OPERATION_FORBIDDEN:
      // Also Parse's answer to a query or update shape the Postgres adapter cannot run.
      return /^Postgres doesn't support/.test(message) ? 'unsupported' : 'permission-denied'
    case ParseCode.INTERNAL_SERVER_ERROR:
      if (/emailAdapter are required/.test(message)) return 'failed-precondition'
      return 'internal'
    default:
      return FIXED.get(code) ?? 'internal'
  }
}

/**
 * A dropped or refused connection. The SDK wraps fetch's "fetch failed" TypeError in a Parse.Error
 * without a numeric code; either way the request may not have reached the server: `unavailable`.
 */
export function isNetworkFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { code, message } = error as { code?: unknown; message?: unknown }
  return typeof code !== 'number' && typeof message === 'string' && /fetch failed|ECONNRESET|ECONNREFUSED|socket hang up|other side closed/i.test(message)
}

/**
 * Any error the SDK or the server produced → PortabaseError{provider:'parse'}. The Parse code stays
 * in `details.parseCode`; the original error is the non-enumerable `cause`.
 */
export function mapParseError(error: unknown, context: ParseErrorContext): PortabaseError {
  if (error instanceof PortabaseError) return error
  if (isAbortError(error)) return new PortabaseError('cancelled', 'The operation was cancelled', { provider: PROVIDER, cause: error })
  if (isNetworkFailure(error)) {
    return new PortabaseError('unavailable', 'Parse Server is unreachable (the connection failed or dropped)', { provider: PROVIDER, cause: error })
  }
  const parsed = asParseError(error)
  if (parsed) {
    const code = mapParseCode(parsed.code, parsed.message, context)
    const text = parsed.message ? scrub(parsed.message) : 'no message'
    return new PortabaseError(code, `Parse Server: ${text} (Parse error ${parsed.code})`, { provider: PROVIDER, cause: error, details: { parseCode: parsed.code } })
  }
  if (typeof error === 'string' && /Unable to connect/i.test(error)) {
    return new PortabaseError('unavailable', 'Parse Server is unreachable', { provider: PROVIDER, cause: error, details: { parseCode: ParseCode.CONNECTION_FAILED } })
  }
  if (error instanceof TypeError && /fetch/i.test(error.message)) {
    return new PortabaseError('unavailable', `Parse Server is unreachable: ${scrub(error.message)}`, { provider: PROVIDER, cause: error })
  }
  // An answer that is not Parse Server's (which always sends a numeric code): a gateway or load
  // balancer in front of it answering 502/503/504, whose JSON text or unparseable HTML page the SDK
  // (REQUEST_ATTEMPT_LIMIT 1, adapters/parse/sdk.ts) passes on as a code-less Parse.Error. The request
  // may or may not have reached the server: unavailable, which retry() retries for idempotent calls.
  if (error instanceof Error && (error as { code?: unknown }).code === undefined && /service unavailable|bad gateway|gateway time-?out|not valid JSON|Unexpected token|Unexpected end of JSON|JSON Parse error/i.test(error.message)) {
    return new PortabaseError('unavailable', `Parse Server is unreachable: a proxy or gateway answered (${scrub(error.message)})`, { provider: PROVIDER, cause: error })
  }
  const message = error instanceof Error ? scrub(error.message) : 'unknown error'
  return new PortabaseError('internal', `Unexpected Parse SDK error: ${message}`, { provider: PROVIDER, cause: error })
}

export function parseFailure(code: ErrorCode, message: string, details?: Record<string, unknown>): PortabaseError {
  return new PortabaseError(code, message, { provider: PROVIDER, details })
}

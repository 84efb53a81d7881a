/** The neutral error codes every adapter maps its vendor errors onto. */
export const ERROR_CODES = [
  'not-found',
  'already-exists',
  'permission-denied',
  'unauthenticated',
  'invalid-argument',
  'failed-precondition',
  'conflict',
  'resource-exhausted',
  'unavailable',
  'deadline-exceeded',
  'cancelled',
  'unsupported',
  'internal',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

/** Codes worth retrying by default: the request may succeed if sent again. */
const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set(['unavailable', 'deadline-exceeded', 'resource-exhausted'])

export interface PortabaseErrorOptions {
  /** Adapter name that produced the error (`memory`, `parse`, …); `portabase` for core validation. */
  provider?: string
  /** Overrides the default retryability of the code. */
  retryable?: boolean
  /** The original vendor error, kept for debugging. Never rendered into `message`. */
  cause?: unknown
  /** Server hint, in ms, for how long to wait before retrying (429/503 Retry-After). */
  retryAfterMs?: number
  /** Structured, secret-free details (e.g. the offending field). */
  details?: Record<string, unknown>
}

const BRAND = Symbol.for('portabase.error')

export class PortabaseError extends Error {
  override readonly name = 'PortabaseError'
  readonly code: ErrorCode
  readonly provider: string
  readonly retryable: boolean
  readonly retryAfterMs: number | undefined
  readonly details: Record<string, unknown> | undefined
  declare readonly cause: unknown

  constructor(code: ErrorCode, message: string, options: PortabaseErrorOptions = {}) {
    super(`[${code}] ${message}`)
    this.code = code
    this.provider = options.provider ?? 'portabase'
    this.retryable = options.retryable ?? RETRYABLE_CODES.has(code)
    this.retryAfterMs = options.retryAfterMs
    this.details = options.details
    Object.defineProperty(this, BRAND, { value: true })
    // Non-enumerable so loggers that serialise the error do not dump vendor internals.
    Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false, writable: false })
  }

  /** JSON form without the cause: safe to log. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, provider: this.provider, retryable: this.retryable, details: this.details }
  }
}

/** True for a PortabaseError, also one from another copy of the package (ESM and CJS builds both loaded). */
export function isPortabaseError(value: unknown, code?: ErrorCode): value is PortabaseError {
  const branded = value instanceof PortabaseError || (typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true)
  return branded && (code === undefined || (value as PortabaseError).code === code)
}

/** Shorthand for core validation failures. */
export function invalidArgument(message: string, details?: Record<string, unknown>): PortabaseError {
  return new PortabaseError('invalid-argument', message, { details })
}

export function unsupported(what: string, provider: string): PortabaseError {
  return new PortabaseError('unsupported', `${what} is not supported by the ${provider} adapter`, { provider })
}

/**
 * Wraps anything thrown below the client into a PortabaseError, so app code only ever sees one error type.
 * Adapters map vendor errors themselves; this is the last line of defence.
 */
export function toPortabaseError(error: unknown, provider: string): PortabaseError {
  if (isPortabaseError(error)) return error
  if (isAbortError(error)) return new PortabaseError('cancelled', 'The operation was cancelled', { provider, cause: error })
  const message = error instanceof Error ? error.message : 'Unknown error'
  return new PortabaseError('internal', `Unexpected ${provider} error: ${message}`, { provider, cause: error })
}

export function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError'
}

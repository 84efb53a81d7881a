/**
 * Amplify errors → PortabaseError. aws-amplify throws `AuthError`/`AmplifyError`s named after the
 * Cognito exception (`NotAuthorizedException`, `UsernameExistsException`…: the `__type` of
 * Cognito's JSON error body, see @aws-amplify/auth's parseJsonError) or after a client-side check
 * (`AuthValidationErrorCode`: `EmptySignInUsername`…), and `NetworkError` when fetch fails.
 */
import { PortabaseError, type ErrorCode } from '../../src/errors.js'

export const PROVIDER = 'amplify'

export interface AmplifyErrorLike {
  name?: string
  message?: string
}

const RETRYABLE = new Set<ErrorCode>(['unavailable', 'deadline-exceeded', 'resource-exhausted'])

/** Cuts JWTs and bearer values out of a vendor message. */
export function withoutTokens(message: string): string {
  return message.replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, '[token]').replace(/(Bearer\s+)\S+/gi, '$1[token]')
}

export function amplifyError(code: ErrorCode, message: string, cause?: unknown, details?: Record<string, unknown>): PortabaseError {
  return new PortabaseError(code, `Amplify: ${withoutTokens(message)}`, { provider: PROVIDER, cause, retryable: RETRYABLE.has(code), ...(details ? { details } : {}) })
}

const COGNITO_CODES: Record<string, ErrorCode> = {
  NotAuthorizedException: 'unauthenticated',
  UserNotFoundException: 'unauthenticated',
  UserUnAuthenticatedException: 'unauthenticated',
  UsernameExistsException: 'already-exists',
  AliasExistsException: 'already-exists',
  InvalidPasswordException: 'invalid-argument',
  InvalidParameterException: 'invalid-argument',
  CodeMismatchException: 'invalid-argument',
  ExpiredCodeException: 'invalid-argument',
  UserNotConfirmedException: 'failed-precondition',
  PasswordResetRequiredException: 'failed-precondition',
  UserAlreadyAuthenticatedException: 'failed-precondition',
  ResourceNotFoundException: 'failed-precondition',
  InvalidUserPoolConfigurationException: 'failed-precondition',
  LimitExceededException: 'resource-exhausted',
  TooManyRequestsException: 'resource-exhausted',
  TooManyFailedAttemptsException: 'resource-exhausted',
  CodeDeliveryFailureException: 'unavailable',
  InternalErrorException: 'unavailable',
  NetworkError: 'unavailable',
}

/** Sign-in, sign-up and reset failures; `signingIn` makes unknown account and wrong password read the same. */
export function mapAuthError(error: unknown, options: { signingIn?: boolean } = {}): PortabaseError {
  if (error instanceof PortabaseError) return error
  const { name = '', message = 'auth error' } = (error ?? {}) as AmplifyErrorLike
  // Cognito answers a wrong password NotAuthorizedException; cognito-local InvalidPasswordException,
  // which on a sign-in (no password policy applies) can only mean the same.
  if (options.signingIn && (name === 'NotAuthorizedException' || name === 'UserNotFoundException' || name === 'InvalidPasswordException')) {
    return amplifyError('unauthenticated', 'wrong email or password', error, { vendorCode: name })
  }
  const mapped = COGNITO_CODES[name] ?? (/^Empty|^Invalid|Validation/.test(name) ? 'invalid-argument' : undefined)
  if (mapped) return amplifyError(mapped, message, error, { vendorCode: name })
  return amplifyError('internal', message, error, name ? { vendorCode: name } : undefined)
}

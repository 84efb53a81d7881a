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
  // aws-amplify turns a failed fetch into NetworkError; a token refresher the app supplies may not.
  if (name === 'TypeError' && /fetch failed|network/i.test(message)) return amplifyError('unavailable', `Cognito is unreachable (${message})`, error, { vendorCode: 'NetworkError' })
  const mapped = COGNITO_CODES[name] ?? (/^Empty|^Invalid|Validation/.test(name) ? 'invalid-argument' : undefined)
  if (mapped) return amplifyError(mapped, message, error, { vendorCode: name })
  return amplifyError('internal', message, error, name ? { vendorCode: name } : undefined)
}

/** One entry of a GraphQL response's `errors` (AppSync adds `errorType`; aws-amplify keeps the thrown cause in `originalError`). */
export interface GraphQLErrorLike {
  message?: string
  errorType?: string
  originalError?: { name?: string; message?: string } | null
}

export const UNAUTHORIZED = 'Unauthorized'
export const CONDITIONAL_CHECK_FAILED = 'DynamoDB:ConditionalCheckFailedException'

/**
 * The first GraphQL error of what `client.graphql()` threw (aws-amplify throws the `{ data, errors }`
 * result itself). A refused subscription errors with `{ errors: [{ message: 'Connection failed:
 * <AppSync's error JSON>' }] }` (AWSWebSocketProvider): the AppSync error inside is the one returned.
 */
export function graphQLErrorOf(error: unknown): GraphQLErrorLike | undefined {
  const errors = (error as { errors?: unknown } | null)?.errors
  const first = Array.isArray(errors) && errors.length > 0 ? (errors[0] as GraphQLErrorLike) : undefined
  const embedded = /^Connection failed: (\{.*\})$/s.exec(first?.message ?? '')
  if (first && !first.errorType && embedded) {
    try {
      const inner = graphQLErrorOf(JSON.parse(embedded[1]!))
      if (inner) return inner
    } catch {
      // not JSON: keep the outer error
    }
  }
  return first
}

/** AppSync's `errorType` (`Unauthorized`, `DynamoDB:ConditionalCheckFailedException`…) or a refusal by the schema's auth directives. */
export function dataErrorTypeOf(error: unknown): string | undefined {
  const first = graphQLErrorOf(error)
  if (!first) return undefined
  if (first.errorType) return first.errorType
  if (first.originalError?.name?.startsWith('UnauthorizedException') || /^(Unauthorized|Not Authorized)/.test(first.message ?? '')) return UNAUTHORIZED
  return undefined
}

/**
 * Data API failures (client.graphql): `Unauthorized` → permission-denied; a failed DynamoDB
 * condition → `conditional` (what it means depends on the write: already-exists, not-found…);
 * throttling → resource-exhausted; the network → unavailable; a GraphQL validation error (the
 * backend's schema is not the one `portabaseModels` builds for these collections) →
 * failed-precondition; the rest → internal.
 */
export function mapDataError(error: unknown, context: { conditional?: ErrorCode; what?: string } = {}): PortabaseError {
  if (error instanceof PortabaseError) return error
  const what = context.what ? `${context.what}: ` : ''
  const first = graphQLErrorOf(error)
  const type = dataErrorTypeOf(error)
  const message = first?.message ?? (error as AmplifyErrorLike | null)?.message ?? 'data API error'
  const details = type ? { vendorCode: type } : undefined
  if (type === UNAUTHORIZED) return amplifyError('permission-denied', `${what}not authorized`, error, details)
  if (type === CONDITIONAL_CHECK_FAILED) return amplifyError(context.conditional ?? 'failed-precondition', `${what}${message}`, error, details)
  if (type && /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|LimitExceeded/.test(type)) return amplifyError('resource-exhausted', `${what}${message}`, error, details)
  const name = first?.originalError?.name ?? (error as AmplifyErrorLike | null)?.name
  if (name === 'NetworkError' || (!type && /network error|fetch failed|ECONNREFUSED|ECONNRESET|socket hang up/i.test(`${message} ${first?.originalError?.message ?? ''}`))) {
    return amplifyError('unavailable', `${what}the data API is unreachable (${message})`, error, { vendorCode: name ?? 'NetworkError' })
  }
  if (name === 'AbortError' || name === 'CanceledError') return amplifyError('cancelled', `${what}cancelled`, error)
  if (type === 'ValidationError' || /Validation error of type|Cannot query field|Unknown type/.test(message)) {
    return amplifyError('failed-precondition', `${what}the data API's schema is not the one portabaseModels() builds for these collections (${message})`, error, details)
  }
  return amplifyError('internal', `${what}${message}`, error, details)
}

/** What aws-amplify/storage throws: a `StorageError` named after S3's `<Code>` (or the HTTP status when the body has none: `NotFound` for 404), a validation error (`NoCredentials`, `InvalidStoragePathInput`…), `NetworkError`, `CanceledError`. */
export interface StorageErrorLike {
  name?: string
  message?: string
  metadata?: { httpStatusCode?: number } | null
}

const STORAGE_CODES: Record<string, ErrorCode> = {
  NotFound: 'not-found',
  NoSuchKey: 'not-found',
  AccessDenied: 'permission-denied',
  AllAccessDisabled: 'permission-denied',
  Forbidden: 'permission-denied',
  InvalidAccessKeyId: 'unauthenticated',
  SignatureDoesNotMatch: 'unauthenticated',
  ExpiredToken: 'unauthenticated',
  InvalidToken: 'unauthenticated',
  TokenRefreshRequired: 'unauthenticated',
  NoCredentials: 'unauthenticated',
  NoIdentityId: 'unauthenticated',
  NoSuchBucket: 'failed-precondition',
  NoBucket: 'failed-precondition',
  NoRegion: 'failed-precondition',
  NoS3Config: 'failed-precondition',
  NoAuthConfig: 'failed-precondition',
  InvalidStorageBucket: 'failed-precondition',
  PreconditionFailed: 'failed-precondition',
  EntityTooLarge: 'invalid-argument',
  MetadataTooLarge: 'invalid-argument',
  KeyTooLongError: 'invalid-argument',
  InvalidArgument: 'invalid-argument',
  InvalidRequest: 'invalid-argument',
  InvalidStoragePathInput: 'invalid-argument',
  InvalidUploadSource: 'invalid-argument',
  ObjectIsTooLarge: 'invalid-argument',
  UrlExpirationMaxLimitExceed: 'invalid-argument',
  SlowDown: 'resource-exhausted',
  RequestTimeout: 'deadline-exceeded',
  InternalError: 'unavailable',
  ServiceUnavailable: 'unavailable',
  NetworkError: 'unavailable',
  CanceledError: 'cancelled',
  AbortError: 'cancelled',
}

/**
 * Storage failures (aws-amplify/storage over S3): the S3 error code or aws-amplify's error name
 * decides; a bare HTTP status (HEAD answers have no body) falls back to 403 → permission-denied,
 * 404 → not-found, 5xx → unavailable; the rest → internal.
 */
export function mapStorageError(error: unknown, what?: string): PortabaseError {
  if (error instanceof PortabaseError) return error
  const { name = '', message = 'storage error', metadata } = (error ?? {}) as StorageErrorLike
  const status = metadata?.httpStatusCode ?? (/^\d{3}$/.test(name) ? Number(name) : undefined)
  // fetch's own TypeError reaches us unwrapped when aws-amplify's `instanceof TypeError` fails (another realm, e.g. jest).
  const network = name === 'TypeError' && /fetch failed|network/i.test(message)
  const code: ErrorCode =
    (network ? 'unavailable' : STORAGE_CODES[name]) ??
    (status === 404 ? 'not-found' : status === 403 ? 'permission-denied' : status === 401 ? 'unauthenticated' : status === 429 ? 'resource-exhausted' : status !== undefined && status >= 500 ? 'unavailable' : 'internal')
  const prefix = what ? `${what}: ` : ''
  const text = code === 'not-found' && what ? `${prefix}no such file` : `${prefix}${message}`
  return amplifyError(code, text, error, name ? { vendorCode: name } : undefined)
}

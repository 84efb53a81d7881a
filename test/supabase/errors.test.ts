/**
 * Supabase error mapping, with the vendor SDKs' own error classes (auth-js, storage-js,
 * functions-js, postgrest-js) carrying the codes and statuses their servers send (the tables in
 * adapters/supabase/errors.ts cite where each comes from).
 */
import { AuthApiError, AuthInvalidJwtError, AuthPKCECodeVerifierMissingError, AuthRefreshDiscardedError, AuthRetryableFetchError, AuthSessionMissingError, AuthWeakPasswordError } from '@supabase/auth-js'
import { FunctionsFetchError, FunctionsHttpError, FunctionsRelayError } from '@supabase/functions-js'
import { PostgrestError } from '@supabase/postgrest-js'
import { StorageApiError, StorageUnknownError } from '@supabase/storage-js'
import { mapAuthError, mapFunctionsError, mapPostgrestError, mapStorageError, withoutTokens } from '../../adapters/supabase/errors.js'
import type { ErrorCode } from '../../src/index.js'

const postgrest = (code: string, message = 'm') => new PostgrestError({ code, message, details: '', hint: '' })

describe('PostgREST (and portabase RPC) errors', () => {
  it.each<[string, number | undefined, ErrorCode]>([
    ['23505', 409, 'already-exists'],
    ['P0002', 400, 'not-found'],
    ['42501', 403, 'permission-denied'],
    ['42501', 401, 'permission-denied'],
    ['22023', 400, 'invalid-argument'],
    ['22P02', 400, 'invalid-argument'],
    ['42P01', 404, 'failed-precondition'],
    ['PGRST116', 406, 'not-found'],
    ['PGRST202', 404, 'failed-precondition'],
    ['PGRST205', 404, 'failed-precondition'],
    ['PGRST301', 401, 'unauthenticated'],
    ['PGRST303', 401, 'unauthenticated'],
    ['PGRST002', 503, 'unavailable'],
    ['57014', 500, 'deadline-exceeded'],
    ['40001', 500, 'conflict'],
    ['08006', 503, 'unavailable'],
  ])('%s (HTTP %p) → %s', (code, status, expected) => {
    const error = mapPostgrestError(postgrest(code), status)
    expect(error).toMatchObject({ code: expected, provider: 'supabase' })
    expect(error.cause).toBeInstanceOf(PostgrestError)
  })

  it('a network failure (status 0, empty code) is unavailable and retryable', () => {
    const error = mapPostgrestError({ code: '', message: 'TypeError: fetch failed' }, 0)
    expect(error).toMatchObject({ code: 'unavailable', retryable: true })
  })

  it('serialization failures are retryable; refusals are not', () => {
    expect(mapPostgrestError(postgrest('40001')).retryable).toBe(true)
    expect(mapPostgrestError(postgrest('42501')).retryable).toBe(false)
  })
})

describe('auth errors (auth-js classes)', () => {
  it.each<[string, Error, ErrorCode]>([
    ['invalid_credentials', new AuthApiError('Invalid login credentials', 400, 'invalid_credentials'), 'unauthenticated'],
    ['user_already_exists', new AuthApiError('User already registered', 422, 'user_already_exists'), 'already-exists'],
    ['email_exists', new AuthApiError('A user with this email address has already been registered', 422, 'email_exists'), 'already-exists'],
    ['weak_password', new AuthWeakPasswordError('Password should be at least 6 characters.', 422, ['length']), 'invalid-argument'],
    ['validation_failed', new AuthApiError('Unable to validate email address: invalid format', 400, 'validation_failed'), 'invalid-argument'],
    ['over_request_rate_limit', new AuthApiError('Request rate limit reached', 429, 'over_request_rate_limit'), 'resource-exhausted'],
    ['anonymous_provider_disabled', new AuthApiError('Anonymous sign-ins are disabled', 422, 'anonymous_provider_disabled'), 'unsupported'],
    ['refresh_token_already_used', new AuthApiError('Invalid Refresh Token: Already Used', 400, 'refresh_token_already_used'), 'unauthenticated'],
    ['bad_jwt', new AuthApiError('invalid JWT: unable to parse or verify signature, token has invalid claims: token is expired', 403, 'bad_jwt'), 'unauthenticated'],
    ['session missing', new AuthSessionMissingError(), 'unauthenticated'],
    ['network', new AuthRetryableFetchError('fetch failed', 0), 'unavailable'],
    ['a malformed stored token', new AuthInvalidJwtError('Invalid JWT structure'), 'unauthenticated'],
    ['PKCE verifier lost', new AuthPKCECodeVerifierMissingError(), 'failed-precondition'],
    ['refresh raced by a sign-out', new AuthRefreshDiscardedError(), 'cancelled'],
  ])('%s → %s', (_label, vendor, expected) => {
    expect(mapAuthError(vendor)).toMatchObject({ code: expected, provider: 'supabase' })
  })

  it('wrong password and unknown account read the same (no account enumeration)', () => {
    expect(mapAuthError(new AuthApiError('Invalid login credentials', 400, 'invalid_credentials')).message).toBe('[unauthenticated] Supabase: wrong email or password')
  })

  it('a token quoted by a vendor message never reaches the error message', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'
    const error = mapAuthError(new AuthApiError(`invalid JWT ${jwt}`, 403, 'bad_jwt'))
    expect(error.message).not.toContain(jwt)
    expect(withoutTokens(`Authorization: Bearer ${jwt}`)).toBe('Authorization: Bearer [token]')
  })
})

describe('storage errors (storage-js classes: the real status is in the body)', () => {
  it.each<[string, Error, ErrorCode]>([
    ['object not found (HTTP 400, statusCode "404")', new StorageApiError('Object not found', 400, '404', 'storage', 'NoSuchKey'), 'not-found'],
    ['an older server without code', new StorageApiError('Object not found', 400, '404'), 'not-found'],
    ['duplicate', new StorageApiError('The resource already exists', 400, '409', 'storage', 'KeyAlreadyExists'), 'already-exists'],
    ['RLS', new StorageApiError('new row violates row-level security policy', 400, '403', 'storage', 'AccessDenied'), 'permission-denied'],
    ['invalid key', new StorageApiError('Invalid key: a//b', 400, '400', 'storage', 'InvalidKey'), 'invalid-argument'],
    ['too large', new StorageApiError('The object exceeded the maximum allowed size', 400, '413', 'storage', 'EntityTooLarge'), 'invalid-argument'],
    ['bad signed-URL token', new StorageApiError('Invalid JWT', 400, '400', 'storage', 'InvalidJWT'), 'unauthenticated'],
    ['network', new StorageUnknownError('fetch failed', new TypeError('fetch failed')), 'unavailable'],
  ])('%s → %s', (_label, vendor, expected) => {
    expect(mapStorageError(vendor)).toMatchObject({ code: expected, provider: 'supabase' })
  })
})

describe('functions errors (functions-js classes)', () => {
  it('a non-2xx answer maps by the code the function sent, else by status', () => {
    const response = (status: number) => new Response('{}', { status })
    expect(mapFunctionsError(new FunctionsHttpError(response(400)), { code: 'invalid-argument', message: 'bad input' })).toMatchObject({ code: 'invalid-argument' })
    expect(mapFunctionsError(new FunctionsHttpError(response(404)))).toMatchObject({ code: 'not-found' })
    expect(mapFunctionsError(new FunctionsHttpError(response(401)))).toMatchObject({ code: 'unauthenticated' })
    expect(mapFunctionsError(new FunctionsHttpError(response(500)))).toMatchObject({ code: 'internal' })
  })

  it('an abort or timeout is deadline-exceeded; a network failure or relay error unavailable', () => {
    const aborted = new DOMException('The operation was aborted.', 'AbortError')
    expect(mapFunctionsError(new FunctionsFetchError(aborted))).toMatchObject({ code: 'deadline-exceeded' })
    expect(mapFunctionsError(new FunctionsFetchError(new TypeError('fetch failed')))).toMatchObject({ code: 'unavailable' })
    expect(mapFunctionsError(new FunctionsRelayError(new Response('', { status: 502 })))).toMatchObject({ code: 'unavailable' })
  })
})

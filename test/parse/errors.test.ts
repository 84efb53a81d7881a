/** Parse error codes → PortabaseError codes (adapters/parse/errors.ts); no server needed. */
import { PortabaseError, type ErrorCode } from '../../src/index.js'
import { mapParseCode, mapParseError, ParseCode, parseCodeOf, scrub, type ParseErrorContext } from '../../adapters/parse/errors.js'

/** What the Parse SDK rejects with: a Parse.Error has a numeric code and a message. */
class FakeParseError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message)
  }
}

describe('mapParseError', () => {
  const cases: [number, string, ParseErrorContext, ErrorCode][] = [
    [ParseCode.OBJECT_NOT_FOUND, 'Object not found.', 'read', 'not-found'],
    [ParseCode.OBJECT_NOT_FOUND, 'Object not found.', 'write', 'not-found'],
    [ParseCode.OBJECT_NOT_FOUND, 'Invalid username/password.', 'login', 'unauthenticated'],
    [ParseCode.OPERATION_FORBIDDEN, 'owned: only the owner may read this object', 'read', 'permission-denied'],
    [ParseCode.OPERATION_FORBIDDEN, "Postgres doesn't support this query type yet {\"$gt\":\"\"}", 'read', 'unsupported'],
    [ParseCode.INVALID_SESSION_TOKEN, 'Invalid session token', 'read', 'unauthenticated'],
    [ParseCode.SESSION_MISSING, 'A user object must have a session', 'auth', 'unauthenticated'],
    [ParseCode.USERNAME_TAKEN, 'Account already exists for this username.', 'auth', 'already-exists'],
    [ParseCode.EMAIL_TAKEN, 'Account already exists for this email address.', 'auth', 'already-exists'],
    [ParseCode.DUPLICATE_VALUE, 'A duplicate value for a field with unique values was provided', 'write', 'already-exists'],
    [ParseCode.CONNECTION_FAILED, 'XMLHttpRequest failed: "Unable to connect to the Parse API"', 'read', 'unavailable'],
    [ParseCode.INCORRECT_TYPE, 'schema mismatch for todos.n; expected Number but got String', 'write', 'invalid-argument'],
    [ParseCode.INVALID_KEY_NAME, 'Invalid field name: className.', 'write', 'invalid-argument'],
    [ParseCode.INVALID_QUERY, 'bad $in value', 'read', 'invalid-argument'],
    [ParseCode.INVALID_JSON, 'bad value', 'read', 'invalid-argument'],
    [ParseCode.SCRIPT_FAILED, 'Invalid function: "noSuchFunction"', 'function', 'not-found'],
    [ParseCode.SCRIPT_FAILED, 'boom', 'function', 'internal'],
    [ParseCode.VALIDATION_ERROR, 'bad input', 'function', 'invalid-argument'],
    [ParseCode.REQUEST_LIMIT_EXCEEDED, 'Too many requests', 'read', 'resource-exhausted'],
    [ParseCode.EXCEEDED_QUOTA, 'quota', 'write', 'resource-exhausted'],
    [ParseCode.TIMEOUT, 'timeout', 'function', 'deadline-exceeded'],
    [ParseCode.EMAIL_NOT_FOUND, 'No user found with email', 'auth', 'not-found'],
    [ParseCode.INVALID_FILE_NAME, 'Filename contains invalid characters.', 'file', 'invalid-argument'],
    [ParseCode.FILE_SAVE_ERROR, 'Could not store file.', 'file', 'internal'],
    [ParseCode.INTERNAL_SERVER_ERROR, 'An internal server error occurred', 'read', 'internal'],
    [ParseCode.INTERNAL_SERVER_ERROR, 'An appName, publicServerURL, and emailAdapter are required for password reset and email verification functionality.', 'auth', 'failed-precondition'],
    [ParseCode.UNSUPPORTED_SERVICE, 'unsupported', 'auth', 'unsupported'],
    [ParseCode.OTHER_CAUSE, 'other', 'read', 'internal'],
    [9999, 'a code this adapter does not know', 'read', 'internal'],
  ]

  it.each(cases)('Parse %p (%s) in %s → %s', (code, message, context, expected) => {
    const error = mapParseError(new FakeParseError(code, message), context)
    expect(error).toBeInstanceOf(PortabaseError)
    expect(error.code).toBe(expected)
    expect(error.provider).toBe('parse')
    expect(error.details).toEqual({ parseCode: code })
    expect(error.message).toContain(`Parse error ${code}`)
    expect(parseCodeOf(error)).toBe(code)
    expect(mapParseCode(code, message, context)).toBe(expected)
  })

  it('retryable follows the neutral code', () => {
    expect(mapParseError(new FakeParseError(ParseCode.CONNECTION_FAILED, 'down'), 'read').retryable).toBe(true)
    expect(mapParseError(new FakeParseError(ParseCode.REQUEST_LIMIT_EXCEEDED, 'slow down'), 'read').retryable).toBe(true)
    expect(mapParseError(new FakeParseError(ParseCode.OBJECT_NOT_FOUND, 'gone'), 'read').retryable).toBe(false)
  })

  it('accepts the JSON a server sends ({ code, error })', () => {
    const error = mapParseError({ code: 137, error: 'duplicate' }, 'write')
    expect(error.code).toBe('already-exists')
    expect(error.message).toContain('duplicate')
  })

  it('maps transport failures, aborts and unknown throwables', () => {
    expect(mapParseError('Unable to connect to the Parse API', 'read').code).toBe('unavailable')
    expect(mapParseError(new TypeError('fetch failed'), 'file').code).toBe('unavailable')
    const abort = new Error('aborted')
    abort.name = 'AbortError'
    expect(mapParseError(abort, 'read').code).toBe('cancelled')
    expect(mapParseError(new RangeError('weird'), 'read').code).toBe('internal')
    expect(mapParseError(42, 'read').code).toBe('internal')
  })

  it('passes PortabaseErrors through unchanged', () => {
    const original = new PortabaseError('conflict', 'x', { provider: 'parse' })
    expect(mapParseError(original, 'write')).toBe(original)
  })

  it('keeps the vendor error as a non-enumerable cause, out of JSON', () => {
    const cause = new FakeParseError(ParseCode.OBJECT_NOT_FOUND, 'Object not found.')
    const error = mapParseError(cause, 'read')
    expect(error.cause).toBe(cause)
    expect(Object.keys(JSON.parse(JSON.stringify(error)) as object)).not.toContain('cause')
  })
})

describe('scrub', () => {
  it('removes session tokens and passwords from messages', () => {
    const message = scrub('bad token r:0123456789abcdef0123456789abcdef for password: hunter22 and "password":"s3cret"')
    expect(message).not.toContain('0123456789abcdef')
    expect(message).not.toContain('hunter22')
    expect(message).not.toContain('s3cret')
    const mapped = mapParseError(new FakeParseError(ParseCode.INVALID_SESSION_TOKEN, 'Invalid session token r:deadbeefdeadbeefdeadbeef'), 'read')
    expect(mapped.message).not.toContain('deadbeef')
  })

  it('caps long messages', () => {
    expect(scrub('x'.repeat(10_000)).length).toBeLessThanOrEqual(500)
  })
})

/** Firebase error codes → neutral codes, and messages without secrets or account enumeration. */
import { mapFirebaseError } from '../../adapters/firebase/errors.js'
import { PortabaseError } from '../../src/errors.js'

const vendor = (code: string, message = `Firebase: Error (${code}).`) => Object.assign(new Error(message), { code })

describe('mapFirebaseError', () => {
  it.each([
    ['auth/wrong-password', 'unauthenticated'],
    ['auth/invalid-credential', 'unauthenticated'],
    ['auth/user-not-found', 'unauthenticated'],
    ['auth/email-already-in-use', 'already-exists'],
    ['auth/weak-password', 'invalid-argument'],
    ['auth/invalid-email', 'invalid-argument'],
    ['auth/network-request-failed', 'unavailable'],
    ['auth/too-many-requests', 'resource-exhausted'],
    ['auth/operation-not-allowed', 'unsupported'],
    ['auth/popup-closed-by-user', 'cancelled'],
    ['storage/object-not-found', 'not-found'],
    ['storage/unauthorized', 'permission-denied'],
    ['storage/unauthenticated', 'unauthenticated'],
    ['storage/canceled', 'cancelled'],
    ['storage/retry-limit-exceeded', 'unavailable'],
    ['storage/quota-exceeded', 'resource-exhausted'],
    ['functions/not-found', 'not-found'],
    ['functions/deadline-exceeded', 'deadline-exceeded'],
    ['functions/invalid-argument', 'invalid-argument'],
    ['functions/unauthenticated', 'unauthenticated'],
    ['functions/aborted', 'conflict'],
    ['functions/unknown', 'internal'],
    ['permission-denied', 'permission-denied'],
    ['out-of-range', 'invalid-argument'],
    ['something-new', 'internal'],
    ['remoteconfig/fetch-client-network', 'unavailable'],
    ['remoteconfig/fetch-timeout', 'deadline-exceeded'],
    ['remoteconfig/fetch-throttle', 'unavailable'],
    ['remoteconfig/fetch-client-parse', 'internal'],
    ['remoteconfig/registration-window', 'unsupported'],
    ['remoteconfig/registration-app-id', 'failed-precondition'],
    ['installations/app-offline', 'unavailable'],
    ['installations/something-new', 'internal'],
  ])('%s → %s', (code, neutral) => {
    const error = mapFirebaseError(vendor(code))
    expect(error).toBeInstanceOf(PortabaseError)
    expect(error).toMatchObject({ code: neutral, provider: 'firebase' })
  })

  it('wrong password and unknown account read the same (no enumeration)', () => {
    expect(mapFirebaseError(vendor('auth/wrong-password')).message).toBe(mapFirebaseError(vendor('auth/user-not-found')).message)
  })

  it("keeps a callable function's own message and drops the SDK's prefix", () => {
    expect(mapFirebaseError(vendor('functions/invalid-argument', 'bad input'), 'Function fail').message).toBe('[invalid-argument] bad input')
  })

  it('passes PortabaseErrors through and maps AbortError to cancelled', () => {
    const own = new PortabaseError('conflict', 'x')
    expect(mapFirebaseError(own)).toBe(own)
    expect(mapFirebaseError(Object.assign(new Error('aborted'), { name: 'AbortError' })).code).toBe('cancelled')
  })
})

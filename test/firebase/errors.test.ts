/** Firebase error codes → neutral codes, and messages without secrets or account enumeration. */
import { authCodes } from '../../adapters/firebase/auth-errors.js'
import { mapError, type ServiceCodes } from '../../adapters/firebase/errors.js'
import { firestoreCodes } from '../../adapters/firebase/firestore-errors.js'
import { mapFirebaseError } from '../../adapters/firebase/index.js'
import { remoteConfigCodes } from '../../adapters/firebase/remote-config-errors.js'
import { storageCodes } from '../../adapters/firebase/storage-errors.js'
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

describe("each service's own codes, as its module maps them", () => {
  // The adapter's services map with their own table only (an app bundles just the tables of the
  // services it imports); each must agree with mapFirebaseError, which knows every table.
  const owner: [prefix: string, codes: ServiceCodes][] = [
    ['auth/', authCodes],
    ['storage/', storageCodes],
    ['remoteconfig/', remoteConfigCodes],
    ['installations/', remoteConfigCodes],
  ]
  const codes = [
    'auth/wrong-password',
    'auth/user-disabled',
    'auth/popup-closed-by-user',
    'auth/something-new',
    'storage/object-not-found',
    'storage/something-new',
    'remoteconfig/fetch-timeout',
    'installations/app-offline',
    'functions/invalid-argument',
    'permission-denied',
  ]
  const fields = (error: PortabaseError) => ({ code: error.code, message: error.message, details: error.details, retryable: error.retryable })

  it.each(codes)('%s: the owning service maps it as mapFirebaseError does', (code) => {
    const service = owner.find(([prefix]) => code.startsWith(prefix))?.[1]
    expect(fields(mapError(vendor(code), 'The call', service))).toEqual(fields(mapFirebaseError(vendor(code), 'The call')))
  })

  it('remote config keeps the HTTP status of a fetch-status failure', () => {
    const error = Object.assign(vendor('remoteconfig/fetch-status'), { customData: { httpStatus: 403 } })
    expect(mapError(error, 'Remote config fetch', remoteConfigCodes)).toMatchObject({ code: 'permission-denied', details: { vendorCode: 'remoteconfig/fetch-status', httpStatus: 403 } })
  })

  it("Firestore's missing composite index keeps its link, in the message and in details", () => {
    const url = 'https://console.firebase.google.com/v1/r/project/demo/firestore/indexes?create_composite=abc'
    const error = mapError(vendor('failed-precondition', `The query requires an index. You can create it here: ${url}.`), 'Querying todos', firestoreCodes)
    expect(error).toMatchObject({ code: 'failed-precondition', details: { indexUrl: url } })
    expect(error.message).toContain(url)
  })
})

/** Firebase Auth's own codes (`auth/…`) → PortabaseError, with messages fit to show a user. */
import type { ErrorCode } from '../../src/errors.js'
import { serviceError, type ServiceCodes } from './errors.js'

/** Wrong password and unknown account share one code and one message: no account enumeration. */
const BAD_CREDENTIALS = 'Invalid email or password'

const AUTH: Record<string, [ErrorCode, string?]> = {
  'auth/wrong-password': ['unauthenticated', BAD_CREDENTIALS],
  'auth/invalid-credential': ['unauthenticated', BAD_CREDENTIALS],
  'auth/invalid-login-credentials': ['unauthenticated', BAD_CREDENTIALS],
  'auth/user-not-found': ['unauthenticated', BAD_CREDENTIALS],
  'auth/user-disabled': ['permission-denied', 'This account is disabled'],
  'auth/email-already-in-use': ['already-exists', 'An account with this email already exists'],
  'auth/credential-already-in-use': ['already-exists'],
  'auth/weak-password': ['invalid-argument', 'The password is too weak'],
  'auth/invalid-email': ['invalid-argument', 'The email address is invalid'],
  'auth/missing-password': ['invalid-argument', 'A password is required'],
  'auth/missing-email': ['invalid-argument', 'An email address is required'],
  'auth/argument-error': ['invalid-argument'],
  'auth/network-request-failed': ['unavailable', 'Network error reaching Firebase Auth'],
  'auth/too-many-requests': ['resource-exhausted', 'Too many attempts; try again later'],
  'auth/quota-exceeded': ['resource-exhausted'],
  'auth/timeout': ['deadline-exceeded'],
  'auth/user-token-expired': ['unauthenticated', 'The session expired; sign in again'],
  'auth/requires-recent-login': ['unauthenticated', 'Sign in again to do this'],
  'auth/invalid-user-token': ['unauthenticated'],
  'auth/user-mismatch': ['unauthenticated'],
  'auth/operation-not-allowed': ['unsupported', 'This sign-in method is not enabled for the Firebase project'],
  'auth/admin-restricted-operation': ['unsupported', 'This sign-in method is not enabled for the Firebase project'],
  'auth/operation-not-supported-in-this-environment': ['unsupported', 'This sign-in flow does not work in this environment'],
  'auth/popup-blocked': ['failed-precondition', 'The sign-in popup was blocked'],
  'auth/popup-closed-by-user': ['cancelled', 'The sign-in popup was closed'],
  'auth/cancelled-popup-request': ['cancelled'],
  'auth/user-cancelled': ['cancelled'],
  'auth/account-exists-with-different-credential': ['already-exists', 'An account with this email exists with another sign-in method'],
  'auth/unauthorized-domain': ['permission-denied'],
  'auth/invalid-api-key': ['failed-precondition', 'The Firebase API key is invalid'],
  'auth/app-deleted': ['failed-precondition'],
}

export const authCodes: ServiceCodes = (error, code, what) => {
  if (!code.startsWith('auth/')) return undefined
  const [neutral, message] = AUTH[code] ?? ['internal']
  return serviceError(neutral, message ?? `${what} failed (${code})`, error, code)
}

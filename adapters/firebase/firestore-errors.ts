/** Firestore's own failures beyond the shared gRPC-style codes: a query that lacks its composite index. */
import { PortabaseError } from '../../src/errors.js'
import { PROVIDER, type ServiceCodes } from './errors.js'

/** The console link Firestore puts in a `failed-precondition` for a query that lacks its composite index. */
const INDEX_URL = /https:\/\/console\.firebase\.google\.com\/\S*indexes\S*/

/**
 * A query that needs a composite index that does not exist: `failed-precondition`, with the link
 * that creates it in the message (whole: vendorMessage would cut it) and in `details.indexUrl`.
 */
function missingIndex(error: unknown, what: string): PortabaseError | undefined {
  // A sentence's closing punctuation is not part of the link.
  const url = error instanceof Error ? INDEX_URL.exec(error.message)?.[0].replace(/[.,;)]+$/, '') : undefined
  if (url === undefined) return undefined
  return new PortabaseError('failed-precondition', `${what} needs a composite index that does not exist yet; create it here: ${url}`, {
    provider: PROVIDER,
    cause: error,
    details: { vendorCode: 'failed-precondition', indexUrl: url },
  })
}

export const firestoreCodes: ServiceCodes = (error, code, what) => (code === 'failed-precondition' ? missingIndex(error, what) : undefined)

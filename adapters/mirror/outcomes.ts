/**
 * What the mirror does when the secondary fails a queued write, by error code.
 *
 * - `copy`: the secondary's document is not what the write expected (an update of a document it
 *   lacks, a create of one it has): its copy diverged from the primary's, so the entry becomes a
 *   copy of the primary's current state. Typical while `portabase migrate` has not copied a
 *   document yet, or after a write was applied but its response lost.
 * - `refuse`: the secondary will not take this write however often it is sent (its rules, its
 *   types, its capabilities): reported on `refused$`, recorded in the store, and dropped from the
 *   queue so the writes behind it move on.
 * - `retry`: anything else (unreachable, rate-limited, signed out, an unexpected failure): kept at
 *   its place and sent again after a backoff.
 */
import { isPortabaseError, type ErrorCode } from '../../src/errors.js'

export type FailureAction = 'copy' | 'refuse' | 'retry'

const COPY: ReadonlySet<ErrorCode> = new Set(['not-found', 'already-exists', 'conflict', 'failed-precondition'])
const REFUSE: ReadonlySet<ErrorCode> = new Set(['permission-denied', 'invalid-argument', 'unsupported'])

export function failureAction(error: unknown): FailureAction {
  if (!isPortabaseError(error)) return 'retry'
  if (COPY.has(error.code)) return 'copy'
  if (REFUSE.has(error.code)) return 'refuse'
  return 'retry'
}

/**
 * Whether a failed call may still have been applied (a lost response, a timeout, an abort in
 * flight). Refusals the backend answers before applying anything (validation, rules, preconditions)
 * were not.
 */
export function mayHaveApplied(error: unknown): boolean {
  if (!isPortabaseError(error)) return true
  return error.retryable || error.code === 'cancelled' || error.code === 'internal' || error.code === 'deadline-exceeded'
}

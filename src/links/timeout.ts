import { PortabaseError } from '../errors.js'
import { raceAbort } from './abort.js'
import type { Link } from './link.js'

/**
 * Gives each operation a deadline. On expiry the operation's signal aborts (adapters pass it to the
 * vendor where they can) and the caller gets `deadline-exceeded` at once.
 */
export function timeout(ms: number): Link {
  if (!Number.isFinite(ms) || ms <= 0) throw new PortabaseError('invalid-argument', `timeout() needs a positive number of ms, got ${ms}`)
  return (op, next) => {
    const controller = new AbortController()
    const timer = setTimeout(
      () => controller.abort(new PortabaseError('deadline-exceeded', `${op.service}.${op.method} took longer than ${ms} ms`)),
      ms,
    )
    const signal = op.signal ? AbortSignal.any([op.signal, controller.signal]) : controller.signal
    return raceAbort(next({ ...op, signal }), signal).finally(() => clearTimeout(timer))
  }
}

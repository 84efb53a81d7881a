import { PortabaseError } from '../errors.js'
import { builtinLink, cancelledError, cancelOf, Cancellation, withCancellation, type AbortListener } from './cancel.js'
import { DeadlineQueue, type DeadlineNode } from './deadlines.js'
import type { Link, Operation } from './link.js'

/** One operation under a deadline: the queue's item, and the listener that rejects its caller. */
class TimedCall implements AbortListener {
  node: DeadlineNode<TimedCall> | undefined = undefined

  constructor(
    readonly op: Operation,
    readonly cancel: Cancellation,
    private readonly deadlines: DeadlineQueue<TimedCall>,
    private readonly reject: (error: unknown) => void,
  ) {}

  /** The deadline passed or the caller aborted: the caller learns at once, whatever the call below does. */
  handleEvent(): void {
    this.deadlines.remove(this.node!)
    this.reject(cancelledError(this.cancel))
  }

  settled(): void {
    this.deadlines.remove(this.node!)
    this.cancel.release()
  }
}

/**
 * Gives each operation a deadline. On expiry the operation's signal aborts (adapters pass it to the
 * vendor where they can) and the caller gets `deadline-exceeded` at once.
 *
 * Cost per operation: a small cancellation object, a queue node and one promise. All deadlines of
 * one link share a single timer (see deadlines.ts), and the AbortSignal below is created only if
 * something reads it (an adapter, a custom link).
 */
export function timeout(ms: number): Link {
  if (!Number.isFinite(ms) || ms <= 0) throw new PortabaseError('invalid-argument', `timeout() needs a positive number of ms, got ${ms}`)
  const deadlines: DeadlineQueue<TimedCall> = new DeadlineQueue<TimedCall>(ms, (call) => {
    call.cancel.abort(new PortabaseError('deadline-exceeded', `${call.op.service}.${call.op.method} took longer than ${ms} ms`))
  })

  const link: Link = builtinLink<Link>((op, next) => {
    const parent = cancelOf(op)
    if (parent?.aborted) return Promise.reject(cancelledError(parent))
    const cancel = new Cancellation(parent)
    return new Promise<unknown>((resolve, reject) => {
      const call = new TimedCall(op, cancel, deadlines, reject)
      call.node = deadlines.add(call)
      cancel.listen(call)
      let result: Promise<unknown>
      try {
        result = next(withCancellation(op, cancel))
      } catch (error) {
        result = Promise.reject(error)
      }
      result.then(
        (value) => {
          call.settled()
          resolve(value)
        },
        (error: unknown) => {
          call.settled()
          reject(error)
        },
      )
    })
  })
  link.dispose = () => deadlines.clear()
  return link
}

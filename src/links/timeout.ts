import { PortabaseError } from '../errors.js'
import { cancelledError, Cancellation, type Cancel } from './cancel.js'
import { DeadlineQueue, type DeadlineNode } from './deadlines.js'
import type { Link, Operation } from './link.js'
import { stageLink, type Outlet } from './stage.js'

/**
 * One operation under a deadline: its cancellation (aborted at the deadline or with the caller's),
 * the queue's item, and the outlet the call below settles.
 */
class TimedCall extends Cancellation implements Outlet {
  node: DeadlineNode<TimedCall> | undefined = undefined
  /** The outcome has gone outward (the deadline passed, the caller aborted, or the call settled). */
  private done = false

  constructor(
    parent: Cancel,
    readonly op: Operation,
    private readonly deadlines: DeadlineQueue<TimedCall>,
    private readonly out: Outlet,
  ) {
    super(parent)
    this.follow()
  }

  /** The deadline passed or the caller aborted: the caller learns at once, whatever the call below does. */
  protected override onAbort(): void {
    this.deadlines.remove(this.node!)
    if (this.done) return
    this.done = true
    this.out.settle(false, cancelledError(this))
  }

  /** The call below settled (after an abort too: the cancellation is released only now). */
  settle(ok: boolean, value: unknown, at?: number): void {
    this.deadlines.remove(this.node!)
    this.release()
    if (this.done) return
    this.done = true
    this.out.settle(ok, value, at)
  }
}

/**
 * Gives each operation a deadline. On expiry the operation's signal aborts (adapters pass it to the
 * vendor where they can) and the caller gets `deadline-exceeded` at once.
 *
 * Cost per operation: the call's state (also its cancellation) and a queue node. All deadlines
 * of one link share a single timer (see deadlines.ts), and the AbortSignal below is created only if
 * something reads it (an adapter, a custom link).
 */
export function timeout(ms: number): Link {
  if (!Number.isFinite(ms) || ms <= 0) throw new PortabaseError('invalid-argument', `timeout() needs a positive number of ms, got ${ms}`)
  const deadlines: DeadlineQueue<TimedCall> = new DeadlineQueue<TimedCall>(ms, (call) => {
    call.abort(new PortabaseError('deadline-exceeded', `${call.op.service}.${call.op.method} took longer than ${ms} ms`))
  })

  const link = stageLink((op, below, out, at, parent) => {
    if (parent?.aborted) return out.settle(false, cancelledError(parent))
    const call = new TimedCall(parent, op, deadlines, out)
    call.node = deadlines.add(call, at)
    below.run(op, call, at, call)
  })
  link.dispose = () => deadlines.clear()
  return link
}

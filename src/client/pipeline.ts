import { BehaviorSubject } from 'rxjs'
import { PortabaseError, toPortabaseError } from '../errors.js'
import type { RequestOutcome } from './connection.js'
import { Cancellation, cancelOf, markLazy, TerminalOperation } from '../links/cancel.js'
import { chain, type Link, type Operation, type ServiceName } from '../links/link.js'
import type { Adapter } from '../spi.js'

export interface Invocation<T> {
  service: ServiceName
  method: string
  args: readonly unknown[]
  idempotent: boolean
  signal?: AbortSignal
  /** The adapter call; reads args and signal from the operation the links hand down. */
  run: (op: Operation) => Promise<T>
}

/**
 * The adapter call at the end of the chain. Built-in links hand it lazy operations (see
 * links/cancel.ts); the call gets an operation whose `signal` is created only if it reads it.
 */
const terminal = markLazy((op: Operation): Promise<unknown> => {
  const run = op.context.run as (op: Operation) => Promise<unknown>
  return run(cancelOf(op) instanceof Cancellation ? new TerminalOperation(op) : op)
})

/**
 * Sends every request/response call through the link chain and guarantees callers only see
 * PortabaseError. Also the single place that refuses calls after dispose().
 */
export class Pipeline {
  private readonly send: (op: Operation) => Promise<unknown>
  private disposed = false
  private readonly closers: (() => void)[] = []
  /** Whether the latest request reached the backend: one of the signals behind `connection$`. */
  readonly outcomes = new BehaviorSubject<RequestOutcome>('ok')

  constructor(
    private readonly adapter: Adapter,
    links: readonly Link[],
  ) {
    this.send = chain(links, terminal)
  }

  async invoke<T>(call: Invocation<T>): Promise<T> {
    this.assertOpen()
    const op: Operation = {
      service: call.service,
      method: call.method,
      args: call.args,
      signal: call.signal,
      idempotent: call.idempotent,
      context: { run: call.run },
    }
    try {
      const result = (await this.send(op)) as T
      if (this.outcomes.value !== 'ok') this.outcomes.next('ok')
      return result
    } catch (error) {
      const failure = toPortabaseError(error, this.adapter.name)
      if (failure.code === 'unavailable' && this.outcomes.value !== 'unavailable') this.outcomes.next('unavailable')
      throw failure
    }
  }

  assertOpen(): void {
    if (this.disposed) throw new PortabaseError('failed-precondition', 'This client has been disposed')
  }

  /** Runs `callback` when the client is disposed (at once if it already is): timers, subscriptions. */
  onClose(callback: () => void): void {
    if (this.disposed) callback()
    else this.closers.push(callback)
  }

  close(): void {
    this.disposed = true
    for (const callback of this.closers.splice(0)) {
      try {
        callback()
      } catch {
        // One failing clean-up must not stop the others, nor dispose().
      }
    }
    this.outcomes.complete()
  }

  get isClosed(): boolean {
    return this.disposed
  }
}

/** Fails with `unsupported` unless the adapter declares the capability. */
export function requireCapability(adapter: Adapter, enabled: boolean, what: string): void {
  if (!enabled) throw new PortabaseError('unsupported', `${what} is not supported by the ${adapter.name} adapter`, { provider: adapter.name })
}

import { BehaviorSubject } from 'rxjs'
import { PortabaseError, toPortabaseError } from '../errors.js'
import type { RequestOutcome } from './connection.js'
import { Cancellation, cancelOf, markLazy, TerminalOperation, type Cancel } from '../links/cancel.js'
import { chain, type Link, type Operation, type ServiceName } from '../links/link.js'
import { fusedRunOf, setWithCancel, type FusedRun } from '../links/fusion.js'
import type { Outlet } from '../links/stage.js'
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
const terminal = markLazy((op: Operation): Promise<unknown> => callAdapter(op, cancelOf(op)))

function callAdapter(op: Operation, cancel: Cancel): Promise<unknown> {
  const run = op.context.run as (op: Operation) => Promise<unknown>
  return run(cancel instanceof Cancellation ? new TerminalOperation(op, cancel) : op)
}

// Fused links hand the terminal their cancellation beside the operation: no copy in between.
setWithCancel(terminal, callAdapter)

/**
 * Sends every request/response call through the link chain and guarantees callers only see
 * PortabaseError. Also the single place that refuses calls after dispose().
 */
export class Pipeline {
  private readonly send: (op: Operation) => Promise<unknown>
  /** The chain when its outer links run fused (see links/stage.ts): called without a promise per call. */
  private readonly run: FusedRun | undefined
  private disposed = false
  private readonly closers: (() => void)[] = []
  /** Whether the latest request reached the backend: one of the signals behind `connection$`. */
  readonly outcomes = new BehaviorSubject<RequestOutcome>('ok')

  constructor(
    private readonly adapter: Adapter,
    links: readonly Link[],
  ) {
    this.send = chain(links, terminal)
    this.run = fusedRunOf(this.send)
  }

  invoke<T>(call: Invocation<T>): Promise<T> {
    if (this.disposed) return Promise.reject(closedError())
    const op: Operation = {
      service: call.service,
      method: call.method,
      args: call.args,
      signal: call.signal,
      idempotent: call.idempotent,
      context: { run: call.run },
    }
    const run = this.run
    if (run === undefined) return this.sendAndWait<T>(op)
    return new Promise<T>((resolve, reject) => run(op, new Invoked(this, resolve as (value: unknown) => void, reject)))
  }

  private async sendAndWait<T>(op: Operation): Promise<T> {
    try {
      return this.settled(true, await this.send(op)) as T
    } catch (error) {
      throw this.settled(false, error)
    }
  }

  /** @internal Records whether a settled call reached the backend; returns the value, or the error a caller sees. */
  settled(ok: boolean, value: unknown): unknown {
    if (ok) {
      if (this.outcomes.value !== 'ok') this.outcomes.next('ok')
      return value
    }
    const failure = toPortabaseError(value, this.adapter.name)
    if (failure.code === 'unavailable' && this.outcomes.value !== 'unavailable') this.outcomes.next('unavailable')
    return failure
  }

  assertOpen(): void {
    if (this.disposed) throw closedError()
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

/** The caller's promise, settled straight from the links (see links/fusion.ts). */
class Invoked implements Outlet {
  constructor(
    private readonly pipeline: Pipeline,
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  settle(ok: boolean, value: unknown): void {
    let result: unknown
    try {
      result = this.pipeline.settled(ok, value)
    } catch (error) {
      // Only the outcomes subject could throw here; callers still see a PortabaseError.
      return this.reject(this.pipeline.settled(false, error))
    }
    if (ok) this.resolve(result)
    else this.reject(result)
  }
}

function closedError(): PortabaseError {
  return new PortabaseError('failed-precondition', 'This client has been disposed')
}

/** Fails with `unsupported` unless the adapter declares the capability. */
export function requireCapability(adapter: Adapter, enabled: boolean, what: string): void {
  if (!enabled) throw new PortabaseError('unsupported', `${what} is not supported by the ${adapter.name} adapter`, { provider: adapter.name })
}

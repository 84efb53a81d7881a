/**
 * Lazy cancellation shared by the pipeline and the built-in links; not part of the public API.
 *
 * Why: in Node 20 each `AbortController#signal` costs about 4–6 µs (EventTarget set-up and GC),
 * more than a whole read on the memory adapter, while almost no operation is ever aborted. So the
 * built-in links (timeout, dedupe, retry, rateLimit, cache) pass each other a `Cancellation`: a
 * plain object that can abort, tell listeners and chain to a parent (the caller's signal, or an
 * outer link's cancellation), and that creates a real `AbortSignal` only when something outside the
 * built-in links reads `op.signal`.
 *
 * How operations carry it: a built-in link hands `next` a *lazy* operation, whose cancellation sits
 * under a private symbol and whose `signal` field is left undefined, but only when `next` says it
 * understands lazy operations (`next[LAZY]`: the functions `chain()` builds, which in turn give a
 * custom link or a custom terminal a *materialised* operation with a real signal). So every piece of
 * code the library does not own sees `op.signal` exactly as before: a real AbortSignal that aborts
 * on the caller's abort, a timeout, or when the last caller of a shared (dedupe) request leaves.
 */
import { PortabaseError } from '../errors.js'
import type { Link, NextLink, Operation } from './link.js'

/** On a link or `next` function: it accepts lazy operations (and materialises them where needed). */
export const LAZY: unique symbol = Symbol('portabase.lazyOperations')
/** On a built-in link: its implementation, which `chain()` calls directly with a lazy-aware `next`. */
export const IMPL: unique symbol = Symbol('portabase.linkImplementation')
/** On a lazy operation: its cancellation. */
const CANCEL: unique symbol = Symbol('portabase.cancellation')

/**
 * Told once when a cancellation aborts. An object rather than a function (the DOM's `handleEvent`
 * shape, so the same object also listens to a real AbortSignal): per-call state classes implement
 * it, and no closure is allocated per call.
 */
export interface AbortListener {
  handleEvent(): void
}

/** What a built-in link sees of an operation's cancellation: a lazy one, a caller's real signal, or none. */
export type Cancel = Cancellation | AbortSignal | undefined

type LazyOperation = Operation & { [CANCEL]?: Cancellation }
type LazyAware = { [LAZY]?: true }

/**
 * A cancellation that costs one small object until someone needs its signal. It aborts when told to
 * (`abort`) or when its parent aborts, whichever comes first; the first reason wins.
 */
export class Cancellation implements AbortListener {
  private selfAborted = false
  private selfReason: unknown = undefined
  private controller: AbortController | undefined = undefined
  private first: AbortListener | undefined = undefined
  private more: AbortListener[] | undefined = undefined
  /** Whether this listens to its parent (only while someone listens here or a signal exists). */
  private following = false

  constructor(private readonly parent?: Cancellation | AbortSignal) {}

  get aborted(): boolean {
    return this.selfAborted || (this.parent !== undefined && this.parent.aborted)
  }

  /** Why it aborted: the reason given to `abort`, or the parent's. Undefined while not aborted. */
  get reason(): unknown {
    if (this.selfAborted) return this.selfReason
    return this.parent !== undefined && this.parent.aborted ? this.parent.reason : undefined
  }

  /** Whether a real signal has been created (for tests and diagnostics). */
  get materialised(): boolean {
    return this.controller !== undefined
  }

  /** A real AbortSignal that follows this cancellation; created on first use, then the same one. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController()
      if (this.aborted) this.controller.abort(this.reason)
      else this.follow()
    }
    return this.controller.signal
  }

  /** Aborts with `reason` unless already aborted. Listeners run synchronously, in order. */
  abort(reason: unknown): void {
    if (this.aborted) return
    this.selfAborted = true
    this.selfReason = reason
    this.fire(reason)
  }

  /** Tells `listener` once, when this aborts (never if it already has: check `aborted` first). */
  listen(listener: AbortListener): void {
    if (this.aborted) return
    if (this.first === undefined) this.first = listener
    else (this.more ??= []).push(listener)
    this.follow()
  }

  unlisten(listener: AbortListener): void {
    if (this.first === listener) {
      this.first = this.more?.shift()
      return
    }
    const at = this.more?.indexOf(listener) ?? -1
    if (at >= 0) this.more!.splice(at, 1)
  }

  /**
   * Detaches from the parent once the operation settled, so a long-lived caller signal does not
   * collect one listener per call. Aborting the parent later no longer reaches this cancellation's
   * listeners or signal (the operation is over); `aborted` still reads through.
   */
  release(): void {
    this.first = undefined
    this.more = undefined
    this.unfollow()
  }

  /** The parent aborted (this object is the parent's listener). */
  handleEvent(): void {
    this.following = false
    if (!this.selfAborted) this.fire(this.parent!.reason)
  }

  /**
   * For a subclass that is its own first listener (a per-call state object that is also the call's
   * cancellation, saving an object): runs at the abort, after the signal and before the listeners.
   */
  protected onAbort(): void {}

  private fire(reason: unknown): void {
    this.unfollow()
    this.controller?.abort(reason)
    this.onAbort()
    const first = this.first
    const more = this.more
    this.first = undefined
    this.more = undefined
    first?.handleEvent()
    if (more !== undefined) for (const listener of more) listener.handleEvent()
  }

  /** Listens to the parent (a subclass with `onAbort` and no listeners must call it to hear the parent). */
  protected follow(): void {
    if (this.parent === undefined || this.following) return
    this.following = true
    listen(this.parent, this)
  }

  private unfollow(): void {
    if (!this.following) return
    this.following = false
    unlisten(this.parent!, this)
  }
}

/** Registers `listener` on a cancellation or a real signal. */
export function listen(cancel: Cancellation | AbortSignal, listener: AbortListener): void {
  if (cancel instanceof Cancellation) cancel.listen(listener)
  else cancel.addEventListener('abort', listener, { once: true })
}

export function unlisten(cancel: Cancellation | AbortSignal, listener: AbortListener): void {
  if (cancel instanceof Cancellation) cancel.unlisten(listener)
  else cancel.removeEventListener('abort', listener)
}

/** The cancellation a built-in link should honour for `op`: its lazy one, else its real signal. */
export function cancelOf(op: Operation): Cancel {
  return (op as LazyOperation)[CANCEL] ?? op.signal
}

/**
 * A copy of `op` with another signal, cancellation or context. Built field by field: in V8 an
 * object spread that overrides or adds a property takes a slow path (about 1–2 µs in Node 20, as
 * much as a whole memory read). Only the fields of `Operation` are carried; links pass their own
 * facts down in `context`.
 */
export function copyOperation(op: Operation, signal: AbortSignal | undefined, cancel: Cancellation | undefined, context: Operation['context']): Operation {
  return { service: op.service, method: op.method, args: op.args, signal, idempotent: op.idempotent, context, [CANCEL]: cancel } as LazyOperation
}

/** `op` running under `cancel`, as a lazy operation (for a `next` that accepts them). */
export function withCancellation(op: Operation, cancel: Cancellation): Operation {
  return copyOperation(op, undefined, cancel, op.context)
}

/** `op` with `context` replaced, keeping its signal or lazy cancellation. */
export function withContext(op: Operation, context: Operation['context']): Operation {
  return copyOperation(op, op.signal, (op as LazyOperation)[CANCEL], context)
}

/** `op` as code outside the built-in links must see it: a real `signal`, no lazy cancellation. */
export function materialise(op: Operation): Operation {
  const cancel = (op as LazyOperation)[CANCEL]
  if (cancel === undefined) return op
  return { service: op.service, method: op.method, args: op.args, signal: cancel.signal, idempotent: op.idempotent, context: op.context }
}

/**
 * The operation the pipeline hands an adapter call: `signal` is a getter, so the AbortSignal of a
 * lazy cancellation is created only if the call reads it (auth calls never do). Seen only by the
 * client's own `run` functions, which read `op.signal` and never spread the operation (a spread would
 * not copy a prototype getter).
 */
export class TerminalOperation implements Operation {
  readonly service: Operation['service']
  readonly method: string
  readonly args: readonly unknown[]
  readonly idempotent: boolean
  readonly context: Operation['context']
  private readonly cancel: Cancel

  /** `cancel`: what the call runs under, when it is not the operation's own (see stage.ts). */
  constructor(op: Operation, cancel: Cancel = cancelOf(op)) {
    this.service = op.service
    this.method = op.method
    this.args = op.args
    this.idempotent = op.idempotent
    this.context = op.context
    this.cancel = cancel
  }

  get signal(): AbortSignal | undefined {
    const cancel = this.cancel
    return cancel instanceof Cancellation ? cancel.signal : cancel
  }
}

/** Whether `fn` (a link or a `next`) accepts lazy operations. */
export function acceptsLazy(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as LazyAware)[LAZY] === true
}

/** Marks a function as accepting lazy operations. */
export function markLazy<T extends object>(fn: T): T {
  ;(fn as LazyAware)[LAZY] = true
  return fn
}

/**
 * A `next` that accepts lazy operations: `next` itself when it does, else a wrapper that
 * materialises them first (a built-in link called directly, outside `chain()`, with user code below).
 */
export function lazyNext(next: NextLink): NextLink {
  return acceptsLazy(next) ? next : markLazy((op: Operation) => next(materialise(op)))
}

/**
 * Defines a built-in link: `impl` may hand lazy operations to its `next`, which is made to accept
 * them. The result is marked, so `chain()` gives it lazy operations without materialising.
 */
export function builtinLink<L extends Link>(impl: L): L {
  const link = markLazy(((op: Operation, next: NextLink) => impl(op, lazyNext(next))) as L)
  ;(link as { [IMPL]?: Link })[IMPL] = impl
  return link
}

/** A built-in link's implementation (see builtinLink), if `link` is one. */
export function implementationOf(link: Link): Link | undefined {
  return (link as { [IMPL]?: Link })[IMPL]
}

/**
 * Settles with `promise`, or rejects with the abort's error as soon as `cancel` aborts (after
 * calling `onAbort`). One promise and one listener object per call.
 */
export function raceCancel<T>(promise: Promise<T>, cancel: Cancel, onAbort?: () => void): Promise<T> {
  if (cancel === undefined) return promise
  if (cancel.aborted) {
    onAbort?.()
    return Promise.reject(cancelledError(cancel))
  }
  return new Promise<T>((resolve, reject) => {
    const race = new Race(cancel, reject, onAbort)
    listen(cancel, race)
    promise.then(
      (value) => {
        race.done()
        resolve(value)
      },
      (error: unknown) => {
        race.done()
        reject(error)
      },
    )
  })
}

class Race implements AbortListener {
  constructor(
    private readonly cancel: Cancellation | AbortSignal,
    private readonly reject: (error: unknown) => void,
    private readonly onAbort: (() => void) | undefined,
  ) {}

  handleEvent(): void {
    this.onAbort?.()
    this.reject(cancelledError(this.cancel))
  }

  done(): void {
    unlisten(this.cancel, this)
  }
}

/** The error an aborted signal or cancellation stands for: its reason when that is a PortabaseError. */
export function cancelledError(signal: { readonly reason?: unknown }): PortabaseError {
  const reason: unknown = signal.reason
  if (reason instanceof PortabaseError) return reason
  return new PortabaseError('cancelled', 'The operation was cancelled', { cause: reason })
}

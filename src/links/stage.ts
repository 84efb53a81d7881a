/**
 * Built-in links in continuation form, fused by `chain()` into one frame; internal.
 *
 * Why: a link written as `(op, next) => next(op).then(…)` costs a promise, its reaction and two
 * closures per call, and a microtask hop per link; on a memory read (≈ 1.5 µs) five such links cost
 * more than the read. A stage instead hands the operation to the rest of its run (`below`) together
 * with an `Outlet` (usually its own per-call state object) that the outcome is delivered to, once,
 * synchronously. A run of adjacent built-in links then costs one promise for the caller plus one
 * `.then` on the call below the run (a custom link or the adapter call), whatever its length.
 *
 * Outcomes travel outward by plain calls, in the order the links' `.then` handlers used to run
 * (innermost first). A stage that settles early (timeout, a cancelled dedupe caller) ignores the
 * late outcome from below itself.
 *
 * Clock readings are shared the same way: `at`, passed with an operation inward or with an outcome
 * outward, is a reading of the default clock (monotonicNow) taken a moment ago in the same
 * synchronous pass. Stages on that clock use it instead of reading again (log, metrics and timeout
 * would otherwise read it five times per call; `performance.now()` costs ≈ 50 ns). Stages with an
 * injected clock read their own and pass `at` on unchanged.
 *
 * The cancellation an operation runs under travels beside it too (`cancel`), rather than in a copy
 * of the operation per link that replaces it (timeout, dedupe): the operation is copied once, where
 * the run ends (for a custom link or the terminal).
 */
import { Cancellation, cancelOf, lazyNext, markLazy, withCancellation, type Cancel } from './cancel.js'
import { setFusedRun, setFuser, withCancelOf } from './fusion.js'
import { callNext, readClock, shareClock } from './internal.js'
import type { Link, NextLink, Operation } from './link.js'

/** @internal Receives an operation's outcome: `settle` is called once, and must not throw. */
export interface Outlet {
  settle(ok: boolean, value: unknown, at?: number): void
}

/**
 * The rest of a run below a stage: runs `op` under `cancel` (which replaces the operation's own
 * cancellation) and delivers its outcome to `out`, never throwing.
 */
export interface Below {
  run(op: Operation, out: Outlet, at: number | undefined, cancel: Cancel): void
}

/**
 * A built-in link's body: passes `op` (or a copy) to `below` with an outlet, or settles `out` itself.
 * Delivers to `out` exactly once. A synchronous throw counts as a failure (as in an async link).
 * `cancel` is what the operation runs under (cancelOf(op) for the first stage of a run).
 */
export type Stage = (op: Operation, below: Below, out: Outlet, at: number | undefined, cancel: Cancel) => void

/**
 * An outlet that observes each outcome with its end time (log, metrics), then passes it outward.
 * If the observation throws (only an injected clock can), the caller sees that error instead, as
 * from an async link.
 */
export abstract class ObservingOutlet implements Outlet {
  constructor(
    private readonly now: () => number,
    protected readonly startedAt: number,
    private readonly out: Outlet,
  ) {}

  protected abstract observe(ok: boolean, value: unknown, endedAt: number): void

  settle(ok: boolean, value: unknown, at?: number): void {
    let endedAt: number
    try {
      endedAt = readClock(this.now, at)
      this.observe(ok, value, endedAt)
    } catch (error) {
      return this.out.settle(false, error)
    }
    this.out.settle(ok, value, shareClock(this.now, endedAt, at))
  }
}

/** On a built-in link: its stage. */
const STAGE: unique symbol = Symbol('portabase.stage')

/** A stage below another one in a fused run. */
class StageBelow implements Below {
  constructor(
    private readonly stage: Stage,
    private readonly below: Below,
  ) {}

  run(op: Operation, out: Outlet, at: number | undefined, cancel: Cancel): void {
    runStage(this.stage, op, this.below, out, at, cancel)
  }
}

/** The end of a run: a `next` that returns a promise (a custom link, the terminal). */
class NextBelow implements Below {
  private readonly withCancel: ((op: Operation, cancel: Cancel) => Promise<unknown>) | undefined

  constructor(private readonly next: NextLink) {
    this.withCancel = withCancelOf(next)
  }

  run(op: Operation, out: Outlet, _at: number | undefined, cancel: Cancel): void {
    let result: Promise<unknown>
    if (this.withCancel !== undefined) {
      try {
        result = this.withCancel(op, cancel)
      } catch (error) {
        result = Promise.reject(error)
      }
    } else {
      // The one copy of the run: a stage replaced the cancellation (only ever with a Cancellation).
      result = callNext(this.next, cancel === cancelOf(op) || !(cancel instanceof Cancellation) ? op : withCancellation(op, cancel))
    }
    result.then(
      (value) => out.settle(true, value),
      (error: unknown) => out.settle(false, error),
    )
  }
}

/** The caller's promise, as an outlet. */
class Settle implements Outlet {
  constructor(
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  settle(ok: boolean, value: unknown): void {
    if (ok) this.resolve(value)
    else this.reject(value)
  }
}

function runStage(stage: Stage, op: Operation, below: Below, out: Outlet, at: number | undefined, cancel: Cancel): void {
  try {
    stage(op, below, out, at, cancel)
  } catch (error) {
    // Stages throw only before handing the operation on (bad options, a throwing hook or clock).
    out.settle(false, error)
  }
}

/**
 * Stage links (outermost first, at least one) around `next`, as one `next` that accepts lazy
 * operations. It also carries the run without its promise (fusion.ts): the pipeline settles its
 * caller's promise straight from the stages.
 */
function fuse(links: readonly Link[], next: NextLink): NextLink {
  const stages = links.map((link) => (link as { [STAGE]?: Stage })[STAGE]!)
  let below: Below = new NextBelow(next)
  for (let i = stages.length - 1; i > 0; i--) below = new StageBelow(stages[i]!, below)
  const top = stages[0]!
  const rest = below
  const fused = markLazy((op: Operation) => new Promise<unknown>((resolve, reject) => runStage(top, op, rest, new Settle(resolve, reject), undefined, cancelOf(op))))
  setFusedRun(fused, (op, out) => runStage(top, op, rest, out, undefined, cancelOf(op)))
  return fused
}

/**
 * Defines a built-in link from its stage. Called directly (outside `chain()`), it runs the stage
 * alone around `next`; `chain()` fuses it with its built-in neighbours.
 */
export function stageLink(stage: Stage): Link {
  const link: Link = markLazy((op: Operation, next: NextLink) => fuse([link], lazyNext(next))(op))
  ;(link as { [STAGE]?: Stage })[STAGE] = stage
  setFuser(link, fuse)
  return link
}

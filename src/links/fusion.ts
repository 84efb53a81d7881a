/**
 * The hooks through which `chain()` and the pipeline reach fused built-in links (stage.ts) without
 * importing them: a client without links bundles these few lines, not the stage machinery.
 */
import type { Cancel } from './cancel.js'
import type { Link, NextLink, Operation } from './link.js'
import type { Outlet } from './stage.js'

/** On a built-in link written as a stage: fuses a run of such links, outermost first, around `next`. */
const FUSE: unique symbol = Symbol('portabase.fuse')
/** On a `next` built by fusing: the same run, delivering to an outlet instead of returning a promise. */
const RUN: unique symbol = Symbol('portabase.fusedRun')
/** On a `next`: the same call, taking the cancellation beside the operation (the pipeline's terminal). */
const WITH_CANCEL: unique symbol = Symbol('portabase.withCancel')

export type Fuser = (links: readonly Link[], next: NextLink) => NextLink
/** @internal A fused run of links: settles `out` once, without a promise per call. */
export type FusedRun = (op: Operation, out: Outlet) => void
export type CallWithCancel = (op: Operation, cancel: Cancel) => Promise<unknown>

type Hooks = { [FUSE]?: Fuser; [RUN]?: FusedRun; [WITH_CANCEL]?: CallWithCancel }

export const fuserOf = (link: Link): Fuser | undefined => (link as Hooks)[FUSE]
export const fusedRunOf = (next: NextLink): FusedRun | undefined => (next as Hooks)[RUN]
export const withCancelOf = (next: NextLink): CallWithCancel | undefined => (next as Hooks)[WITH_CANCEL]

export function setFuser(link: Link, fuser: Fuser): void {
  ;(link as Hooks)[FUSE] = fuser
}

export function setFusedRun(next: NextLink, run: FusedRun): void {
  ;(next as Hooks)[RUN] = run
}

export function setWithCancel(next: NextLink, call: CallWithCancel): void {
  ;(next as Hooks)[WITH_CANCEL] = call
}

import { acceptsLazy, implementationOf, markLazy, materialise } from './cancel.js'
import { fuserOf } from './fusion.js'

export type ServiceName = 'auth' | 'documents' | 'storage' | 'functions' | 'config'

/** One call from the client to the adapter, as links see it. */
export interface Operation {
  readonly service: ServiceName
  readonly method: string
  readonly args: readonly unknown[]
  /** Aborts the call; links may replace it with a derived signal (timeout does). */
  readonly signal?: AbortSignal
  /** True when sending the operation twice has the same effect as once (reads, set, delete). */
  readonly idempotent: boolean
  /** Free-form, for links to pass facts down the chain (attempt number, ids…). */
  readonly context: Readonly<Record<string, unknown>>
}

export type NextLink = (op: Operation) => Promise<unknown>

/**
 * Middleware around every request/response call, like tRPC or Apollo links: do something, call
 * `next`, do something with the result. Live streams (watch, upload progress) bypass links.
 */
export type Link = ((op: Operation, next: NextLink) => Promise<unknown>) & {
  /** Released by `client.dispose()`: subscriptions, timers. */
  dispose?: () => void
}

/**
 * Composes links left to right around a terminal call: the first link is the outermost.
 *
 * Built-in links pass each other lazy operations (see cancel.ts) to avoid creating an AbortSignal
 * per call; every custom link and the terminal receive an operation with a real `op.signal`. Adjacent
 * built-in links written as stages run fused, in one frame (see stage.ts).
 */
export function chain(links: readonly Link[], terminal: NextLink): NextLink {
  let next: NextLink = acceptsLazy(terminal) ? terminal : markLazy((op: Operation) => terminal(materialise(op)))
  let i = links.length - 1
  while (i >= 0) {
    const link = links[i]!
    const below = next
    const fuse = fuserOf(link)
    if (fuse !== undefined) {
      // The longest run of links fused the same way ending here, outermost first.
      const run: Link[] = []
      for (; i >= 0 && fuserOf(links[i]!) === fuse; i--) run.unshift(links[i]!)
      next = fuse(run, below)
      continue
    }
    i--
    // A built-in link is called without its wrapper: `below` already accepts lazy operations.
    const builtin = implementationOf(link)
    if (builtin) next = markLazy((op: Operation) => builtin(op, below))
    else if (acceptsLazy(link)) next = markLazy((op: Operation) => link(op, below))
    else next = markLazy((op: Operation) => link(materialise(op), below))
  }
  return next
}

/**
 * Deadlines of one `timeout(ms)` link, with one timer for all of them; internal.
 *
 * Every entry of a queue has the same duration, so deadlines arrive in the order entries are added:
 * a doubly linked list in insertion order is also in deadline order. Adding and removing are O(1)
 * and allocate one node; a single timer is armed for the head. When the head settles first (the
 * usual case), the timer is left armed: it fires at the old head's deadline, finds nothing due and
 * is re-armed for the new head. When the queue empties the timer is not cleared (re-creating it for
 * every call of a sequential workload costs more than the rest of the link) but unref'd: an idle
 * link never keeps a process alive, and its timer fires once more at most, finds nothing and stops.
 * While entries wait, the timer is ref'd, as a timer per call would be.
 */
import { monotonicNow, readClock } from './internal.js'

export interface DeadlineNode<T> {
  readonly item: T
  readonly deadline: number
  prev: DeadlineNode<T> | undefined
  next: DeadlineNode<T> | undefined
  /** False once removed or expired. */
  queued: boolean
}

type Timer = ReturnType<typeof setTimeout>

export class DeadlineQueue<T> {
  private head: DeadlineNode<T> | undefined = undefined
  private tail: DeadlineNode<T> | undefined = undefined
  private timer: Timer | undefined = undefined
  /** The timer is unref'd: the queue is empty. */
  private idle = false
  private size = 0

  constructor(
    private readonly durationMs: number,
    private readonly onExpire: (item: T) => void,
    private readonly now: () => number = monotonicNow,
  ) {}

  /** Queues `item`, due `durationMs` from now. `at`: a reading of monotonicNow just taken, if any (see stage.ts). */
  add(item: T, at?: number): DeadlineNode<T> {
    const node: DeadlineNode<T> = { item, deadline: readClock(this.now, at) + this.durationMs, prev: this.tail, next: undefined, queued: true }
    if (this.tail === undefined) this.head = node
    else this.tail.next = node
    this.tail = node
    this.size += 1
    if (this.timer === undefined) this.arm(this.durationMs)
    else if (this.idle) {
      this.idle = false
      setRef(this.timer, true)
    }
    return node
  }

  /** Takes a node out before its deadline (its operation settled). Idempotent. */
  remove(node: DeadlineNode<T>): void {
    if (!node.queued) return
    this.unlink(node)
    if (this.size === 0 && this.timer !== undefined) {
      this.idle = true
      setRef(this.timer, false)
    }
  }

  /** Drops every entry without expiring it, and the timer. */
  clear(): void {
    for (let node = this.head; node !== undefined; node = node.next) node.queued = false
    this.head = this.tail = undefined
    this.size = 0
    this.disarm()
  }

  /** Entries waiting (for tests). */
  get length(): number {
    return this.size
  }

  /** Whether a timer exists, and whether it holds the process open (for tests). */
  get timerState(): 'none' | 'ref' | 'unref' {
    if (this.timer === undefined) return 'none'
    return this.idle ? 'unref' : 'ref'
  }

  private unlink(node: DeadlineNode<T>): void {
    node.queued = false
    if (node.prev === undefined) this.head = node.next
    else node.prev.next = node.next
    if (node.next === undefined) this.tail = node.prev
    else node.next.prev = node.prev
    node.prev = node.next = undefined
    this.size -= 1
  }

  private arm(delayMs: number): void {
    this.idle = false
    this.timer = setTimeout(() => this.fire(), delayMs)
  }

  private disarm(): void {
    if (this.timer === undefined) return
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private fire(): void {
    this.timer = undefined
    this.idle = false
    const now = this.now()
    // Expire everything due. onExpire may settle operations, whose clean-up calls remove(): the node
    // is unlinked first, so that is a no-op.
    while (this.head !== undefined && this.head.deadline <= now) {
      const node = this.head
      this.unlink(node)
      try {
        this.onExpire(node.item)
      } catch {
        // One failing expiry must not strand the others.
      }
    }
    // Timers may fire a little early against performance.now (libuv's clock is coarser): re-arm.
    if (this.head !== undefined && this.timer === undefined) this.arm(Math.max(1, Math.ceil(this.head.deadline - now)))
  }
}

/** ref()/unref() where timers have them (Node, Bun, Deno); browsers have nothing to keep alive. */
function setRef(timer: Timer, ref: boolean): void {
  const handle = timer as { ref?: () => unknown; unref?: () => unknown }
  if (ref) handle.ref?.()
  else handle.unref?.()
}

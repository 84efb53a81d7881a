/**
 * About the least any implementation of the links-chain's five links can cost: their per-call
 * bookkeeping written inline around a plain client read, in one async wrapper (the one frame any
 * wrapper needs). No link functions, no promise per link, and one clock read at the start and one at
 * the end shared by the three links that time the call. What is left is work each link's contract
 * requires:
 *
 * - log: a redacted args summary (here just a copy: the args are two plain strings), the entry
 *   with its message, the logger call;
 * - metrics: the series lookup, in-flight counts, a latency histogram bucket, sum, min and max, for
 *   the operation's series and the total;
 * - timeout: a deadline node queued and unlinked (the timer itself is shared, so it is left out);
 * - dedupe: the request key, compared with the one flight in a slot, the flight stored and cleared
 *   (the cheapest table there is; src/links/dedupe.ts does the same for one flight at a time);
 * - retry: nothing on success.
 *
 * Used only to measure what the chain must cost at least; it is not a link and is not exported.
 */
const BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000]

class Series {
  count = 0
  ok = 0
  inFlight = 0
  sum = 0
  min = Number.POSITIVE_INFINITY
  max = Number.NEGATIVE_INFINITY
  readonly buckets: number[] = new Array<number>(BUCKETS_MS.length + 1).fill(0)

  record(ms: number): void {
    this.count += 1
    this.ok += 1
    let i = 0
    while (i < BUCKETS_MS.length && ms > BUCKETS_MS[i]!) i++
    this.buckets[i]! += 1
    this.sum += ms
    if (ms < this.min) this.min = ms
    if (ms > this.max) this.max = ms
  }
}

interface DeadlineNode {
  deadline: number
  prev: DeadlineNode | undefined
  next: DeadlineNode | undefined
}

/** `read(id)` wrapped in the five links' bookkeeping, inline. `logger` receives every entry. */
export function inlineChainRead<T>(read: (id: string) => Promise<T>, logger: (entry: object, level: string) => void): (id: string) => Promise<T> {
  const service = 'documents'
  const method = 'get'
  const bySeries = new Map<string, Map<string, Series>>([[service, new Map([[method, new Series()]])]])
  const total = new Series()
  let flight: { key: string } | undefined
  // The deadline queue; its head is what a shared timer would look at.
  const queue: { head: DeadlineNode | undefined; tail: DeadlineNode | undefined } = { head: undefined, tail: undefined }

  return async (id: string): Promise<T> => {
    const startedAt = performance.now()
    const args = ['todos', id]
    const series = bySeries.get(service)!.get(method)!
    series.inFlight += 1
    total.inFlight += 1
    const node: DeadlineNode = { deadline: startedAt + 10_000, prev: queue.tail, next: undefined }
    if (queue.tail === undefined) queue.head = node
    else queue.tail.next = node
    queue.tail = node
    const key = `${service}.${method}\u00005:todos\u0000${id.length}:${id}`
    if (flight !== undefined && flight.key === key) throw new Error('unreachable: reads here are sequential')
    flight = { key }

    const value = await read(id)

    flight = undefined
    if (node.prev === undefined) queue.head = node.next
    else node.prev.next = node.next
    if (node.next === undefined) queue.tail = node.prev
    else node.next.prev = node.prev
    const ms = performance.now() - startedAt
    series.inFlight -= 1
    total.inFlight -= 1
    series.record(ms)
    total.record(ms)
    const durationMs = Math.round(ms * 100) / 100
    logger({ message: `${service}.${method} ok ${durationMs} ms`, service, method, durationMs, outcome: 'ok', args }, 'debug')
    return value
  }
}

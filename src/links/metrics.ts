import { Observable, Subject } from 'rxjs'
import { PortabaseError, type ErrorCode } from '../errors.js'
import type { Link } from './link.js'
import { ObservingOutlet, stageLink, type Outlet } from './stage.js'
import { errorCodeOf, monotonicNow, readClock, shareClock } from './internal.js'

/** Upper bounds (ms, inclusive) of the latency buckets; a last, unbounded bucket catches the rest. */
export const DEFAULT_LATENCY_BUCKETS_MS: readonly number[] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000]

export interface LatencyHistogram {
  /** Count per bucket (not cumulative); the last bucket's `le` is Infinity. */
  buckets: { le: number; count: number }[]
  count: number
  sumMs: number
  minMs: number | null
  maxMs: number | null
  /** Estimates from the buckets (linear within a bucket, clamped to min/max); null before any sample. */
  p50: number | null
  p95: number | null
  p99: number | null
}

export interface OperationMetrics {
  /** Completed operations, successful or not. */
  count: number
  ok: number
  errors: number
  errorsByCode: Partial<Record<ErrorCode, number>>
  /** Started and not yet settled. */
  inFlight: number
  latency: LatencyHistogram
}

export interface MetricsSnapshot {
  /** Every operation together. */
  total: OperationMetrics
  /** Per `service.method`. */
  operations: Record<string, OperationMetrics>
}

export interface MetricsOptions {
  /** Ascending bucket bounds in ms. Default DEFAULT_LATENCY_BUCKETS_MS. */
  bucketsMs?: readonly number[]
  /** Clock in ms, injected for tests. Default performance.now. */
  now?: () => number
}

export interface MetricsLink extends Link {
  /** The current snapshot on subscribe, then a new one after every completed operation. Throttle with auditTime if needed. */
  readonly metrics$: Observable<MetricsSnapshot>
  snapshot(): MetricsSnapshot
  /** Zeroes every counter (in-flight operations are still counted when they settle). */
  reset(): void
}

class Series {
  count = 0
  ok = 0
  inFlight = 0
  errorsByCode = new Map<ErrorCode, number>()
  buckets: number[] = []
  sum = 0
  min = Number.POSITIVE_INFINITY
  max = Number.NEGATIVE_INFINITY

  constructor(private readonly bounds: readonly number[]) {
    this.clear()
  }

  /** Zeroes the counters but not inFlight: those operations are still running and will settle here. */
  clear(): void {
    this.count = 0
    this.ok = 0
    this.errorsByCode = new Map()
    this.buckets = new Array<number>(this.bounds.length + 1).fill(0)
    this.sum = 0
    this.min = Number.POSITIVE_INFINITY
    this.max = Number.NEGATIVE_INFINITY
  }

  record(ms: number, code: ErrorCode | undefined): void {
    this.count += 1
    if (code === undefined) this.ok += 1
    else this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + 1)
    let i = 0
    while (i < this.bounds.length && ms > this.bounds[i]!) i++
    this.buckets[i]! += 1
    this.sum += ms
    if (ms < this.min) this.min = ms
    if (ms > this.max) this.max = ms
  }

  view(): OperationMetrics {
    const empty = this.count === 0
    return {
      count: this.count,
      ok: this.ok,
      errors: this.count - this.ok,
      errorsByCode: Object.fromEntries(this.errorsByCode),
      inFlight: this.inFlight,
      latency: {
        buckets: this.buckets.map((count, i) => ({ le: this.bounds[i] ?? Number.POSITIVE_INFINITY, count })),
        count: this.count,
        sumMs: this.sum,
        minMs: empty ? null : this.min,
        maxMs: empty ? null : this.max,
        p50: this.quantile(0.5),
        p95: this.quantile(0.95),
        p99: this.quantile(0.99),
      },
    }
  }

  /** Prometheus-style histogram_quantile: find the bucket holding the rank, interpolate inside it. */
  private quantile(q: number): number | null {
    if (this.count === 0) return null
    const rank = q * this.count
    let below = 0
    for (let i = 0; i < this.buckets.length; i++) {
      const inBucket = this.buckets[i]!
      if (inBucket > 0 && below + inBucket >= rank) {
        const lower = i === 0 ? 0 : this.bounds[i - 1]!
        const upper = this.bounds[i] ?? this.max
        const estimate = lower + (upper - lower) * ((rank - below) / inBucket)
        return Math.min(this.max, Math.max(this.min, estimate))
      }
      below += inBucket
    }
    return this.max
  }
}

/**
 * Per-operation counts, errors by code and latency histograms (fixed buckets, with p50/p95/p99
 * estimates), as `metrics$` and `snapshot()`. Constant memory per `service.method`, whatever the traffic.
 */
export function metrics(options: MetricsOptions = {}): MetricsLink {
  const { bucketsMs = DEFAULT_LATENCY_BUCKETS_MS, now = monotonicNow } = options
  if (bucketsMs.length === 0 || bucketsMs.some((b, i) => !Number.isFinite(b) || b <= 0 || (i > 0 && b <= bucketsMs[i - 1]!))) {
    throw new PortabaseError('invalid-argument', 'metrics() bucketsMs must be ascending, positive, finite numbers')
  }
  const bounds = [...bucketsMs]
  const total = new Series(bounds)
  const series = new Map<string, Series>()
  const updates = new Subject<MetricsSnapshot>()

  // By service, then method: no `service.method` string is built per call.
  const byService = new Map<string, Map<string, Series>>()
  const seriesFor = (service: string, method: string): Series => {
    let methods = byService.get(service)
    if (!methods) byService.set(service, (methods = new Map()))
    let s = methods.get(method)
    if (!s) {
      s = new Series(bounds)
      methods.set(method, s)
      series.set(`${service}.${method}`, s)
    }
    return s
  }

  const snapshot = (): MetricsSnapshot => ({
    total: total.view(),
    operations: Object.fromEntries([...series].map(([name, s]) => [name, s.view()])),
  })

  const settle = (own: Series, startedAt: number, endedAt: number, code: ErrorCode | undefined): void => {
    const ms = Math.max(0, endedAt - startedAt)
    own.inFlight -= 1
    own.record(ms, code)
    total.inFlight -= 1
    total.record(ms, code)
    // Built once per operation, and only when someone listens.
    if (updates.observed) updates.next(snapshot())
  }

  const link: Link = stageLink((op, below, out, at, cancel) => {
    const own = seriesFor(op.service, op.method)
    own.inFlight += 1
    total.inFlight += 1
    const startedAt = readClock(now, at)
    below.run(op, new MeasuredCall(settle, now, own, startedAt, out), shareClock(now, startedAt, at), cancel)
  })

  const metrics$ = new Observable<MetricsSnapshot>((subscriber) => {
    subscriber.next(snapshot())
    return updates.subscribe(subscriber)
  })

  return Object.assign(link, {
    metrics$,
    snapshot,
    reset: (): void => {
      total.clear()
      series.forEach((s) => s.clear())
    },
  })
}

/** One measured operation: recorded when its outcome passes outward. */
class MeasuredCall extends ObservingOutlet {
  constructor(
    private readonly record: (own: Series, startedAt: number, endedAt: number, code: ErrorCode | undefined) => void,
    now: () => number,
    private readonly own: Series,
    startedAt: number,
    out: Outlet,
  ) {
    super(now, startedAt, out)
  }

  protected observe(ok: boolean, value: unknown, endedAt: number): void {
    this.record(this.own, this.startedAt, endedAt, ok ? undefined : errorCodeOf(value))
  }
}

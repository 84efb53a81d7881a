/** Timing utilities: every figure is the median of several samples, with the minimum beside it. */

export interface Stats {
  median: number
  min: number
  max: number
  mean: number
  /** Number of measured samples (warm-up samples excluded). */
  runs: number
}

export function now(): number {
  return performance.now()
}

/** Full garbage collection when node runs with --expose-gc (as `npm run bench` does); a no-op otherwise. */
export function collectGarbage(): void {
  globalThis.gc?.()
}

/** Lets pending timers and I/O callbacks run (libraries that defer clean-up to idle time get it here). */
export function settle(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export function stats(samples: readonly number[]): Stats {
  if (samples.length === 0) throw new Error('stats() needs at least one sample')
  const sorted = [...samples].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  const sum = sorted.reduce((a, b) => a + b, 0)
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, mean: sum / sorted.length, runs: sorted.length }
}

export interface SampleOptions {
  /** Samples run first and thrown away (JIT warm-up, lazy initialisation). */
  warmup: number
  /** Samples kept. */
  runs: number
  /** Full GC before each sample (only where a sample is long enough for it to matter). Default false. */
  gcEach?: boolean
}

/**
 * Runs `once` warmup + runs times and summarises the durations it reports. `once` measures itself
 * (returns milliseconds), so untimed preparation can sit inside it next to the timed part.
 */
export async function sample(options: SampleOptions, once: (index: number) => Promise<number> | number): Promise<Stats> {
  const samples: number[] = []
  for (let i = 0; i < options.warmup + options.runs; i++) {
    if (options.gcEach) collectGarbage()
    const ms = await once(i)
    if (i >= options.warmup) samples.push(ms)
  }
  return stats(samples)
}

export interface Contender {
  /** Samples kept for this contender; default: the common `runs`. A slow contender can stop early. */
  runs?: number
  /** One sample: does its own untimed preparation and returns the timed milliseconds. */
  once: (index: number) => Promise<number> | number
}

/**
 * Samples several contenders in rounds — one sample of each per round, the starting contender
 * rotating — so that drift during the run (heap growth, GC, JIT, CPU frequency, neighbours on a
 * shared machine) falls on all of them alike instead of on whichever was measured last. Warm-up
 * rounds are run and thrown away.
 */
export async function interleaved<K extends string>(
  options: { warmup: number; runs: number },
  contenders: Record<K, Contender>,
): Promise<Record<K, Stats>> {
  const names = Object.keys(contenders) as K[]
  const samples = new Map<K, number[]>(names.map((n) => [n, []]))
  const quota = (n: K): number => contenders[n].runs ?? options.runs
  const rounds = options.warmup + Math.max(...names.map(quota))
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length]!
      if (round >= options.warmup + quota(name)) continue
      const ms = await contenders[name].once(round)
      if (round >= options.warmup) samples.get(name)!.push(ms)
    }
  }
  const out = {} as Record<K, Stats>
  for (const name of names) out[name] = stats(samples.get(name)!)
  return out
}

/** Milliseconds taken by an async function. */
export async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const start = now()
  await fn()
  return now() - start
}

/** Converts durations of `ops` operations (ms) to operations per second; min ↔ max swap (the fastest sample is the highest rate). */
export function toOpsPerSecond(durations: Stats, ops: number): Stats {
  const rate = (ms: number): number => (ops * 1000) / ms
  return { median: rate(durations.median), min: rate(durations.max), max: rate(durations.min), mean: rate(durations.mean), runs: durations.runs }
}

/** Scales a run count down for `--quick` runs, never below `floor`. */
export function scaled(runs: number, quick: boolean, floor = 2): number {
  return quick ? Math.max(floor, Math.ceil(runs / 4)) : runs
}

/**
 * A latch for fan-out figures: counts arrivals and records the time of the `expected`-th one, so
 * the figure ends when the last subscriber received its snapshot, not when the writer resumed.
 */
export class Arrivals {
  private count = 0
  private expected = 0
  private resolve: (() => void) | null = null
  /** Time (performance.now) the last expected arrival happened. */
  lastAt = 0

  /** Arms the latch for `expected` arrivals; the promise settles when they all arrived. */
  arm(expected: number): Promise<void> {
    this.count = 0
    this.expected = expected
    this.lastAt = 0
    return new Promise<void>((resolve) => {
      this.resolve = resolve
    })
  }

  arrive(): void {
    this.count += 1
    if (this.count === this.expected) {
      this.lastAt = now()
      const resolve = this.resolve
      this.resolve = null
      resolve?.()
    }
  }

  get arrived(): number {
    return this.count
  }
}

/** Rejects when `promise` has not settled after `ms` (a fan-out that never completes must fail the run, not hang it). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Rounds of a paired measurement: each round times both sides itself, interleaved as finely as
 * the caller chooses (e.g. one operation of each, alternating), and reports each side's total.
 * Warm-up rounds are dropped.
 */
export async function pairedRounds<K extends string>(options: { warmup: number; runs: number }, round: (index: number) => Promise<Record<K, number>>): Promise<Record<K, Stats>> {
  const samples = new Map<K, number[]>()
  for (let i = 0; i < options.warmup + options.runs; i++) {
    const totals = await round(i)
    if (i < options.warmup) continue
    for (const [side, ms] of Object.entries(totals) as Array<[K, number]>) {
      let list = samples.get(side)
      if (!list) samples.set(side, (list = []))
      list.push(ms)
    }
  }
  return Object.fromEntries([...samples].map(([side, list]) => [side, stats(list)])) as Record<K, Stats>
}

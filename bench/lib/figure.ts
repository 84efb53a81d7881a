import type { Stats } from './measure.js'

/** Whether a larger value is better (throughput) or a smaller one (durations). */
export type Better = 'higher' | 'lower'

/** A goal for portabase, as a ratio to one of the other columns (portabase ÷ other, in the figure's unit). */
export interface Target {
  against: 'rxdb' | 'floor'
  /** `better: 'higher'`: portabase ÷ other must be ≥ ratio. `'lower'`: ≤ ratio. */
  ratio: number
}

/** What a suite measured for one figure. */
export interface Measurement {
  name: string
  title: string
  unit: 'ops/s' | 'ms'
  better: Better
  portabase: Stats
  rxdb: Stats | null
  floor: Stats | null
  target?: Target
  /** How the figure is taken (one line, printed under the table and kept in results.json). */
  notes?: string
}

/** One entry of bench/results.json. Ratios are portabase ÷ other, in the figure's unit. */
export interface FigureResult {
  name: string
  title: string
  unit: string
  better: Better
  /** Medians. */
  portabase: number
  rxdb: number | null
  floor: number | null
  ratioVsRxdb: number | null
  ratioVsFloor: number | null
  target: string | null
  met: boolean | null
  /** Best sample of each (highest rate, or shortest time). */
  min: { portabase: number; rxdb: number | null; floor: number | null }
  runs: { portabase: number; rxdb: number | null; floor: number | null }
  notes: string | null
  measuredAt: string
}

export function describeTarget(target: Target, better: Better): string {
  const who = target.against === 'rxdb' ? 'RxDB' : 'the floor'
  if (better === 'higher') return `portabase ≥ ${target.ratio}× ${who}`
  return `portabase ≤ ${target.ratio}× ${who}`
}

/** The best sample: the min of durations is `min`, the best of rates is `max` (see toOpsPerSecond). */
function best(s: Stats, better: Better): number {
  return better === 'higher' ? s.max : s.min
}

export function toResult(m: Measurement, measuredAt: Date = new Date()): FigureResult {
  const ratio = (other: Stats | null): number | null => (other && other.median > 0 ? m.portabase.median / other.median : null)
  const ratioVsRxdb = ratio(m.rxdb)
  const ratioVsFloor = ratio(m.floor)
  let met: boolean | null = null
  if (m.target) {
    const r = m.target.against === 'rxdb' ? ratioVsRxdb : ratioVsFloor
    met = r === null ? null : m.better === 'higher' ? r >= m.target.ratio : r <= m.target.ratio
  }
  return {
    name: m.name,
    title: m.title,
    unit: m.unit,
    better: m.better,
    portabase: m.portabase.median,
    rxdb: m.rxdb?.median ?? null,
    floor: m.floor?.median ?? null,
    ratioVsRxdb,
    ratioVsFloor,
    target: m.target ? describeTarget(m.target, m.better) : null,
    met,
    min: {
      portabase: best(m.portabase, m.better),
      rxdb: m.rxdb ? best(m.rxdb, m.better) : null,
      floor: m.floor ? best(m.floor, m.better) : null,
    },
    runs: { portabase: m.portabase.runs, rxdb: m.rxdb?.runs ?? null, floor: m.floor?.runs ?? null },
    notes: m.notes ?? null,
    measuredAt: measuredAt.toISOString(),
  }
}

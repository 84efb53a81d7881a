/** The printed table and bench/results.json. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import type { FigureResult } from './figure.js'

export interface Environment {
  node: string
  cpu: string
  cores: number
  memory: string
  platform: string
  rxdb: string
}

export interface ResultsFile {
  generatedAt: string
  environment: Environment
  /** One entry per figure; a partial run (`npm run bench -- <suite>`) replaces only its own figures. */
  figures: FigureResult[]
}

export function environment(rxdbVersion: string): Environment {
  return {
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    rxdb: rxdbVersion,
  }
}

export function writeResults(path: string, figures: readonly FigureResult[], env: Environment): ResultsFile {
  const previous = readPrevious(path)
  const fresh = new Set(figures.map((f) => f.name))
  const kept = previous.filter((f) => !fresh.has(f.name))
  const file: ResultsFile = { generatedAt: new Date().toISOString(), environment: env, figures: [...kept, ...figures] }
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`)
  return file
}

function readPrevious(path: string): FigureResult[] {
  if (!existsSync(path)) return []
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<ResultsFile>
    return Array.isArray(parsed.figures) ? parsed.figures : []
  } catch {
    return []
  }
}

export function formatValue(value: number | null, unit: string): string {
  if (value === null) return '—'
  if (unit === 'ops/s') return Math.round(value).toLocaleString('en-US')
  if (value >= 100) return value.toFixed(0)
  if (value >= 10) return value.toFixed(1)
  if (value >= 1) return value.toFixed(2)
  return value.toFixed(3)
}

/** portabase ÷ other, with which way that is better: "0.012 (83× faster)". */
export function formatRatio(ratio: number | null, better: 'higher' | 'lower'): string {
  if (ratio === null) return '—'
  const faster = better === 'higher' ? ratio : 1 / ratio
  const shown = ratio >= 10 ? ratio.toFixed(1) : ratio >= 0.1 ? ratio.toFixed(2) : ratio.toPrecision(2)
  const times = faster >= 10 ? faster.toFixed(0) : faster.toFixed(1)
  return faster >= 1 ? `${shown} (${times}× faster)` : `${shown} (${(1 / faster).toFixed(1)}× slower)`
}

export function table(figures: readonly FigureResult[]): string {
  const header = ['figure', 'unit', 'portabase', 'RxDB', 'floor', 'portabase÷RxDB', 'portabase÷floor', 'target', 'met']
  const rows = figures.map((f) => [
    f.name,
    f.unit,
    formatValue(f.portabase, f.unit),
    formatValue(f.rxdb, f.unit),
    formatValue(f.floor, f.unit),
    formatRatio(f.ratioVsRxdb, f.better),
    formatRatio(f.ratioVsFloor, f.better),
    f.target ?? '—',
    f.met === null ? '—' : f.met ? 'MET' : 'MISSED',
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')
  const mins = figures.map(
    (f) => `  ${f.name}: best sample portabase ${formatValue(f.min.portabase, f.unit)}, RxDB ${formatValue(f.min.rxdb, f.unit)}, floor ${formatValue(f.min.floor, f.unit)} ${f.unit}; runs ${f.runs.portabase}/${f.runs.rxdb ?? '—'}/${f.runs.floor ?? '—'}`,
  )
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), '', 'Medians above; best samples and sample counts (portabase/RxDB/floor):', ...mins].join('\n')
}

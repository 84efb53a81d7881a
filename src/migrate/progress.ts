/**
 * Progress output: one cli-progress bar per task (a collection, files, users) with rate and ETA on
 * a terminal; plain log lines (one per task every few seconds, and one when it ends) otherwise.
 */
import cliProgress from 'cli-progress'

export interface ProgressSink {
  start(task: string, total: number | undefined): void
  advance(task: string, n: number): void
  finish(task: string): void
  /** A line for the log (above the bars on a terminal). */
  log(line: string): void
  stop(): void
}

export const silentProgress: ProgressSink = { start() {}, advance() {}, finish() {}, log() {}, stop() {} }

const rate = (done: number, startedAt: number): number => done / Math.max((Date.now() - startedAt) / 1000, 0.001)

function eta(done: number, total: number | undefined, perSecond: number): string {
  if (total === undefined || perSecond <= 0) return '?'
  const seconds = Math.max(0, Math.round((total - done) / perSecond))
  return seconds >= 3600 ? `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m` : seconds >= 60 ? `${Math.floor(seconds / 60)}m${seconds % 60}s` : `${seconds}s`
}

/** Bars on a TTY. */
export function barProgress(stream: NodeJS.WriteStream = process.stdout): ProgressSink {
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: '{task} [{bar}] {value}/{total} | {rate}/s | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      autopadding: true,
    },
    cliProgress.Presets.shades_classic,
  )
  const bars = new Map<string, { bar: cliProgress.SingleBar; done: number; startedAt: number }>()
  return {
    start(task, total) {
      bars.set(task, { bar: multi.create(total ?? 0, 0, { task: task.padEnd(16), rate: '0' }), done: 0, startedAt: Date.now() })
    },
    advance(task, n) {
      const entry = bars.get(task)
      if (!entry) return
      entry.done += n
      if (entry.done > entry.bar.getTotal()) entry.bar.setTotal(entry.done)
      entry.bar.update(entry.done, { rate: Math.round(rate(entry.done, entry.startedAt)).toString() })
    },
    finish(task) {
      const entry = bars.get(task)
      if (entry) entry.bar.update(entry.done, { rate: Math.round(rate(entry.done, entry.startedAt)).toString() })
    },
    log(line) {
      multi.log(`${line}\n`)
    },
    stop() {
      multi.stop()
    },
  }
}

/** Plain lines when stdout is not a terminal (CI logs, pipes). */
export function lineProgress(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`), everyMs = 2000): ProgressSink {
  const tasks = new Map<string, { total: number | undefined; done: number; startedAt: number; lastLog: number }>()
  const line = (task: string, state: { total: number | undefined; done: number; startedAt: number }, final: boolean): string => {
    const perSecond = rate(state.done, state.startedAt)
    const of = state.total === undefined ? '' : `/${state.total}`
    return `${task}: ${state.done}${of} (${Math.round(perSecond)}/s${final ? ', done' : `, ETA ${eta(state.done, state.total, perSecond)}`})`
  }
  return {
    start(task, total) {
      const now = Date.now()
      tasks.set(task, { total, done: 0, startedAt: now, lastLog: now })
    },
    advance(task, n) {
      const state = tasks.get(task)
      if (!state) return
      state.done += n
      const now = Date.now()
      if (now - state.lastLog >= everyMs) {
        state.lastLog = now
        write(line(task, state, false))
      }
    },
    finish(task) {
      const state = tasks.get(task)
      if (state) write(line(task, state, true))
    },
    log: write,
    stop() {},
  }
}

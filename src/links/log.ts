import { isPortabaseError, PortabaseError, type ErrorCode } from '../errors.js'
import type { Link, Operation, ServiceName } from './link.js'
import { ObservingOutlet, stageLink, type Outlet } from './stage.js'
import { errorCodeOf, monotonicNow, readClock, shareClock } from './internal.js'
import { DEFAULT_LIMITS, secretMatcher, summarise, type SummaryLimits } from './redact.js'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** One log entry per operation. Safe to serialise: args are redacted copies, errors carry no cause. */
export interface LogEntry {
  /** Human-readable line, e.g. `documents.get ok 3.2 ms`; also what winston-style loggers require. */
  message: string
  service: ServiceName
  method: string
  durationMs: number
  outcome: 'ok' | 'error'
  /** The error code, on failure. */
  code?: ErrorCode
  /** Failure details: the PortabaseError's own message (secret-free by contract), never its cause. */
  error?: { code: ErrorCode; message?: string; provider?: string; retryable?: boolean; name?: string }
  /** A bounded, redacted summary of the operation's arguments. */
  args: unknown
}

/** A console-, pino- or winston-like object: each method receives the entry (with its `message`). */
export type LoggerObject = { [L in LogLevel]: (entry: LogEntry) => void }
export type LogFunction = (entry: LogEntry, level: LogLevel) => void

export interface LogOptions {
  logger: LoggerObject | LogFunction
  /** Level of entries for operations that succeed. Default 'debug'. Failures: 'warn' if cancelled, else 'error'. */
  level?: LogLevel
  /** Extra field names whose values are redacted wherever they occur (case-insensitive). */
  redact?: readonly string[]
  /** Bounds on the args summary. */
  limits?: Partial<SummaryLimits>
  /** Clock in ms, injected for tests. Default performance.now. */
  now?: () => number
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error']

/**
 * Structured logging of every operation through a pluggable logger: service, method, duration,
 * outcome, error code and a redacted summary of the args. Tokens, passwords, keys, secrets,
 * authorization and any `redact` names are replaced at any depth (write data, query values, function
 * inputs). A logger that throws never fails the operation.
 */
export function log(options: LogOptions): Link {
  const { logger, level = 'debug', redact = [], now = monotonicNow } = options ?? {}
  const emit = toEmitter(logger)
  if (!LEVELS.includes(level)) throw new PortabaseError('invalid-argument', `log() level must be one of ${LEVELS.join(', ')}`)
  if (!Array.isArray(redact) || redact.some((n) => typeof n !== 'string')) throw new PortabaseError('invalid-argument', 'log() redact must be an array of field names')
  const isSecret = secretMatcher(redact)
  const limits: SummaryLimits = { ...DEFAULT_LIMITS, ...options.limits }

  /** Builds and emits the entry of one settled operation. */
  const finish = (op: Operation, startedAt: number, endedAt: number, args: unknown, error: unknown, failedCall: boolean): void => {
    const durationMs = Math.round((endedAt - startedAt) * 100) / 100
    const { service, method } = op
    let entry: LogEntry
    let entryLevel = level
    if (!failedCall) {
      entry = { message: `${service}.${method} ok ${durationMs} ms`, service, method, durationMs, outcome: 'ok', args }
    } else {
      const code = errorCodeOf(error)
      const details = isPortabaseError(error)
        ? { code, message: error.message, provider: error.provider, retryable: error.retryable }
        : { code, name: error instanceof Error ? error.name : typeof error }
      entry = { message: `${service}.${method} failed ${code} ${durationMs} ms`, service, method, durationMs, outcome: 'error', code, error: details, args }
      entryLevel = code === 'cancelled' ? 'warn' : 'error'
    }
    try {
      emit(entry, entryLevel)
    } catch {
      // Logging must never change the outcome of the operation it describes.
    }
  }

  return stageLink((op, below, out, at, cancel) => {
    const startedAt = readClock(now, at)
    // Summarised before the call: what was sent, not what an adapter may have done to the args since.
    const args = summarise(op.args, isSecret, limits)
    below.run(op, new LoggedCall(finish, now, op, startedAt, args, out), shareClock(now, startedAt, at), cancel)
  })
}

type Finish = (op: Operation, startedAt: number, endedAt: number, args: unknown, error: unknown, failedCall: boolean) => void

/** One logged operation: writes its entry when the outcome passes outward. */
class LoggedCall extends ObservingOutlet {
  constructor(
    private readonly finish: Finish,
    now: () => number,
    private readonly op: Operation,
    startedAt: number,
    private readonly args: unknown,
    out: Outlet,
  ) {
    super(now, startedAt, out)
  }

  protected observe(ok: boolean, value: unknown, endedAt: number): void {
    this.finish(this.op, this.startedAt, endedAt, this.args, ok ? undefined : value, !ok)
  }
}

function toEmitter(logger: LoggerObject | LogFunction): LogFunction {
  if (typeof logger === 'function') return logger
  if (typeof logger === 'object' && logger !== null && LEVELS.every((l) => typeof logger[l] === 'function')) {
    // Called as methods: console and pino need their `this`.
    return (entry, level) => logger[level](entry)
  }
  throw new PortabaseError('invalid-argument', 'log() needs a logger: { debug, info, warn, error } or a function (entry, level) => void')
}

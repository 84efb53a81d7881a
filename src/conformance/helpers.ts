/**
 * Bounded waiting and error assertions for the contract suite. Real backends deliver events
 * asynchronously, so tests wait for the state they expect (with a deadline and a clear message),
 * never for an exact number of intermediate emissions.
 */
import type { Observable, Subscription } from 'rxjs'
import { PortabaseError, generateId, type ErrorCode } from '../index.js'

export const DEFAULT_WAIT_MS = 5_000
/** How long "nothing more arrives" is observed for. */
export const QUIET_MS = 150

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Lower-case so it is usable in emails and storage paths on every vendor. */
export function randomSuffix(): string {
  return generateId(12).toLowerCase()
}

export function uniqueEmail(): string {
  return `u_${randomSuffix()}@example.com`
}

export function uniquePassword(): string {
  return `Pw-${generateId(16)}`
}

/** A short, readable rendering of any value for failure messages. */
export function preview(value: unknown, max = 300): string {
  let text: string
  try {
    text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > max ? `${text.slice(0, max)}…` : text
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.constructor.name}: ${error.message}`
  return preview(error)
}

export type Outcome = { threw: true; error: unknown } | { threw: false; value: unknown }

/** Runs an action that may throw synchronously or reject (client methods do both). */
export async function outcomeOf(action: () => unknown): Promise<Outcome> {
  try {
    return { threw: false, value: await action() }
  } catch (error) {
    return { threw: true, error }
  }
}

/**
 * Counts the refused calls in flight: the core run (core.test.ts) wraps its adapter so that any
 * adapter call made while one runs is recorded — core validation must refuse before the adapter.
 */
export const refusalsInFlight = { count: 0 }

/**
 * Asserts the action fails with a PortabaseError of `code` (sync throw or rejection) and returns it.
 * A raw Error, another code, or success fails the test with a message saying which.
 */
export async function expectError(action: () => unknown, code: ErrorCode, what = 'the call'): Promise<PortabaseError> {
  refusalsInFlight.count += 1
  const outcome = await outcomeOf(action).finally(() => (refusalsInFlight.count -= 1))
  if (!outcome.threw) throw new Error(`Expected ${what} to fail with PortabaseError{code:'${code}'}, but it succeeded with ${preview(outcome.value)}`)
  const { error } = outcome
  if (!(error instanceof PortabaseError)) throw new Error(`Expected ${what} to fail with PortabaseError{code:'${code}'}, but got a raw ${describeError(error)}`)
  if (error.code !== code) throw new Error(`Expected ${what} to fail with code '${code}', but got '${error.code}': ${error.message}`)
  if (typeof error.provider !== 'string' || error.provider.length === 0) throw new Error(`PortabaseError from ${what} has no provider`)
  return error
}

/**
 * Records every emission of one subscription, so a test can wait for states in order without
 * missing emissions that arrive between two waits.
 */
export class Recorder<T> {
  readonly values: T[] = []
  error: unknown = undefined
  failed = false
  completed = false
  /** Index after the last value a `waitFor` matched: sequential waits express order. */
  private cursor = 0
  private readonly listeners = new Set<() => void>()
  private readonly subscription: Subscription

  constructor(source: Observable<T>) {
    this.subscription = source.subscribe({
      next: (value) => {
        this.values.push(value)
        this.notify()
      },
      error: (error: unknown) => {
        this.failed = true
        this.error = error
        this.notify()
      },
      complete: () => {
        this.completed = true
        this.notify()
      },
    })
  }

  get latest(): T | undefined {
    return this.values[this.values.length - 1]
  }

  /** The first value after the previous match that satisfies `predicate`. */
  waitFor(predicate: (value: T) => boolean, what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
    return this.until(
      () => {
        for (let i = this.cursor; i < this.values.length; i++) {
          if (predicate(this.values[i]!)) {
            this.cursor = i + 1
            return { value: this.values[i]! }
          }
        }
        if (this.failed) throw new Error(`Stream failed while waiting for ${what}: ${describeError(this.error)}`)
        if (this.completed) throw new Error(`Stream completed while waiting for ${what}; last value: ${preview(this.latest)}`)
        return undefined
      },
      what,
      timeoutMs,
    )
  }

  waitForError(what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<unknown> {
    return this.until(
      () => {
        if (this.failed) return { value: this.error }
        if (this.completed) throw new Error(`Stream completed instead of failing (${what})`)
        return undefined
      },
      what,
      timeoutMs,
    )
  }

  waitForComplete(what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return this.until(
      () => {
        if (this.completed) return { value: undefined }
        if (this.failed) throw new Error(`Stream failed instead of completing (${what}): ${describeError(this.error)}`)
        return undefined
      },
      what,
      timeoutMs,
    )
  }

  stop(): void {
    this.subscription.unsubscribe()
  }

  private until<R>(check: () => { value: R } | undefined, what: string, timeoutMs: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const attempt = (): void => {
        try {
          const hit = check()
          if (!hit) return
          cleanup()
          resolve(hit.value)
        } catch (error) {
          cleanup()
          reject(error)
        }
      }
      const cleanup = (): void => {
        clearTimeout(timer)
        this.listeners.delete(attempt)
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; saw ${this.values.length} emission(s), last: ${preview(this.latest)}`))
      }, timeoutMs)
      this.listeners.add(attempt)
      attempt()
    })
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener()
  }
}

/** One-shot: subscribes, resolves with the first value matching, unsubscribes. */
export async function nextMatching<T>(source: Observable<T>, predicate: (value: T) => boolean, what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
  const recorder = new Recorder(source)
  try {
    return await recorder.waitFor(predicate, what, timeoutMs)
  } finally {
    recorder.stop()
  }
}

/** Asserts a stream fails with a PortabaseError of `code`. */
export async function expectStreamError(source: Observable<unknown>, code: ErrorCode, what = 'the stream'): Promise<PortabaseError> {
  const recorder = new Recorder(source)
  try {
    const error = await recorder.waitForError(`${what} to fail with '${code}'`)
    return await expectError(() => Promise.reject(error), code, what)
  } finally {
    recorder.stop()
  }
}

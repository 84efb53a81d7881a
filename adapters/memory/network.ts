import { BehaviorSubject } from 'rxjs'
import { PortabaseError, type ErrorCode } from '../../src/errors.js'
import { sleep } from '../../src/links/abort.js'
import type { ConnectionState } from '../../src/types.js'

export interface FaultFilter {
  service?: string
  method?: string
}

export interface FaultOptions extends FaultFilter {
  retryAfterMs?: number
  /**
   * The call reaches the backend and is applied, then fails as if its response was lost (documents
   * writes only; other calls ignore such faults). Default false: the call fails before the backend.
   */
  lostResponse?: boolean
}

interface PendingFault extends FaultOptions {
  remaining: number
  code: ErrorCode
}

/**
 * The simulated network between one memory client and the backend: online/offline, latency, and
 * injected faults. Every call of the adapter passes through `gate` before it reaches the backend.
 */
export class MemoryNetwork {
  readonly state$ = new BehaviorSubject<ConnectionState>('online')
  latencyMs = 0
  private faults: PendingFault[] = []
  /** Calls that reached the gate, per `service.method`: lets tests count round trips. */
  readonly calls = new Map<string, number>()

  get online(): boolean {
    return this.state$.value === 'online'
  }

  goOffline(): void {
    this.state$.next('offline')
  }

  goOnline(): void {
    this.state$.next('online')
  }

  /** The next `count` calls matching `filter` fail with `code` (retryable per the code's default). */
  failNext(count: number, code: ErrorCode, filter: FaultOptions = {}): void {
    this.faults.push({ ...filter, remaining: count, code })
  }

  clearFaults(): void {
    this.faults = []
  }

  /** The call's signal, read only when a latency can be cut short: reading it may create it. */
  signalFor(options: { signal?: AbortSignal } | undefined): AbortSignal | undefined {
    return this.latencyMs > 0 ? options?.signal : undefined
  }

  async gate(service: string, method: string, signal?: AbortSignal): Promise<void> {
    const key = `${service}.${method}`
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1)
    if (this.latencyMs > 0) await sleep(this.latencyMs, signal)
    if (!this.online) throw new PortabaseError('unavailable', `The memory backend is unreachable: the client is offline (${key})`, { provider: 'memory' })
    this.injectFault(service, method, false)
  }

  /** After a call was applied: fails it if a `lostResponse` fault matches. */
  respond(service: string, method: string): void {
    this.injectFault(service, method, true)
  }

  private injectFault(service: string, method: string, lostResponse: boolean): void {
    const fault = this.faults.find(
      (f) => (f.lostResponse ?? false) === lostResponse && (f.service === undefined || f.service === service) && (f.method === undefined || f.method === method),
    )
    if (!fault) return
    fault.remaining -= 1
    if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault)
    const what = lostResponse ? 'its response was lost (injected)' : 'injected fault'
    throw new PortabaseError(fault.code, `${service}.${method}: ${what}`, { provider: 'memory', retryAfterMs: fault.retryAfterMs })
  }
}

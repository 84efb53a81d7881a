import { distinctUntilChanged, fromEvent, map, merge, of, scan, startWith, type Observable } from 'rxjs'
import type { ConnectionState } from '../types.js'

/** The outcome of the latest request: a request that failed with `unavailable` hints the link is down. */
export type RequestOutcome = 'ok' | 'unavailable'

/** Device connectivity as the platform reports it (browser events, React Native NetInfo…). */
export type OnlineSignal = Observable<boolean>

/**
 * `online`/`offline` events of a browser-like global, starting from `navigator.onLine`; undefined
 * where the platform has neither (Node, workers without them).
 */
export function browserOnlineSignal(target: unknown = globalThis): OnlineSignal | undefined {
  const host = target as { addEventListener?: unknown; navigator?: { onLine?: unknown } }
  if (typeof host.addEventListener !== 'function' || typeof host.navigator?.onLine !== 'boolean') return undefined
  const events = target as EventTarget
  return merge(fromEvent(events, 'online').pipe(map(() => true)), fromEvent(events, 'offline').pipe(map(() => false))).pipe(
    startWith(host.navigator.onLine),
  )
}

/**
 * One connection state from every signal there is: the device says offline → `offline`; else the
 * adapter's own state (its realtime socket); a request that failed with `unavailable` since the
 * adapter last changed state turns `online` into `connecting` until a request succeeds again.
 */
export function combineConnection(adapter$: Observable<ConnectionState>, device$: OnlineSignal | undefined, outcomes: Observable<RequestOutcome>): Observable<ConnectionState> {
  type Signal = { adapter: ConnectionState } | { device: boolean } | { outcome: RequestOutcome }
  const signals: Observable<Signal> = merge(
    adapter$.pipe(distinctUntilChanged(), map((adapter) => ({ adapter }))),
    (device$ ?? of(true)).pipe(map((device) => ({ device }))),
    outcomes.pipe(map((outcome) => ({ outcome }))),
  )
  return signals.pipe(
    scan(
      (state, signal) => {
        // A new adapter state supersedes what earlier requests said about the network.
        if ('adapter' in signal) return { ...state, adapter: signal.adapter, failed: false }
        if ('device' in signal) return { ...state, device: signal.device }
        return { ...state, failed: signal.outcome === 'unavailable' }
      },
      { adapter: 'connecting' as ConnectionState, device: true, failed: false },
    ),
    map(({ adapter, device, failed }): ConnectionState => (!device ? 'offline' : adapter === 'online' && failed ? 'connecting' : adapter)),
    distinctUntilChanged(),
  )
}

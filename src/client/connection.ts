import { BehaviorSubject, combineLatest, distinctUntilChanged, fromEvent, map, merge, of, startWith, type Observable } from 'rxjs'
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
 * adapter's own state (its realtime socket); a request that just failed with `unavailable` turns
 * `online` into `connecting` until a request succeeds again.
 */
export function combineConnection(adapter$: Observable<ConnectionState>, device$: OnlineSignal | undefined, outcomes: BehaviorSubject<RequestOutcome>): Observable<ConnectionState> {
  return combineLatest([adapter$, device$ ?? of(true), outcomes]).pipe(
    map(([adapter, deviceOnline, outcome]): ConnectionState => {
      if (!deviceOnline) return 'offline'
      if (adapter === 'online' && outcome === 'unavailable') return 'connecting'
      return adapter
    }),
    distinctUntilChanged(),
  )
}

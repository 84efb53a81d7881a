/**
 * Stops aws-amplify's reconnect loop for a realtime connection nobody uses any more.
 *
 * aws-amplify keeps one AppSync realtime provider per endpoint for the whole process. When its
 * socket drops it starts a reconnect loop (after 5 s, then every 60 s) and stops it only when the
 * provider reports a state other than "disrupted". An idle provider waits one second before it
 * closes its socket; if the server goes away within that second (the app disposed its client,
 * then the network or the server went), the socket is never opened again, so the state never
 * changes and the loop runs forever: a Node process (a script, SSR, a test run) never exits.
 *
 * A provider with no subscriptions left has nothing to re-subscribe, and the next subscription
 * opens its own connection, so its loop is halted when it reports the disruption. A provider
 * that still has subscriptions keeps its loop while they last: those subscriptions need it.
 */
import { Hub } from 'aws-amplify/utils'

/** The parts of aws-amplify's `AWSWebSocketProvider` used here (not public API: checked before use). */
interface RealtimeProvider {
  subscriptionObserverMap: Map<unknown, unknown>
  reconnectionMonitor: { record(event: 'HALT_RECONNECT'): void }
}

function isRealtimeProvider(value: unknown): value is RealtimeProvider {
  const p = value as Partial<RealtimeProvider> | null
  return typeof p === 'object' && p !== null && p.subscriptionObserverMap instanceof Map && typeof p.reconnectionMonitor?.record === 'function'
}

let installed = false
/** Disrupted providers that still had subscriptions then: halted once their last one is gone. */
const disrupted = new Set<RealtimeProvider>()

/** Installs, once per aws-amplify instance, the Hub listener that halts idle providers' reconnect loops. */
export function haltIdleReconnects(): void {
  if (installed) return
  installed = true
  Hub.listen('api', ({ payload }) => {
    const data = payload.data as { connectionState?: string; provider?: unknown } | undefined
    if (payload.event !== 'ConnectionStateChange' || !isRealtimeProvider(data?.provider)) return
    const provider = data.provider
    if (data.connectionState !== 'ConnectionDisrupted') {
      disrupted.delete(provider)
      return
    }
    disrupted.add(provider)
    // The provider starts its loop right after dispatching this event: halt it once it has.
    queueMicrotask(haltIdle)
  })
}

/**
 * Halts the loop of every disrupted provider with no subscriptions left. Also called when a watch
 * unsubscribes and when an adapter is disposed: a provider disrupted while a watch was still
 * subscribed (the server went away before the app disposed its client) keeps its loop until then.
 */
export function haltIdle(): void {
  for (const provider of disrupted) {
    if (provider.subscriptionObserverMap.size > 0) continue
    provider.reconnectionMonitor.record('HALT_RECONNECT')
    disrupted.delete(provider)
  }
}

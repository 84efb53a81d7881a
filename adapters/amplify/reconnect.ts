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
 * that still has subscriptions keeps its loop while they last: those subscriptions need it,
 * unless no adapter is open any more (what is left are subscriptions the adapters unsubscribed and
 * aws-amplify has not removed yet: one unsubscribed before the server acknowledged it is removed
 * only once it settles, and one whose server went away may never be).
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
/** Amplify adapters open in this module instance (created and not yet disposed). */
let open = 0
/** Disrupted providers that still had subscriptions then: halted once their last one is gone. */
const disrupted = new Set<RealtimeProvider>()
/**
 * While one is left, looked at again every second: aws-amplify removes an unsubscribed
 * subscription only once it has settled (`_cleanupSubscription` first waits for it to connect),
 * so the last one can go after the watch unsubscribed and after the adapter was disposed.
 */
const RECHECK_MS = 1_000
let recheck: ReturnType<typeof setInterval> | undefined

/**
 * Called for each adapter created: installs, once per aws-amplify instance, the Hub listener that
 * halts idle providers' reconnect loops, and counts the adapter open until the returned release.
 */
export function haltIdleReconnects(): () => void {
  open++
  let released = false
  const release = (): void => {
    if (released) return
    released = true
    open--
    haltIdle()
  }
  if (installed) return release
  installed = true
  Hub.listen('api', ({ payload }) => {
    const data = payload.data as { connectionState?: string; provider?: unknown } | undefined
    if (payload.event !== 'ConnectionStateChange' || !isRealtimeProvider(data?.provider)) return
    const provider = data.provider
    if (data.connectionState !== 'ConnectionDisrupted') {
      disrupted.delete(provider)
      if (disrupted.size === 0) haltIdle() // stops the re-check
      return
    }
    disrupted.add(provider)
    // The provider starts its loop right after dispatching this event: halt it once it has.
    queueMicrotask(haltIdle)
  })
  return release
}

/**
 * Halts the loop of every disrupted provider with no subscriptions left (with no adapter open: of
 * every disrupted provider). Also called when a watch unsubscribes and when an adapter is disposed:
 * a provider disrupted while a watch was still subscribed (the server went away before the app
 * disposed its client) keeps its loop until then.
 */
export function haltIdle(): void {
  for (const provider of disrupted) {
    if (open > 0 && provider.subscriptionObserverMap.size > 0) continue
    provider.reconnectionMonitor.record('HALT_RECONNECT')
    disrupted.delete(provider)
  }
  if (disrupted.size === 0) {
    clearInterval(recheck)
    recheck = undefined
  } else if (recheck === undefined) {
    recheck = setInterval(haltIdle, RECHECK_MS)
    // Never what keeps a process alive (aws-amplify's own loop does, while it runs).
    ;(recheck as { unref?: () => void }).unref?.()
  }
}

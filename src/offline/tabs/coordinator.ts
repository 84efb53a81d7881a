/**
 * Several tabs of one app on one local store (IndexedDB is shared by every tab of an origin).
 * The engine of each tab serves reads and queues writes itself; only one tab, the leader, syncs:
 * - a store-wide Web Lock makes every read-cache → commit step of every tab run alone, so two tabs
 *   never queue writes under the same sequence number nor commit over each other's changes;
 * - a leader Web Lock, held until the tab closes or disposes its client, picks the one tab that
 *   pushes and pulls, so the queue is sent once; when it goes, a waiting tab takes over;
 * - a BroadcastChannel tells the other tabs that the store changed (they catch up) and carries the
 *   followers' sync requests (`flush()`, `pull()`, `waitForSync()`) to the leader and its answers.
 * The pieces are injectable, so the coordination runs in Node tests (in-process locks, Node's
 * BroadcastChannel) as it does in browsers.
 */
import type { FlushResult } from '../types.js'

/** What tabs of one store tell each other. */
export type TabMessage =
  /** The store changed: catch up before the next step. */
  | { type: 'changed' }
  /** A tab took the lead: requests still unanswered are sent to it again. */
  | { type: 'leader' }
  /** A follower asks for a sync round. */
  | { type: 'sync'; id: string }
  /** The leader's answer, once a round that started after the request ended. */
  | SyncAnswer

export interface SyncAnswer {
  type: 'synced'
  id: string
  /** The round's push (on success). */
  result?: FlushResult
  /** Why the round failed (the writes stay queued). */
  error?: { code: string; message: string }
}

/** The part of the Web Locks API (`navigator.locks`) used here: exclusive locks by name. */
export interface TabLocks {
  request<T>(name: string, options: { signal?: AbortSignal; ifAvailable?: boolean }, callback: (lock: unknown) => Promise<T> | T): Promise<T>
}

/** The part of `BroadcastChannel` used here. */
export interface TabChannel {
  postMessage(message: unknown): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
  close(): void
}

export interface TabCoordinator {
  /** Runs `step` while no other tab of this store runs one. */
  exclusive<T>(step: () => Promise<T>): Promise<T>
  /**
   * Calls `onLead` once this tab leads (at once when no tab does, else when the leader goes);
   * `afterAnother` tells a takeover, after which requests of the previous leader may still be in flight.
   */
  lead(onLead: (afterAnother: boolean) => void): void
  /** Tells the other tabs (not this one). */
  post(message: TabMessage): void
  onMessage(listener: (message: TabMessage) => void): void
  /** Gives up the lead (another tab takes over), stops listening. */
  close(): void
}

export interface TabCoordinatorOptions {
  /** The store's name: tabs coordinate per name. */
  name: string
  /** Default `navigator.locks`. */
  locks?: TabLocks
  /** Default `new BroadcastChannel(name)`. */
  channel?: (name: string) => TabChannel
}

/**
 * The coordination of the tabs sharing a store, or undefined where the environment has no Web
 * Locks or no BroadcastChannel (then the store serves one client at a time, as before).
 */
export function tabCoordinator(options: TabCoordinatorOptions): TabCoordinator | undefined {
  const locks = options.locks ?? (globalThis as { navigator?: { locks?: TabLocks } }).navigator?.locks
  const Channel = (globalThis as { BroadcastChannel?: new (name: string) => TabChannel }).BroadcastChannel
  const open = options.channel ?? (Channel ? (name: string) => new Channel(name) : undefined)
  if (!locks || !open) return undefined

  const base = `portabase:${options.name}`
  const channel = open(base)
  const stop = new AbortController()
  const listeners: Array<(message: TabMessage) => void> = []
  let release: (() => void) | undefined
  let closed = false
  channel.addEventListener('message', (event) => {
    if (closed || !isTabMessage(event.data)) return
    for (const listener of listeners) listener(event.data)
  })

  const holdLead = (afterAnother: boolean, onLead: (afterAnother: boolean) => void): Promise<void> =>
    new Promise<void>((resolve) => {
      release = resolve
      onLead(afterAnother)
    })

  return {
    exclusive: (step) => locks.request(`${base}:store`, {}, () => step()),
    lead(onLead) {
      // First without waiting, to tell a first leader from a takeover.
      locks
        .request<'taken' | void>(`${base}:leader`, { ifAvailable: true }, (lock) => (lock && !closed ? holdLead(false, onLead) : 'taken'))
        .then((outcome) => {
          if (outcome !== 'taken' || closed) return
          return locks.request(`${base}:leader`, { signal: stop.signal }, () => (closed ? undefined : holdLead(true, onLead)))
        })
        .catch(() => undefined) // AbortError: closed while waiting
    },
    post(message) {
      if (!closed) channel.postMessage(message)
    },
    onMessage(listener) {
      listeners.push(listener)
    },
    close() {
      if (closed) return
      closed = true
      stop.abort()
      release?.()
      channel.close()
    },
  }
}

function isTabMessage(data: unknown): data is TabMessage {
  const type = (data as { type?: unknown } | null)?.type
  return type === 'changed' || type === 'leader' || type === 'sync' || type === 'synced'
}

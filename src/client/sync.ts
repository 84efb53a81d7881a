/**
 * `app.sync`, and the seam the offline engine plugs into. Core holds no engine code: the engine
 * comes in through `offline()` from 'portabase/offline', so an app without it does not bundle it.
 */
import { NEVER, type Observable } from 'rxjs'
import { invalidArgument } from '../errors.js'
import type { DiscardedQueue, FlushResult, RejectedWrite, SyncConflict, SyncOutcome, WaitForSyncOptions } from '../offline/types.js'
import type { Adapter, DocumentsService, SyncService } from '../spi.js'
import type { ConnectionState, SyncStatus } from '../types.js'

export interface SyncClient {
  /** Pending writes and sync activity. Without the offline engine: online state, nothing pending. */
  readonly status$: Observable<SyncStatus>
  /** Conflicts waiting for a decision (open ones are replayed to each new subscriber). */
  readonly conflicts$: Observable<SyncConflict>
  /**
   * Every queued write that did not end "applied as written": `merged`, `overridden` (which fields
   * gave way to the server's) or `rejected` (with the device's data). See docs/offline.md.
   */
  readonly outcomes$: Observable<SyncOutcome>
  /** Queued writes the server refused for good, one event per write; each was rolled back locally. */
  readonly rejected$: Observable<RejectedWrite>
  /** Sends queued writes now; rejects with `unavailable` when the server cannot be reached. */
  flush(): Promise<FlushResult>
  /**
   * Resolves when every queued write reached the server (conflicts aside) and a pull completed.
   * Rejects with `deadline-exceeded` after `timeoutMs` (default 60 000) or `cancelled` on `signal`.
   */
  waitForSync(options?: WaitForSyncOptions): Promise<void>
  /** Pulls server changes now, for every offline collection or one. */
  pull(collection?: string): Promise<void>
  /** The users with writes queued on this device (each user's queue waits for that user to sign in). */
  queues(): Promise<Array<{ uid: string | null; pending: number }>>
  /** Deletes a user's queue and local copy (null: the signed-out queue); returns the writes given up. */
  discardQueue(uid: string | null): Promise<DiscardedQueue>
}

/** What createClient hands the offline plugin. */
export interface OfflineHost {
  adapter: Adapter
  /** The client's connection state, without repeats; replays the current state. */
  connection$: Observable<ConnectionState>
  /** Resolves once the session is restored (createClient's `session`). */
  authReady?: Promise<unknown>
}

/** The plugin attached to one client: offline collections read and write through `documents`/`sync`. */
export interface OfflineAttachment {
  documents: DocumentsService
  sync: SyncService
  client: SyncClient
  dispose(): Promise<void>
}

/**
 * Offline-first collections for createClient's `offline` option. Made by `offline({ store,
 * collections })` from 'portabase/offline'; attached once, by the client it is passed to.
 */
export interface OfflinePlugin {
  readonly kind: 'portabase.offline'
  attach(host: OfflineHost): OfflineAttachment
}

const OFFLINE_HINT =
  "offline takes offline({ store, collections }) from 'portabase/offline', e.g. " +
  "import { offline, memoryStore } from 'portabase/offline'; createClient({ adapter, offline: offline({ store: memoryStore(), collections: { todos: {} } }) })"

/** Checks createClient's `offline` option; the plain options object of earlier versions is refused with the way to migrate. */
export function checkOfflinePlugin(value: unknown): OfflinePlugin {
  const plugin = value as Partial<OfflinePlugin> | null
  if (plugin === null || typeof plugin !== 'object' || plugin.kind !== 'portabase.offline' || typeof plugin.attach !== 'function') {
    throw invalidArgument(OFFLINE_HINT)
  }
  return plugin as OfflinePlugin
}

/** `app.sync` without the offline engine: the online state, nothing ever pending. */
export function onlineOnlySync(status$: Observable<SyncStatus>): SyncClient {
  return {
    status$,
    conflicts$: NEVER,
    outcomes$: NEVER,
    rejected$: NEVER,
    flush: () => Promise.resolve({ sent: 0, merged: 0, overridden: 0, rejected: 0, conflicts: 0 }),
    waitForSync: () => Promise.resolve(),
    pull: () => Promise.resolve(),
    queues: () => Promise.resolve([]),
    discardQueue: (uid) => Promise.resolve({ uid, writes: [] }),
  }
}

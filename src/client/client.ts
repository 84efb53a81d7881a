import { BehaviorSubject, NEVER, Subject, distinctUntilChanged, type Observable, type Subscription } from 'rxjs'
import { invalidArgument } from '../errors.js'
import type { Link } from '../links/link.js'
import { OfflineDocuments, OfflineSync } from '../offline/documents.js'
import { OfflineEngine } from '../offline/engine.js'
import type { DiscardedQueue, FlushResult, OfflineOptions, RejectedWrite, SyncConflict, SyncOutcome, WaitForSyncOptions } from '../offline/types.js'
import type { Adapter } from '../spi.js'
import { idleSyncStatus, type ConnectionState, type SyncStatus } from '../types.js'
import { AuthClient, type AuthClientOptions } from './auth.js'
import { ConfigClient } from './config.js'
import { DocumentsClient } from './documents.js'
import { FunctionsClient } from './functions.js'
import { browserOnlineSignal, combineConnection } from './connection.js'
import { Pipeline } from './pipeline.js'
import { startSessionPersistence, type SessionOptions } from './session.js'
import { StorageClient } from './storage.js'

export interface ClientOptions {
  adapter: Adapter
  /** Middleware around every request/response call, outermost first. */
  links?: Link[]
  /**
   * Device connectivity (true = online) feeding `connection$`. Default: the browser's online/offline
   * events where they exist. On React Native pass NetInfo's state as an observable.
   */
  online$?: Observable<boolean>
  /**
   * Keeps the session across app starts: restored on creation (`auth.ready`), stored on sign-in,
   * removed on sign-out. See docs/networking.md#sessions.
   */
  session?: SessionOptions
  /**
   * Offline-first collections: served from a local store, writes queued durably and synced.
   * See docs/offline.md. Needs an adapter with `sync` (memory, Parse).
   */
  offline?: OfflineOptions
  /** Auth behaviour, e.g. `{ tokenRefresh: { marginMs } }` or `{ tokenRefresh: false }`. See docs/networking.md. */
  auth?: AuthClientOptions
}

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

export interface PortabaseClient {
  readonly adapter: Adapter
  readonly auth: AuthClient
  readonly db: DocumentsClient
  readonly storage: StorageClient
  readonly functions: FunctionsClient
  readonly config: ConfigClient
  readonly sync: SyncClient
  /** Replays the current state. */
  readonly connection$: Observable<ConnectionState>
  /** Stops live queries, closes the adapter; later calls fail with `failed-precondition`. */
  dispose(): Promise<void>
}

export function createClient(options: ClientOptions): PortabaseClient {
  const { adapter, links = [] } = options ?? {}
  if (!adapter || typeof adapter !== 'object' || typeof adapter.name !== 'string') {
    throw invalidArgument('createClient needs { adapter }, e.g. createClient({ adapter: memory() })')
  }
  if (!Array.isArray(links) || links.some((l) => typeof l !== 'function')) throw invalidArgument('links must be an array of links')

  const pipeline = new Pipeline(adapter, links)
  const disposed$ = new Subject<void>()
  const connection = new BehaviorSubject<ConnectionState>('connecting')
  const status = new BehaviorSubject<SyncStatus>(idleSyncStatus())
  const device$ = options.online$ ?? browserOnlineSignal()
  const connectionSub: Subscription = combineConnection(adapter.connection$, device$, pipeline.outcomes).subscribe({
    next: (state) => {
      connection.next(state)
      if (state === 'online') status.next({ ...status.value, lastSyncedAt: new Date() })
    },
  })
  const config = new ConfigClient(adapter, pipeline)
  const session = options.session === undefined ? undefined : startSessionPersistence(adapter, pipeline, options.session)
  const engine =
    options.offline === undefined ? undefined : new OfflineEngine(adapter, options.offline, connection.pipe(distinctUntilChanged()), { authReady: session?.ready })
  // Offline collections read and write through the engine; the rest of the adapter is unchanged.
  const documentsAdapter: Adapter = engine
    ? Object.create(adapter, {
        documents: { value: new OfflineDocuments(adapter.documents, engine) },
        sync: { value: new OfflineSync(adapter.sync!, engine) },
      })
    : adapter

  return {
    adapter,
    auth: new AuthClient(adapter, pipeline, session?.ready, options.auth),
    db: new DocumentsClient({ adapter: documentsAdapter, pipeline, disposed$ }),
    storage: new StorageClient(adapter, pipeline),
    functions: new FunctionsClient(adapter, pipeline),
    config,
    sync: engine
      ? {
          status$: engine.status$,
          conflicts$: engine.conflicts$,
          outcomes$: engine.outcomes$,
          rejected$: engine.rejected$,
          flush: () => engine.flush(),
          waitForSync: (waitOptions) => engine.waitForSync(waitOptions),
          pull: (collection) => engine.pull(collection),
          queues: () => engine.queues(),
          discardQueue: (uid) => engine.discardQueue(uid),
        }
      : {
          status$: status.asObservable(),
          conflicts$: NEVER,
          outcomes$: NEVER,
          rejected$: NEVER,
          flush: () => Promise.resolve({ sent: 0, merged: 0, overridden: 0, rejected: 0, conflicts: 0 }),
          waitForSync: () => Promise.resolve(),
          pull: () => Promise.resolve(),
          queues: () => Promise.resolve([]),
          discardQueue: (uid) => Promise.resolve({ uid, writes: [] }),
        },
    connection$: connection.pipe(distinctUntilChanged()),
    async dispose() {
      if (pipeline.isClosed) return
      pipeline.close()
      disposed$.next()
      disposed$.complete()
      connectionSub.unsubscribe()
      connection.complete()
      status.complete()
      config.close()
      await engine?.dispose()
      await session?.close()
      for (const link of links) link.dispose?.()
      await adapter.dispose()
    },
  }
}

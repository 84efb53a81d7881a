import { BehaviorSubject, Subject, distinctUntilChanged, type Observable, type Subscription } from 'rxjs'
import { invalidArgument } from '../errors.js'
import type { Link } from '../links/link.js'
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
import { checkOfflinePlugin, onlineOnlySync, type OfflinePlugin, type SyncClient } from './sync.js'

export type { OfflineAttachment, OfflineHost, OfflinePlugin, SyncClient } from './sync.js'

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
   * `offline({ store, collections })` from 'portabase/offline' (apps without it do not bundle the
   * engine). See docs/offline.md. Needs an adapter with `sync` (memory, Parse, Firestore).
   */
  offline?: OfflinePlugin
  /** Auth behaviour, e.g. `{ tokenRefresh: { marginMs } }` or `{ tokenRefresh: false }`. See docs/networking.md. */
  auth?: AuthClientOptions
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
  const offlinePlugin = options.offline === undefined ? undefined : checkOfflinePlugin(options.offline)

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
  const offline = offlinePlugin?.attach({ adapter, connection$: connection.pipe(distinctUntilChanged()), authReady: session?.ready })
  // Offline collections read and write through the engine; the rest of the adapter is unchanged.
  const documentsAdapter: Adapter = offline
    ? Object.create(adapter, { documents: { value: offline.documents }, sync: { value: offline.sync } })
    : adapter

  return {
    adapter,
    auth: new AuthClient(adapter, pipeline, session?.ready, options.auth),
    db: new DocumentsClient({ adapter: documentsAdapter, pipeline, disposed$ }),
    storage: new StorageClient(adapter, pipeline),
    functions: new FunctionsClient(adapter, pipeline),
    config,
    sync: offline?.client ?? onlineOnlySync(status.asObservable()),
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
      try {
        await offline?.dispose()
        await session?.close()
        for (const link of links) link.dispose?.()
      } finally {
        // Whatever failed above, the adapter's connections (realtime sockets, timers) are released.
        await adapter.dispose()
      }
    },
  }
}

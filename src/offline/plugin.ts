/** `offline()`: the offline engine as the plugin createClient's `offline` option takes. */
import type { OfflinePlugin } from '../client/sync.js'
import { OfflineDocuments, OfflineSync } from './documents.js'
import { OfflineEngine } from './engine.js'
import type { OfflineOptions } from './types.js'

/**
 * Offline-first collections, served from a local store with writes queued durably and synced:
 * `createClient({ adapter, offline: offline({ store: indexedDbStore(), collections: { todos: {} } }) })`.
 * The options are checked when the client is created. See docs/offline.md.
 */
export function offline(options: OfflineOptions): OfflinePlugin {
  return {
    kind: 'portabase.offline',
    attach({ adapter, connection$, authReady }) {
      const engine = new OfflineEngine(adapter, options, connection$, { authReady })
      return {
        documents: new OfflineDocuments(adapter.documents, engine),
        sync: new OfflineSync(adapter.sync!, engine),
        client: {
          status$: engine.status$,
          conflicts$: engine.conflicts$,
          outcomes$: engine.outcomes$,
          rejected$: engine.rejected$,
          flush: () => engine.flush(),
          waitForSync: (waitOptions) => engine.waitForSync(waitOptions),
          pull: (collection) => engine.pull(collection),
          queues: () => engine.queues(),
          discardQueue: (uid) => engine.discardQueue(uid),
        },
        dispose: () => engine.dispose(),
      }
    },
  }
}

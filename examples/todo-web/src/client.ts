/**
 * The wiring: one client, its `todos` collection offline-first on IndexedDB. The only place that
 * names the offline engine; everything else uses the neutral client API.
 */
import { createClient, type Adapter, type PortabaseClient } from '../../../src/index.js'
import { indexedDbStore, offline } from '../../../src/offline/index.js'

export function openClient(adapter: Adapter, storeName: string): PortabaseClient {
  return createClient({
    adapter,
    // Every tab of this page opens the same database; one tab syncs (docs/offline.md, "Several tabs").
    offline: offline({ store: indexedDbStore({ name: storeName }), collections: { todos: { conflict: 'merge' } } }),
  })
}

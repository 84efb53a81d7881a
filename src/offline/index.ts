/**
 * `portabase/offline`: offline-first collections. Apps that do not import it do not bundle the
 * engine. File persistence for Node is `portabase/offline/node` (fileStore).
 */
export { offline } from './plugin.js'
export { memoryStore, type MemoryStoreOptions } from './stores/memory.js'
export { indexedDbStore, type IndexedDbStoreOptions } from './stores/indexeddb.js'
export { mergeFields } from './conflicts.js'
export { CURRENT_SCHEMA_VERSION } from './schema.js'
export type { OfflinePlugin } from '../client/sync.js'
export type { EntriesOptions, LocalStore, StoreChange, StoredValue, StoreErrorListener, StoreTable } from './store.js'
export type * from './types.js'

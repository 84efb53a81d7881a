/** `portabase/offline/node`: the offline engine's local store for Node (files, no native module). */
export { fileStore, type FileStoreOptions } from './file-store.js'
export type { EntriesOptions, LocalStore, StoreChange, StoredValue, StoreErrorListener, StoreTable } from '../store.js'

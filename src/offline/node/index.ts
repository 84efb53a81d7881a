/** `portabase/offline/node`: the offline engine's local store for Node (files, no native module). */
export { fileStore, type FileStoreOptions } from './file-store.js'
export type { LocalStore, StoreChange, StoredValue, StoreTable } from '../store.js'

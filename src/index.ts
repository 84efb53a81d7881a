export { createClient, type ClientOptions, type OfflineAttachment, type OfflineHost, type OfflinePlugin, type PortabaseClient, type SyncClient } from './client/client.js'
export type { AuthClient, AuthClientOptions, TokenRefreshOptions } from './client/auth.js'
export { localStorageSessionStore, memorySessionStore, type SessionStore, type StorageLike } from './auth/session-store.js'
export type { SessionOptions } from './client/session.js'
export type { ConfigClient, ConfigValue } from './client/config.js'
export {
  type CollectionOptions,
  type CollectionRef,
  type DocRef,
  type DocumentsClient,
  type QueryRef,
  type QueryResult,
  type UpdateInput,
  type WriteBatch,
  type WriteInput,
} from './client/documents.js'
export type { FunctionCallOptions, FunctionsClient } from './client/functions.js'
export type { StorageClient, UploadTask } from './client/storage.js'
export { ERROR_CODES, PortabaseError, isPortabaseError, type ErrorCode, type PortabaseErrorOptions } from './errors.js'
export { generateId } from './ids.js'
export * from './links/index.js'
export { and, or, where } from './query/builders.js'
export { DOC_ID, FILTER_OPERATORS, type Cursor, type Direction, type FieldFilter, type Filter, type FilterOp, type OrderBy, type Query } from './query/model.js'
export type { StandardSchemaV1 } from './schema.js'
export { arrayRemove, arrayUnion, deleteField, increment, isSentinel, serverTimestamp, type Sentinel, type WriteData, type WriteValue } from './sentinels.js'
export { Bytes, GeoPoint, Reference, VALUE_TYPES, type ValueType, type ValueTypeName } from './value-types.js'
// The offline engine and its stores are in 'portabase/offline'; their types stay here for ClientOptions.
export type { LocalStore, StoreChange, StoredValue, StoreTable } from './offline/store.js'
export type * from './offline/types.js'
export type * from './spi.js'
export type * from './types.js'

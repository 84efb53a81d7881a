/**
 * The adapter SPI: what a vendor implements. Plain objects and neutral types only; validation,
 * id generation, links and the fluent API live in the client, once.
 */
import type { Observable } from 'rxjs'
import type { Query } from './query/model.js'
import type { WriteData } from './sentinels.js'
import type {
  ConfigScalar,
  ConnectionState,
  Doc,
  DocumentData,
  EmailPasswordCredentials,
  ListOptions,
  ListResult,
  ProfileUpdate,
  QuerySnapshot,
  StoredFile,
  User,
} from './types.js'
import type { FilterOp } from './query/model.js'
import type { ValueTypeName } from './value-types.js'

/** See `Capabilities.valueTypes`. */
export type ValueTypeSupport = 'queryable' | 'stored' | 'none'

/**
 * Vendor limits, declared by the adapter and enforced by the client before the adapter is called
 * (`invalid-argument`, provider: the adapter). A limit left out is not a limit on that adapter.
 */
export interface AdapterLimits {
  /** Most writes one `batch()` may hold (Firestore: 500). */
  readonly maxBatchWrites?: number
  /** Most values one `in`, `not-in` or `array-contains-any` list may hold (Firestore: 30). */
  readonly maxInValues?: number
  /**
   * Top-level field names the vendor keeps for itself (Parse: `objectId`, `ACL`, `sessionToken`,
   * `authData`): refused in writes and in query field paths.
   */
  readonly reservedFieldNames?: readonly string[]
}

/** What an adapter can do, as data: the client refuses the rest with `unsupported`. */
export interface Capabilities {
  emailPasswordAuth: boolean
  anonymousAuth: boolean
  /** OAuth provider ids `signInWithOAuth` accepts. */
  oauthProviders: readonly string[]
  passwordReset: boolean
  updateProfile: boolean
  /** Query operators the vendor runs (natively or emulated, see the adapter docs). */
  queryOperators: readonly FilterOp[]
  orQueries: boolean
  /** Queries on dotted paths into nested objects. */
  nestedFieldQueries: boolean
  /**
   * One field may hold values of different types across documents of a collection. SQL-backed
   * vendors (Parse, Supabase) type each column: a second type fails with `invalid-argument`.
   */
  mixedFieldTypes: boolean
  /**
   * Ordering on a field holding several types follows portabase's type order (boolean < number <
   * Date < string < bytes < reference < geo point < array < object < null; `nullOrder` places null).
   * False: the vendor's own (Supabase's jsonb: null, string, number, boolean, array, object, the
   * neutral value types being objects there); within one type the order is portabase's either way.
   */
  mixedTypeOrder: boolean
  /**
   * What the adapter does with each neutral value type (GeoPoint, Reference, Bytes: src/value-types.ts),
   * at any depth of a document. `queryable`: stored and read back as that type, and usable in
   * filters (`==`, `!=`, `in`, `not-in`, `array-contains(-any)`) and orderings, in the type order
   * (`mixedTypeOrder`). `stored`: stored and read back, but a query whose filter or cursor holds
   * one is refused with `unsupported`. `none`: a write holding one is refused with `unsupported`
   * (and so is a query comparing with one). The client checks this before calling the adapter, so
   * no adapter stores another type in place of one.
   */
  valueTypes: Readonly<Record<ValueTypeName, ValueTypeSupport>>
  /**
   * Which orderings `orderBy()` on a field may use. `any`: every field (memory, Firestore, Parse,
   * Supabase). `declared`: only the orderings declared for the collection in the adapter's
   * configuration (Amplify: a secondary index each); any other is refused with `unsupported`, never
   * emulated by reading the whole collection. Ordering by `DOC_ID` always works.
   */
  fieldOrdering: 'any' | 'declared'
  /**
   * How a query meets a document that lacks the field it filters or orders on. `null` (reference):
   * the missing field reads as null — `== null` and `in [null, …]` match it, `!=` and `not-in` match
   * it (see `notEqualNull`), `orderBy` sorts it with the nulls. `excluded` (Firestore): the document
   * matches no filter on that field, and a query ordered by the field leaves it out of its results,
   * its `count()` and its live snapshots.
   */
  missingFields: 'null' | 'excluded'
  /**
   * Where null sorts: `last` ascending and first descending (reference, PostgreSQL's default), or
   * `first` ascending and last descending (Firestore, where null is the lowest type). Values of other
   * types keep their order (`mixedTypeOrder`) either way.
   */
  nullOrder: 'last' | 'first'
  /**
   * Whether `!=` and `not-in` match a null field. `matched` (reference, like JavaScript's `!==`): a
   * null (or, with `missingFields: 'null'`, missing) field matches `!= 5` and `not-in [5]`.
   * `skipped` (Firestore): they match only non-null values, and a `not-in` list holding null matches
   * nothing. `!= null` matches present, non-null values either way.
   */
  notEqualNull: 'matched' | 'skipped'
  /**
   * How a query with inequality filters (`< <= > >= != not-in`) on fields its `orderBy()` does not
   * name is ordered. `none` (reference): by its `orderBy()`, then the id. `inequality-fields`
   * (Firestore): those fields are ordered by too, after the `orderBy()` fields and before the id, in
   * field-path order, in the direction of the last `orderBy()` (ascending without one). The client
   * adds them to the query it sends, so cursors and `missingFields` follow the full ordering.
   */
  implicitOrder: 'none' | 'inequality-fields'
  /**
   * What a read of documents the access rules hide does. `deny`: fails with `permission-denied`
   * (Firestore rules, Parse, memory). `filter`: they are left out, as if absent (Supabase's
   * row-level security): `get` answers null, a query or count sees only the readable documents.
   */
  readRules: 'deny' | 'filter'
  /** `batch()` is all-or-nothing. Without it, batch writes are applied in order, not atomically. */
  transactions: boolean
  realtime: boolean
  serverTimestamp: boolean
  increment: boolean
  arrayOps: boolean
  storage: boolean
  /** `getUrl` returns a URL that expires after `expiresIn`. */
  signedUrls: boolean
  functions: boolean
  remoteConfig: boolean
  /** Remote config changes reach the client while it listens (`app.config.updates()`). */
  configUpdates: boolean
  /** The vendor's limits on batches, query lists and field names (`{}`: none). */
  limits: AdapterLimits
}

export type WriteOp = (
  | {
      type: 'create'
      collection: string
      id: string
      data: WriteData
      /**
       * The id came from the client's generator (`add()`): 20 random characters, so a clash is as
       * unlikely as a 119-bit collision. An adapter may then write without checking that the
       * document is absent (Firestore: a plain set, as `addDoc` does, which also works offline).
       */
      generatedId?: true
    }
  | { type: 'set'; collection: string; id: string; data: WriteData }
  | { type: 'update'; collection: string; id: string; data: WriteData }
  | { type: 'delete'; collection: string; id: string }
) & {
  /**
   * An idempotency key. Adapters with `sync` record it on the document (or its tombstone) as
   * `SyncRecord.writeId`; the client sets it on writes a replay could apply twice (create, update,
   * sentinels), so a retry can first ask which of them were applied. Others ignore it.
   */
  writeId?: string
}

export interface WriteOptions {
  /** All-or-nothing; only requested when `capabilities.transactions` is true. */
  atomic: boolean
  signal?: AbortSignal
}

export interface CallOptions {
  signal?: AbortSignal
}

export interface AuthService {
  /** Replays the current user to each new subscriber. */
  readonly user$: Observable<User | null>
  currentUser(): User | null
  signUp(credentials: EmailPasswordCredentials): Promise<User>
  signIn(credentials: EmailPasswordCredentials): Promise<User>
  signInAnonymously(): Promise<User>
  signInWithOAuth(options: { provider: string }): Promise<User>
  signOut(): Promise<void>
  /** The vendor's ID/session token; `forceRefresh` asks for a new one. Null when signed out. */
  getIdToken(options: { forceRefresh: boolean }): Promise<string | null>
  sendPasswordReset(email: string): Promise<void>
  updateProfile(update: ProfileUpdate): Promise<User>
  /**
   * Optional session persistence (`createClient({ session })`): an opaque, adapter-defined string
   * that `restoreSession` can start the current session from (a secret: never log it), or null
   * when signed out. Adapters whose SDK persists its own session (Firebase) leave both undefined.
   */
  exportSession?(): string | null
  /**
   * Starts a session from an `exportSession` string, validated against the backend. Resolves the
   * user, or null when the stored session is invalid, expired or revoked (the adapter stays signed
   * out). Rejects only when validation could not happen (e.g. `unavailable`).
   */
  restoreSession?(session: string): Promise<User | null>
  /**
   * When the current ID token expires (epoch ms), or null when unknown or signed out. With it the
   * client refreshes proactively, shortly before expiry; without it, on demand only.
   */
  idTokenExpiresAt?(): number | null
}

export interface DocumentsService {
  get(collection: string, id: string, options?: CallOptions): Promise<Doc | null>
  /**
   * Runs a validated query; `orderBy` always ends with the document id and, with `implicitOrder:
   * 'inequality-fields'`, names every inequality field (model.ts). A query the vendor cannot run
   * natively fails with `unsupported`, unless it carries `clientPlan` and the adapter can honour it.
   */
  query(collection: string, query: Query, options?: CallOptions): Promise<Doc[]>
  /**
   * Number of documents the query returns without its limit and cursor: the filter matches (and,
   * with `missingFields: 'excluded'`, only those holding every orderBy field).
   */
  count(collection: string, query: Query, options?: CallOptions): Promise<number>
  /** Applies writes in order. `create` fails with `already-exists`, `update` with `not-found`. */
  write(ops: readonly WriteOp[], options: WriteOptions): Promise<void>
  /** Live result of a query: emits the first snapshot, then one per change. */
  watch(collection: string, query: Query): Observable<QuerySnapshot>
  /**
   * True when this collection is served on the device (the offline engine's collections): `watch()`
   * works whatever `capabilities.realtime` says, and writes are queued locally. Adapters leave it out.
   */
  servesLocally?(collection: string): boolean
}

export interface UploadRequest {
  path: string
  bytes: Uint8Array
  contentType: string
  metadata: Record<string, string>
  onProgress: (bytesTransferred: number) => void
  signal?: AbortSignal
}

export interface StorageService {
  upload(request: UploadRequest): Promise<StoredFile>
  download(path: string, options?: CallOptions): Promise<Uint8Array>
  getUrl(path: string, options: { expiresIn: number }): Promise<string>
  list(prefix: string, options: Required<Pick<ListOptions, 'limit'>> & { cursor: string | null }): Promise<ListResult>
  delete(path: string): Promise<void>
  getMetadata(path: string): Promise<StoredFile>
}

export interface FunctionsService {
  call(name: string, input: unknown, options: CallOptions & { timeoutMs?: number }): Promise<unknown>
}

export interface ConfigService {
  /** The remote values as the server has them now. */
  fetch(options?: CallOptions): Promise<Record<string, ConfigScalar>>
  /**
   * With `configUpdates`: emits whenever the server's values may have changed (also after a
   * reconnect, when a change may have been missed). Carries no values: the client fetches them.
   */
  changes?(): Observable<void>
}

/**
 * A document's server state as the offline engine sees it. `data` is null for a deletion the
 * backend remembers (a tombstone).
 */
export interface SyncRecord {
  id: string
  data: DocumentData | null
  /** Changes on every write, as `Doc.meta.version`. */
  version: string
  /** Server time of the last write (or of the deletion); what delta sync orders by. */
  updateTime: Date
  /** The `writeId` the last write carried, or null when it carried none. */
  writeId: string | null
  /**
   * The record's place in the feed, when the backend orders its feed by something other than
   * (updateTime, id) — Supabase: the writing transaction — opaque to the engine, which hands it
   * back in the checkpoint.
   */
  position?: string
}

/** Position in a collection's change feed: everything up to and including (updateTime, id). */
export interface SyncCheckpoint {
  updateTime: Date
  id: string
  /** The last record's `position`, for backends whose feed has one (see SyncRecord.position). */
  position?: string
}

/** A write tagged with the id the offline engine gave it; the backend records it on the document. */
export type SyncWrite = WriteOp & { writeId: string }

export type SyncWriteOutcome = { ok: true } | { ok: false; error: Error }

/**
 * What the offline engine needs beyond DocumentsService (adapters without it cannot run offline
 * collections: `unsupported`). Every write through this adapter, with or without a writeId,
 * replaces the recorded writeId, and every deletion leaves a tombstone for `changes`.
 */
export interface SyncService {
  /**
   * Server state of these documents: existing ones and known tombstones; unknown ids are absent, and
   * so are documents the caller may not read (a backend whose read rules run as triggers may
   * reject the call with `permission-denied` instead).
   */
  fetch(collection: string, ids: readonly string[], options?: CallOptions): Promise<SyncRecord[]>
  /**
   * Up to `limit` records changed after `after` (null: from the start), ordered by (updateTime, id),
   * tombstones included. A page shorter than `limit` means the end of the feed. Rejects with `failed-precondition` (details.reason 'checkpoint-expired')
   * when tombstones after `after` may have been purged: the caller must then sync in full.
   */
  changes(collection: string, after: SyncCheckpoint | null, limit: number, options?: CallOptions): Promise<SyncRecord[]>
  /**
   * Applies writes in order, each on its own (not atomic): one outcome per write, so one rejected
   * write does not hold back the others. Rejects as a whole only when the request itself failed
   * (e.g. `unavailable`); then any subset may have been applied, which the writeIds reveal.
   */
  write(ops: readonly SyncWrite[], options?: CallOptions): Promise<SyncWriteOutcome[]>
}

export interface Adapter {
  readonly name: string
  readonly capabilities: Capabilities
  readonly auth: AuthService
  readonly documents: DocumentsService
  readonly storage: StorageService
  readonly functions: FunctionsService
  readonly config: ConfigService
  /** Present on adapters that can back offline collections (memory, Parse). */
  readonly sync?: SyncService
  readonly connection$: Observable<ConnectionState>
  dispose(): Promise<void>
}

export type { DocumentData }

/**
 * What a migration reads from and writes to: an endpoint per side. Documents, files and remote
 * config go through the adapter SPI where it suffices; what the SPI has no call for (writing
 * remote config, listing and importing users, bypassing access rules) is an optional admin
 * extension, declared per endpoint (see `EndpointCapabilities`) and documented in docs/migrate.md.
 */
import type { ConfigScalar, Doc, StoredFile, User } from '../types.js'
import type { Chunks } from './chunks.js'

/** A page of documents in the source's order and the opaque position after it (null: the end). */
export interface DocumentPage {
  docs: Doc[]
  cursor: string | null
}

export interface DocumentReader {
  /** Documents after `cursor` (null: from the start), at most `limit`. */
  readPage(collection: string, cursor: string | null, limit: number): Promise<DocumentPage>
  /** Number of documents, for progress bars; undefined when the endpoint cannot tell cheaply. */
  count?(collection: string): Promise<number | undefined>
  /** Collections the endpoint knows without being told (a backup's manifest). */
  listCollections?(): Promise<string[]>
}

export interface DocumentWriter {
  /** Writes documents by id with set semantics: a document written twice ends up once. */
  writePage(collection: string, docs: readonly Doc[]): Promise<void>
  /** The stored documents among `ids` (missing ones absent): resume reconciles a page with them. */
  readByIds(collection: string, ids: readonly string[]): Promise<Map<string, Doc>>
}

export interface FileReader {
  list(prefix: string, cursor: string | null, limit: number): Promise<{ items: StoredFile[]; cursor: string | null }>
  /**
   * The file's bytes chunk by chunk (chunks.ts). A failure may come when the download starts or
   * while its chunks are read; a reader that stops early ends the stream with `return()`.
   */
  download(path: string): Promise<Chunks>
}

export interface FileWriter {
  /** Stores `file` with these bytes, reading them to the end (or failing). */
  upload(file: StoredFile, chunks: Chunks): Promise<void>
}

export interface ConfigAccess {
  read?(): Promise<Record<string, ConfigScalar>>
  /** Sets these keys (others are kept). */
  write?(values: Record<string, ConfigScalar>): Promise<void>
}

/** How an account's password is stored, in a form another backend may accept. */
export type PasswordHash =
  | { algorithm: 'pbkdf2-sha256'; iterations: number; salt: string; hash: string }
  | { algorithm: 'bcrypt'; hash: string }
  | { algorithm: 'firebase-scrypt'; hash: string; salt: string }

/** A user account as it moves between backends. `password` holds a hash (a secret: never printed). */
export interface MigratedUser extends User {
  /** Absent when the source cannot export the hash (Parse's REST API never returns it). */
  password?: PasswordHash
}

/** An account named in the report: its source uid and email, and why. */
export interface UserNote {
  uid: string
  email: string | null
  reason: string
}

export interface UserImportResult {
  imported: number
  /** Password accounts imported without a usable password: their owners must reset it. */
  mustReset: UserNote[]
  /** Accounts the target cannot hold (an anonymous one where accounts need an email): not created. */
  notImported?: UserNote[]
  /**
   * Source uid → target uid, for accounts the target gave another id (Cognito assigns `sub`s;
   * GoTrue takes UUIDs only). Accounts absent from it kept their uid.
   */
  idMap?: Record<string, string>
}

export interface UserAccess {
  list?(cursor: string | null, limit: number): Promise<{ users: MigratedUser[]; cursor: string | null }>
  /**
   * Creates or replaces the accounts, keeping their uids where the target allows (else reported in
   * `idMap`); idempotent: a repeated import finds the accounts it created (by uid, or by email).
   */
  import?(users: readonly MigratedUser[]): Promise<UserImportResult>
}

export interface EndpointCapabilities {
  /** Whether written documents keep the source's `updateTime`, or the target assigns its own. */
  timestamps: 'preserved' | 'server-assigned'
  /** What resume does with the page that was in flight: reconcile it by id, or truncate to the checkpoint (append-only files). */
  resume: 'reconcile' | 'truncate'
}

export interface Endpoint {
  /** For logs and reports: adapter name and where, never a secret. */
  readonly label: string
  readonly capabilities: EndpointCapabilities
  readonly documents: DocumentReader & Partial<DocumentWriter>
  readonly files?: Partial<FileReader & FileWriter>
  readonly config?: ConfigAccess
  readonly users?: UserAccess
  /**
   * Top-level document fields that hold uids (the owner field of owner rules), rewritten through
   * the id map of the users import as documents are written to this endpoint (uid-map.ts). The
   * target config's `uidFields` option.
   */
  readonly uidFields?: readonly string[]
  /** A checkpoint's resume state for this endpoint (a backup: byte offsets), and restoring it. */
  resumeState?(): Promise<unknown>
  restoreResumeState?(state: unknown): Promise<void>
  close(): Promise<void>
}

import { Subject } from 'rxjs'
import { PortabaseError } from '../../src/errors.js'
import { deepFreeze } from '../../src/freeze.js'
import { typeRank } from '../../src/query/compare.js'
import type { ConfigScalar, Doc, DocumentData, User } from '../../src/types.js'
import { systemClock, type Clock } from './clock.js'

/** Context a server function receives. */
export interface FunctionContext {
  /** The caller, or null when signed out. */
  auth: User | null
  signal?: AbortSignal
}

export type MemoryFunction = (input: unknown, context: FunctionContext) => unknown

export interface RuleContext {
  auth: User | null
  /** For read: the document read. For write: the document as it would be after the write (null for delete). */
  doc: Doc | null
  /** For write: the document before the write (null when it does not exist). */
  existing: Doc | null
}

/** Access rules of one collection; a missing predicate allows everything. */
export interface CollectionRules {
  read?: (ctx: RuleContext) => boolean
  write?: (ctx: RuleContext) => boolean
}

export interface MemoryBackendOptions {
  functions?: Record<string, MemoryFunction>
  /** Remote config values served by `fetchAndActivate`. */
  config?: Record<string, ConfigScalar>
  rules?: Record<string, CollectionRules>
  clock?: Clock
  /** Lifetime of ID tokens. Default 1 hour. */
  tokenTtlMs?: number
  /** PBKDF2 iterations for stored passwords. Default 10,000: a test backend, not a vault. */
  passwordIterations?: number
}

export interface UserRecord {
  user: User
  salt?: Uint8Array
  passwordHash?: Uint8Array
}

export interface StoredBlob {
  bytes: Uint8Array
  contentType: string
  metadata: Record<string, string>
  updated: Date
}

/** One committed change to a document, as every connected client sees it. */
export interface DocumentEvent {
  collection: string
  id: string
  after: Doc | undefined
}

/**
 * The server side of the memory adapter: state several clients share, as they share a real
 * backend. Clients (adapters) never touch each other, only this.
 */
export class MemoryBackend {
  readonly clock: Clock
  readonly tokenTtlMs: number
  readonly passwordIterations: number
  readonly functions: Map<string, MemoryFunction>
  readonly rules: Map<string, CollectionRules>
  config: Record<string, ConfigScalar>

  readonly collections = new Map<string, Map<string, Doc>>()
  readonly users = new Map<string, UserRecord>()
  readonly uidByEmail = new Map<string, string>()
  /** ID token → uid and expiry. */
  readonly idTokens = new Map<string, { uid: string; expiresAt: number }>()
  /** Refresh token → uid. */
  readonly refreshTokens = new Map<string, string>()
  readonly files = new Map<string, StoredBlob>()
  /** Password-reset emails "sent", for tests to inspect. */
  readonly sentEmails: { to: string; kind: 'password-reset' }[] = []
  /** Committed document changes, in commit order. */
  readonly events$ = new Subject<DocumentEvent[]>()
  private versionCounter = 0
  private readonly schemas = new Map<string, Map<string, number>>()

  constructor(options: MemoryBackendOptions = {}) {
    this.clock = options.clock ?? systemClock
    this.tokenTtlMs = options.tokenTtlMs ?? 3_600_000
    this.passwordIterations = options.passwordIterations ?? 10_000
    this.functions = new Map(Object.entries(options.functions ?? {}))
    this.rules = new Map(Object.entries(options.rules ?? {}))
    this.config = { ...(options.config ?? {}) }
  }

  collection(name: string): Map<string, Doc> {
    let docs = this.collections.get(name)
    if (!docs) {
      docs = new Map()
      this.collections.set(name, docs)
    }
    return docs
  }

  /** Field → type rank per collection, learnt from the data on first use (typed-fields mode). */
  fieldTypes(collection: string): Map<string, number> {
    let types = this.schemas.get(collection)
    if (!types) {
      types = new Map()
      for (const doc of this.collection(collection).values()) {
        for (const [field, value] of Object.entries(doc.data)) if (value !== null && !types.has(field)) types.set(field, typeRank(value))
      }
      this.schemas.set(collection, types)
    }
    return types
  }

  nextVersion(): string {
    this.versionCounter += 1
    return String(this.versionCounter)
  }

  /** Replaces the remote config served to clients. */
  setConfig(values: Record<string, ConfigScalar>): void {
    this.config = { ...values }
  }

  defineFunction(name: string, handler: MemoryFunction): void {
    this.functions.set(name, handler)
  }

  /** Writes documents directly, bypassing rules and networks (seed data for tests). */
  seed(collection: string, docs: Record<string, DocumentData>): void {
    const store = this.collection(collection)
    const events: DocumentEvent[] = []
    for (const [id, data] of Object.entries(docs)) {
      const doc = freezeDoc(id, data, new Date(this.clock.now()), this.nextVersion())
      store.set(id, doc)
      events.push({ collection, id, after: doc })
    }
    this.events$.next(events)
  }

  userForToken(token: string | null): User | null {
    if (!token) return null
    const entry = this.idTokens.get(token)
    if (!entry) return null
    if (entry.expiresAt <= this.clock.now()) throw new PortabaseError('unauthenticated', 'The ID token has expired', { provider: 'memory' })
    return this.users.get(entry.uid)?.user ?? null
  }
}

export function freezeDoc(id: string, data: DocumentData, updateTime: Date, version: string): Doc {
  return Object.freeze({
    id,
    data: deepFreeze(data),
    meta: Object.freeze({ updateTime, version, fromCache: false, hasPendingWrites: false }),
  })
}


export function createMemoryBackend(options: MemoryBackendOptions = {}): MemoryBackend {
  return new MemoryBackend(options)
}

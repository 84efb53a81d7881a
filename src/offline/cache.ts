/**
 * The engine's in-memory mirror of the local store: the last known server state of each document,
 * the queued writes, and the local view (server state with the queued writes applied on top). The
 * store stays the source of truth across restarts; this mirror makes reads synchronous and cheap.
 */
import { Subject } from 'rxjs'
import { deepFreeze } from '../freeze.js'
import { valuesEqual } from '../query/compare.js'
import { compileDeclared } from '../query/declared.js'
import { runQuery, type Comparator, type CompiledQuery } from '../query/evaluate.js'
import type { OrderBy, Query } from '../query/model.js'
import { OrderedIndexes } from '../query/ordered-index.js'
import { isReferenceSemantics, REFERENCE_SEMANTICS, type QuerySemantics } from '../query/semantics.js'
import type { SyncRecord, WriteOp } from '../spi.js'
import type { Doc, DocumentData } from '../types.js'
import { applyWrite } from '../write.js'
import { decodeData, decodeWriteData, encodeData, encodeWriteData } from './codec.js'
import type { StoreChange, StoredValue } from './store.js'
import type { WrittenWrite } from './types.js'

/** What this device knows of a document on the server. */
export interface ServerState {
  data: DocumentData | null
  /** Null right after this device wrote it (the server's new version is not known yet). */
  version: string | null
  writeId: string | null
  updateTime: Date | null
}

/** The server state a chain of queued writes started from; conflicts are detected against it. */
export type BaseState = ServerState

/**
 * A conflict decision attached to the queued write(s) that carry it out, persisted with them so
 * the outcome survives a crash and is reported once the server has the write.
 */
export interface Verdict {
  kind: 'merged' | 'overridden'
  level: 'field' | 'document'
  fields: string[]
  local: DocumentData | null
  server: DocumentData | null
  /** The writes as the app made them, which this queued write stands for. */
  writes: WrittenWrite[]
}

export interface QueuedWrite {
  seq: number
  writeId: string
  op: WriteOp
  base: BaseState
  createdAt: Date
  verdict?: Verdict
}

export interface LocalChange {
  collection: string
  id: string
  doc: Doc | undefined
}

/** Store changes, and the matching update of the in-memory mirror to run once they are committed. */
export interface Prepared {
  changes: StoreChange[]
  apply(): void
}

/** Queued writes leaving the outbox, rewritten in place, and new server states, in one commit. */
export interface Settlement {
  removed?: readonly QueuedWrite[]
  /** Rewritten queued writes (same seq): a conflict decision's patch or replacement. */
  replaced?: readonly QueuedWrite[]
  states?: ReadonlyMap<string, ServerState | undefined>
  /**
   * After this device's own writes reached the server (or a decision was taken against it): the
   * documents' remaining queued writes now start from the new state, else they would later
   * conflict with this device's own write.
   */
  rebase?: boolean
}

export const docKey = (collection: string, id: string): string => `${collection}/${id}`
export const outboxKey = (seq: number): string => String(seq).padStart(16, '0')
const ABSENT: ServerState = Object.freeze({ data: null, version: null, writeId: null, updateTime: null })

/** The write as the app made it. */
export function written(w: QueuedWrite): WrittenWrite {
  return { writeId: w.writeId, type: w.op.type, data: w.op.type === 'delete' ? null : w.op.data, createdAt: w.createdAt }
}

/** Indexes pay off from this many documents (below, a scan is as fast); at most this many orderings. */
const INDEX_MIN_DOCS = 1_000
const INDEXES_PER_COLLECTION = 8

/** One collection's share of the mirror. */
interface CollectionMirror {
  /** Last known server state per id. */
  server: Map<string, ServerState>
  /** The local view per id: server state with the queued writes applied. */
  local: Map<string, Doc>
  /** Ordered indexes of the local view, for limited queries. */
  indexes: OrderedIndexes<Doc>
}

export class LocalCache {
  private readonly collections = new Map<string, CollectionMirror>()
  private readonly queued = new Map<number, QueuedWrite>()
  private readonly queuedByDoc = new Map<string, QueuedWrite[]>()
  private readonly writeIds = new Set<string>()
  readonly changes$ = new Subject<LocalChange[]>()
  private lastSeq = 0

  /** `semantics`: the adapter's declared query semantics, which local queries and their indexes follow. */
  constructor(private readonly semantics: QuerySemantics = REFERENCE_SEMANTICS) {}

  load(docs: Array<[string, StoredValue]>, outbox: Array<[string, StoredValue]>): void {
    // Keys come sorted: a collection's documents are consecutive.
    let prefix = ''
    let server: Map<string, ServerState> | undefined
    for (const [key, value] of docs) {
      if (server === undefined || !key.startsWith(prefix)) {
        const slash = key.indexOf('/')
        prefix = key.slice(0, slash + 1)
        server = this.mirror(key.slice(0, slash)).server
      }
      server.set(key.slice(prefix.length), decodeServerState(value))
    }
    for (const [, value] of outbox) {
      const write = decodeQueuedWrite(value)
      this.addQueued(write)
      this.lastSeq = Math.max(this.lastSeq, write.seq)
    }
    // Documents without queued writes (nearly all) are their server state: built directly.
    const queued = this.queuedByDoc.size > 0
    for (const [collection, { server, local }] of this.collections) {
      for (const [id, state] of server) {
        if (state.data === null || (queued && this.queuedByDoc.has(docKey(collection, id)))) continue
        local.set(id, localDoc(id, state.data, state, []))
      }
    }
    for (const key of this.queuedByDoc.keys()) this.recompute(key)
  }

  /**
   * Replaces the mirror with the store's rows, in place and without emitting (another tab changed
   * the shared store; the engine re-runs its views). Sequence numbers keep growing.
   */
  reload(docs: Array<[string, StoredValue]>, outbox: Array<[string, StoredValue]>): void {
    this.collections.clear()
    this.queued.clear()
    this.queuedByDoc.clear()
    this.writeIds.clear()
    this.load(docs, outbox)
  }

  nextSeq(): number {
    this.lastSeq += 1
    return this.lastSeq
  }

  serverState(collection: string, id: string): ServerState {
    return this.collections.get(collection)?.server.get(id) ?? ABSENT
  }

  /** Queued writes, oldest first. */
  outbox(): QueuedWrite[] {
    return [...this.queued.values()].sort((a, b) => a.seq - b.seq)
  }

  get pendingCount(): number {
    return this.queued.size
  }

  get isEmpty(): boolean {
    if (this.queued.size > 0) return false
    for (const { server } of this.collections.values()) if (server.size > 0) return false
    return true
  }

  queuedAt(seq: number): QueuedWrite | undefined {
    return this.queued.get(seq)
  }

  hasWriteId(writeId: string): boolean {
    return this.writeIds.has(writeId)
  }

  queuedFor(collection: string, id: string): readonly QueuedWrite[] {
    return this.queuedByDoc.get(docKey(collection, id)) ?? []
  }

  /** Collections with queued writes. */
  pendingCollections(): Set<string> {
    const out = new Set<string>()
    for (const w of this.queued.values()) out.add(w.op.collection)
    return out
  }

  doc(collection: string, id: string): Doc | undefined {
    return this.collections.get(collection)?.local.get(id)
  }

  docs(collection: string): Iterable<Doc> {
    return this.collections.get(collection)?.local.values() ?? []
  }

  /**
   * Runs a query on the local view, under the adapter's declared semantics. A limited query reads
   * its page from an ordered index of its ordering (built on the ordering's second use, kept up to
   * date by every change; cursor pages start at the cursor), so it reads about `limit` / (the share
   * that matches) documents; other queries scan.
   */
  query(collection: string, query: Query, compiled: CompiledQuery = compileDeclared(query, this.semantics)): Doc[] {
    const mirror = this.collections.get(collection)
    if (!mirror) return []
    const index = query.limit !== undefined ? mirror.indexes.ordered(query.orderBy, mirror.local, this.orderCompare(query.orderBy)) : undefined
    return index ? runQuery(index.values(query.startAfter), compiled, { ordered: true }) : runQuery(mirror.local.values(), compiled)
  }

  ids(collection: string): string[] {
    const mirror = this.collections.get(collection)
    const ids = new Set<string>(mirror?.server.keys())
    const prefix = `${collection}/`
    for (const key of this.queuedByDoc.keys()) if (key.startsWith(prefix)) ids.add(key.slice(prefix.length))
    return [...ids]
  }

  /** Whether this device holds a server state of the document. */
  holds(collection: string, id: string): boolean {
    return this.collections.get(collection)?.server.has(id) ?? false
  }

  /** The write id this device last knows for a document: its last queued write's, else the server's. */
  lastWriteId(collection: string, id: string): string | null {
    const queued = this.queuedFor(collection, id)
    return queued.length > 0 ? queued[queued.length - 1]!.writeId : this.serverState(collection, id).writeId
  }

  // --- mutations: `prepare*` returns the store changes and, to run after they commit, the mirror update ---

  prepareQueue(writes: readonly QueuedWrite[]): Prepared {
    return {
      changes: writes.map((w) => ({ table: 'outbox', key: outboxKey(w.seq), value: encodeQueuedWrite(w) })),
      apply: () => {
        for (const w of writes) this.addQueued(w)
        this.emit(writes.map((w) => docKey(w.op.collection, w.op.id)))
      },
    }
  }

  prepareSettle({ removed = [], replaced = [], states = new Map(), rebase = false }: Settlement): Prepared {
    const gone = new Set(removed.map((w) => w.seq))
    const upserts = new Map<number, QueuedWrite>(replaced.map((w) => [w.seq, w]))
    if (rebase) {
      for (const [key, state] of states) {
        for (const w of this.queuedByDoc.get(key) ?? []) {
          if (!gone.has(w.seq)) upserts.set(w.seq, { ...(upserts.get(w.seq) ?? w), base: state ?? ABSENT })
        }
      }
    }
    const changes: StoreChange[] = removed.map((w) => ({ table: 'outbox', key: outboxKey(w.seq), delete: true as const }))
    for (const w of upserts.values()) changes.push({ table: 'outbox', key: outboxKey(w.seq), value: encodeQueuedWrite(w) })
    for (const [key, state] of states) {
      changes.push(state === undefined ? { table: 'docs', key, delete: true } : { table: 'docs', key, value: encodeServerState(state) })
    }
    return {
      changes,
      apply: () => {
        const keys = new Set<string>(states.keys())
        for (const w of removed) keys.add(this.removeQueued(w.seq))
        for (const w of upserts.values()) keys.add(this.replaceQueued(w))
        for (const [key, state] of states) {
          const slash = key.indexOf('/')
          const server = this.mirror(key.slice(0, slash)).server
          if (state === undefined) server.delete(key.slice(slash + 1))
          else server.set(key.slice(slash + 1), state)
        }
        this.emit([...keys])
      },
    }
  }

  /** Forgets everything (the engine switched to another user's queue): emits a removal per document. */
  clear(): void {
    const keys = new Set(this.queuedByDoc.keys())
    for (const [collection, { server }] of this.collections) for (const id of server.keys()) keys.add(docKey(collection, id))
    for (const { server } of this.collections.values()) server.clear()
    this.queued.clear()
    this.queuedByDoc.clear()
    this.writeIds.clear()
    this.emit([...keys])
  }

  private mirror(collection: string): CollectionMirror {
    let mirror = this.collections.get(collection)
    if (!mirror) {
      mirror = { server: new Map(), local: new Map(), indexes: new OrderedIndexes<Doc>({ minDocs: INDEX_MIN_DOCS, max: INDEXES_PER_COLLECTION, buildOnUse: 2 }) }
      this.collections.set(collection, mirror)
    }
    return mirror
  }

  /** The comparison an index of this ordering sorts by: the declared one, as queries compare. */
  private orderCompare(orderBy: readonly OrderBy[]): Comparator | undefined {
    return isReferenceSemantics(this.semantics) ? undefined : compileDeclared({ filters: [], orderBy: [...orderBy] }, this.semantics).compare
  }

  private addQueued(write: QueuedWrite): void {
    this.queued.set(write.seq, write)
    this.writeIds.add(write.writeId)
    const key = docKey(write.op.collection, write.op.id)
    const list = this.queuedByDoc.get(key) ?? []
    list.push(write)
    list.sort((a, b) => a.seq - b.seq)
    this.queuedByDoc.set(key, list)
  }

  private removeQueued(seq: number): string {
    const write = this.queued.get(seq)
    if (!write) return ''
    this.queued.delete(seq)
    this.writeIds.delete(write.writeId)
    const key = docKey(write.op.collection, write.op.id)
    const list = this.queuedByDoc.get(key)?.filter((q) => q.seq !== seq) ?? []
    if (list.length > 0) this.queuedByDoc.set(key, list)
    else this.queuedByDoc.delete(key)
    return key
  }

  private replaceQueued(write: QueuedWrite): string {
    const old = this.queued.get(write.seq)
    if (!old) return ''
    this.writeIds.delete(old.writeId)
    this.writeIds.add(write.writeId)
    this.queued.set(write.seq, write)
    const key = docKey(write.op.collection, write.op.id)
    this.queuedByDoc.set(key, (this.queuedByDoc.get(key) ?? []).map((q) => (q.seq === write.seq ? write : q)))
    return key
  }

  private emit(keys: readonly string[]): void {
    const changes: LocalChange[] = []
    for (const key of new Set(keys)) {
      if (key === '') continue
      const change = this.recompute(key)
      if (change) changes.push(change)
    }
    if (changes.length > 0) this.changes$.next(changes)
  }

  /** Recomputes the local view of one document (and its place in the indexes); returns the change, if any. */
  private recompute(key: string): LocalChange | undefined {
    const slash = key.indexOf('/')
    const collection = key.slice(0, slash)
    const id = key.slice(slash + 1)
    const mirror = this.mirror(collection)
    const state = mirror.server.get(id) ?? ABSENT
    const queued = this.queuedByDoc.get(key) ?? []
    const data = overlay(state.data, queued)
    const before = mirror.local.get(id)
    if (data === null) {
      if (!before) return undefined
      mirror.local.delete(id)
      mirror.indexes.replace(before, undefined)
      return { collection, id, doc: undefined }
    }
    const doc = localDoc(id, data, state, queued)
    if (before && before.meta.version === doc.meta.version && before.meta.hasPendingWrites === doc.meta.hasPendingWrites && valuesEqual(before.data, data)) return undefined
    mirror.local.set(id, doc)
    mirror.indexes.replace(before, doc)
    return { collection, id, doc }
  }
}

/** The local view of a document: its data after the queued writes, on top of the server state. */
function localDoc(id: string, data: DocumentData, state: ServerState, queued: readonly QueuedWrite[]): Doc {
  const last = queued[queued.length - 1]
  const serverVersion = state.version ?? `written:${state.writeId ?? ''}`
  // Changes whenever the server state under the queued writes or the writes themselves change.
  const version = last ? `local:${queued[0]!.seq}-${last.writeId}:${serverVersion}` : serverVersion
  const updateTime = Object.freeze(last?.createdAt ?? state.updateTime ?? new Date(0))
  const meta = Object.freeze({ updateTime, version, fromCache: true, hasPendingWrites: queued.length > 0 })
  return Object.freeze({ id, data: deepFreeze(data), meta })
}

/** The document after the queued writes, in order (null: absent). A write that cannot apply is skipped. */
export function overlay(data: DocumentData | null, queued: readonly QueuedWrite[]): DocumentData | null {
  let current: DocumentData | undefined = data ?? undefined
  for (const { op, createdAt } of queued) {
    if (op.type === 'delete') current = undefined
    else if (op.type === 'update' && current === undefined) continue
    else current = applyWrite(current, op, createdAt)
  }
  return current ?? null
}

export function serverStateOf(record: SyncRecord): ServerState {
  return { data: record.data, version: record.version, writeId: record.writeId, updateTime: record.updateTime }
}

function encodeServerState(state: ServerState): StoredValue {
  return {
    d: state.data === null ? null : encodeData(state.data),
    v: state.version,
    w: state.writeId,
    t: state.updateTime?.getTime() ?? null,
  }
}

function decodeServerState(json: StoredValue): ServerState {
  const s = json as { d: StoredValue; v: string | null; w: string | null; t: number | null }
  return { data: s.d === null ? null : decodeData(s.d), version: s.v, writeId: s.w, updateTime: s.t === null ? null : new Date(s.t) }
}

function encodeQueuedWrite(w: QueuedWrite): StoredValue {
  const { op } = w
  return {
    s: w.seq,
    w: w.writeId,
    type: op.type,
    c: op.collection,
    i: op.id,
    d: op.type === 'delete' ? null : encodeWriteData(op.data),
    b: encodeServerState(w.base),
    t: w.createdAt.getTime(),
    ...(w.verdict ? { o: encodeVerdict(w.verdict) } : {}),
  }
}

function encodeVerdict(v: Verdict): StoredValue {
  return {
    k: v.kind,
    l: v.level,
    f: v.fields,
    ld: v.local === null ? null : encodeData(v.local),
    sd: v.server === null ? null : encodeData(v.server),
    w: v.writes.map((w) => ({ w: w.writeId, type: w.type, d: w.data === null ? null : encodeWriteData(w.data), t: w.createdAt.getTime() })),
  }
}

function decodeVerdict(json: StoredValue): Verdict {
  const v = json as { k: Verdict['kind']; l: Verdict['level']; f: string[]; ld: StoredValue; sd: StoredValue; w: Array<{ w: string; type: WrittenWrite['type']; d: StoredValue; t: number }> }
  return {
    kind: v.k,
    level: v.l,
    fields: v.f,
    local: v.ld === null ? null : decodeData(v.ld),
    server: v.sd === null ? null : decodeData(v.sd),
    writes: v.w.map((w) => ({ writeId: w.w, type: w.type, data: w.d === null ? null : decodeWriteData(w.d), createdAt: new Date(w.t) })),
  }
}

function decodeQueuedWrite(json: StoredValue): QueuedWrite {
  const q = json as { s: number; w: string; type: WriteOp['type']; c: string; i: string; d: StoredValue; b: StoredValue; t: number; o?: StoredValue }
  const op: WriteOp = q.type === 'delete' ? { type: 'delete', collection: q.c, id: q.i } : { type: q.type, collection: q.c, id: q.i, data: decodeWriteData(q.d) }
  const write: QueuedWrite = { seq: q.s, writeId: q.w, op, base: decodeServerState(q.b), createdAt: new Date(q.t) }
  if (q.o !== undefined) write.verdict = decodeVerdict(q.o)
  return write
}

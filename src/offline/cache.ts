/**
 * The engine's in-memory mirror of the local store: the last known server state of each document,
 * the queued writes, and the local view (server state with the queued writes applied on top). The
 * store stays the source of truth across restarts; this mirror makes reads synchronous and cheap.
 */
import { Subject } from 'rxjs'
import { deepFreeze } from '../freeze.js'
import { valuesEqual } from '../query/compare.js'
import type { SyncRecord, WriteOp } from '../spi.js'
import type { Doc, DocumentData } from '../types.js'
import { applyWrite } from '../write.js'
import { decodeData, decodeWriteData, encodeData, encodeWriteData } from './codec.js'
import type { StoreChange, StoredValue } from './store.js'

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

export interface QueuedWrite {
  seq: number
  writeId: string
  op: WriteOp
  base: BaseState
  createdAt: Date
}

export interface LocalChange {
  collection: string
  id: string
  doc: Doc | undefined
}

export const docKey = (collection: string, id: string): string => `${collection}/${id}`
export const outboxKey = (seq: number): string => String(seq).padStart(16, '0')
const ABSENT: ServerState = Object.freeze({ data: null, version: null, writeId: null, updateTime: null })

export class LocalCache {
  private readonly server = new Map<string, ServerState>()
  private readonly queued = new Map<number, QueuedWrite>()
  private readonly queuedByDoc = new Map<string, QueuedWrite[]>()
  private readonly local = new Map<string, Map<string, Doc>>()
  readonly changes$ = new Subject<LocalChange[]>()
  private lastSeq = 0

  load(docs: Array<[string, StoredValue]>, outbox: Array<[string, StoredValue]>): void {
    for (const [key, value] of docs) this.server.set(key, decodeServerState(value))
    for (const [, value] of outbox) {
      const write = decodeQueuedWrite(value)
      this.addQueued(write)
      this.lastSeq = Math.max(this.lastSeq, write.seq)
    }
    const keys = new Set([...this.server.keys(), ...this.queuedByDoc.keys()])
    for (const key of keys) this.recompute(key)
  }

  nextSeq(): number {
    this.lastSeq += 1
    return this.lastSeq
  }

  serverState(collection: string, id: string): ServerState {
    return this.server.get(docKey(collection, id)) ?? ABSENT
  }

  /** Queued writes, oldest first. */
  outbox(): QueuedWrite[] {
    return [...this.queued.values()].sort((a, b) => a.seq - b.seq)
  }

  get pendingCount(): number {
    return this.queued.size
  }

  queuedFor(collection: string, id: string): readonly QueuedWrite[] {
    return this.queuedByDoc.get(docKey(collection, id)) ?? []
  }

  doc(collection: string, id: string): Doc | undefined {
    return this.local.get(collection)?.get(id)
  }

  docs(collection: string): Iterable<Doc> {
    return this.local.get(collection)?.values() ?? []
  }

  ids(collection: string): string[] {
    const ids = new Set<string>()
    const prefix = `${collection}/`
    for (const key of this.server.keys()) if (key.startsWith(prefix)) ids.add(key.slice(prefix.length))
    for (const key of this.queuedByDoc.keys()) if (key.startsWith(prefix)) ids.add(key.slice(prefix.length))
    return [...ids]
  }

  // --- mutations: each returns the store changes that persist it; `apply*` updates the mirror ---

  queueChanges(writes: readonly QueuedWrite[]): StoreChange[] {
    return writes.map((w) => ({ table: 'outbox', key: outboxKey(w.seq), value: encodeQueuedWrite(w) }))
  }

  applyQueued(writes: readonly QueuedWrite[]): void {
    for (const w of writes) this.addQueued(w)
    this.emit(writes.map((w) => docKey(w.op.collection, w.op.id)))
  }

  /**
   * Store changes that remove queued writes and record new server states. With `rebase` (after this
   * device's own writes reached the server), the document's remaining queued writes now start from
   * that state: otherwise they would later conflict with this device's own write.
   */
  settleChanges(removed: readonly QueuedWrite[], states: ReadonlyMap<string, ServerState | undefined>, rebase = false): StoreChange[] {
    const changes: StoreChange[] = removed.map((w) => ({ table: 'outbox', key: outboxKey(w.seq), delete: true as const }))
    for (const [key, state] of states) {
      changes.push(state === undefined ? { table: 'docs', key, delete: true } : { table: 'docs', key, value: encodeServerState(state) })
    }
    if (rebase) for (const w of this.rebased(removed, states)) changes.push({ table: 'outbox', key: outboxKey(w.seq), value: encodeQueuedWrite(w) })
    return changes
  }

  applySettled(removed: readonly QueuedWrite[], states: ReadonlyMap<string, ServerState | undefined>, rebase = false): void {
    const keys = new Set<string>(states.keys())
    const rebased = rebase ? this.rebased(removed, states) : []
    for (const w of rebased) this.queued.set(w.seq, w)
    for (const w of rebased) {
      const key = docKey(w.op.collection, w.op.id)
      this.queuedByDoc.set(key, (this.queuedByDoc.get(key) ?? []).map((q) => (q.seq === w.seq ? w : q)))
    }
    for (const w of removed) {
      this.queued.delete(w.seq)
      const key = docKey(w.op.collection, w.op.id)
      const list = this.queuedByDoc.get(key)?.filter((q) => q.seq !== w.seq) ?? []
      if (list.length > 0) this.queuedByDoc.set(key, list)
      else this.queuedByDoc.delete(key)
      keys.add(key)
    }
    for (const [key, state] of states) {
      if (state === undefined) this.server.delete(key)
      else this.server.set(key, state)
    }
    this.emit([...keys])
  }

  private rebased(removed: readonly QueuedWrite[], states: ReadonlyMap<string, ServerState | undefined>): QueuedWrite[] {
    const gone = new Set(removed.map((w) => w.seq))
    const out: QueuedWrite[] = []
    for (const [key, state] of states) {
      for (const w of this.queuedByDoc.get(key) ?? []) if (!gone.has(w.seq)) out.push({ ...w, base: state ?? ABSENT })
    }
    return out
  }

  private addQueued(write: QueuedWrite): void {
    this.queued.set(write.seq, write)
    const key = docKey(write.op.collection, write.op.id)
    const list = this.queuedByDoc.get(key) ?? []
    list.push(write)
    list.sort((a, b) => a.seq - b.seq)
    this.queuedByDoc.set(key, list)
  }

  private emit(keys: readonly string[]): void {
    const changes: LocalChange[] = []
    for (const key of new Set(keys)) {
      const change = this.recompute(key)
      if (change) changes.push(change)
    }
    if (changes.length > 0) this.changes$.next(changes)
  }

  /** Recomputes the local view of one document; returns the change, if any. */
  private recompute(key: string): LocalChange | undefined {
    const slash = key.indexOf('/')
    const collection = key.slice(0, slash)
    const id = key.slice(slash + 1)
    const state = this.server.get(key) ?? ABSENT
    const queued = this.queuedByDoc.get(key) ?? []
    const data = overlay(state.data, queued)
    let docs = this.local.get(collection)
    const before = docs?.get(id)
    if (data === null) {
      if (!before) return undefined
      docs!.delete(id)
      return { collection, id, doc: undefined }
    }
    const last = queued[queued.length - 1]
    const serverVersion = state.version ?? `written:${state.writeId ?? ''}`
    // Changes whenever the server state under the queued writes or the writes themselves change.
    const version = last ? `local:${queued[0]!.seq}-${last.writeId}:${serverVersion}` : serverVersion
    if (before && before.meta.version === version && before.meta.hasPendingWrites === queued.length > 0 && valuesEqual(before.data, data)) return undefined
    const doc: Doc = deepFreeze({
      id,
      data,
      meta: { updateTime: last?.createdAt ?? state.updateTime ?? new Date(0), version, fromCache: true, hasPendingWrites: queued.length > 0 },
    })
    if (!docs) this.local.set(collection, (docs = new Map()))
    docs.set(id, doc)
    return { collection, id, doc }
  }
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
  }
}

function decodeQueuedWrite(json: StoredValue): QueuedWrite {
  const q = json as { s: number; w: string; type: WriteOp['type']; c: string; i: string; d: StoredValue; b: StoredValue; t: number }
  const op: WriteOp = q.type === 'delete' ? { type: 'delete', collection: q.c, id: q.i } : { type: q.type, collection: q.c, id: q.i, data: decodeWriteData(q.d) }
  return { seq: q.s, writeId: q.w, op, base: decodeServerState(q.b), createdAt: new Date(q.t) }
}

/**
 * The engine's in-memory mirror of the local store: the last known server state of each document,
 * the queued writes, and the local view (server state with the queued writes applied on top). The
 * store stays the source of truth across restarts; this mirror makes reads synchronous and cheap.
 */
import { Subject } from 'rxjs'
import { deepFreeze } from '../freeze.js'
import { valuesEqual } from '../query/compare.js'
import { compileDeclared } from '../query/declared.js'
import { runQuery, type Comparator, type CompiledQuery, type Evaluable } from '../query/evaluate.js'
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
  readonly collection: string
  readonly id: string
  readonly doc: Doc | undefined
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
const NO_WRITES: readonly QueuedWrite[] = []

/**
 * A document's last known server state, as the cache holds it: the one object per document (its
 * data is the one decoded copy). Without queued writes it is also the document's local view, and
 * queries read it as it is; the Doc handed out is made from it on first use (`toDoc`) and kept.
 */
class Entry {
  /** The Doc made from it, once one was asked for. */
  doc: Doc | undefined = undefined
  /** Whether an overlay stands for it in the local view (it is in `overlays`): read by every scan, so no lookup. */
  shadowed = false
  constructor(
    readonly id: string,
    readonly data: DocumentData | null,
    /** Version and update time as the row stores them (`stampOf`), decoded when read. */
    readonly stamp: string,
    readonly writeId: string | null,
  ) {}

  get version(): string | null {
    return stampVersion(this.stamp)
  }

  /** updateTime in ms: a Date is made only when asked for. */
  get time(): number | null {
    return stampTime(this.stamp)
  }
}

/**
 * The local view of a document with queued writes: their result on top of its server state. Its Doc
 * is made (and its data frozen) on first use, like an Entry's: a reopen with thousands of writes
 * queued freezes none until they are read.
 */
class Pending {
  doc: Doc | undefined = undefined
  constructor(
    readonly id: string,
    readonly data: DocumentData,
    readonly version: string,
    readonly updateTime: Date,
  ) {}
}

/** What the local view holds of a document: its server state as is (with data), or the result of its queued writes. */
type Item = (Entry & Evaluable) | Pending

/** One collection's share of the mirror. */
interface CollectionMirror {
  /** Last known server state per id. */
  server: Map<string, Entry>
  /**
   * The local view where it is not the server state: ids with queued writes (their Doc, or null
   * when the writes delete it) and server states without data (null). Usually small.
   */
  overlays: Map<string, Pending | null>
  /** Ordered indexes of the local view, for limited queries. */
  indexes: OrderedIndexes<Item>
  /** The local view as the indexes read it. */
  view: { readonly size: number; values(): Iterable<Item> }
  /** Documents in the local view, kept by `refresh` (counting them would take O(overlays)). */
  size: number
}

/** A change of the local view; its Doc is made only if someone reads it (a live view on the collection). */
class Change implements LocalChange {
  constructor(
    readonly collection: string,
    readonly id: string,
    private readonly item: Item | undefined,
  ) {}

  get doc(): Doc | undefined {
    return this.item === undefined ? undefined : toDoc(this.item)
  }
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

  /**
   * Fills the (empty) mirror from the store's rows: one object per document, nothing copied or frozen yet.
   * `partition`: read only the rows whose keys start with it (the store's rows of every partition,
   * read in place rather than copied without the prefix).
   */
  load(docs: ReadonlyArray<[string, StoredValue]>, outbox: ReadonlyArray<[string, StoredValue]>, partition = ''): void {
    // Keys come sorted: a collection's documents are consecutive.
    let prefix = ''
    let mirror: CollectionMirror | undefined
    for (const [key, value] of docs) {
      if (mirror === undefined || !key.startsWith(prefix)) {
        if (!key.startsWith(partition)) continue
        const slash = key.indexOf('/', partition.length)
        prefix = key.slice(0, slash + 1)
        mirror = this.mirror(key.slice(partition.length, slash))
      }
      const entry = decodeEntry(key.slice(prefix.length), value)
      mirror.server.set(entry.id, entry)
      if (entry.data === null) {
        mirror.overlays.set(entry.id, null)
        entry.shadowed = true
      } else mirror.size++
    }
    for (const [key, value] of outbox) {
      if (!key.startsWith(partition)) continue
      const write = decodeQueuedWrite(value)
      this.addQueued(write)
      this.lastSeq = Math.max(this.lastSeq, write.seq)
    }
    this.layQueued()
  }

  /**
   * At load: resolves bases stored as the document's row, and lays each document's queued writes over
   * its server state (one lookup per document for both). What `refresh` does for one
   * changed document, without its bookkeeping: nothing is indexed or watched yet.
   */
  private layQueued(): void {
    let collection = ''
    let mirror: CollectionMirror | undefined
    for (const queued of this.queuedByDoc.values()) {
      const { collection: name, id } = queued[0]!.op
      // Writes come grouped by collection more often than not: its mirror is looked up once per run.
      if (mirror === undefined || name !== collection) {
        collection = name
        mirror = this.mirror(collection)
      }
      const entry = mirror.server.get(id)
      // A base stored as "the document's row" is that row's state (its data the entry's, not a copy).
      let row: ServerState | undefined
      for (const w of queued) {
        if (w.base === ROW_BASE) w.base = row ??= entry === undefined ? ABSENT : stateOf(entry)
      }
      const data = overlay(entry?.data ?? null, queued)
      if (entry?.data != null) mirror.size--
      if (entry !== undefined) entry.shadowed = true
      if (data === null) {
        if (entry === undefined) mirror.overlays.delete(id)
        else mirror.overlays.set(id, null)
      } else {
        mirror.overlays.set(id, pendingDoc(id, data, entry, queued))
        mirror.size++
      }
    }
  }

  /**
   * Replaces the mirror with the store's rows, in place and without emitting (another tab changed
   * the shared store; the engine re-runs its views). Sequence numbers keep growing.
   */
  reload(docs: ReadonlyArray<[string, StoredValue]>, outbox: ReadonlyArray<[string, StoredValue]>): void {
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
    const entry = this.entry(collection, id)
    if (entry === undefined) return ABSENT
    // Handed out (a queued write's base, a conflict's input): frozen like every document.
    deepFreeze(entry.data)
    return stateOf(entry)
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
    return this.queuedByDoc.get(docKey(collection, id)) ?? NO_WRITES
  }

  /** Collections with queued writes. */
  pendingCollections(): Set<string> {
    const out = new Set<string>()
    for (const w of this.queued.values()) out.add(w.op.collection)
    return out
  }

  doc(collection: string, id: string): Doc | undefined {
    const mirror = this.collections.get(collection)
    const item = mirror && localItem(mirror, id)
    return item === undefined ? undefined : toDoc(item)
  }

  /** How many documents the local view holds (kept as it changes: no scan). */
  size(collection: string): number {
    return this.collections.get(collection)?.size ?? 0
  }

  /** The local view's documents, for evaluation only (ids and data: no Doc is made for them). */
  docs(collection: string): Iterable<Evaluable> {
    const mirror = this.collections.get(collection)
    return mirror ? localItems(mirror) : []
  }

  /**
   * Runs a query on the local view, under the adapter's declared semantics. A limited query reads
   * its page from an ordered index of its ordering (built on the ordering's second use, kept up to
   * date by every change; cursor pages start at the cursor), so it reads about `limit` / (the share
   * that matches) documents; other queries scan. Docs are made for the results only.
   */
  query(collection: string, query: Query, compiled: CompiledQuery = compileDeclared(query, this.semantics)): Doc[] {
    const mirror = this.collections.get(collection)
    if (!mirror) return []
    const index = query.limit !== undefined ? mirror.indexes.ordered(query.orderBy, mirror.view, this.orderCompare(query.orderBy)) : undefined
    const items = index ? runQuery(index.values(query.startAfter), compiled, { ordered: true }) : runQuery(localItems(mirror), compiled)
    return items.map(toDoc)
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
    return this.entry(collection, id) !== undefined
  }

  /** The write id this device last knows for a document: its last queued write's, else the server's. */
  lastWriteId(collection: string, id: string): string | null {
    const queued = this.queuedFor(collection, id)
    return queued.length > 0 ? queued[queued.length - 1]!.writeId : (this.entry(collection, id)?.writeId ?? null)
  }

  // --- mutations: `prepare*` returns the store changes and, to run after they commit, the mirror update ---

  prepareQueue(writes: readonly QueuedWrite[]): Prepared {
    return {
      // The documents' rows stay as they are: a base that is its document's row is not repeated.
      changes: writes.map((w) => ({ table: 'outbox', key: outboxKey(w.seq), value: encodeQueuedWrite(w, isRow(w.base, this.entry(w.op.collection, w.op.id))) })),
      apply: () => {
        this.update(
          writes.map((w) => docKey(w.op.collection, w.op.id)),
          () => {
            for (const w of writes) this.addQueued(w)
          },
        )
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
    // A document's row after this commit: its new state, or the one it has.
    const rowAfter = (w: QueuedWrite): ServerState | Entry | undefined => {
      const key = docKey(w.op.collection, w.op.id)
      return states.has(key) ? states.get(key) : this.entry(w.op.collection, w.op.id)
    }
    const changes: StoreChange[] = removed.map((w) => ({ table: 'outbox', key: outboxKey(w.seq), delete: true as const }))
    for (const w of upserts.values()) changes.push({ table: 'outbox', key: outboxKey(w.seq), value: encodeQueuedWrite(w, isRow(w.base, rowAfter(w))) })
    // The rows written, in `states` order: the mirror's entries take their stamps (made once per document).
    const rows: Array<StoredState | undefined> = []
    for (const [key, state] of states) {
      const row = state === undefined ? undefined : encodeServerState(state)
      rows.push(row)
      changes.push(row === undefined ? { table: 'docs', key, delete: true } : { table: 'docs', key, value: row })
      // Queued writes that may have referred to the row for their base, which this commit changes: written out in full.
      for (const w of this.queuedByDoc.get(key) ?? []) {
        if (!gone.has(w.seq) && !upserts.has(w.seq) && !isRow(w.base, state)) changes.push({ table: 'outbox', key: outboxKey(w.seq), value: encodeQueuedWrite(w, false) })
      }
    }
    return {
      changes,
      apply: () => {
        const keys: string[] = [...states.keys()]
        for (const w of removed) keys.push(this.queuedKey(w.seq))
        for (const w of upserts.values()) keys.push(this.queuedKey(w.seq))
        this.update(keys, () => {
          for (const w of removed) this.removeQueued(w.seq)
          for (const w of upserts.values()) this.replaceQueued(w)
          let collection = ''
          let server: Map<string, Entry> | undefined
          let i = 0
          for (const [key, state] of states) {
            const row = rows[i++]
            const slash = key.indexOf('/')
            // A page's keys are all of one collection: its map is looked up once.
            if (server === undefined || slash !== collection.length || !key.startsWith(collection)) {
              collection = key.slice(0, slash)
              server = this.mirror(collection).server
            }
            const id = key.slice(slash + 1)
            if (state === undefined || row === undefined) server.delete(id)
            else server.set(id, new Entry(id, state.data, row.m!, state.writeId))
          }
        })
      },
    }
  }

  /** Forgets everything (the engine switched to another user's queue): emits a removal per document. */
  clear(): void {
    const keys = [...this.queuedByDoc.keys()]
    for (const [collection, { server }] of this.collections) for (const id of server.keys()) keys.push(docKey(collection, id))
    this.update(keys, () => {
      for (const mirror of this.collections.values()) {
        mirror.server.clear()
        mirror.indexes.clear() // rebuilt on demand: cheaper than removing every document
      }
      this.queued.clear()
      this.queuedByDoc.clear()
      this.writeIds.clear()
    })
  }

  /** A document's last known server state, as held. */
  private entry(collection: string, id: string): Entry | undefined {
    return this.collections.get(collection)?.server.get(id)
  }

  private mirror(collection: string): CollectionMirror {
    let mirror = this.collections.get(collection)
    if (!mirror) {
      const made: CollectionMirror = {
        server: new Map(),
        overlays: new Map(),
        indexes: new OrderedIndexes<Item>({ minDocs: INDEX_MIN_DOCS, max: INDEXES_PER_COLLECTION, buildOnUse: 2 }),
        size: 0,
        view: {
          get size() {
            return made.size
          },
          values: () => localItems(made),
        },
      }
      this.collections.set(collection, made)
      mirror = made
    }
    return mirror
  }

  /** The comparison an index of this ordering sorts by: the declared one, as queries compare. */
  private orderCompare(orderBy: readonly OrderBy[]): Comparator | undefined {
    return isReferenceSemantics(this.semantics) ? undefined : compileDeclared({ filters: [], orderBy: [...orderBy] }, this.semantics).compare
  }

  private queuedKey(seq: number): string {
    const write = this.queued.get(seq)
    return write ? docKey(write.op.collection, write.op.id) : ''
  }

  private addQueued(write: QueuedWrite): void {
    this.queued.set(write.seq, write)
    this.writeIds.add(write.writeId)
    const key = docKey(write.op.collection, write.op.id)
    const list = this.queuedByDoc.get(key)
    if (list === undefined) this.queuedByDoc.set(key, [write])
    else {
      list.push(write)
      // Writes come in sequence order (loading, queueing): sorted only when one does not.
      if (list.length > 1 && list[list.length - 2]!.seq > write.seq) list.sort((a, b) => a.seq - b.seq)
    }
  }

  private removeQueued(seq: number): void {
    const write = this.queued.get(seq)
    if (!write) return
    this.queued.delete(seq)
    this.writeIds.delete(write.writeId)
    const key = docKey(write.op.collection, write.op.id)
    const list = this.queuedByDoc.get(key)?.filter((q) => q.seq !== seq) ?? []
    if (list.length > 0) this.queuedByDoc.set(key, list)
    else this.queuedByDoc.delete(key)
  }

  private replaceQueued(write: QueuedWrite): void {
    const old = this.queued.get(write.seq)
    if (!old) return
    this.writeIds.delete(old.writeId)
    this.writeIds.add(write.writeId)
    this.queued.set(write.seq, write)
    const key = docKey(write.op.collection, write.op.id)
    this.queuedByDoc.set(key, (this.queuedByDoc.get(key) ?? []).map((q) => (q.seq === write.seq ? write : q)))
  }

  /**
   * Runs `mutate` (server states, queued writes), then brings the local view of `keys` up to date
   * and emits what changed, once. The view before is taken first: the server map holds it in place.
   */
  private update(keys: readonly string[], mutate: () => void): void {
    const before = new Map<string, Item | undefined>()
    for (const key of keys) if (key !== '' && !before.has(key)) before.set(key, this.itemAt(key))
    mutate()
    const changes: LocalChange[] = []
    for (const [key, item] of before) {
      const change = this.refresh(key, item)
      if (change) changes.push(change)
    }
    if (changes.length > 0) this.changes$.next(changes)
  }

  private itemAt(key: string): Item | undefined {
    const slash = key.indexOf('/')
    const mirror = this.collections.get(key.slice(0, slash))
    return mirror && localItem(mirror, key.slice(slash + 1))
  }

  /**
   * Recomputes the local view of one document from its server state and queued writes (and its
   * place in the indexes, and the view's size); returns the change from `before`, if any.
   */
  private refresh(key: string, before: Item | undefined): LocalChange | undefined {
    const slash = key.indexOf('/')
    const collection = key.slice(0, slash)
    const id = key.slice(slash + 1)
    const mirror = this.mirror(collection)
    const entry = mirror.server.get(id)
    const queued = this.queuedByDoc.get(key)
    let after: Item | undefined
    if (queued === undefined) {
      // The server state is the local view (none without data).
      if (entry !== undefined && entry.data !== null) {
        after = entry as Item
        mirror.overlays.delete(id)
      } else if (entry !== undefined) mirror.overlays.set(id, null)
      else mirror.overlays.delete(id)
    } else {
      const data = overlay(entry?.data ?? null, queued)
      after = data === null ? undefined : pendingDoc(id, data, entry, queued)
      if (after !== undefined && before !== undefined && sameView(before, after)) after = before // keep the Doc already handed out
      if (after === undefined && entry === undefined) mirror.overlays.delete(id)
      else mirror.overlays.set(id, (after as Pending | undefined) ?? null)
    }
    if (entry !== undefined) entry.shadowed = mirror.overlays.has(id)
    if (before !== after) mirror.indexes.replace(before, after)
    mirror.size += (after === undefined ? 0 : 1) - (before === undefined ? 0 : 1)
    if (before === after || (before !== undefined && after !== undefined && sameView(before, after))) return undefined
    if (before === undefined && after === undefined) return undefined
    return new Change(collection, id, after)
  }
}

/** The local view of one id: its overlay if it has one, else its server state. */
function localItem(mirror: CollectionMirror, id: string): Item | undefined {
  if (mirror.overlays.size > 0 && mirror.overlays.has(id)) return mirror.overlays.get(id) ?? undefined
  return mirror.server.get(id) as Item | undefined // an entry without data has an overlay (null)
}

/** Every document of the local view. Without overlays (the usual case) the server map itself. */
function localItems(mirror: CollectionMirror): Iterable<Item> {
  const { server, overlays } = mirror
  if (overlays.size === 0) return server.values() as IterableIterator<Item>
  // An array, not a generator: a scan reads every item, and a generator's resumption per item cost more than the array.
  const items: Item[] = []
  for (const entry of server.values()) if (!entry.shadowed) items.push(entry as Item)
  for (const doc of overlays.values()) if (doc !== null) items.push(doc)
  return items
}

/** The Doc of a local view item: made once, frozen, and kept on it. */
function toDoc(item: Item): Doc {
  if (item.doc === undefined) {
    const pending = item instanceof Pending
    const updateTime = Object.freeze(pending ? item.updateTime : new Date(item.time ?? 0))
    const meta = Object.freeze({ updateTime, version: versionOf(item), fromCache: true, hasPendingWrites: pending })
    item.doc = Object.freeze({ id: item.id, data: deepFreeze(item.data as DocumentData), meta })
  }
  return item.doc
}

function serverVersion(state: { version: string | null; writeId: string | null } | undefined): string {
  return state?.version ?? `written:${state?.writeId ?? ''}`
}

function versionOf(item: Item): string {
  return item instanceof Entry ? serverVersion(item) : item.version
}

/** The same document as far as a reader can tell: version, pending flag and data. */
function sameView(a: Item, b: Item): boolean {
  return a instanceof Pending === b instanceof Pending && versionOf(a) === versionOf(b) && valuesEqual(a.data, b.data)
}

/** The local view of a document with queued writes: their result on top of the server state. */
function pendingDoc(id: string, data: DocumentData, state: Entry | undefined, queued: readonly QueuedWrite[]): Pending {
  const last = queued[queued.length - 1]!
  // Changes whenever the server state under the queued writes or the writes themselves change.
  return new Pending(id, data, `local:${queued[0]!.seq}-${last.writeId}:${serverVersion(state)}`, last.createdAt)
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

/**
 * A document row (`docs` table), schema 4: `{ d, m, w? }`, its version and update time one string
 * (`stampOf`), its write id only when set. Schema 3 and before stored `{ d, v, w, t }`, still read.
 * One string instead of a string and a number per row: parsing, keeping and collecting them made a
 * reopen of 100k documents ≈ 15% slower (bench/RESULTS.md, #14). A type, not an interface, so that
 * it is a StoredValue.
 */
type StoredState = {
  d: StoredValue
  m?: string
  w?: string | null
  /** Before schema 4. */
  v?: string | null
  t?: number | null
}

function encodeServerState(state: ServerState): StoredState {
  const row: StoredState = { d: state.data === null ? null : encodeData(state.data), m: stampOf(state.version, state.updateTime) }
  if (state.writeId !== null) row.w = state.writeId
  return row
}

function decodeServerState(json: StoredValue): ServerState {
  const s = json as unknown as StoredState
  const stamp = storedStamp(s)
  const time = stampTime(stamp)
  return { data: s.d === null ? null : decodeData(s.d), version: stampVersion(stamp), writeId: s.w ?? null, updateTime: time === null ? null : new Date(time) }
}

function storedStamp(s: StoredState): string {
  return typeof s.m === 'string' ? s.m : stampOf(s.v ?? null, s.t ?? null)
}

/**
 * A version and an update time as one string: `<ms>,<version>`, the ms empty when there is no time,
 * no comma when there is no version (versions are any string; the ms never hold a comma).
 */
function stampOf(version: string | null, time: Date | number | null): string {
  const n = time === null ? NaN : typeof time === 'number' ? time : time.getTime()
  const ms = Number.isFinite(n) ? String(n) : ''
  return version === null ? ms : `${ms},${version}`
}

function stampVersion(stamp: string): string | null {
  const comma = stamp.indexOf(',')
  return comma < 0 ? null : stamp.slice(comma + 1)
}

function stampTime(stamp: string): number | null {
  const comma = stamp.indexOf(',')
  const end = comma < 0 ? stamp.length : comma
  return end === 0 ? null : Number(stamp.slice(0, end))
}

/** An entry's server state (its data the entry's own object, not a copy). */
function stateOf(entry: Entry): ServerState {
  return { data: entry.data, version: entry.version, writeId: entry.writeId, updateTime: entry.time === null ? null : new Date(entry.time) }
}

/** A stored server state as the cache's entry: one object, its updateTime left a number. */
function decodeEntry(id: string, json: StoredValue): Entry {
  const s = json as unknown as StoredState
  return new Entry(id, s.d === null ? null : decodeData(s.d), storedStamp(s), s.w ?? null)
}

/**
 * A queued write's stored base when it is exactly its document's row in `docs` (the usual case: the
 * state the write was made on). The row is not repeated; a commit that changes the row writes the
 * base out in full first (`prepareSettle`, `withStoredBase`).
 */
const BASE_IS_ROW = 0
/** Decoded in place of such a base until `layQueued` reads the row. */
const ROW_BASE: ServerState = Object.freeze({ data: null, version: null, writeId: null, updateTime: null })

/** Whether `base` is the state a document's row holds (`row` undefined: no row). */
function isRow(base: ServerState, row: ServerState | Entry | undefined): boolean {
  if (row === undefined) return base.data === null && base.version === null && base.writeId === null && base.updateTime === null
  const time = row instanceof Entry ? row.time : (row.updateTime?.getTime() ?? null)
  return (
    base.version === row.version &&
    base.writeId === row.writeId &&
    (base.updateTime?.getTime() ?? null) === time &&
    (base.data === row.data || (base.data !== null && row.data !== null && valuesEqual(base.data, row.data)))
  )
}

/**
 * An outbox row with its base written out in full, from the partition's `docs` rows (keyed
 * `collection/id`): for a queue moved without its documents (partition.ts).
 */
export function withStoredBase(value: StoredValue, docs: ReadonlyMap<string, StoredValue>): StoredValue {
  const q = value as { b?: StoredValue; c: string; i: string }
  if (q.b !== BASE_IS_ROW) return value
  return { ...(value as Record<string, StoredValue>), b: docs.get(docKey(q.c, q.i)) ?? encodeServerState(ABSENT) }
}

function encodeQueuedWrite(w: QueuedWrite, baseIsRow: boolean): StoredValue {
  const { op } = w
  return {
    s: w.seq,
    w: w.writeId,
    type: op.type,
    c: op.collection,
    i: op.id,
    d: op.type === 'delete' ? null : encodeWriteData(op.data),
    b: baseIsRow ? BASE_IS_ROW : encodeServerState(w.base),
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
  const base = q.b === BASE_IS_ROW ? ROW_BASE : decodeServerState(q.b)
  const write: QueuedWrite = { seq: q.s, writeId: q.w, op, base, createdAt: new Date(q.t) }
  if (q.o !== undefined) write.verdict = decodeVerdict(q.o)
  return write
}

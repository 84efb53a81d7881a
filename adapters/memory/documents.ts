import { Observable, Subject, filter, type Subscription } from 'rxjs'
import { PortabaseError } from '../../src/errors.js'
import { compileDeclared, countDeclared } from '../../src/query/declared.js'
import { runQuery, type CompiledQuery, type RunOptions } from '../../src/query/evaluate.js'
import { LiveView, diffResults, type ViewChange } from '../../src/query/live.js'
import type { Query } from '../../src/query/model.js'
import { isReferenceSemantics, REFERENCE_SEMANTICS, type QuerySemantics } from '../../src/query/semantics.js'
import type { CallOptions, DocumentsService, WriteOp, WriteOptions } from '../../src/spi.js'
import { typeRank } from '../../src/query/compare.js'
import type { Doc, DocumentData, QuerySnapshot, User } from '../../src/types.js'
import { toTaggedJson } from '../../src/values.js'
import { applyWrite } from '../../src/write.js'
import { freezeDoc, type DocumentEvent, type MemoryBackend } from './backend.js'
import type { MemoryNetwork } from './network.js'

const denied = (what: string): PortabaseError => new PortabaseError('permission-denied', `Access rules deny ${what}`, { provider: 'memory' })

/**
 * One live query shared by every subscriber of this client that asked for the same query: one
 * evaluation per write, one immutable snapshot fanned out to all of them.
 */
interface SharedQuery {
  key: string
  collection: string
  query: Query
  view: LiveView<Doc>
  snapshot: QuerySnapshot
  subscribers: Subject<QuerySnapshot>
}

export class MemoryDocuments implements DocumentsService {
  private readonly live = new Map<string, SharedQuery>()
  private readonly liveByCollection = new Map<string, Set<SharedQuery>>()
  private readonly subscriptions: Subscription[]

  constructor(
    private readonly backend: MemoryBackend,
    private readonly network: MemoryNetwork,
    private readonly caller: () => User | null,
    /** Behave like a typed-column vendor (capability `mixedFieldTypes: false`). */
    private readonly typedFields = false,
    /** Read rules hide documents instead of failing the read (capability `readRules: 'filter'`, as row-level security does). */
    private readonly filterReads = false,
    /** Answer queries as a vendor with these semantics would (e.g. Firestore's, declared as capabilities). */
    private readonly semantics: QuerySemantics = REFERENCE_SEMANTICS,
  ) {
    this.subscriptions = [
      backend.events$.pipe(filter(() => network.online)).subscribe((events) => this.onEvents(events)),
      // Back online: live queries catch up with what changed meanwhile.
      network.state$.pipe(filter((s) => s === 'online')).subscribe(() => this.resyncAll()),
    ]
  }

  async get(collection: string, id: string, options?: CallOptions): Promise<Doc | null> {
    await this.network.gate('documents', 'get', this.network.signalFor(options))
    const doc = this.backend.collections.get(collection)?.get(id) ?? null
    if (doc && this.filterReads) return this.readable(collection, doc) ? doc : null
    if (doc) this.assertReadable(collection, [doc])
    return doc
  }

  async query(collection: string, query: Query, options?: CallOptions): Promise<Doc[]> {
    await this.network.gate('documents', 'query', this.network.signalFor(options))
    const docs = this.run(collection, query)
    this.assertReadable(collection, docs)
    return docs
  }

  async count(collection: string, query: Query, options?: CallOptions): Promise<number> {
    await this.network.gate('documents', 'count', this.network.signalFor(options))
    const docs = this.backend.collection(collection)
    const rules = this.backend.rules.get(collection)
    const all = { ...query, limit: undefined, startAfter: undefined }
    if (rules?.read && !this.filterReads) this.assertReadable(collection, runQuery(docs.values(), this.compile(all)))
    return countDeclared(this.visible(collection, docs.values()), all, this.semantics)
  }

  async write(ops: readonly WriteOp[], options: WriteOptions): Promise<void> {
    await this.network.gate('documents', 'write', options.signal)
    if (options.atomic) {
      // Stage every write first; commit only if all pass.
      const staged = this.stage(ops)
      this.commit(staged)
    } else {
      for (const op of ops) this.commit(this.stage([op]))
    }
    this.network.respond('documents', 'write')
  }

  watch(collection: string, query: Query): Observable<QuerySnapshot> {
    return new Observable<QuerySnapshot>((subscriber) => {
      let shared: SharedQuery
      try {
        shared = this.shared(collection, query)
      } catch (error) {
        subscriber.error(error)
        return undefined
      }
      const first = shared.snapshot
      subscriber.next({ ...first, changes: first.docs.map((doc, newIndex) => ({ type: 'added' as const, doc, oldIndex: -1, newIndex })) })
      const inner = shared.subscribers.subscribe(subscriber)
      return () => {
        inner.unsubscribe()
        if (!shared.subscribers.observed) this.release(shared)
      }
    })
  }

  close(): void {
    this.subscriptions.forEach((s) => s.unsubscribe())
    for (const shared of this.live.values()) shared.subscribers.complete()
    this.live.clear()
    this.liveByCollection.clear()
  }

  private stage(ops: readonly WriteOp[]): DocumentEvent[] {
    const now = new Date(this.backend.commitTime())
    const pending = new Map<string, Doc | undefined>()
    const events: DocumentEvent[] = []
    for (const op of ops) {
      const key = `${op.collection}/${op.id}`
      const existing = pending.has(key) ? pending.get(key) : this.backend.collections.get(op.collection)?.get(op.id)
      let after: Doc | undefined
      if (op.type === 'delete') {
        after = undefined
      } else {
        if (op.type === 'create' && existing) throw new PortabaseError('already-exists', `Document ${key} already exists`, { provider: 'memory' })
        if (op.type === 'update' && !existing) throw new PortabaseError('not-found', `No document to update at ${key}`, { provider: 'memory' })
        const data = applyWrite(existing?.data, op, now)
        if (this.typedFields) this.assertFieldTypes(op.collection, data)
        after = freezeDoc(op.id, data, now, this.backend.nextVersion())
      }
      this.assertWritable(op.collection, existing ?? null, after ?? null, key)
      pending.set(key, after)
      events.push({ collection: op.collection, id: op.id, after, writeId: op.writeId ?? null })
    }
    return events
  }

  private commit(events: DocumentEvent[]): void {
    this.backend.commitEvents(events)
  }

  /**
   * One write on its own, tagged with the offline engine's writeId (SyncService.write): the same
   * checks (preconditions, field types, rules) and the same commit as `write`. Throws its failure.
   */
  applySyncWrite(op: WriteOp, writeId: string): void {
    const events = this.stage([op])
    for (const event of events) event.writeId = writeId
    this.commit(events)
  }

  /** The caller's read rule on a document (true without a rule). */
  readable(collection: string, doc: Doc): boolean {
    const rule = this.backend.rules.get(collection)?.read
    return !rule || rule({ auth: this.caller(), doc, existing: doc })
  }

  /** Each field keeps the type it was first written with, as a typed column would. */
  private assertFieldTypes(collection: string, data: DocumentData): void {
    const types = this.backend.fieldTypes(collection)
    for (const [field, value] of Object.entries(data)) {
      if (value === null) continue
      const rank = typeRank(value)
      const known = types.get(field)
      if (known === undefined) types.set(field, rank)
      else if (known !== rank) {
        throw new PortabaseError('invalid-argument', `Field ${field} of ${collection} holds another type; this backend types its fields`, { provider: 'memory', details: { field } })
      }
    }
  }

  private assertWritable(collection: string, existing: Doc | null, doc: Doc | null, key: string): void {
    const rule = this.backend.rules.get(collection)?.write
    if (rule && !rule({ auth: this.caller(), doc, existing })) throw denied(`this write to ${key}`)
  }

  private assertReadable(collection: string, docs: readonly Doc[]): void {
    const rule = this.backend.rules.get(collection)?.read
    if (!rule || this.filterReads) return
    const auth = this.caller()
    for (const doc of docs) if (!rule({ auth, doc, existing: doc })) throw denied(`reading ${collection}/${doc.id}`)
  }

  /** The query as this adapter's declared semantics evaluate it. */
  private compile(query: Query): CompiledQuery {
    return compileDeclared(query, this.semantics)
  }

  /**
   * Where a query reads: a limited one from the backend's ordered index when there is one (indexes
   * sort by the reference order, so only under reference semantics), else a scan.
   */
  private source(collection: string, query: Query): [Iterable<Doc>, RunOptions] {
    const indexed = query.limit !== undefined && isReferenceSemantics(this.semantics)
    const ordered = indexed ? this.backend.orderedDocs(collection, query.orderBy, query.startAfter) : undefined
    return ordered ? [this.visible(collection, ordered), { ordered: true }] : [this.visible(collection, this.backend.collection(collection).values()), {}]
  }

  /** With `filterReads`, only the documents the caller may read, in the same order; else all. */
  private visible(collection: string, docs: Iterable<Doc>): Iterable<Doc> {
    if (!this.filterReads || !this.backend.rules.get(collection)?.read) return docs
    const readable = (doc: Doc): boolean => this.readable(collection, doc)
    return (function* () {
      for (const doc of docs) if (readable(doc)) yield doc
    })()
  }

  /** A written document as this caller's live queries see it: absent when the rules hide it. */
  private seen(collection: string, doc: Doc | undefined): Doc | undefined {
    return doc && this.filterReads && !this.readable(collection, doc) ? undefined : doc
  }

  private run(collection: string, query: Query): Doc[] {
    const [docs, options] = this.source(collection, query)
    return runQuery(docs, this.compile(query), options)
  }

  private rerun(shared: SharedQuery): ViewChange<Doc>[] {
    return shared.view.rerun(...this.source(shared.collection, shared.query))
  }

  private shared(collection: string, query: Query): SharedQuery {
    const hasRules = this.backend.rules.get(collection)?.read !== undefined
    // With read rules the result depends on who asks, so the key includes the caller.
    const key = JSON.stringify([collection, hasRules ? (this.caller()?.uid ?? null) : '', toTaggedJson(query as never)])
    const existing = this.live.get(key)
    if (existing) return existing
    const docs = this.run(collection, query)
    this.assertReadable(collection, docs)
    const view = new LiveView<Doc>(this.compile(query), docs)
    const shared: SharedQuery = { key, collection, query, view, snapshot: snapshotOf(docs, []), subscribers: new Subject() }
    this.live.set(key, shared)
    let set = this.liveByCollection.get(collection)
    if (!set) this.liveByCollection.set(collection, (set = new Set()))
    set.add(shared)
    return shared
  }

  private release(shared: SharedQuery): void {
    this.live.delete(shared.key)
    this.liveByCollection.get(shared.collection)?.delete(shared)
  }

  private onEvents(events: DocumentEvent[]): void {
    if (events.length === 1) {
      // One write (every set/update/delete outside a batch): the view's own changes are the snapshot's.
      const event = events[0]!
      const queries = this.liveByCollection.get(event.collection)
      if (!queries) return
      // Update every view before any subscriber runs: a subscriber that writes starts a nested
      // round, which must find all views already past this event.
      const ready: [SharedQuery, ViewChange<Doc>[]][] = []
      for (const shared of queries) {
        const changes = shared.view.apply(event.id, this.seen(event.collection, event.after)) ?? this.rerun(shared)
        if (changes.length > 0) ready.push([shared, changes])
      }
      for (const [shared, changes] of ready) this.emit(shared, changes)
      return
    }
    // A batch yields one snapshot per query whose change indices refer to the result before and
    // after the whole batch: a query touched once keeps the view's changes; touched twice or more, diff.
    const touched = new Map<SharedQuery, { previous: readonly Doc[]; changes: ViewChange<Doc>[] | null }>()
    for (const event of events) {
      const queries = this.liveByCollection.get(event.collection)
      if (!queries) continue
      for (const shared of queries) {
        const previous = shared.view.current
        const changes = shared.view.apply(event.id, this.seen(event.collection, event.after)) ?? this.rerun(shared)
        if (changes.length === 0) continue
        const entry = touched.get(shared)
        if (entry) entry.changes = null
        else touched.set(shared, { previous, changes })
      }
    }
    for (const [shared, { previous, changes }] of touched) {
      const final = changes ?? diffResults(previous, shared.view.current)
      if (final.length > 0) this.emit(shared, final)
    }
  }

  private resyncAll(): void {
    for (const shared of this.live.values()) {
      const changes = this.rerun(shared)
      if (changes.length > 0) this.emit(shared, changes)
    }
  }

  private emit(shared: SharedQuery, changes: ViewChange<Doc>[]): void {
    try {
      if (this.backend.rules.get(shared.collection)?.read) this.assertReadable(shared.collection, changes.filter((c) => c.type !== 'removed').map((c) => c.doc))
    } catch (error) {
      shared.subscribers.error(error)
      this.release(shared)
      return
    }
    shared.snapshot = snapshotOf(shared.view.current, changes)
    shared.subscribers.next(shared.snapshot)
  }
}

function snapshotOf(docs: readonly Doc[], changes: QuerySnapshot['changes']): QuerySnapshot {
  return Object.freeze({ docs: Object.freeze(docs), changes: Object.freeze(changes), fromCache: false, hasPendingWrites: false })
}

import { catchError, map, Observable, takeUntil, throwError } from 'rxjs'
import { invalidArgument, isPortabaseError, PortabaseError, toPortabaseError } from '../errors.js'
import { deepFreeze } from '../freeze.js'
import { generateId } from '../ids.js'
import { cursorOf } from '../query/evaluate.js'
import { decodeCursor, encodeCursor } from '../query/cursor.js'
import { DOC_ID, withIdOrder, type ClientPlan, type Direction, type Filter, type FilterOp, type Query } from '../query/model.js'
import { declaredOrderBy } from '../query/semantics.js'
import { assertBatchSize, assertFieldNotReserved } from '../limits.js'
import { assertQuery } from '../query/validate.js'
import { validateWithSchema, type StandardSchemaV1 } from '../schema.js'
import { isSentinel, type Sentinel, type WriteData } from '../sentinels.js'
import type { Adapter, WriteOp } from '../spi.js'
import type { Doc, DocumentData, QuerySnapshot, Value } from '../types.js'
import { assertCollectionName, assertDocId, assertDocumentData, assertValue } from '../values.js'
import { unappliedWrites, withWriteIds, type KeyedWriteOp } from './keyed-writes.js'
import { requireCapability, type Pipeline } from './pipeline.js'
import { assertQueryableValueTypes, assertStorableValueTypes } from './value-support.js'

/** Data for `set`/`add`: the document's fields, any of which may be a write sentinel. */
export type WriteInput<T> = { [K in keyof T]: T[K] | Sentinel }
/** Data for `update`: some fields, each a value, a sentinel, or `deleteField()`. */
export type UpdateInput<T> = { [K in keyof T]?: T[K] | Sentinel }

export interface QueryResult<T> {
  docs: Doc<T>[]
  /** Pass to `startAfter()` for the next page; null when this page was the last. */
  nextCursor: string | null
}

export interface CollectionOptions<T> {
  /** Validates `add`/`set` data (Standard Schema: zod, valibot, arktype…). */
  schema?: StandardSchemaV1<unknown, T>
}

/** Shared by every ref of one client. */
export interface DocumentsContext {
  adapter: Adapter
  pipeline: Pipeline
  /** Emits once when the client is disposed: live queries complete then. */
  disposed$: Observable<void>
}

export class DocumentsClient {
  constructor(private readonly ctx: DocumentsContext) {}

  collection<T = DocumentData>(name: string, options: CollectionOptions<T> = {}): CollectionRef<T> {
    assertCollectionName(name)
    return new CollectionRef<T>(this.ctx, name, options)
  }

  /**
   * Several writes sent together: all-or-nothing where the adapter declares `transactions`,
   * otherwise applied in order (a failure stops the rest; earlier writes stay).
   */
  async batch(build: (batch: WriteBatch) => void | Promise<void>): Promise<void> {
    const batch = new WriteBatch()
    await build(batch)
    const ops = await batch.collect()
    if (ops.length === 0) return
    assertBatchSize(this.ctx.adapter, ops.length)
    const atomic = this.ctx.adapter.capabilities.transactions
    await write(this.ctx, ops, atomic)
  }
}

export class WriteBatch {
  private readonly pending: Promise<WriteOp>[] = []

  set<T>(ref: DocRef<T>, data: WriteInput<T>): this {
    this.pending.push(ref.prepareSet(data, 'set'))
    return this
  }
  create<T>(ref: DocRef<T>, data: WriteInput<T>): this {
    this.pending.push(ref.prepareSet(data, 'create'))
    return this
  }
  update<T>(ref: DocRef<T>, data: UpdateInput<T>): this {
    this.pending.push(Promise.resolve(ref.prepareUpdate(data)))
    return this
  }
  delete<T>(ref: DocRef<T>): this {
    this.pending.push(Promise.resolve<WriteOp>({ type: 'delete', collection: ref.collection, id: ref.id }))
    return this
  }
  /** @internal */
  collect(): Promise<WriteOp[]> {
    return Promise.all(this.pending)
  }
}

/**
 * A write abandoned (timeout, abort) after it reached the adapter has an open outcome: the request
 * may have been applied, and Firestore's SDK keeps a write it was handed and sends it later. So the
 * caller is told so, not handed what reads as a clean failure.
 */
function abandoned(error: unknown): unknown {
  if (!isPortabaseError(error) || (error.code !== 'deadline-exceeded' && error.code !== 'cancelled')) return error
  return new PortabaseError(error.code, `${error.message.replace(/^\[[a-z-]+\] /, '')}; the write may still be applied`, {
    provider: error.provider,
    retryable: false,
    cause: error,
    details: { ...error.details, writeMayStillApply: true },
  })
}

function write(ctx: DocumentsContext, ops: WriteOp[], atomic: boolean): Promise<void> {
  let reachedAdapter = false
  return writeOnce(ctx, ops, atomic, () => (reachedAdapter = true)).catch((error: unknown) => {
    throw reachedAdapter ? abandoned(error) : error
  })
}

function writeOnce(ctx: DocumentsContext, ops: WriteOp[], atomic: boolean, sent: () => void): Promise<void> {
  // Replaying set/delete yields the same state; create/update (sentinels) may not, unless they carry
  // write ids the adapter records (keyed-writes.ts): then a second attempt sends only what did not land.
  const replayable = ops.every((op) => op.type === 'set' || op.type === 'delete') && ops.every((op) => op.type === 'delete' || !hasSentinel(op.data))
  // Writes queued on the device are keyed even when replayable: a retry checks locally, for free, and
  // a write is queued (and later sent) once.
  const queuedLocally = ops.length > 0 && ops.every((op) => ctx.adapter.documents.servesLocally?.(op.collection) === true)
  const sync = replayable && !queuedLocally ? undefined : ctx.adapter.sync
  if (sync === undefined) {
    return ctx.pipeline.invoke({
      service: 'documents',
      method: 'write',
      args: [ops],
      idempotent: replayable,
      run: (op) => {
        sent()
        return ctx.adapter.documents.write(op.args[0] as WriteOp[], { atomic, signal: op.signal })
      },
    })
  }
  let failure: unknown
  let attempted = false
  return ctx.pipeline.invoke({
    service: 'documents',
    method: 'write',
    args: [withWriteIds(ops)],
    idempotent: true,
    run: async (op) => {
      let pending = op.args[0] as KeyedWriteOp[]
      if (attempted) {
        try {
          pending = await unappliedWrites(sync, pending, op.signal)
        } catch (error) {
          // Cannot tell what landed (e.g. read rules refuse the check): keep the attempt's own failure.
          throw isPortabaseError(error) && error.retryable ? error : failure
        }
        if (pending.length === 0) return
      }
      attempted = true
      sent()
      try {
        await ctx.adapter.documents.write(pending, { atomic, signal: op.signal })
      } catch (error) {
        failure = error
        throw error
      }
    },
  })
}

function hasSentinel(data: WriteData): boolean {
  return Object.values(data).some(isSentinel)
}

/** Checks write data and that the adapter can apply each sentinel in it. */
function assertWriteData(adapter: Adapter, data: unknown, isUpdate: boolean): asserts data is WriteData {
  assertDocumentData(data, true)
  for (const [field, raw] of Object.entries(data)) {
    assertFieldNotReserved(adapter, adapter.capabilities.limits, field)
    if (!isSentinel(raw)) continue
    const value = raw as Sentinel
    const caps = adapter.capabilities
    switch (value.kind) {
      case 'serverTimestamp':
        requireCapability(adapter, caps.serverTimestamp, 'serverTimestamp()')
        break
      case 'increment':
        requireCapability(adapter, caps.increment, 'increment()')
        if (!Number.isFinite(value.by)) throw invalidArgument(`increment() on ${field} needs a finite number`)
        break
      case 'arrayUnion':
      case 'arrayRemove':
        requireCapability(adapter, caps.arrayOps, `${value.kind}()`)
        value.values.forEach((v, i) => assertValue(v, `${field}[${i}]`))
        break
      case 'deleteField':
        if (!isUpdate) throw invalidArgument(`deleteField() on ${field} is only allowed in update()`)
        break
    }
  }
  assertStorableValueTypes(adapter, data)
}

export class QueryRef<T = DocumentData> {
  /** @internal */
  constructor(
    protected readonly ctx: DocumentsContext,
    readonly collection: string,
    protected readonly spec: QuerySpec,
  ) {}

  /** Adds a condition: `where('done', '==', false)`, or a composed `where(or(...))`. */
  where(field: string, op: FilterOp, value: Value): QueryRef<T>
  where(filter: Filter): QueryRef<T>
  where(fieldOrFilter: string | Filter, op?: FilterOp, value?: Value): QueryRef<T> {
    const filter: Filter =
      typeof fieldOrFilter === 'string' ? { kind: 'field', field: fieldOrFilter, op: op as FilterOp, value: value as Value } : fieldOrFilter
    return this.with({ filters: [...this.spec.filters, filter] })
  }

  orderBy(field: string, direction: Direction = 'asc'): QueryRef<T> {
    return this.with({ orderBy: [...this.spec.orderBy, { field, direction }] })
  }

  limit(count: number): QueryRef<T> {
    return this.with({ limit: count })
  }

  /**
   * Consents to a client-side plan for this query, at a bounded cost: an adapter whose vendor cannot
   * run the query natively (it would fail with `unsupported`) may read up to `maxReads` documents
   * (1–10,000) per run — each `get()`, `count()` and live snapshot — and evaluate the query on the
   * device, failing with `resource-exhausted` when more would match its server-side part. Adapters
   * that run the query natively ignore it. Each adapter's README says which queries need it.
   */
  allowClientPlan(plan: ClientPlan): QueryRef<T> {
    return this.with({ clientPlan: plan })
  }

  /** Starts after the position a previous page's `nextCursor` recorded. */
  startAfter(cursor: string): QueryRef<T> {
    if (typeof cursor !== 'string' || cursor.length === 0) throw invalidArgument('startAfter() needs a cursor string from a previous page')
    return this.with({ startAfter: cursor })
  }

  async get(options: { signal?: AbortSignal } = {}): Promise<QueryResult<T>> {
    const query = this.build()
    const docs = await this.ctx.pipeline.invoke({
      service: 'documents',
      method: 'query',
      args: [this.collection, query],
      idempotent: true,
      signal: options.signal,
      run: (op) => this.ctx.adapter.documents.query(op.args[0] as string, op.args[1] as Query, op),
    })
    const last = docs[docs.length - 1]
    const full = query.limit !== undefined && docs.length === query.limit
    deepFreeze(docs)
    return { docs: docs as Doc<T>[], nextCursor: full && last ? encodeCursor(cursorOf(last, query.orderBy), query.orderBy) : null }
  }

  /** Number of matching documents (ignores limit and cursor). */
  count(options: { signal?: AbortSignal } = {}): Promise<number> {
    const query = this.build()
    return this.ctx.pipeline.invoke({
      service: 'documents',
      method: 'count',
      args: [this.collection, query],
      idempotent: true,
      signal: options.signal,
      run: (op) => this.ctx.adapter.documents.count(op.args[0] as string, op.args[1] as Query, op),
    })
  }

  /** Live results: the first snapshot, then one per change. Lazy: nothing runs until subscribed. */
  watch(): Observable<QuerySnapshot<T>> {
    return deferWatch<T>(this.ctx, this.collection, () => this.build())
  }

  /**
   * The neutral query the adapter receives. Validates on every call, so errors surface at use. Its
   * ordering is the one the adapter's results follow (`implicitOrder`), so cursors record all of it.
   */
  build(): Query {
    const { adapter } = this.ctx
    const { filters, limit, startAfter, clientPlan } = this.spec
    const query: Query = { filters, orderBy: withIdOrder(this.spec.orderBy) }
    if (limit !== undefined) query.limit = limit
    if (clientPlan !== undefined) query.clientPlan = clientPlan
    assertQuery(query, adapter.capabilities, adapter.name)
    query.orderBy = withIdOrder(declaredOrderBy(this.spec.orderBy, filters, adapter.capabilities))
    // A copy of what was checked: the app's object stays its own.
    if (clientPlan !== undefined) query.clientPlan = { maxReads: clientPlan.maxReads }
    if (startAfter !== undefined) query.startAfter = decodeCursor(startAfter, query.orderBy)
    assertQueryableValueTypes(adapter, query)
    return query
  }

  private with(patch: Partial<QuerySpec>): QueryRef<T> {
    return new QueryRef<T>(this.ctx, this.collection, { ...this.spec, ...patch })
  }
}

interface QuerySpec {
  filters: Filter[]
  orderBy: { field: string; direction: Direction }[]
  limit?: number
  startAfter?: string
  clientPlan?: ClientPlan
}

function deferWatch<T>(ctx: DocumentsContext, collection: string, build: () => Query): Observable<QuerySnapshot<T>> {
  const { adapter, pipeline } = ctx
  return new Observable<QuerySnapshot<T>>((subscriber) => {
    try {
      pipeline.assertOpen()
      if (!adapter.documents.servesLocally?.(collection)) requireCapability(adapter, adapter.capabilities.realtime, 'Realtime watch()')
      const query = build()
      return adapter.documents
        .watch(collection, query)
        .pipe(
          map((snapshot) => deepFreeze(snapshot)),
          catchError((error: unknown) => throwError(() => toPortabaseError(error, adapter.name))),
          takeUntil(ctx.disposed$),
        )
        .subscribe(subscriber as never)
    } catch (error) {
      subscriber.error(error)
      return undefined
    }
  })
}

export class CollectionRef<T = DocumentData> extends QueryRef<T> {
  /** @internal */
  constructor(
    ctx: DocumentsContext,
    name: string,
    private readonly options: CollectionOptions<T>,
  ) {
    super(ctx, name, { filters: [], orderBy: [] })
  }

  /** A reference to one document; without an id, a new client-generated one. */
  doc(id: string = generateId()): DocRef<T> {
    assertDocId(id)
    return new DocRef<T>(this.ctx, this.collection, id, this.options)
  }

  /** Creates a document with a client-generated id; fails with `already-exists` only on an id clash. */
  async add(data: WriteInput<T>): Promise<DocRef<T>> {
    const ref = this.doc()
    await ref.createGenerated(data)
    return ref
  }
}

export class DocRef<T = DocumentData> {
  /** @internal */
  constructor(
    private readonly ctx: DocumentsContext,
    readonly collection: string,
    readonly id: string,
    private readonly options: CollectionOptions<T>,
  ) {}

  get path(): string {
    return `${this.collection}/${this.id}`
  }

  get(options: { signal?: AbortSignal } = {}): Promise<Doc<T> | null> {
    return this.ctx.pipeline.invoke({
      service: 'documents',
      method: 'get',
      args: [this.collection, this.id],
      idempotent: true,
      signal: options.signal,
      // The operation is the call options: its signal is created only if the adapter reads it.
      run: (op) => this.ctx.adapter.documents.get(op.args[0] as string, op.args[1] as string, op),
    }).then(deepFreeze) as Promise<Doc<T> | null>
  }

  /** Creates or replaces the whole document. */
  async set(data: WriteInput<T>): Promise<void> {
    await write(this.ctx, [await this.prepareSet(data, 'set')], false)
  }

  /** Creates the document; `already-exists` if it exists. */
  async create(data: WriteInput<T>): Promise<void> {
    await write(this.ctx, [await this.prepareSet(data, 'create')], false)
  }

  /** @internal add(): a create whose id the client generated (WriteOp `generatedId`). */
  async createGenerated(data: WriteInput<T>): Promise<void> {
    await write(this.ctx, [{ ...(await this.prepareSet(data, 'create')), generatedId: true } as WriteOp], false)
  }

  /** Changes some fields; `not-found` if the document does not exist. */
  async update(data: UpdateInput<T>): Promise<void> {
    await write(this.ctx, [this.prepareUpdate(data)], false)
  }

  /** Deletes the document; deleting a missing document succeeds. */
  async delete(): Promise<void> {
    await write(this.ctx, [{ type: 'delete', collection: this.collection, id: this.id }], false)
  }

  /** The document as it changes; null while it does not exist. */
  watch(): Observable<Doc<T> | null> {
    const query: Query = {
      filters: [{ kind: 'field', field: DOC_ID, op: '==', value: this.id }],
      orderBy: [{ field: DOC_ID, direction: 'asc' }],
      limit: 1,
    }
    return deferWatch<T>(this.ctx, this.collection, () => query).pipe(map((snapshot) => snapshot.docs[0] ?? null))
  }

  /** @internal validated write op for set/create (schema applied when the data has no sentinels). */
  async prepareSet(data: WriteInput<T>, type: 'set' | 'create'): Promise<WriteOp> {
    assertWriteData(this.ctx.adapter, data, false)
    let checked: WriteData = data
    if (this.options.schema && !hasSentinel(data)) {
      checked = (await validateWithSchema(this.options.schema, data, this.collection)) as WriteData
      assertWriteData(this.ctx.adapter, checked, false)
    }
    return { type, collection: this.collection, id: this.id, data: checked }
  }

  /** @internal */
  prepareUpdate(data: UpdateInput<T>): WriteOp {
    assertWriteData(this.ctx.adapter, data, true)
    if (Object.keys(data).length === 0) throw invalidArgument('update() needs at least one field')
    return { type: 'update', collection: this.collection, id: this.id, data }
  }
}


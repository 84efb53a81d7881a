/** Cloud Firestore (`firebase/firestore`) as the portabase DocumentsService. */
import {
  and,
  collection,
  connectFirestoreEmulator,
  doc,
  documentId,
  getCountFromServer,
  getDoc,
  getDocs,
  getFirestore,
  limit,
  onSnapshot,
  or,
  orderBy,
  query as firestoreQuery,
  runTransaction,
  startAfter,
  terminate,
  where,
  writeBatch,
  type Firestore,
  type DocumentReference,
  type Query as FirestoreQuery,
  type QueryCompositeFilterConstraint,
  type QueryFieldFilterConstraint,
  type QueryFilterConstraint,
  type QueryNonFilterConstraint,
  type QuerySnapshot as FirestoreSnapshot,
  type WhereFilterOp,
} from 'firebase/firestore'
import { Observable, type Subscriber } from 'rxjs'
import { PortabaseError } from '../../src/errors.js'
import { raceAbort } from '../../src/links/abort.js'
import { compileDeclared, countDeclared } from '../../src/query/declared.js'
import { runQuery } from '../../src/query/evaluate.js'
import { diffResults } from '../../src/query/live.js'
import { DOC_ID, FILTER_OPERATORS, type FieldFilter, type Filter, type Query } from '../../src/query/model.js'
import type { CallOptions, DocumentsService, WriteOp, WriteOptions } from '../../src/spi.js'
import type { Doc, QuerySnapshot, Value } from '../../src/types.js'
import type { FirebaseServicePlugin } from './context.js'
import { FIRESTORE_VALUE_TYPES, FirestoreCodec, TOMBSTONES_PREFIX } from './firestore-codec.js'
import { FIRESTORE_LIMITS } from './firestore-limits.js'
import type { FirestoreOffline } from './firestore-sync.js'
import { FIRESTORE_QUERY_SEMANTICS, planQuery, tooManyReads, type QueryPlan } from './firestore-query.js'
import { guard, mapError, PROVIDER } from './errors.js'
import { firestoreCodes } from './firestore-errors.js'

export interface FirestoreOptions {
  /** A named database; default `(default)`. */
  databaseId?: string
  /**
   * Offline collections through portabase's engine (`createClient({ offline })`):
   * `firestoreOffline()` adds the SyncService (firestore-sync.ts), and every write stamps the map
   * field `_portabase` (`updatedAt`, `writeId`) that its change feed reads, and deletes leave
   * tombstones in `_portabase_deleted_<collection>`. Security rules must allow both (README). Off by
   * default: documents then carry only the app's fields, and the sync service is not bundled.
   */
  offline?: FirestoreOffline
}

const fieldRef = (field: string) => (field === DOC_ID ? documentId() : field)

function whereOf(f: FieldFilter, codec: FirestoreCodec): QueryFieldFilterConstraint {
  return where(fieldRef(f.field), f.op as WhereFilterOp, f.field === DOC_ID ? f.value : codec.toFirestore(f.value))
}

function filterOf(f: Filter, codec: FirestoreCodec): QueryFilterConstraint {
  return f.kind === 'field' ? whereOf(f, codec) : compositeOf(f, codec)
}

/** A lone field filter becomes `and(where)`, so a top-level filter is always composite or plain. */
function compositeOf(f: Filter, codec: FirestoreCodec): QueryCompositeFilterConstraint {
  if (f.kind === 'field') return and(whereOf(f, codec))
  const parts = f.filters.map((part) => filterOf(part, codec))
  return f.kind === 'or' ? or(...parts) : and(...parts)
}

export class FirestoreDocuments implements DocumentsService {
  private readonly watchers = new Set<Subscriber<QuerySnapshot>>()

  constructor(
    readonly db: Firestore,
    readonly codec: FirestoreCodec = new FirestoreCodec(db),
  ) {}

  get(collectionName: string, id: string, options?: CallOptions): Promise<Doc | null> {
    return raceAbort(
      guard(`Reading ${collectionName}/${id}`, async () => this.codec.toDoc(await getDoc(doc(this.db, collectionName, id))), firestoreCodes),
      options?.signal,
    )
  }

  /**
   * The Firestore query for a neutral one it can run (firestore-query.ts): filters and the full
   * ordering; paged, also the cursor and the limit (count() leaves them out).
   */
  toFirestore(collectionName: string, q: Query, { paged }: { paged: boolean }): FirestoreQuery {
    const base = collection(this.db, collectionName)
    const { filters, orderBy: order, limit: max, startAfter: cursor } = q
    const constraints: QueryNonFilterConstraint[] = order.map((o) => orderBy(fieldRef(o.field), o.direction))
    if (paged && cursor) constraints.push(startAfter(...orderValues(cursor.values, cursor.id, order).map((v, i) => (order[i]!.field === DOC_ID ? v : this.codec.toFirestore(v as Value)))))
    if (paged && max !== undefined) constraints.push(limit(max))
    const single = filters.length === 1 && filters[0]!.kind === 'field' ? filters[0] : undefined
    if (single) return firestoreQuery(base, whereOf(single, this.codec), ...constraints)
    if (filters.length === 0) return firestoreQuery(base, ...constraints)
    const composite: QueryCompositeFilterConstraint = filters.length === 1 ? compositeOf(filters[0]!, this.codec) : and(...filters.map((f) => filterOf(f, this.codec)))
    return firestoreQuery(base, composite, ...constraints)
  }

  /** A client plan's candidates: what Firestore returns for its server part, at most `maxReads`. */
  private async candidates(collectionName: string, plan: ClientPlanOf): Promise<Doc[]> {
    const docs = snapshotDocs(await getDocs(this.toFirestore(collectionName, plan.server, { paged: true })), this.codec)
    if (docs.length > plan.maxReads) throw tooManyReads(collectionName, plan)
    return docs
  }

  query(collectionName: string, q: Query, options?: CallOptions): Promise<Doc[]> {
    return raceAbort(
      guard(`Querying ${collectionName}`, async () => {
        const plan = planQuery(q)
        if (plan.mode === 'native') return snapshotDocs(await getDocs(this.toFirestore(collectionName, q, { paged: true })), this.codec)
        return runQuery(await this.candidates(collectionName, plan), compileDeclared(q, FIRESTORE_QUERY_SEMANTICS))
      }, firestoreCodes),
      options?.signal,
    )
  }

  count(collectionName: string, q: Query, options?: CallOptions): Promise<number> {
    return raceAbort(
      guard(`Counting ${collectionName}`, async () => {
        const plan = planQuery(q)
        // The ordering stays: Firestore counts only documents holding every ordered field, as query() returns.
        if (plan.mode === 'native') return (await getCountFromServer(this.toFirestore(collectionName, q, { paged: false }))).data().count
        return countDeclared(await this.candidates(collectionName, plan), q, FIRESTORE_QUERY_SEMANTICS)
      }, firestoreCodes),
      options?.signal,
    )
  }

  /**
   * All ops commit together (Firestore batches and transactions are atomic). A create of a
   * caller-chosen id needs a transaction: the web SDK has no "must not exist" precondition on batch
   * writes, so the transaction reads the document first (online only: offline it fails with
   * `unavailable`). A create whose id the client generated (`add()`, `generatedId`) is a plain set,
   * as `addDoc` does: no read, and it is queued offline like any other write.
   *
   * Firestore cannot withdraw a write once the SDK has it: it stays queued and is sent when it can.
   * An abort or a timeout rejects the call at once, and the client reports the write as possibly
   * still applied (`details.writeMayStillApply`, src/client/documents.ts).
   */
  write(ops: readonly WriteOp[], options: WriteOptions): Promise<void> {
    const refOf = (op: WriteOp) => doc(this.db, op.collection, op.id)
    const checked = (op: WriteOp): boolean => op.type === 'create' && op.generatedId !== true
    const stage = (writer: StagedWrites): void => {
      for (const op of ops) {
        if (op.type === 'delete') {
          writer.delete(refOf(op))
          // With offline collections, the change feed learns of the deletion from its tombstone.
          if (this.codec.stamps) writer.set(doc(this.db, TOMBSTONES_PREFIX + op.collection, op.id), this.codec.toWriteData({}, 'set'))
        } else if (op.type === 'update') writer.update(refOf(op), this.codec.toWriteData(op.data, 'update'))
        else writer.set(refOf(op), this.codec.toWriteData(op.data, 'set'))
      }
    }
    const run = async (): Promise<void> => {
      if (!ops.some(checked)) {
        const batch = writeBatch(this.db)
        stage(batch)
        await batch.commit()
        return
      }
      await runTransaction(this.db, async (tx) => {
        // Transactions read before they write.
        for (const op of ops) {
          if (checked(op) && (await tx.get(refOf(op))).exists()) {
            throw new PortabaseError('already-exists', `${op.collection}/${op.id} already exists`, { provider: PROVIDER })
          }
        }
        stage(tx)
      })
    }
    return raceAbort(guard(ops.length === 1 ? `Writing ${ops[0]!.collection}/${ops[0]!.id}` : 'The batch', run, firestoreCodes), options.signal)
  }

  watch(collectionName: string, q: Query): Observable<QuerySnapshot> {
    return new Observable<QuerySnapshot>((subscriber) => {
      let plan: QueryPlan
      let target: FirestoreQuery
      try {
        plan = planQuery(q)
        target = this.toFirestore(collectionName, plan.mode === 'native' ? q : plan.server, { paged: true })
      } catch (error) {
        subscriber.error(mapError(error, `Watching ${collectionName}`, firestoreCodes))
        return undefined
      }
      const local = plan.mode === 'client' ? { plan, compiled: compileDeclared(q, FIRESTORE_QUERY_SEMANTICS) } : undefined
      this.watchers.add(subscriber)
      let previous: readonly Doc[] | undefined
      let last: { fromCache: boolean; hasPendingWrites: boolean } | undefined
      const unsubscribe = onSnapshot(
        target,
        { includeMetadataChanges: true },
        (snapshot) => {
          const all = snapshotDocs(snapshot, this.codec)
          if (local && all.length > local.plan.maxReads) return subscriber.error(tooManyReads(collectionName, local.plan))
          const docs = local ? runQuery(all, local.compiled) : all
          // Indices refer to the previous and the new result; one diff serves both plans.
          const changes = diffResults(previous ?? [], docs)
          const meta = { fromCache: snapshot.metadata.fromCache, hasPendingWrites: snapshot.metadata.hasPendingWrites }
          const first = previous === undefined
          previous = docs
          if (!first && changes.length === 0 && last?.fromCache === meta.fromCache && last.hasPendingWrites === meta.hasPendingWrites) return
          last = meta
          subscriber.next({ docs, changes, ...meta })
        },
        (error) => subscriber.error(mapError(error, `Watching ${collectionName}`, firestoreCodes)),
      )
      return () => {
        this.watchers.delete(subscriber)
        unsubscribe()
      }
    })
  }

  close(): void {
    for (const subscriber of [...this.watchers]) subscriber.complete()
    this.watchers.clear()
  }
}

type ClientPlanOf = Extract<QueryPlan, { mode: 'client' }>

/** Cursor values in orderBy order, the id standing where `__id__` is ordered. */
function orderValues(values: readonly unknown[], id: string, order: Query['orderBy']): unknown[] {
  let i = 0
  return order.map((o) => (o.field === DOC_ID ? id : values[i++]))
}

function snapshotDocs(snapshot: FirestoreSnapshot, codec: FirestoreCodec): Doc[] {
  return snapshot.docs.map((d) => codec.toDoc(d)!)
}

/** What a batch and a transaction have in common: staged writes. */
interface StagedWrites {
  set(ref: DocumentReference, data: Record<string, unknown>): unknown
  update(ref: DocumentReference, data: Record<string, unknown>): unknown
  delete(ref: DocumentReference): unknown
}

/** `offline` as given, or a clear error for what earlier versions took (`true`, the sync options). */
function offlineOption(offline: unknown): FirestoreOffline | undefined {
  if (offline === undefined || offline === false) return undefined
  if (typeof (offline as Partial<FirestoreOffline>).createSync === 'function') return offline as FirestoreOffline
  throw new PortabaseError('invalid-argument', "firestore({ offline }) takes firestoreOffline() (import { firestoreOffline } from 'portabase/firebase'), with the sync options as its argument", {
    provider: PROVIDER,
  })
}

/** The documents plug-in: Cloud Firestore, queries planned as firestore-query.ts describes. */
export function firestore(options: FirestoreOptions = {}): FirebaseServicePlugin<FirestoreDocuments> {
  return {
    kind: 'documents',
    create(context) {
      const db = options.databaseId ? getFirestore(context.app, options.databaseId) : getFirestore(context.app)
      const emulator = context.emulators.firestore
      if (emulator) connectFirestoreEmulator(db, emulator.host, emulator.port)
      const offline = offlineOption(options.offline)
      const codec = new FirestoreCodec(db, { writeMetadata: offline !== undefined })
      const service = new FirestoreDocuments(db, codec)
      return {
        service,
        ...(offline ? { sync: offline.createSync(db, codec) } : {}),
        capabilities: {
          queryOperators: FILTER_OPERATORS,
          orQueries: true,
          nestedFieldQueries: true,
          mixedFieldTypes: true,
          // Firestore's type order (null < boolean < number < timestamp < string < … < array < map) is
          // portabase's but for null, which nullOrder declares.
          mixedTypeOrder: true,
          ...FIRESTORE_QUERY_SEMANTICS,
          // GeoPoint, DocumentReference and Bytes are Firestore's own types (firestore-codec.ts).
          valueTypes: FIRESTORE_VALUE_TYPES,
          transactions: true,
          realtime: true,
          serverTimestamp: true,
          increment: true,
          arrayOps: true,
          limits: FIRESTORE_LIMITS,
        },
        async dispose() {
          service.close()
          await terminate(db)
        },
      }
    },
  }
}

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
import { countMatches, runQuery } from '../../src/query/evaluate.js'
import { diffResults } from '../../src/query/live.js'
import { DOC_ID, FILTER_OPERATORS, type FieldFilter, type Filter, type Query } from '../../src/query/model.js'
import type { CallOptions, DocumentsService, WriteOp, WriteOptions } from '../../src/spi.js'
import type { Doc, QuerySnapshot } from '../../src/types.js'
import type { FirebaseServicePlugin } from './context.js'
import { toDoc, toFirestoreData } from './firestore-codec.js'
import { planQuery, type QueryPlan } from './firestore-query.js'
import { guard, mapFirebaseError, PROVIDER } from './errors.js'

export interface FirestoreOptions {
  /** A named database; default `(default)`. */
  databaseId?: string
}

const fieldRef = (field: string) => (field === DOC_ID ? documentId() : field)

function whereOf(f: FieldFilter): QueryFieldFilterConstraint {
  return where(fieldRef(f.field), f.op as WhereFilterOp, f.value)
}

function filterOf(f: Filter): QueryFilterConstraint {
  return f.kind === 'field' ? whereOf(f) : compositeOf(f)
}

/** A lone field filter becomes `and(where)`, so a top-level filter is always composite or plain. */
function compositeOf(f: Filter): QueryCompositeFilterConstraint {
  if (f.kind === 'field') return and(whereOf(f))
  const parts = f.filters.map(filterOf)
  return f.kind === 'or' ? or(...parts) : and(...parts)
}

export class FirestoreDocuments implements DocumentsService {
  private readonly watchers = new Set<Subscriber<QuerySnapshot>>()

  constructor(readonly db: Firestore) {}

  get(collectionName: string, id: string, options?: CallOptions): Promise<Doc | null> {
    return raceAbort(
      guard(`Reading ${collectionName}/${id}`, async () => toDoc(await getDoc(doc(this.db, collectionName, id)))),
      options?.signal,
    )
  }

  /** The Firestore query for a plan: everything for native plans, the `==` prefilter for local ones. */
  toFirestore(collectionName: string, plan: QueryPlan, { paged }: { paged: boolean }): FirestoreQuery {
    const base = collection(this.db, collectionName)
    if (plan.mode === 'local') return firestoreQuery(base, ...plan.serverFilters.map(whereOf))
    const { filters, orderBy: order, limit: max, startAfter: cursor } = plan.query
    const constraints: QueryNonFilterConstraint[] = []
    for (const o of order) constraints.push(orderBy(fieldRef(o.field), o.direction))
    if (paged && cursor) constraints.push(startAfter(...orderValues(cursor.values, cursor.id, order)))
    if (paged && max !== undefined) constraints.push(limit(max))
    const single = filters.length === 1 && filters[0]!.kind === 'field' ? filters[0] : undefined
    if (single) return firestoreQuery(base, whereOf(single), ...constraints)
    if (filters.length === 0) return firestoreQuery(base, ...constraints)
    const composite: QueryCompositeFilterConstraint = filters.length === 1 ? compositeOf(filters[0]!) : and(...filters.map(filterOf))
    return firestoreQuery(base, composite, ...constraints)
  }

  query(collectionName: string, q: Query, options?: CallOptions): Promise<Doc[]> {
    const plan = planQuery(q)
    return raceAbort(
      guard(`Querying ${collectionName}`, async () => {
        const docs = snapshotDocs(await getDocs(this.toFirestore(collectionName, plan, { paged: true })))
        return plan.mode === 'native' ? docs : runQuery(docs, q)
      }),
      options?.signal,
    )
  }

  count(collectionName: string, q: Query, options?: CallOptions): Promise<number> {
    const plan = planQuery(q)
    return raceAbort(
      guard(`Counting ${collectionName}`, async () => {
        const target = this.toFirestore(collectionName, plan, { paged: false })
        if (plan.mode === 'native') return (await getCountFromServer(target)).data().count
        return countMatches(snapshotDocs(await getDocs(target)), q.filters)
      }),
      options?.signal,
    )
  }

  /**
   * All ops commit together (Firestore batches and transactions are atomic). Creates need a
   * transaction: the web SDK has no "must not exist" precondition on batch writes.
   */
  write(ops: readonly WriteOp[], options: WriteOptions): Promise<void> {
    const refOf = (op: WriteOp) => doc(this.db, op.collection, op.id)
    const run = async (): Promise<void> => {
      if (!ops.some((op) => op.type === 'create')) {
        const batch = writeBatch(this.db)
        for (const op of ops) {
          if (op.type === 'delete') batch.delete(refOf(op))
          else if (op.type === 'update') batch.update(refOf(op), toFirestoreData(op.data))
          else batch.set(refOf(op), toFirestoreData(op.data))
        }
        await batch.commit()
        return
      }
      await runTransaction(this.db, async (tx) => {
        // Transactions read before they write.
        for (const op of ops) {
          if (op.type === 'create' && (await tx.get(refOf(op))).exists()) {
            throw new PortabaseError('already-exists', `${op.collection}/${op.id} already exists`, { provider: PROVIDER })
          }
        }
        for (const op of ops) {
          if (op.type === 'delete') tx.delete(refOf(op))
          else if (op.type === 'update') tx.update(refOf(op), toFirestoreData(op.data))
          else tx.set(refOf(op), toFirestoreData(op.data))
        }
      })
    }
    return raceAbort(guard(ops.length === 1 ? `Writing ${ops[0]!.collection}/${ops[0]!.id}` : 'The batch', run), options.signal)
  }

  watch(collectionName: string, q: Query): Observable<QuerySnapshot> {
    const plan = planQuery(q)
    return new Observable<QuerySnapshot>((subscriber) => {
      this.watchers.add(subscriber)
      let previous: readonly Doc[] | undefined
      let last: { fromCache: boolean; hasPendingWrites: boolean } | undefined
      const unsubscribe = onSnapshot(
        this.toFirestore(collectionName, plan, { paged: true }),
        { includeMetadataChanges: true },
        (snapshot) => {
          const all = snapshotDocs(snapshot)
          const docs = plan.mode === 'native' ? all : runQuery(all, q)
          // Indices refer to the previous and the new result, which Firestore's docChanges do not
          // promise for local plans; one diff serves both.
          const changes = diffResults(previous ?? [], docs)
          const meta = { fromCache: snapshot.metadata.fromCache, hasPendingWrites: snapshot.metadata.hasPendingWrites }
          const first = previous === undefined
          previous = docs
          if (!first && changes.length === 0 && last?.fromCache === meta.fromCache && last.hasPendingWrites === meta.hasPendingWrites) return
          last = meta
          subscriber.next({ docs, changes, ...meta })
        },
        (error) => subscriber.error(mapFirebaseError(error, `Watching ${collectionName}`)),
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

/** Cursor values in orderBy order, the id standing where `__id__` is ordered. */
function orderValues(values: readonly unknown[], id: string, order: Query['orderBy']): unknown[] {
  let i = 0
  return order.map((o) => (o.field === DOC_ID ? id : values[i++]))
}

function snapshotDocs(snapshot: FirestoreSnapshot): Doc[] {
  return snapshot.docs.map((d) => toDoc(d)!)
}

/** The documents plug-in: Cloud Firestore with the emulations described in firestore-query.ts. */
export function firestore(options: FirestoreOptions = {}): FirebaseServicePlugin<FirestoreDocuments> {
  return {
    kind: 'documents',
    create(context) {
      const db = options.databaseId ? getFirestore(context.app, options.databaseId) : getFirestore(context.app)
      const emulator = context.emulators.firestore
      if (emulator) connectFirestoreEmulator(db, emulator.host, emulator.port)
      const service = new FirestoreDocuments(db)
      return {
        service,
        capabilities: {
          queryOperators: FILTER_OPERATORS,
          orQueries: true,
          nestedFieldQueries: true,
          mixedFieldTypes: true,
          // The query planner evaluates orderings across types locally (firestore-query.ts).
          mixedTypeOrder: true,
          transactions: true,
          realtime: true,
          serverTimestamp: true,
          increment: true,
          arrayOps: true,
        },
        async dispose() {
          service.close()
          await terminate(db)
        },
      }
    },
  }
}

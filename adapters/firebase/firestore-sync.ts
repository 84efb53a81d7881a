/**
 * The SyncService of the Firestore plug-in (`firestore({ offline: firestoreOffline() })`): what the offline engine
 * calls to push queued writes and pull changes. Built on three things Firestore has natively:
 *
 * - **a server-timestamped change field**: with `offline`, every write through the adapter stamps
 *   `_portabase: { updatedAt: serverTimestamp(), writeId }` (firestore-codec.ts). Firestore stamps a
 *   write with its commit time, and a query at a later read time sees every commit before it, so a
 *   feed ordered by (`_portabase.updatedAt`, document id) misses nothing that committed before the
 *   read. Documents written without the stamp (other tools, the console) are not in the feed; a full
 *   sync reads them.
 * - **tombstones**: a delete is a transaction that removes the document and writes
 *   `<TOMBSTONES_PREFIX><collection>/<id>` with the same stamp; `changes` reads both collections.
 *   A document deleted and created again appears in the feed twice, in time order (delete, then
 *   create): replayed in order, that is the current state. `fetch` prefers the live document.
 * - **transactions**: each write reads its document (and, for a delete, its tombstone) first; if it
 *   already carries the write's id, the write was applied before (a replay) and is answered ok
 *   without writing. Firestore retries a transaction whose reads changed, so two replays racing each
 *   other cannot both apply.
 *
 * Reads go to the server (`getDocsFromServer`): offline, a plain `getDocs` answers from the SDK's
 * cache, and a feed page read from the cache would move the checkpoint past changes never seen.
 *
 * Positions: Firestore timestamps have microseconds, a `Date` only milliseconds, so each record
 * carries its exact stamp as `position` (`<seconds>.<nanoseconds>`), and the next page starts after it.
 */
import {
  collection,
  doc,
  documentId,
  getDocFromServer,
  getDocsFromServer,
  limit as limitTo,
  orderBy,
  query,
  runTransaction,
  startAfter,
  Timestamp,
  type DocumentSnapshot,
  type Firestore,
} from 'firebase/firestore'
import { PortabaseError } from '../../src/errors.js'
import { raceAbort } from '../../src/links/abort.js'
import { compareStrings } from '../../src/query/compare.js'
import type { CallOptions, SyncCheckpoint, SyncRecord, SyncService, SyncWrite, SyncWriteOutcome } from '../../src/spi.js'
import { assertCheckpointFresh, assertChangesLimit, assertSyncWrite } from '../../src/sync-kit.js'
import type { DocumentData } from '../../src/types.js'
import { assertCollectionName, assertDocId } from '../../src/values.js'
import { METADATA_FIELD, TOMBSTONES_PREFIX, type FirestoreCodec } from './firestore-codec.js'
import { guard, mapError, PROVIDER } from './errors.js'
import { firestoreCodes } from './firestore-errors.js'

const STAMP = `${METADATA_FIELD}.updatedAt`

export interface FirestoreSyncOptions {
  /**
   * How long tombstones are kept, if the app purges them (a TTL policy on the tombstone
   * collections): older checkpoints then fail with `checkpoint-expired` and the engine syncs in
   * full. Default: forever (the adapter never purges).
   */
  tombstoneTtlMs?: number
}

/** What `firestore({ offline })` takes: made by `firestoreOffline()`. */
export interface FirestoreOffline {
  /** The sync service over the plug-in's database and codec (which stamps writes when offline is on). */
  readonly createSync: (db: Firestore, codec: FirestoreCodec) => SyncService
}

/**
 * Offline collections on Firestore: `firestore({ offline: firestoreOffline() })` gives the adapter
 * this SyncService and makes every write stamp `_portabase` (see above). A value to import rather
 * than a flag, so apps that never use offline collections do not bundle the sync service.
 */
export function firestoreOffline(options: FirestoreSyncOptions = {}): FirestoreOffline {
  return { createSync: (db, codec) => new FirestoreSync(db, codec, options) }
}

interface Stamp {
  seconds: number
  nanoseconds: number
}

export class FirestoreSync implements SyncService {
  constructor(
    private readonly db: Firestore,
    private readonly codec: FirestoreCodec,
    private readonly options: FirestoreSyncOptions = {},
  ) {}

  fetch(collectionName: string, ids: readonly string[], options?: CallOptions): Promise<SyncRecord[]> {
    assertCollectionName(collectionName)
    ids.forEach(assertDocId)
    const unique = [...new Set(ids)]
    return raceAbort(
      guard(`Fetching ${collectionName} for sync`, async () => {
        const live = await this.byIds(collectionName, unique)
        const found = new Set(live.map((r) => r.id))
        const gone = await this.byIds(TOMBSTONES_PREFIX + collectionName, unique.filter((id) => !found.has(id)))
        return [...live, ...gone]
      }, firestoreCodes),
      options?.signal,
    )
  }

  changes(collectionName: string, after: SyncCheckpoint | null, limit: number, options?: CallOptions): Promise<SyncRecord[]> {
    assertCollectionName(collectionName)
    assertChangesLimit(limit, PROVIDER)
    if (this.options.tombstoneTtlMs !== undefined) assertCheckpointFresh(after, Date.now(), this.options.tombstoneTtlMs, PROVIDER)
    return raceAbort(
      guard(`Reading the changes of ${collectionName}`, async () => {
        const [live, gone] = await Promise.all([this.page(collectionName, after, limit), this.page(TOMBSTONES_PREFIX + collectionName, after, limit)])
        return [...live, ...gone].sort(byFeedOrder).slice(0, limit)
      }, firestoreCodes),
      options?.signal,
    )
  }

  async write(ops: readonly SyncWrite[], options?: CallOptions): Promise<SyncWriteOutcome[]> {
    for (const op of ops) assertSyncWrite(op, PROVIDER)
    const outcomes: SyncWriteOutcome[] = []
    // In order, one transaction each: one outcome per write, and a later write sees the earlier ones.
    for (const op of ops) {
      if (options?.signal?.aborted) throw mapError(options.signal.reason, 'The sync write', firestoreCodes)
      try {
        await this.applyOnce(op)
        outcomes.push({ ok: true })
      } catch (error) {
        const mapped = error instanceof PortabaseError ? error : mapError(error, `Writing ${op.collection}/${op.id}`, firestoreCodes)
        // The request itself failed (offline, a timeout): the caller retries, and the writeIds tell what landed.
        if (mapped.retryable) throw mapped
        outcomes.push({ ok: false, error: mapped })
      }
    }
    return outcomes
  }

  /** One write in a transaction that first checks whether this writeId already landed. */
  private applyOnce(op: SyncWrite): Promise<void> {
    const ref = doc(this.db, op.collection, op.id)
    const tombstone = doc(this.db, TOMBSTONES_PREFIX + op.collection, op.id)
    return runTransaction(this.db, async (tx) => {
      const current = await tx.get(ref)
      if (writeIdOf(current) === op.writeId) return
      if (op.type === 'delete') {
        if (writeIdOf(await tx.get(tombstone)) === op.writeId) return
        tx.delete(ref)
        tx.set(tombstone, this.codec.toWriteData({}, 'set', op.writeId))
        return
      }
      if (op.type === 'create' && current.exists()) throw new PortabaseError('already-exists', `${op.collection}/${op.id} already exists`, { provider: PROVIDER })
      if (op.type === 'update') {
        if (!current.exists()) throw new PortabaseError('not-found', `${op.collection}/${op.id} does not exist`, { provider: PROVIDER })
        tx.update(ref, this.codec.toWriteData(op.data, 'update', op.writeId))
        return
      }
      tx.set(ref, this.codec.toWriteData(op.data, 'set', op.writeId))
    })
  }

  /**
   * One server read per id, not an `in` query: security rules judge a get by the document it reads,
   * but a query by its constraints, so a per-owner read rule refuses `documentId() in [...]` even
   * for the owner's own documents. Billing is the same (one read per document found).
   */
  private async byIds(collectionName: string, ids: readonly string[]): Promise<SyncRecord[]> {
    const snapshots = await Promise.all(ids.map((id) => getDocFromServer(doc(this.db, collectionName, id))))
    const tombstones = collectionName.startsWith(TOMBSTONES_PREFIX)
    return snapshots.filter((snapshot) => snapshot.exists()).map((snapshot) => this.record(snapshot, tombstones))
  }

  /** Up to `limit` stamped documents of one collection after the checkpoint, in feed order. */
  private async page(collectionName: string, after: SyncCheckpoint | null, limit: number): Promise<SyncRecord[]> {
    const constraints = [orderBy(STAMP), orderBy(documentId())]
    const from = after ? startAfter(stampOfCheckpoint(after), after.id) : undefined
    const target = query(collection(this.db, collectionName), ...constraints, ...(from ? [from] : []), limitTo(limit))
    const tombstones = collectionName.startsWith(TOMBSTONES_PREFIX)
    return (await getDocsFromServer(target)).docs.map((snapshot) => this.record(snapshot, tombstones))
  }

  private record(snapshot: DocumentSnapshot, tombstone: boolean): SyncRecord {
    const stamp = stampOf(snapshot)
    const position = stamp ? `${stamp.seconds}.${String(stamp.nanoseconds).padStart(9, '0')}` : undefined
    const updateTime = stamp ? new Date(stamp.seconds * 1000 + Math.floor(stamp.nanoseconds / 1e6)) : new Date(0)
    const writeId = writeIdOf(snapshot)
    if (tombstone) return { id: snapshot.id, data: null, version: `deleted:${position ?? '0'}`, updateTime, writeId, ...(position ? { position } : {}) }
    const decoded = this.codec.toDoc(snapshot)
    if (!decoded) throw new PortabaseError('internal', `${snapshot.ref.path} vanished while being read`, { provider: PROVIDER })
    return { id: snapshot.id, data: decoded.data as DocumentData, version: decoded.meta.version, updateTime, writeId, ...(position ? { position } : {}) }
  }
}

function metadataOf(snapshot: DocumentSnapshot): { updatedAt?: unknown; writeId?: unknown } | undefined {
  if (!snapshot.exists()) return undefined
  const metadata = snapshot.get(METADATA_FIELD) as unknown
  return typeof metadata === 'object' && metadata !== null ? (metadata as { updatedAt?: unknown; writeId?: unknown }) : undefined
}

function writeIdOf(snapshot: DocumentSnapshot): string | null {
  const writeId = metadataOf(snapshot)?.writeId
  return typeof writeId === 'string' ? writeId : null
}

function stampOf(snapshot: DocumentSnapshot): Stamp | undefined {
  const stamp = metadataOf(snapshot)?.updatedAt
  return stamp instanceof Timestamp ? { seconds: stamp.seconds, nanoseconds: stamp.nanoseconds } : undefined
}

/** The checkpoint's exact stamp: its position when it has one, else its (millisecond) time. */
function stampOfCheckpoint(after: SyncCheckpoint): Timestamp {
  const match = after.position ? /^(-?\d+)\.(\d{9})$/.exec(after.position) : null
  if (match) return new Timestamp(Number(match[1]), Number(match[2]))
  return Timestamp.fromDate(after.updateTime)
}

function byFeedOrder(a: SyncRecord, b: SyncRecord): number {
  const pa = a.position ?? ''
  const pb = b.position ?? ''
  const [sa = 0, na = 0] = pa.split('.').map(Number)
  const [sb = 0, nb = 0] = pb.split('.').map(Number)
  if (sa !== sb) return sa - sb
  if (na !== nb) return na - nb
  return compareStrings(a.id, b.id)
}

/**
 * The offline engine: serves offline collections from the local cache, queues their writes durably
 * in the outbox, and syncs with the adapter's SyncService — push (outbox → server, conflicts
 * resolved per collection), then pull (server → cache). One sync round runs at a time.
 *
 * The store holds one partition per user (partition.ts): the engine serves the partition of the
 * user signed in now and switches when another signs in, so queued writes go out only under the
 * session of the user who made them.
 *
 * Several tabs on one store (IndexedDB): each tab's engine serves reads and queues writes; only the
 * leader tab syncs (tabs/coordinator.ts). Every step that reads the cache and commits runs under a
 * store-wide lock, after reloading the cache if another tab committed since (tabs/generation.ts).
 */
import { BehaviorSubject, Observable, Subject, concat, from, ignoreElements, type Subscription } from 'rxjs'
import { invalidArgument, PortabaseError, toPortabaseError, unsupported, type ErrorCode } from '../errors.js'
import { generateId } from '../ids.js'
import { valuesEqual } from '../query/compare.js'
import { compileDeclared, countDeclared } from '../query/declared.js'
import type { CompiledQuery } from '../query/evaluate.js'
import { LiveView, type ViewChange } from '../query/live.js'
import { withIdOrder, type Query } from '../query/model.js'
import type { Adapter, SyncCheckpoint, SyncRecord, SyncService, WriteOp } from '../spi.js'
import { idleSyncStatus, type ConnectionState, type Doc, type DocumentData, type QuerySnapshot, type SyncStatus, type User } from '../types.js'
import { applyWrite } from '../write.js'
import { docKey, LocalCache, serverStateOf, written, type LocalChange, type QueuedWrite, type ServerState } from './cache.js'
import { dropPartition, LEGACY_PREFIX, movePartition, partitionPrefix, partitionView, uidOfKey } from './partition.js'
import { pullCollection, pullIds, readCheckpoints, type PullContext } from './pull.js'
import { emptyFlushResult, pushOutbox, type PushContext } from './push.js'
import { openAndMigrate, type StoreSnapshot } from './schema.js'
import { STORE_TABLES, type LocalStore, type StoredValue, type StoreTable } from './store.js'
import type { SyncAnswer, TabCoordinator, TabMessage } from './tabs/coordinator.js'
import { GenerationStamp } from './tabs/generation.js'
import type {
  ConflictInput,
  DiscardedQueue,
  FlushResult,
  OfflineCollectionOptions,
  OfflineOptions,
  RejectedWrite,
  SyncConflict,
  SyncOutcome,
  WaitForSyncOptions,
} from './types.js'

const DEFAULTS = { batchSize: 100, pageSize: 500, retryDelayMs: { initial: 500, max: 30_000 }, crashGraceMs: 1_000, waitTimeoutMs: 60_000, pollIntervalMs: 30_000 }
/** Set while an engine has the store open; still set at the next open means the app died. */
const OPEN_KEY = 'openedBy'
/** Marks the failure of sync work cut short because another user signed in (not a sync error). */
const USER_CHANGED = 'user-changed'

/** One user's share of the store: what the engine serves while that user is signed in. */
/** A local write() waiting for its group's commit. */
interface PendingWrite {
  ops: readonly WriteOp[]
  resolve(): void
  reject(error: unknown): void
}

interface Partition {
  uid: string | null
  store: LocalStore
  cache: LocalCache
  checkpoints: Map<string, SyncCheckpoint>
  /** Ids a live watch reported changed since the last pull, per collection (see pullIds). */
  liveChanged: Map<string, Set<string>>
  /** `full` and `{ query }` collections read in full since this partition was loaded (pull.ts). */
  reconciled: Set<string>
  forward: Subscription
}

export interface EngineOptions {
  /** Resolves once the session is restored (createClient's `session`): the engine binds to the user signed in then. */
  authReady?: Promise<unknown>
}

export class OfflineEngine {
  readonly ready: Promise<void>
  private readonly sync: SyncService
  private readonly collections: ReadonlyMap<string, Required<OfflineCollectionOptions>>
  private readonly options: Required<Omit<OfflineOptions, 'collections'>>
  private readonly statusSubject = new BehaviorSubject<SyncStatus>(idleSyncStatus())
  private readonly conflictsSubject = new Subject<SyncConflict>()
  private readonly openConflicts = new Map<string, SyncConflict>()
  private readonly outcomesSubject = new Subject<SyncOutcome>()
  private readonly rejectedSubject = new Subject<RejectedWrite>()
  /** Local changes of the partition served now; null when the partition was swapped (views rerun). */
  private readonly localChanges = new Subject<LocalChange[] | null>()
  private readonly subscriptions: Subscription[] = []
  private readonly remoteWatches = new Map<string, Subscription>()
  /** Collections whose live watch delivered its first snapshot: a change on the server is announced. */
  private readonly liveWatches = new Set<string>()
  /**
   * Collections the next round pulls besides those with queued writes and those without a live
   * watch: a live event named them, or everything is due (start, reconnect, user switch, waitForSync).
   */
  private readonly due = new Set<string>()
  private readonly watchFailures = new Map<string, number>()
  private readonly watchRetries = new Set<ReturnType<typeof setTimeout>>()
  private part!: Partition
  /** The user whose partition is served (undefined before binding). */
  private boundUser: User | null | undefined
  /** Partition switches, one after the other; local calls wait for it. */
  private binding: Promise<void> = Promise.resolve()
  private connection: ConnectionState = 'connecting'
  private running: Promise<void> | null = null
  private rerun = false
  private timer: ReturnType<typeof setTimeout> | undefined
  private timerAt = Infinity
  private failures = 0
  private lock: Promise<void> = Promise.resolve()
  /** Local writes waiting for the lock: queued together, in one durable commit (group commit). */
  private waitingWrites: PendingWrite[] | undefined = undefined
  /** After a crash: no push before this time (see OfflineOptions.crashGraceMs). */
  private pushNotBefore = 0
  /** Callers awaiting waitForSync(): while there are any, the retry timer keeps Node alive. */
  private waiters = 0
  /** Rounds started so far, and the number of the last round that pushed and pulled without error. */
  private roundsStarted = 0
  private lastGoodRound = 0
  private closed = false
  /** Set when several tabs share the store: this engine syncs only while it leads. */
  private readonly tabs: TabCoordinator | undefined
  private readonly stamp: GenerationStamp | undefined
  private leading: boolean
  private catchUpQueued = false
  /** Sync requests the next round answers: of other tabs (posted back), or this tab's own (called). */
  private readonly syncRequests = new Map<string, ((answer: SyncAnswer) => void) | undefined>()
  /** This tab's requests to the leader, waiting for its answer. */
  private readonly asked = new Map<string, (answer: SyncAnswer) => void>()

  constructor(
    private readonly adapter: Adapter,
    options: OfflineOptions,
    connection$: Observable<ConnectionState>,
    engineOptions: EngineOptions = {},
  ) {
    if (!options || typeof options !== 'object' || !options.store || typeof options.store.commit !== 'function') {
      throw invalidArgument('offline needs { store, collections }, e.g. { store: memoryStore(), collections: { todos: {} } }')
    }
    if (!adapter.sync) throw unsupported('Offline collections', adapter.name)
    this.sync = adapter.sync
    const collections = new Map<string, Required<OfflineCollectionOptions>>()
    for (const [name, config] of Object.entries(options.collections ?? {})) {
      collections.set(name, { sync: config?.sync ?? 'delta', conflict: config?.conflict ?? 'server-wins' })
    }
    this.collections = collections
    const tabs = options.store.tabs?.()
    this.tabs = tabs
    this.leading = tabs === undefined
    if (tabs) this.stamp = new GenerationStamp(options.store, () => tabs.post({ type: 'changed' }))
    this.options = {
      store: this.stamp?.store ?? options.store,
      batchSize: positive(options.batchSize, DEFAULTS.batchSize, 'batchSize'),
      pageSize: positive(options.pageSize, DEFAULTS.pageSize, 'pageSize'),
      retryDelayMs: options.retryDelayMs ?? DEFAULTS.retryDelayMs,
      crashGraceMs: options.crashGraceMs ?? DEFAULTS.crashGraceMs,
      pollIntervalMs: nonNegative(options.pollIntervalMs, adapter.capabilities.realtime ? 0 : DEFAULTS.pollIntervalMs, 'pollIntervalMs'),
    }
    this.ready = this.open(connection$, engineOptions.authReady ?? Promise.resolve())
    this.status$ = concat(from(this.readyForStatus()).pipe(ignoreElements()), this.statusSubject)
    // Failures surface on every call and on status$; this keeps the promise from going unhandled.
    this.ready.catch(() => undefined)
  }

  handles(collection: string): boolean {
    return this.collections.has(collection)
  }

  /** From the moment the store is open (a failure to open shows as `error`). */
  readonly status$: Observable<SyncStatus>
  readonly rejected$ = this.rejectedSubject.asObservable()
  readonly outcomes$ = this.outcomesSubject.asObservable()

  /** Open conflicts first (replayed to each new subscriber), then new ones as they arise. */
  readonly conflicts$ = new Observable<SyncConflict>((subscriber) => {
    for (const conflict of this.openConflicts.values()) subscriber.next(conflict)
    return this.conflictsSubject.subscribe(subscriber)
  })

  private get cache(): LocalCache {
    return this.part.cache
  }

  private async readyForStatus(): Promise<void> {
    try {
      await this.ready
    } catch (error) {
      this.updateStatus({ error: toPortabaseError(error, 'portabase') })
    }
  }

  private async open(connection$: Observable<ConnectionState>, authReady: Promise<unknown>): Promise<void> {
    // Tabs open (and migrate) the shared store one at a time.
    const snapshot = await this.acrossTabs(async () => {
      const snapshot = await openAndMigrate(this.options.store)
      if (snapshot.meta.some(([key]) => key === OPEN_KEY) && snapshot.outbox.length > 0) {
        this.pushNotBefore = Date.now() + this.options.crashGraceMs
      }
      await this.options.store.commit([{ table: 'meta', key: OPEN_KEY, value: Date.now() }])
      return snapshot
    })
    await authReady.catch(() => undefined)
    const user = this.adapter.auth.currentUser()
    this.boundUser = user
    // Another tab may have committed while this one waited for the session: then read again.
    this.part = await this.acrossTabs(async () =>
      this.loadPartition(user?.uid ?? null, this.stamp && (await this.stamp.changed()) ? undefined : snapshot),
    )
    // Disposed while opening: start nothing (a live watch started now would never be stopped).
    if (this.closed) return
    this.updateStatus({})
    this.tabs?.onMessage((message) => this.onTabMessage(message))
    this.tabs?.lead((afterAnother) => this.takeLead(afterAnother))
    this.subscriptions.push(
      // Background failures of the store (a file store's compaction): shown, never swallowed.
      new Observable<Error>((s) => this.options.store.onError?.((error) => s.next(error))).subscribe((error) => this.updateStatus({ error: toPortabaseError(error, 'portabase') })),
      this.adapter.auth.user$.subscribe((next) => {
        if ((next?.uid ?? null) !== (this.boundUser?.uid ?? null)) this.switchUser(next)
        else this.boundUser = next
      }),
      connection$.subscribe((state) => {
        const wasOffline = this.connection === 'offline'
        this.connection = state
        if (state === 'offline') return this.stopRemoteWatches()
        if (wasOffline || !this.running) {
          this.failures = 0
          this.markAllDue()
          this.schedule(0)
        }
        this.startRemoteWatches()
      }),
    )
  }

  /**
   * Reads one user's partition (adopting a pre-partition store's data on first use). At open, the
   * store's contents were just read (`snapshot`): the partition is taken from them, not read again.
   */
  private async loadPartition(uid: string | null, snapshot?: StoreSnapshot): Promise<Partition> {
    const root = this.options.store
    const prefix = partitionPrefix(uid)
    const legacy = snapshot === undefined || STORE_TABLES.some((table) => snapshot[table].some(([key]) => key.startsWith(LEGACY_PREFIX)))
    if (legacy) await movePartition(root, LEGACY_PREFIX, prefix)
    const store = partitionView(root, prefix)
    const rows = (table: StoreTable): Promise<Array<[string, StoredValue]>> | Array<[string, StoredValue]> =>
      snapshot !== undefined && !legacy ? withoutPrefix(snapshot[table], prefix) : store.entries(table)
    const cache = new LocalCache(this.adapter.capabilities)
    // The snapshot's rows are read in place, keys prefixed (copying 100k rows costs a third of a JSON.parse).
    if (snapshot !== undefined && !legacy) cache.load(snapshot.docs, snapshot.outbox, prefix)
    else cache.load(await store.entries('docs'), await store.entries('outbox'))
    const checkpoints = new Map(readCheckpoints(await rows('meta')))
    const forward = cache.changes$.subscribe((changes) => this.localChanges.next(changes))
    for (const collection of this.collections.keys()) this.due.add(collection)
    return { uid, store, cache, checkpoints, liveChanged: new Map(), reconciled: new Set(), forward }
  }

  // --- users ---

  /**
   * Another user signed in (or out): sync work of the previous user stops before its next request,
   * then the engine serves the new user's partition. An anonymous user replaced directly by a
   * signed-up (non-anonymous) one hands over its queue: the same person upgraded the account.
   */
  private switchUser(user: User | null): void {
    const previous = this.boundUser
    this.boundUser = user
    const upgrade = previous?.isAnonymous === true && user !== null && !user.isAnonymous
    const next = this.binding.then(async () => {
      const uid = user?.uid ?? null
      if (this.closed || uid === this.part.uid) return
      await this.exclusive(() =>
        this.locked(async () => {
          if (upgrade) await movePartition(this.options.store, partitionPrefix(this.part.uid), partitionPrefix(uid))
          const part = await this.loadPartition(uid)
          this.part.forward.unsubscribe()
          this.part = part
          this.openConflicts.clear()
          this.localChanges.next(null)
        }),
      )
      this.failures = 0
      this.updateStatus({ error: null })
      this.stopRemoteWatches()
      if (this.connection !== 'offline') this.startRemoteWatches()
      this.schedule(0)
    })
    this.binding = next.catch((error: unknown) => {
      if (!this.closed) this.updateStatus({ error: toPortabaseError(error, 'portabase') })
    })
  }

  /** Resolves once no partition switch is under way (local calls must see the right user's data). */
  private async bound(): Promise<void> {
    await this.ready
    let current: Promise<void>
    do {
      current = this.binding
      await current
    } while (current !== this.binding)
  }

  /** Throws when the signed-in user is not the one whose partition `part` is. */
  private checkUser(part: Partition): void {
    if ((this.adapter.auth.currentUser()?.uid ?? null) !== part.uid || part !== this.part) {
      throw new PortabaseError('cancelled', 'Another user signed in: this queue waits until its own user signs in again', {
        provider: 'portabase',
        details: { reason: USER_CHANGED },
      })
    }
  }

  /** Users with queued writes on this device (the signed-in user's included), for e.g. a sign-out warning. */
  async queues(): Promise<Array<{ uid: string | null; pending: number }>> {
    await this.bound()
    const counts = new Map<string | null, number>()
    for (const [key] of await this.options.store.entries('outbox')) {
      const uid = uidOfKey(key)
      if (uid !== undefined) counts.set(uid, (counts.get(uid) ?? 0) + 1)
    }
    return [...counts].map(([uid, pending]) => ({ uid, pending }))
  }

  /**
   * Deletes one user's partition — queued writes, cached documents, checkpoints — and returns the
   * writes it held, so the app can show what was given up. For the signed-in user, the local copy
   * is pulled again.
   */
  async discardQueue(uid: string | null): Promise<DiscardedQueue> {
    await this.bound()
    this.assertOpen()
    if (uid !== null && typeof uid !== 'string') throw invalidArgument('discardQueue(uid) needs a uid string, or null for the signed-out queue')
    let dropped: Awaited<ReturnType<typeof dropPartition>> = new Map()
    await this.exclusive(() =>
      this.locked(async () => {
        dropped = await dropPartition(this.options.store, partitionPrefix(uid))
        if (uid !== this.part.uid) return
        this.part.forward.unsubscribe()
        this.part.cache.clear()
        this.part = await this.loadPartition(uid)
        this.openConflicts.clear()
        this.localChanges.next(null)
      }),
    )
    this.updateStatus({})
    if (uid === this.part.uid) this.schedule(0)
    // Only the writes are reported: their documents (and bases stored as their rows) are not read.
    const cache = new LocalCache(this.adapter.capabilities)
    cache.load([], dropped.get('outbox') ?? [])
    return { uid, writes: cache.outbox().map((w) => ({ ...written(w), collection: w.op.collection, id: w.op.id })) }
  }

  // --- local reads and writes ---

  /** Local reads answer as the adapter would online: its declared query semantics (missingFields, nullOrder…). */
  private compiled(query: Query): CompiledQuery {
    return compileDeclared(query, this.adapter.capabilities)
  }

  async get(collection: string, id: string): Promise<Doc | null> {
    await this.bound()
    return this.cache.doc(collection, id) ?? null
  }

  async query(collection: string, query: Query): Promise<Doc[]> {
    await this.bound()
    return this.cache.query(collection, query, this.compiled(query))
  }

  async count(collection: string, query: Query): Promise<number> {
    await this.bound()
    return countDeclared(this.cache.docs(collection), query, this.adapter.capabilities)
  }

  /**
   * What this device holds of these documents, as a SyncService would answer: the client's keyed
   * writes ask it which of a retried call's writes were already queued (each queued once).
   */
  async localRecords(collection: string, ids: readonly string[]): Promise<SyncRecord[]> {
    await this.bound()
    return this.locked(async () => {
      const out: SyncRecord[] = []
      for (const id of ids) {
        const doc = this.cache.doc(collection, id)
        const writeId = this.cache.lastWriteId(collection, id)
        if (!doc && writeId === null) continue
        out.push({ id, data: doc?.data ?? null, version: doc?.meta.version ?? '', updateTime: doc?.meta.updateTime ?? new Date(0), writeId })
      }
      return out
    })
  }

  watch(collection: string, query: Query): Observable<QuerySnapshot> {
    return new Observable<QuerySnapshot>((subscriber) => {
      let view: LiveView<Doc> | undefined
      let sub: Subscription | undefined
      let stopped = false
      const snapshot = (changes: QuerySnapshot['changes']): QuerySnapshot => ({
        docs: view!.current,
        changes,
        fromCache: true,
        hasPendingWrites: view!.current.some((d) => d.meta.hasPendingWrites),
      })
      this.bound().then(
        () => {
          if (stopped) return
          const compiled = this.compiled(query)
          const run = (): Doc[] => this.cache.query(collection, query, compiled)
          view = new LiveView<Doc>(compiled, run())
          subscriber.next(snapshot(view.current.map((doc, newIndex) => ({ type: 'added', doc, oldIndex: -1, newIndex }))))
          sub = this.localChanges.subscribe((changes) => {
            // Another user's partition: the view is recomputed from it.
            let all: ViewChange<Doc>[]
            if (changes === null) all = view!.reset(run())
            else {
              // One emission per batch of local changes (a local write, a pull page).
              const mine: Array<[string, Doc | undefined]> = []
              for (const change of changes) if (change.collection === collection) mine.push([change.id, change.doc])
              if (mine.length === 0) return
              all = view!.applyBatch(mine) ?? view!.reset(run())
            }
            if (all.length > 0) subscriber.next(snapshot(all))
          })
        },
        (error: unknown) => subscriber.error(toPortabaseError(error, this.adapter.name)),
      )
      return () => {
        stopped = true
        sub?.unsubscribe()
      }
    })
  }

  /** Applies writes locally and queues them, all or none; resolves once they are durable. */
  async write(ops: readonly WriteOp[]): Promise<void> {
    await this.bound()
    this.assertOpen()
    // Checked and queued against the cache as it is when no sync step is halfway through.
    await this.queueWrite(ops)
    this.updateStatus({})
    this.schedule(0)
  }

  /**
   * Group commit: writes that arrive while the lock is held wait together and take it once, so
   * concurrent writes share one durable commit. Each is still checked on its own, all or none, in
   * arrival order, and acknowledged only once the commit is durable.
   */
  private queueWrite(ops: readonly WriteOp[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const pending: PendingWrite = { ops, resolve, reject }
      if (this.waitingWrites !== undefined) {
        this.waitingWrites.push(pending)
        return
      }
      const group = [pending]
      this.waitingWrites = group
      this.locked(async () => {
        // Later arrivals form the next group, which waits for this commit.
        this.waitingWrites = undefined
        await this.queueLocked(group)
      }).catch((error: unknown) => {
        for (const w of group) w.reject(error)
      })
    })
  }

  private async queueLocked(group: readonly PendingWrite[]): Promise<void> {
    const now = new Date()
    const writes: QueuedWrite[] = []
    const accepted: PendingWrite[] = []
    // The local state as the earlier writes of the group leave it, and their write ids.
    const simulated = new Map<string, DocumentData | null>()
    const queuedIds = new Set<string>()
    for (const pending of group) {
      const own = new Map<string, DocumentData | null>()
      const mine: QueuedWrite[] = []
      try {
        for (const op of pending.ops) {
          // A call retried by the client's links carries the same write ids: what is queued stays queued once.
          if (op.writeId !== undefined && (this.cache.hasWriteId(op.writeId) || queuedIds.has(op.writeId))) continue
          const key = docKey(op.collection, op.id)
          const current = own.has(key) ? own.get(key)! : simulated.has(key) ? simulated.get(key)! : (this.cache.doc(op.collection, op.id)?.data ?? null)
          if (op.type === 'create' && current !== null) {
            throw new PortabaseError('already-exists', `Document ${key} already exists (in the local cache)`, { provider: 'portabase' })
          }
          if (op.type === 'update' && current === null) {
            throw new PortabaseError('not-found', `Cannot update ${key}: it does not exist (in the local cache)`, { provider: 'portabase' })
          }
          own.set(key, op.type === 'delete' ? null : applyWrite(current ?? undefined, op, now))
          const { writeId: _, ...plain } = op
          mine.push({ seq: 0, writeId: op.writeId ?? generateId(20), op: plain as WriteOp, base: this.cache.serverState(op.collection, op.id), createdAt: now })
        }
      } catch (error) {
        // This call alone fails, all or none; the others of the group go on.
        pending.reject(error)
        continue
      }
      for (const [key, data] of own) simulated.set(key, data)
      for (const w of mine) {
        queuedIds.add(w.writeId)
        writes.push({ ...w, seq: this.cache.nextSeq() })
      }
      accepted.push(pending)
    }
    if (writes.length > 0) {
      const queue = this.cache.prepareQueue(writes)
      try {
        await this.part.store.commit(queue.changes)
      } catch (error) {
        for (const pending of accepted) pending.reject(error)
        return
      }
      queue.apply()
    }
    for (const pending of accepted) pending.resolve()
  }

  /** One read-cache → commit → apply step at a time: local writes and sync steps never interleave. */
  private locked<T>(step: () => Promise<T>): Promise<T> {
    const tabs = this.tabs
    // Several tabs: the step runs alone across them, on a cache that has every tab's commits.
    const run = this.lock.then(
      tabs
        ? () =>
            tabs.exclusive(async () => {
              await this.catchUp()
              return step()
            })
        : step,
    )
    this.lock = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }

  // --- sync ---

  /** Sends queued writes now. Rejects with `unavailable` when the server cannot be reached (writes stay queued). */
  async flush(): Promise<FlushResult> {
    await this.bound()
    this.assertOpen()
    if (!this.leading) return this.askLeader()
    let result = emptyFlushResult()
    await this.exclusive(async () => {
      result = await this.push()
    })
    return result
  }

  /**
   * Resolves when every queued write of the signed-in user (except those waiting on a conflict
   * decision) reached the server and a pull completed. Rejects with `deadline-exceeded` after
   * `timeoutMs` (default 60 s) and `cancelled` on `signal` or dispose; the writes stay queued.
   * While it waits, the retry timer keeps Node alive (a script awaiting it does not exit early);
   * its own deadline timer does not.
   */
  async waitForSync(options: WaitForSyncOptions = {}): Promise<void> {
    const timeoutMs = options?.timeoutMs ?? DEFAULTS.waitTimeoutMs
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) throw invalidArgument('waitForSync({ timeoutMs }) must be a positive number of milliseconds (or Infinity)')
    const signal = options?.signal
    if (signal?.aborted) throw cancelled('waitForSync() was cancelled')
    await this.bound()
    if (this.closed) throw cancelled('The client was disposed')
    if (!this.leading) return this.waitThroughLeader(timeoutMs, signal)
    // Only a round that starts after this call counts: one already running may have missed a write.
    const after = this.roundsStarted
    this.waiters += 1
    this.refTimer()
    this.markAllDue()
    this.schedule(0)
    let cleanup = (): void => undefined
    try {
      await new Promise<void>((resolve, reject) => {
        const sub = this.statusSubject.subscribe({
          next: (s) => {
            if (s.pending === this.heldWrites() && !s.uploading && !s.downloading && this.lastGoodRound > after) resolve()
          },
          complete: () => reject(cancelled('The client was disposed')),
        })
        const deadline = Number.isFinite(timeoutMs)
          ? setTimeout(() => reject(new PortabaseError('deadline-exceeded', `Not synced within ${timeoutMs} ms; the writes stay queued`, { provider: 'portabase', cause: this.statusSubject.value.error ?? undefined })), timeoutMs)
          : undefined
        ;(deadline as { unref?: () => void } | undefined)?.unref?.()
        const onAbort = () => reject(cancelled('waitForSync() was cancelled'))
        signal?.addEventListener('abort', onAbort, { once: true })
        if (signal?.aborted) onAbort()
        cleanup = () => {
          sub.unsubscribe()
          clearTimeout(deadline)
          signal?.removeEventListener('abort', onAbort)
        }
      })
    } finally {
      cleanup()
      this.waiters -= 1
      if (this.waiters === 0) (this.timer as { unref?: () => void } | undefined)?.unref?.()
    }
  }

  /** Pulls now (all offline collections, or one). */
  async pull(collection?: string): Promise<void> {
    await this.bound()
    if (!this.leading) {
      await this.askLeader()
      return
    }
    await this.exclusive(async () => {
      await this.pullAll(collection === undefined ? [...this.collections.keys()] : [collection])
    })
  }

  /** Stops syncing, lets queued local commits finish, then closes the store. */
  async dispose(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.timer)
    for (const retry of this.watchRetries) clearTimeout(retry)
    for (const sub of this.subscriptions) sub.unsubscribe()
    this.stopRemoteWatches()
    await this.running?.catch(() => undefined)
    await this.ready.catch(() => undefined)
    await this.binding
    // Local writes already accepted are committed before the store closes.
    await this.lock
    this.statusSubject.complete()
    this.conflictsSubject.complete()
    this.outcomesSubject.complete()
    this.rejectedSubject.complete()
    this.localChanges.complete()
    this.part?.forward.unsubscribe()
    // A clean close: the next open need not wait for requests of this run still in flight.
    await this.options.store.commit([{ table: 'meta', key: OPEN_KEY, delete: true }]).catch(() => undefined)
    await this.options.store.close()
    // Another tab takes the lead; this tab's questions to the leader go unanswered.
    this.tabs?.close()
    for (const answer of this.asked.values()) answer({ type: 'synced', id: '', error: { code: 'cancelled', message: 'The client was disposed' } })
    this.asked.clear()
  }

  /** Runs a round after `delayMs`, unless one is already due sooner. */
  private schedule(delayMs: number): void {
    // Another tab leads: it syncs (it hears of this tab's commits on the channel).
    if (this.closed || !this.leading) return
    const at = Date.now() + delayMs
    if (this.timer !== undefined && this.timerAt <= at) return
    clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.timerAt = Infinity
      void this.round()
    }, delayMs)
    // Background sync must not keep a Node process alive, unless someone awaits waitForSync().
    if (this.waiters === 0) (this.timer as { unref?: () => void }).unref?.()
  }

  private refTimer(): void {
    ;(this.timer as { ref?: () => void } | undefined)?.ref?.()
  }

  /** One full round: push then pull everything; on failure, back off and try again. */
  private async round(): Promise<void> {
    // Offline is only a hint (an adapter may report offline until a request succeeds): keep
    // probing with backoff; a switch back to online starts a round at once.
    if (this.closed || !this.leading) return
    let round = 0
    let result = emptyFlushResult()
    // Other tabs' requests made before this round: answered when it ends.
    let answering: Array<[string, ((answer: SyncAnswer) => void) | undefined]> = []
    try {
      await this.exclusive(async () => {
        round = ++this.roundsStarted
        answering = [...this.syncRequests]
        this.syncRequests.clear()
        // Collections with queued writes are pulled after the push: the server has new versions.
        const pushed = this.cache.pendingCollections()
        result = await this.push()
        await this.pullAll(this.dueCollections(pushed))
      })
      this.lastGoodRound = round
      this.failures = 0
      this.updateStatus({ lastSyncedAt: new Date(), error: null })
      for (const [id, local] of answering) this.answer({ type: 'synced', id, result }, local)
      if (this.options.pollIntervalMs > 0 && this.connection !== 'offline') this.schedule(this.options.pollIntervalMs)
    } catch (error) {
      if (this.closed) return
      const failure = toPortabaseError(error, this.adapter.name)
      // Cut short by a user switch: the switch schedules the next round itself.
      if (failure.details?.reason === USER_CHANGED) {
        for (const [id, local] of answering) this.syncRequests.set(id, local)
        return
      }
      for (const [id, local] of answering) this.answer({ type: 'synced', id, error: { code: failure.code, message: failure.message } }, local)
      this.failures += 1
      this.updateStatus({ error: failure })
      this.schedule(failure.retryAfterMs ?? this.backoff(this.failures))
    }
  }

  /** Exponential backoff with jitter, capped at retryDelayMs.max. */
  private backoff(failures: number): number {
    const { initial, max } = this.options.retryDelayMs
    const ceiling = Math.min(max, initial * 2 ** (failures - 1))
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
  }

  /** Runs sync work one at a time; a request during a run makes the run go again afterwards. */
  private async exclusive(work: () => Promise<void>): Promise<void> {
    while (this.running) {
      this.rerun = true
      await this.running.catch(() => undefined)
    }
    this.assertOpen()
    // Several tabs: sync work starts from every tab's commits (a follower's writes included).
    const run = this.tabs ? this.locked(async () => undefined).then(work) : work()
    this.running = run
    try {
      await run
    } finally {
      this.running = null
      if (this.rerun) {
        this.rerun = false
        if (this.cache.pendingCount > this.heldWrites()) this.schedule(0)
      }
    }
  }

  private async push(): Promise<FlushResult> {
    if (this.cache.pendingCount === this.heldWrites()) return emptyFlushResult()
    const wait = this.pushNotBefore - Date.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    this.updateStatus({ uploading: true })
    try {
      return await pushOutbox(this.pushContext(this.part))
    } finally {
      this.updateStatus({ uploading: false })
    }
  }

  /** Marks every collection due for the next round's pull. */
  private markAllDue(): void {
    for (const collection of this.collections.keys()) this.due.add(collection)
  }

  /**
   * What a round pulls: collections with queued writes (`pushed`), those marked due, and those whose
   * server changes would go unannounced (no live watch: no realtime, offline, or a watch down).
   */
  private dueCollections(pushed: ReadonlySet<string>): string[] {
    return [...this.collections.keys()].filter((c) => pushed.has(c) || this.due.has(c) || !this.liveWatches.has(c))
  }

  private async pullAll(collections: readonly string[]): Promise<void> {
    const part = this.part
    this.updateStatus({ downloading: true })
    try {
      for (const collection of collections) {
        const config = this.collections.get(collection)
        if (!config) throw invalidArgument(`${collection} is not an offline collection`)
        // Marked again while this pull runs: a change it may have missed, for the next round.
        this.due.delete(collection)
        const ctx: PullContext = {
          locked: (step) => this.locked(step),
          checkUser: () => this.checkUser(part),
          sync: this.sync,
          documents: this.adapter.documents,
          store: part.store,
          cache: part.cache,
          checkpoints: part.checkpoints,
          pageSize: this.options.pageSize,
          collection,
          mode: config.sync,
          reconciled: part.reconciled,
          ...(typeof config.sync === 'object' ? { selection: this.compiled({ ...config.sync.query, limit: undefined, startAfter: undefined }).matches } : {}),
        }
        const changed = part.liveChanged.get(collection)
        part.liveChanged.delete(collection)
        try {
          await pullCollection(ctx)
          if (changed !== undefined && changed.size > 0) await pullIds(ctx, [...changed])
        } catch (error) {
          this.due.add(collection)
          // Not fetched: keep them, with any named meanwhile, for the next pull.
          if (changed !== undefined) {
            const pending = part.liveChanged.get(collection)
            if (pending) for (const id of pending) changed.add(id)
            part.liveChanged.set(collection, changed)
          }
          throw error
        }
      }
    } finally {
      this.updateStatus({ downloading: false })
    }
  }

  private pushContext(part: Partition): PushContext {
    return {
      locked: (step) => this.locked(step),
      sync: this.sync,
      store: part.store,
      cache: part.cache,
      batchSize: this.options.batchSize,
      strategyFor: (collection) => this.collections.get(collection)?.conflict ?? 'server-wins',
      isHeld: (key) => this.openConflicts.has(key),
      hold: (conflict, writes) => this.hold(conflict, writes),
      applied: (count) => this.countOutcome('applied', count),
      report: (outcome) => this.report(outcome),
      checkUser: () => this.checkUser(part),
      onProgress: () => this.updateStatus({}),
    }
  }

  private countOutcome(kind: keyof SyncStatus['outcomes'], n: number): void {
    const outcomes = this.statusSubject.value.outcomes
    this.updateStatus({ outcomes: { ...outcomes, [kind]: outcomes[kind] + n } })
  }

  private report(outcome: SyncOutcome): void {
    this.countOutcome(outcome.kind, outcome.writes.length)
    this.outcomesSubject.next(outcome)
    if (outcome.kind !== 'rejected') return
    for (const w of outcome.writes) {
      this.rejectedSubject.next({ collection: outcome.collection, id: outcome.id, type: w.type, error: outcome.error!, data: w.data, local: outcome.local })
    }
  }

  private hold(conflict: ConflictInput, writes: readonly QueuedWrite[]): void {
    const key = docKey(conflict.collection, conflict.id)
    const captured = [...writes]
    const part = this.part
    const held: SyncConflict = {
      ...conflict,
      resolve: (data) => this.resolveHeld(part, key, conflict, captured, data),
      keepLocal: () => this.resolveHeld(part, key, conflict, captured, conflict.local),
      keepServer: () => this.resolveHeld(part, key, conflict, captured, conflict.server),
    }
    this.openConflicts.set(key, held)
    this.updateStatus({})
    this.conflictsSubject.next(held)
  }

  /**
   * A decision on a held conflict: the writes the conflict was about become one write of `data`,
   * based on the server state seen now, carrying the outcome (`overridden` when `data` is the
   * server's document, else `merged`). Writes made after the conflict was raised stay queued
   * after it, so nothing typed meanwhile is lost.
   */
  private async resolveHeld(part: Partition, key: string, conflict: ConflictInput, captured: readonly QueuedWrite[], data: DocumentData | null): Promise<void> {
    await this.bound()
    this.assertOpen()
    if (part !== this.part || !this.openConflicts.has(key)) throw new PortabaseError('failed-precondition', `The conflict on ${key} is already resolved`)
    const { collection, id } = captured[0]!.op
    await this.exclusive(async () => {
      this.checkUser(part)
      const server = (await this.sync.fetch(collection, [id]))[0]
      await this.locked(async () => {
        const state: ServerState | undefined = server && server.data !== null ? serverStateOf(server) : undefined
        const serverData = server?.data ?? null
        const same = data === null ? serverData === null : serverData !== null && valuesEqual(data, serverData)
        const last = captured[captured.length - 1]!
        // The decision takes the place (and sequence number) of the last write it replaces.
        const write: QueuedWrite = {
          seq: last.seq,
          writeId: generateId(20),
          op: data === null ? { type: 'delete', collection, id } : { type: 'set', collection, id, data },
          base: state ?? { data: null, version: null, writeId: null, updateTime: null },
          createdAt: new Date(),
          verdict: {
            kind: same ? 'overridden' : 'merged',
            level: conflict.level,
            fields: conflict.fields,
            local: conflict.local,
            server: serverData,
            writes: captured.flatMap((w) => w.verdict?.writes ?? [written(w)]),
          },
        }
        const settle = part.cache.prepareSettle({ removed: captured.slice(0, -1), replaced: [write], states: new Map([[key, state]]), rebase: true })
        await part.store.commit(settle.changes)
        settle.apply()
        this.openConflicts.delete(key)
      })
      this.updateStatus({})
    })
    this.schedule(0)
  }

  private heldWrites(): number {
    let count = 0
    for (const conflict of this.openConflicts.values()) count += this.cache.queuedFor(conflict.collection, conflict.id).length
    return count
  }

  /**
   * Live watches (realtime adapters): a server change triggers a pull. Every (re)subscription is
   * followed by a pull, so a change landing between the last pull and the subscription is not
   * missed; a watch that fails shows on `status$.error` and is started again with backoff.
   */
  private startRemoteWatches(): void {
    if (!this.adapter.capabilities.realtime || this.closed || !this.leading) return
    for (const [collection, config] of this.collections) {
      if (this.remoteWatches.has(collection)) continue
      const query: Query =
        typeof config.sync === 'object' ? { ...config.sync.query, orderBy: withIdOrder(config.sync.query.orderBy) } : { filters: [], orderBy: withIdOrder([]) }
      let first = true
      const sub = this.adapter.documents.watch(collection, query).subscribe({
        next: (snapshot) => {
          this.due.add(collection)
          if (first) {
            first = false
            this.watchFailures.delete(collection)
            this.liveWatches.add(collection)
            // A round that starts now pulls what changed before the watch was live.
            this.schedule(0)
            return
          }
          // The next pull also fetches the documents a live event names: the feed can miss a commit
          // that lands out of updateTime order (pull.ts, pullIds).
          const liveChanged = this.part.liveChanged
          let ids = liveChanged.get(collection)
          if (!ids) liveChanged.set(collection, (ids = new Set()))
          for (const change of snapshot.changes) ids.add(change.doc.id)
          this.schedule(20)
        },
        error: (error: unknown) => {
          // (A newer watch of this collection only starts after this one is gone.)
          this.remoteWatches.delete(collection)
          this.liveWatches.delete(collection)
          if (this.closed) return
          const failures = (this.watchFailures.get(collection) ?? 0) + 1
          this.watchFailures.set(collection, failures)
          this.updateStatus({ error: toPortabaseError(error, this.adapter.name) })
          const retry = setTimeout(() => {
            this.watchRetries.delete(retry)
            if (this.connection !== 'offline') this.startRemoteWatches()
          }, this.backoff(failures))
          ;(retry as { unref?: () => void }).unref?.()
          this.watchRetries.add(retry)
        },
      })
      if (!sub.closed) this.remoteWatches.set(collection, sub)
    }
  }

  private stopRemoteWatches(): void {
    for (const sub of this.remoteWatches.values()) sub.unsubscribe()
    this.remoteWatches.clear()
    this.liveWatches.clear()
  }

  // --- several tabs ---

  /** Runs `work` alone across the tabs sharing the store (directly without tabs). */
  private acrossTabs<T>(work: () => Promise<T>): Promise<T> {
    return this.tabs ? this.tabs.exclusive(work) : work()
  }

  /** Under the store lock: reloads the partition if another tab committed since this one last looked. */
  private async catchUp(): Promise<void> {
    this.catchUpQueued = false
    if (!this.stamp || this.part === undefined || !(await this.stamp.changed())) return
    const part = this.part
    part.cache.reload(await part.store.entries('docs'), await part.store.entries('outbox'))
    part.checkpoints.clear()
    for (const [collection, checkpoint] of readCheckpoints(await part.store.entries('meta'))) part.checkpoints.set(collection, checkpoint)
    this.localChanges.next(null) // views re-run their queries
    this.updateStatus({})
  }

  private onTabMessage(message: TabMessage): void {
    if (this.closed) return
    switch (message.type) {
      case 'changed':
        // One catch-up for a burst of messages; the leader then sends what followers queued.
        if (this.catchUpQueued) return
        this.catchUpQueued = true
        this.locked(async () => undefined).then(
          () => this.schedule(0),
          () => undefined,
        )
        return
      case 'leader':
        for (const id of this.asked.keys()) this.tabs!.post({ type: 'sync', id })
        return
      case 'sync':
        if (!this.leading) return
        this.syncRequests.set(message.id, undefined)
        this.markAllDue()
        this.schedule(0)
        return
      case 'synced': {
        const answer = this.asked.get(message.id)
        this.asked.delete(message.id)
        answer?.(message)
      }
    }
  }

  /** This tab leads from now on: it syncs, and answers the requests it had sent to the previous leader. */
  private takeLead(afterAnother: boolean): void {
    if (this.closed || this.leading) return
    this.leading = true
    for (const [id, answer] of this.asked) this.syncRequests.set(id, answer)
    this.asked.clear()
    this.tabs!.post({ type: 'leader' })
    // The previous leader may have died with a request in flight (see crashGraceMs).
    if (afterAnother) this.pushNotBefore = Date.now() + this.options.crashGraceMs
    // Marks the store open again: the previous leader's dispose may have cleared the mark.
    this.locked(() => this.options.store.commit([{ table: 'meta', key: OPEN_KEY, value: Date.now() }])).catch(() => undefined)
    this.failures = 0
    this.markAllDue()
    this.schedule(0)
    if (this.connection !== 'offline') this.startRemoteWatches()
  }

  private answer(answer: SyncAnswer, local: ((answer: SyncAnswer) => void) | undefined): void {
    if (local) local(answer)
    else this.tabs?.post(answer)
  }

  /** A follower's flush()/pull(): one round of the leader, which started after the call. */
  private async askLeader(): Promise<FlushResult> {
    const id = generateId(20)
    const answer = await new Promise<SyncAnswer>((resolve) => {
      this.asked.set(id, resolve)
      this.tabs!.post({ type: 'sync', id })
    })
    if (answer.error) throw new PortabaseError(answer.error.code as ErrorCode, answer.error.message, { provider: 'portabase' })
    // The leader's commits reached this tab's cache before the call returns.
    await this.locked(async () => undefined)
    return answer.result ?? emptyFlushResult()
  }

  /** A follower's waitForSync(): asks the leader for rounds until one succeeds (writes made before the call are then sent). */
  private async waitThroughLeader(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    let stop = (_error: PortabaseError): void => undefined
    const stopped = new Promise<never>((_, reject) => (stop = reject))
    stopped.catch(() => undefined)
    const deadline = Number.isFinite(timeoutMs) ? setTimeout(() => stop(new PortabaseError('deadline-exceeded', `Not synced within ${timeoutMs} ms; the writes stay queued`, { provider: 'portabase' })), timeoutMs) : undefined
    ;(deadline as { unref?: () => void } | undefined)?.unref?.()
    const onAbort = () => stop(cancelled('waitForSync() was cancelled'))
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      for (let failures = 1; ; failures++) {
        try {
          await Promise.race([this.askLeader(), stopped])
          return
        } catch (error) {
          if (this.closed) throw cancelled('The client was disposed')
          if (signal?.aborted || (error instanceof PortabaseError && error.code === 'deadline-exceeded')) throw error
          await Promise.race([new Promise((resolve) => setTimeout(resolve, this.backoff(failures))), stopped])
        }
      }
    } finally {
      clearTimeout(deadline)
      signal?.removeEventListener('abort', onAbort)
    }
  }

  private updateStatus(patch: Partial<SyncStatus>): void {
    if (this.closed && this.statusSubject.closed) return
    const part = this.part as Partition | undefined
    this.statusSubject.next({ ...this.statusSubject.value, ...patch, pending: part?.cache.pendingCount ?? 0, conflicts: this.openConflicts.size })
  }

  private assertOpen(): void {
    if (this.closed) throw new PortabaseError('failed-precondition', 'The client was disposed')
  }
}

/** The rows of one partition among a table's rows, their keys without the prefix. */
function withoutPrefix(rows: ReadonlyArray<[string, StoredValue]>, prefix: string): Array<[string, StoredValue]> {
  const out: Array<[string, StoredValue]> = []
  for (const [key, value] of rows) if (key.startsWith(prefix)) out.push([key.slice(prefix.length), value])
  return out
}

function cancelled(message: string): PortabaseError {
  return new PortabaseError('cancelled', message, { provider: 'portabase' })
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1) throw invalidArgument(`offline.${name} must be a positive integer`)
  return value
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) throw invalidArgument(`offline.${name} must be a number of milliseconds ≥ 0`)
  return value
}

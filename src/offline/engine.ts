/**
 * The offline engine: serves offline collections from the local cache, queues their writes durably
 * in the outbox, and syncs with the adapter's SyncService — push (outbox → server, conflicts
 * resolved per collection), then pull (server → cache). One sync round runs at a time.
 */
import { BehaviorSubject, Observable, Subject, concat, filter, firstValueFrom, from, ignoreElements, type Subscription } from 'rxjs'
import { invalidArgument, PortabaseError, toPortabaseError, unsupported } from '../errors.js'
import { generateId } from '../ids.js'
import { countMatches, runQuery } from '../query/evaluate.js'
import { LiveView } from '../query/live.js'
import { withIdOrder, type Query } from '../query/model.js'
import type { Adapter, SyncCheckpoint, SyncService, WriteOp } from '../spi.js'
import type { ConnectionState, Doc, DocumentData, QuerySnapshot, SyncStatus } from '../types.js'
import { applyWrite } from '../write.js'
import { docKey, LocalCache, serverStateOf, type QueuedWrite, type ServerState } from './cache.js'
import { openAndMigrate } from './schema.js'
import { pullCollection, pullIds, readCheckpoints, type PullContext } from './pull.js'
import { pushOutbox, type PushContext } from './push.js'
import type { FlushResult, OfflineCollectionOptions, OfflineOptions, RejectedWrite, SyncConflict } from './types.js'

const DEFAULTS = { batchSize: 100, pageSize: 500, retryDelayMs: { initial: 500, max: 30_000 }, crashGraceMs: 1_000 }
/** Set while an engine has the store open; still set at the next open means the app died. */
const OPEN_KEY = 'openedBy'

export class OfflineEngine {
  readonly cache = new LocalCache()
  readonly ready: Promise<void>
  private readonly sync: SyncService
  private readonly collections: ReadonlyMap<string, Required<OfflineCollectionOptions>>
  private readonly options: Required<Omit<OfflineOptions, 'collections'>>
  private readonly statusSubject = new BehaviorSubject<SyncStatus>({ pending: 0, uploading: false, downloading: false, lastSyncedAt: null, error: null, conflicts: 0 })
  private readonly conflictsSubject = new Subject<SyncConflict>()
  private readonly openConflicts = new Map<string, SyncConflict>()
  private readonly rejectedSubject = new Subject<RejectedWrite>()
  private readonly checkpoints = new Map<string, SyncCheckpoint>()
  private readonly subscriptions: Subscription[] = []
  private readonly remoteWatches = new Map<string, Subscription>()
  /** Ids a live watch reported changed since the last pull, per feed-synced collection (see pullIds). */
  private readonly liveChanged = new Map<string, Set<string>>()
  private connection: ConnectionState = 'connecting'
  private running: Promise<void> | null = null
  private rerun = false
  private timer: ReturnType<typeof setTimeout> | undefined
  private failures = 0
  private lock: Promise<void> = Promise.resolve()
  /** After a crash: no push before this time (see OfflineOptions.crashGraceMs). */
  private pushNotBefore = 0
  /** Callers awaiting waitForSync(): while there are any, the retry timer keeps Node alive. */
  private waiters = 0
  private closed = false

  constructor(
    private readonly adapter: Adapter,
    options: OfflineOptions,
    connection$: Observable<ConnectionState>,
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
    this.options = {
      store: options.store,
      batchSize: positive(options.batchSize, DEFAULTS.batchSize, 'batchSize'),
      pageSize: positive(options.pageSize, DEFAULTS.pageSize, 'pageSize'),
      retryDelayMs: options.retryDelayMs ?? DEFAULTS.retryDelayMs,
      crashGraceMs: options.crashGraceMs ?? DEFAULTS.crashGraceMs,
    }
    this.ready = this.open(connection$)
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

  /** Open conflicts first (replayed to each new subscriber), then new ones as they arise. */
  readonly conflicts$ = new Observable<SyncConflict>((subscriber) => {
    for (const conflict of this.openConflicts.values()) subscriber.next(conflict)
    return this.conflictsSubject.subscribe(subscriber)
  })

  private async readyForStatus(): Promise<void> {
    try {
      await this.ready
    } catch (error) {
      this.updateStatus({ error: toPortabaseError(error, 'portabase') })
    }
  }

  private async open(connection$: Observable<ConnectionState>): Promise<void> {
    const snapshot = await openAndMigrate(this.options.store)
    if (snapshot.meta.some(([key]) => key === OPEN_KEY) && snapshot.outbox.length > 0) {
      this.pushNotBefore = Date.now() + this.options.crashGraceMs
    }
    await this.options.store.commit([{ table: 'meta', key: OPEN_KEY, value: Date.now() }])
    // Disposed while opening: start nothing (a live watch started now would never be stopped).
    if (this.closed) return
    this.cache.load(snapshot.docs, snapshot.outbox)
    for (const [collection, checkpoint] of readCheckpoints(snapshot.meta)) this.checkpoints.set(collection, checkpoint)
    this.updateStatus({})
    this.subscriptions.push(
      connection$.subscribe((state) => {
        const wasOffline = this.connection === 'offline'
        this.connection = state
        if (state === 'offline') return this.stopRemoteWatches()
        if (wasOffline || !this.running) {
          this.failures = 0
          this.schedule(0)
        }
        this.startRemoteWatches()
      }),
    )
  }

  // --- local reads and writes ---

  async get(collection: string, id: string): Promise<Doc | null> {
    await this.ready
    return this.cache.doc(collection, id) ?? null
  }

  async query(collection: string, query: Query): Promise<Doc[]> {
    await this.ready
    return runQuery(this.cache.docs(collection), query)
  }

  async count(collection: string, query: Query): Promise<number> {
    await this.ready
    return countMatches(this.cache.docs(collection), query.filters)
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
      this.ready.then(
        () => {
          if (stopped) return
          view = new LiveView<Doc>(query, runQuery(this.cache.docs(collection), query))
          subscriber.next(snapshot(view.current.map((doc, newIndex) => ({ type: 'added', doc, oldIndex: -1, newIndex }))))
          sub = this.cache.changes$.subscribe((changes) => {
            const all: QuerySnapshot['changes'][number][] = []
            for (const change of changes) {
              if (change.collection !== collection) continue
              const applied = view!.apply(change.id, change.doc)
              all.push(...(applied ?? view!.rerun(this.cache.docs(collection))))
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
    await this.ready
    this.assertOpen()
    // Checked and queued against the cache as it is when no sync step is halfway through.
    await this.locked(() => this.queueLocked(ops))
    this.updateStatus({})
    this.schedule(0)
  }

  private async queueLocked(ops: readonly WriteOp[]): Promise<void> {
    const now = new Date()
    const writes: QueuedWrite[] = []
    const simulated = new Map<string, DocumentData | null>()
    for (const op of ops) {
      const key = docKey(op.collection, op.id)
      const current = simulated.has(key) ? simulated.get(key)! : (this.cache.doc(op.collection, op.id)?.data ?? null)
      if (op.type === 'create' && current !== null) {
        throw new PortabaseError('already-exists', `Document ${key} already exists (in the local cache)`, { provider: 'portabase' })
      }
      if (op.type === 'update' && current === null) {
        throw new PortabaseError('not-found', `Cannot update ${key}: it does not exist (in the local cache)`, { provider: 'portabase' })
      }
      simulated.set(key, op.type === 'delete' ? null : applyWrite(current ?? undefined, op, now))
      writes.push({ seq: this.cache.nextSeq(), writeId: generateId(20), op, base: this.cache.serverState(op.collection, op.id), createdAt: now })
    }
    await this.options.store.commit(this.cache.queueChanges(writes))
    this.cache.applyQueued(writes)
  }

  /** One read-cache → commit → apply step at a time: local writes and sync steps never interleave. */
  private locked<T>(step: () => Promise<T>): Promise<T> {
    const run = this.lock.then(step)
    this.lock = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }

  // --- sync ---

  /** Sends queued writes now. Rejects with `unavailable` when the server cannot be reached (writes stay queued). */
  async flush(): Promise<FlushResult> {
    await this.ready
    this.assertOpen()
    let result: FlushResult = { sent: 0, rejected: 0, conflicts: 0 }
    await this.exclusive(async () => {
      result = await this.push()
    })
    return result
  }

  /** Resolves when every queued write (except those waiting on a conflict decision) reached the server and a pull completed. */
  async waitForSync(): Promise<void> {
    await this.ready
    const since = Date.now()
    this.waiters += 1
    ;(this.timer as { ref?: () => void } | undefined)?.ref?.()
    this.schedule(0)
    try {
      await firstValueFrom(
        this.statusSubject.pipe(
          filter((s) => s.pending === this.heldWrites() && !s.uploading && !s.downloading && s.lastSyncedAt !== null && s.lastSyncedAt.getTime() >= since),
        ),
      )
    } finally {
      this.waiters -= 1
      if (this.waiters === 0) (this.timer as { unref?: () => void } | undefined)?.unref?.()
    }
  }

  /** Pulls now (all offline collections, or one). */
  async pull(collection?: string): Promise<void> {
    await this.ready
    await this.exclusive(async () => {
      await this.pullAll(collection === undefined ? [...this.collections.keys()] : [collection])
    })
  }

  async dispose(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.timer)
    for (const sub of this.subscriptions) sub.unsubscribe()
    this.stopRemoteWatches()
    await this.running?.catch(() => undefined)
    await this.ready.catch(() => undefined)
    this.statusSubject.complete()
    this.conflictsSubject.complete()
    this.rejectedSubject.complete()
    this.cache.changes$.complete()
    // A clean close: the next open need not wait for requests of this run still in flight.
    await this.options.store.commit([{ table: 'meta', key: OPEN_KEY, delete: true }]).catch(() => undefined)
    await this.options.store.close()
  }

  private schedule(delayMs: number): void {
    if (this.closed) return
    clearTimeout(this.timer)
    this.timer = setTimeout(() => void this.round(), delayMs)
    // Background sync must not keep a Node process alive, unless someone awaits waitForSync().
    if (this.waiters === 0) (this.timer as { unref?: () => void }).unref?.()
  }

  /** One full round: push then pull everything; on failure, back off and try again. */
  private async round(): Promise<void> {
    // Offline is only a hint (an adapter may report offline until a request succeeds): keep
    // probing with backoff; a switch back to online starts a round at once.
    if (this.closed) return
    try {
      await this.exclusive(async () => {
        await this.push()
        await this.pullAll([...this.collections.keys()])
      })
      this.failures = 0
      this.updateStatus({ lastSyncedAt: new Date(), error: null })
    } catch (error) {
      if (this.closed) return
      const failure = toPortabaseError(error, this.adapter.name)
      this.failures += 1
      this.updateStatus({ error: failure })
      const { initial, max } = this.options.retryDelayMs
      const ceiling = Math.min(max, initial * 2 ** (this.failures - 1))
      this.schedule(failure.retryAfterMs ?? Math.round(ceiling / 2 + (Math.random() * ceiling) / 2))
    }
  }

  /** Runs sync work one at a time; a request during a run makes the run go again afterwards. */
  private async exclusive(work: () => Promise<void>): Promise<void> {
    while (this.running) {
      this.rerun = true
      await this.running.catch(() => undefined)
    }
    this.assertOpen()
    const run = work()
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
    if (this.cache.pendingCount === this.heldWrites()) return { sent: 0, rejected: 0, conflicts: 0 }
    const wait = this.pushNotBefore - Date.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    this.updateStatus({ uploading: true })
    try {
      return await pushOutbox(this.pushContext())
    } finally {
      this.updateStatus({ uploading: false })
    }
  }

  private async pullAll(collections: readonly string[]): Promise<void> {
    this.updateStatus({ downloading: true })
    try {
      for (const collection of collections) {
        const config = this.collections.get(collection)
        if (!config) throw invalidArgument(`${collection} is not an offline collection`)
        const ctx: PullContext = {
          locked: (step) => this.locked(step),
          sync: this.sync,
          documents: this.adapter.documents,
          store: this.options.store,
          cache: this.cache,
          checkpoints: this.checkpoints,
          pageSize: this.options.pageSize,
          collection,
          mode: config.sync,
        }
        const changed = this.liveChanged.get(collection)
        this.liveChanged.delete(collection)
        try {
          await pullCollection(ctx)
          if (changed !== undefined && changed.size > 0) await pullIds(ctx, [...changed])
        } catch (error) {
          // Not fetched: keep them, with any named meanwhile, for the next pull.
          if (changed !== undefined) {
            const pending = this.liveChanged.get(collection)
            if (pending) for (const id of pending) changed.add(id)
            this.liveChanged.set(collection, changed)
          }
          throw error
        }
      }
    } finally {
      this.updateStatus({ downloading: false })
    }
  }

  private pushContext(): PushContext {
    return {
      locked: (step) => this.locked(step),
      sync: this.sync,
      store: this.options.store,
      cache: this.cache,
      batchSize: this.options.batchSize,
      strategyFor: (collection) => this.collections.get(collection)?.conflict ?? 'server-wins',
      isHeld: (key) => this.openConflicts.has(key),
      hold: (conflict, writes) => {
        const key = docKey(conflict.collection, conflict.id)
        const captured = [...writes]
        const held: SyncConflict = {
          ...conflict,
          resolve: (data) => this.resolveHeld(key, captured, data),
          keepLocal: () => this.resolveHeld(key, captured, conflict.local),
          keepServer: () => this.resolveHeld(key, captured, conflict.server),
        }
        this.openConflicts.set(key, held)
        this.updateStatus({})
        this.conflictsSubject.next(held)
      },
      reject: (rejection) => this.rejectedSubject.next(rejection),
      onProgress: () => this.updateStatus({}),
    }
  }

  /**
   * A decision on a held conflict: the writes the conflict was about become one write of `data`,
   * based on the server state seen now. Writes made after the conflict was raised stay queued
   * after it, so nothing typed meanwhile is lost.
   */
  private async resolveHeld(key: string, captured: readonly QueuedWrite[], data: DocumentData | null): Promise<void> {
    await this.ready
    this.assertOpen()
    if (!this.openConflicts.has(key)) throw new PortabaseError('failed-precondition', `The conflict on ${key} is already resolved`)
    const { collection, id } = captured[0]!.op
    await this.exclusive(async () => {
      const server = (await this.sync.fetch(collection, [id]))[0]
      await this.locked(async () => {
        const base: ServerState = server ? serverStateOf(server) : { data: null, version: null, writeId: null, updateTime: null }
        const op: WriteOp = data === null ? { type: 'delete', collection, id } : { type: 'set', collection, id, data }
        // The decision takes the place (and sequence number) of the last write it replaces.
        const write: QueuedWrite = { seq: captured[captured.length - 1]!.seq, writeId: generateId(20), op, base, createdAt: new Date() }
        const states = new Map([[key, server && server.data !== null ? base : undefined]])
        await this.options.store.commit([...this.cache.settleChanges(captured, states), ...this.cache.queueChanges([write])])
        this.cache.applySettled(captured, states)
        this.cache.applyQueued([write])
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

  private startRemoteWatches(): void {
    if (!this.adapter.capabilities.realtime || this.closed) return
    for (const [collection, config] of this.collections) {
      if (this.remoteWatches.has(collection)) continue
      const query: Query =
        typeof config.sync === 'object' ? { ...config.sync.query, orderBy: withIdOrder(config.sync.query.orderBy) } : { filters: [], orderBy: withIdOrder([]) }
      let first = true
      // Feed-synced collections also fetch the documents a live event names: a delta pull can miss a
      // commit that lands out of updateTime order (pull.ts, pullIds). A query pull re-reads them anyway.
      const byId = typeof config.sync === 'object' ? undefined : collection
      const sub = this.adapter.documents.watch(collection, query).subscribe({
        next: (snapshot) => {
          // The first snapshot is the current state, which the round after reconnecting pulls anyway.
          if (first) {
            first = false
            return
          }
          if (byId !== undefined) {
            let ids = this.liveChanged.get(byId)
            if (!ids) this.liveChanged.set(byId, (ids = new Set()))
            for (const change of snapshot.changes) ids.add(change.doc.id)
          }
          this.schedule(20)
        },
        error: () => this.remoteWatches.delete(collection),
      })
      this.remoteWatches.set(collection, sub)
    }
  }

  private stopRemoteWatches(): void {
    for (const sub of this.remoteWatches.values()) sub.unsubscribe()
    this.remoteWatches.clear()
  }

  private updateStatus(patch: Partial<SyncStatus>): void {
    if (this.closed && this.statusSubject.closed) return
    this.statusSubject.next({ ...this.statusSubject.value, ...patch, pending: this.cache.pendingCount, conflicts: this.openConflicts.size })
  }

  private assertOpen(): void {
    if (this.closed) throw new PortabaseError('failed-precondition', 'The client was disposed')
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1) throw invalidArgument(`offline.${name} must be a positive integer`)
  return value
}


/**
 * `portabase/mirror`: an adapter over two adapters, for moving an app between backends with live
 * users. The primary serves the app; every write is also queued, durably, for the secondary and
 * delivered in the background; optional shadow reads compare the two. Swapping the arguments
 * switches which backend the app depends on. See docs/mirror.md.
 */
import { distinctUntilChanged, filter, pairwise, type Observable, type Subscription } from 'rxjs'
import { invalidArgument, PortabaseError } from '../../src/errors.js'
import { isSentinel } from '../../src/sentinels.js'
import { memoryStore } from '../../src/offline/stores/memory.js'
import type { LocalStore } from '../../src/offline/store.js'
import type { Adapter, DocumentsService, StorageService, SyncService, UploadRequest, WriteOp } from '../../src/spi.js'
import { Deliverer, type MirrorStatus, type MirrorRepair, type RetryPolicy } from './deliver.js'
import type { MirrorWrite } from './entries.js'
import { mayHaveApplied } from './outcomes.js'
import { MirrorQueue, type MirrorRefusal, type QueueEntry } from './queue.js'
import { ShadowReader, type ShadowDifference, type ShadowReadOptions, type ShadowStats } from './shadow.js'

export interface MirrorOptions {
  /** Serves the app: every read, and the result of every write. */
  primary: Adapter
  /** Gets every document and storage write too, in the background. Never fails or slows the app. */
  secondary: Adapter
  /**
   * Where writes wait for the secondary (the offline stores: `memoryStore()`, `indexedDbStore()`,
   * `fileStore()` from `portabase/offline/node`). Default a new memoryStore: the queue then ends
   * with the process. Give the mirror a store of its own, not the offline engine's.
   */
  store?: LocalStore
  /** Backoff after a failed delivery round. */
  retry?: RetryPolicy
  /** Writes per delivery round (one SyncService request). Default 100, at most the secondary's `limits.maxBatchWrites`. */
  batchSize?: number
  /** Compare a sample of reads with the secondary's answers (`differences$`). Default off. */
  shadowReads?: ShadowReadOptions
  storage?: {
    /**
     * Uploads up to this size (bytes) are queued with their bytes; larger ones are queued as a copy
     * the mirror downloads from the primary when it delivers it. Default 1 MiB.
     */
    maxQueuedBytes?: number
  }
  /** Random numbers for backoff jitter and read sampling. Default Math.random. */
  random?: () => number
}

export interface DrainOptions {
  /** Give up (rejecting with `deadline-exceeded`) after this many ms. Default: no limit. */
  timeoutMs?: number
  signal?: AbortSignal
}

/** The adapter `mirror()` returns: the SPI, plus the state of the secondary's queue. */
export interface MirrorAdapter extends Adapter {
  readonly primary: Adapter
  readonly secondary: Adapter
  /** The queue's state now (see `status$`). */
  readonly status: MirrorStatus
  /** The queue's state; replays the current value. */
  readonly status$: Observable<MirrorStatus>
  /** Writes waiting for the secondary; replays the current value. */
  readonly pending$: Observable<number>
  /** Writes the secondary refused for good (also kept in the store: `refused()`). */
  readonly refused$: Observable<MirrorRefusal>
  /** Writes that reached the secondary as a copy of the primary's state, and why. */
  readonly repaired$: Observable<MirrorRepair>
  /** Shadow reads whose answers differed. */
  readonly differences$: Observable<ShadowDifference>
  /** Shadow reads compared, differing and skipped so far; replays the current value. */
  readonly shadowStats$: Observable<ShadowStats>
  /** Resolves once the queue is empty: everything delivered to the secondary or refused. */
  drain(options?: DrainOptions): Promise<void>
  /** Ends a backoff and delivers now, then drains. */
  flush(options?: DrainOptions): Promise<void>
  /** The refusals recorded in the store, oldest first, including earlier runs'. */
  refused(): Promise<MirrorRefusal[]>
  clearRefused(): Promise<void>
}

const DEFAULT_BATCH = 100
const DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024

/**
 * Writes go to both adapters, reads to the primary. Auth, functions, remote config, realtime,
 * storage reads and the connection state are the primary's alone: functions are not idempotent,
 * and the secondary's writes run under whatever session (or admin credentials) the secondary
 * adapter has of its own (docs/mirror.md).
 */
export function mirror(options: MirrorOptions): MirrorAdapter {
  const { primary, secondary } = checkOptions(options)
  const random = options.random ?? Math.random
  const maxQueuedBytes = options.storage?.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES
  const deliverer: { current?: Deliverer } = {}
  const queue = new MirrorQueue(options.store ?? memoryStore({ name: 'mirror' }), (error) => deliverer.current?.update({ storeError: error }))
  const delivery = new Deliverer(queue, primary, secondary, {
    // A round is one request: within the secondary's batch limit too.
    batchSize: Math.min(options.batchSize ?? DEFAULT_BATCH, secondary.capabilities.limits?.maxBatchWrites ?? Number.POSITIVE_INFINITY),
    retry: { initialDelayMs: options.retry?.initialDelayMs ?? 1_000, maxDelayMs: options.retry?.maxDelayMs ?? 60_000 },
    random,
  })
  deliverer.current = delivery
  const closing = new AbortController()
  const writeCounts = new Map<string, number>()
  const shadow = new ShadowReader(
    secondary,
    options.shadowReads?.sampleRate ?? 0,
    random,
    (collection) => writeCounts.get(collection) ?? 0,
    (collection) => queue.pendingIn(collection),
    closing.signal,
  )
  /** Queue commits the app does not wait for (confirmations), awaited by dispose. */
  const background = new Set<Promise<void>>()
  const inBackground = (work: Promise<void>): void => {
    const promise = work.catch((error: unknown) => delivery.update({ storeError: error instanceof Error ? error : new Error(String(error)) }))
    background.add(promise)
    void promise.finally(() => background.delete(promise))
  }

  const ready = queue.open().then(
    () => delivery.kick(),
    (error: unknown) => delivery.update({ storeError: error instanceof Error ? error : new Error(String(error)) }),
  )
  const subscriptions: Subscription[] = [
    queue.size$.subscribe(() => delivery.update({})),
    // Back online: deliver now rather than at the end of the backoff.
    secondary.connection$
      .pipe(
        pairwise(),
        filter(([before, now]) => before !== 'online' && now === 'online'),
      )
      .subscribe(() => delivery.flush()),
  ]

  /**
   * Queues `writes` for the secondary, runs `primary`, and confirms or abandons the entries by its
   * outcome (`settle`; by default all confirmed). The app waits for the durable queue commit, never
   * for the secondary. `applied(error)`: whether a failed primary call may have applied something.
   */
  const mirrored = async <T>(
    writes: ReadonlyArray<{ write: MirrorWrite; writeId?: string }>,
    run: () => Promise<T>,
    applied: (error: unknown) => boolean = mayHaveApplied,
    settle: (entries: QueueEntry[], result: T) => Promise<void> = (entries) => queue.confirm(entries),
  ): Promise<T> => {
    await ready
    for (const { write } of writes) {
      const collection = write.kind === 'document' ? write.op.collection : write.kind === 'document-copy' ? write.collection : undefined
      if (collection !== undefined) writeCounts.set(collection, (writeCounts.get(collection) ?? 0) + 1)
    }
    const entries = await queue.intend(writes)
    let result: T
    try {
      result = await run()
    } catch (error) {
      inBackground(queue.abandon(entries, applied(error)).then(() => delivery.kick()))
      throw error
    }
    inBackground(settle(entries, result).then(() => delivery.kick()))
    return result
  }
  const documentWrites = (ops: readonly WriteOp[]) => ops.map((op) => ({ write: forSecondary(op), writeId: op.writeId }))

  const documents: DocumentsService = {
    get: (collection, id, callOptions) => shadow.read(collection, { method: 'get', id }, () => primary.documents.get(collection, id, callOptions)),
    query: (collection, query, callOptions) => shadow.read(collection, { method: 'query', query }, () => primary.documents.query(collection, query, callOptions)),
    count: (collection, query, callOptions) => shadow.read(collection, { method: 'count', query }, () => primary.documents.count(collection, query, callOptions)),
    watch: (collection, query) => primary.documents.watch(collection, query),
    // A non-atomic batch of several writes that failed may have applied its first ones, whatever the code.
    write: (ops, writeOptions) =>
      mirrored(
        documentWrites(ops),
        () => primary.documents.write(ops, writeOptions),
        (error) => mayHaveApplied(error) || (!writeOptions.atomic && ops.length > 1),
      ),
  }

  const storage: StorageService = {
    upload: (request: UploadRequest) => {
      const write: MirrorWrite =
        request.bytes.byteLength <= maxQueuedBytes
          ? { kind: 'upload', path: request.path, bytes: request.bytes.slice(), contentType: request.contentType, metadata: { ...request.metadata } }
          : { kind: 'file-copy', path: request.path }
      return mirrored([{ write }], () => primary.storage.upload(request))
    },
    delete: (path) => mirrored([{ write: { kind: 'file-delete', path } }], () => primary.storage.delete(path)),
    download: (path, callOptions) => primary.storage.download(path, callOptions),
    getUrl: (path, urlOptions) => primary.storage.getUrl(path, urlOptions),
    list: (prefix, listOptions) => primary.storage.list(prefix, listOptions),
    getMetadata: (path) => primary.storage.getMetadata(path),
  }

  const sync: SyncService | undefined = primary.sync && {
    fetch: (collection, ids, callOptions) => primary.sync!.fetch(collection, ids, callOptions),
    changes: (collection, after, limit, callOptions) => primary.sync!.changes(collection, after, limit, callOptions),
    // One outcome per write: a write the primary refused is dropped, the others go on. A request
    // that failed as a whole may have applied any of them (SyncService.write).
    write: (ops, callOptions) =>
      mirrored(
        documentWrites(ops),
        () => primary.sync!.write(ops, callOptions),
        () => true,
        async (entries, outcomes) => {
          await queue.confirm(entries.filter((_, i) => outcomes[i]?.ok !== false))
          await queue.abandon(
            entries.filter((_, i) => outcomes[i]?.ok === false),
            false,
          )
        },
      ),
  }

  let disposed: Promise<void> | undefined
  const adapter: MirrorAdapter = {
    // The app sees the primary: its name, as on the errors the primary raises.
    name: primary.name,
    capabilities: primary.capabilities,
    primary,
    secondary,
    auth: primary.auth,
    documents,
    storage,
    functions: primary.functions,
    config: primary.config,
    ...(sync ? { sync } : {}),
    connection$: primary.connection$,
    get status() {
      return delivery.status$.value
    },
    status$: delivery.status$.asObservable(),
    pending$: queue.size$.pipe(distinctUntilChanged()),
    refused$: delivery.refused$.asObservable(),
    repaired$: delivery.repaired$.asObservable(),
    differences$: shadow.differences$.asObservable(),
    shadowStats$: shadow.stats$.asObservable(),
    async drain(drainOptions = {}) {
      await ready
      await waitForEmpty(queue, drainOptions)
    },
    async flush(drainOptions = {}) {
      await ready
      delivery.flush()
      await waitForEmpty(queue, drainOptions)
    },
    async refused() {
      await ready
      return queue.refused()
    },
    async clearRefused() {
      await ready
      await queue.clearRefused()
    },
    dispose() {
      disposed ??= (async () => {
        closing.abort()
        await ready
        await delivery.stop()
        await Promise.all([...background])
        await shadow.settled()
        shadow.close()
        subscriptions.forEach((s) => s.unsubscribe())
        await queue.close()
        await Promise.all([primary.dispose(), secondary.dispose()])
      })()
      return disposed
    },
  }
  return adapter
}


/**
 * What the secondary gets for a write: the write itself, or, when it holds `serverTimestamp()`, a
 * copy of the primary's document, so both hold the primary's time rather than each its own.
 */
function forSecondary(op: WriteOp): MirrorWrite {
  if (op.type !== 'delete' && Object.values(op.data).some((value) => isSentinel(value) && value.kind === 'serverTimestamp')) {
    return { kind: 'document-copy', collection: op.collection, id: op.id }
  }
  return { kind: 'document', op: withoutWriteId(op) }
}

/** The op as the app wrote it; the queue keeps the writeId beside it. */
function withoutWriteId(op: WriteOp): WriteOp {
  if (op.writeId === undefined) return op
  const { writeId: _writeId, ...rest } = op
  return rest as WriteOp
}

function waitForEmpty(queue: MirrorQueue, { timeoutMs, signal }: DrainOptions): Promise<void> {
  if (queue.size === 0) return Promise.resolve()
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      subscription.unsubscribe()
      if (timer) clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    const onAbort = (): void => {
      cleanup()
      reject(new PortabaseError('cancelled', 'drain() was cancelled', { provider: 'mirror' }))
    }
    const subscription = queue.size$.subscribe({
      next: (size) => {
        if (size !== 0) return
        cleanup()
        resolve()
      },
      complete: () => {
        cleanup()
        reject(new PortabaseError('cancelled', 'The mirror was disposed before its queue drained', { provider: 'mirror' }))
      },
    })
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            cleanup()
            reject(new PortabaseError('deadline-exceeded', `The mirror's queue did not drain within ${timeoutMs} ms (${queue.size} writes pending)`, { provider: 'mirror', retryable: false }))
          }, timeoutMs)
    if (signal?.aborted) onAbort()
    else signal?.addEventListener('abort', onAbort)
  })
}

function checkOptions(options: MirrorOptions): { primary: Adapter; secondary: Adapter } {
  if (typeof options !== 'object' || options === null) throw invalidArgument('mirror() needs { primary, secondary }')
  const { primary, secondary } = options
  for (const [role, adapter] of [
    ['primary', primary],
    ['secondary', secondary],
  ] as const) {
    if (typeof adapter !== 'object' || adapter === null || typeof adapter.documents !== 'object' || typeof adapter.dispose !== 'function') {
      throw invalidArgument(`mirror() ${role} must be an adapter (memory(), parse(), …)`)
    }
  }
  if (primary === secondary) throw invalidArgument('mirror() needs two different adapters: primary and secondary are the same object')
  const rate = options.shadowReads?.sampleRate
  if (options.shadowReads !== undefined && !(typeof rate === 'number' && rate >= 0 && rate <= 1)) {
    throw invalidArgument(`mirror() shadowReads.sampleRate must be a number from 0 to 1, got ${String(rate)}`)
  }
  const batch = options.batchSize
  if (batch !== undefined && !(Number.isInteger(batch) && batch >= 1)) throw invalidArgument(`mirror() batchSize must be an integer ≥ 1, got ${String(batch)}`)
  for (const field of ['initialDelayMs', 'maxDelayMs'] as const) {
    const value = options.retry?.[field]
    if (value !== undefined && !(typeof value === 'number' && value >= 0 && Number.isFinite(value))) throw invalidArgument(`mirror() retry.${field} must be a number ≥ 0, got ${String(value)}`)
  }
  const max = options.storage?.maxQueuedBytes
  if (max !== undefined && !(typeof max === 'number' && max >= 0)) throw invalidArgument(`mirror() storage.maxQueuedBytes must be a number ≥ 0, got ${String(max)}`)
  return { primary, secondary }
}

export type { MirrorStatus, MirrorRepair, RetryPolicy } from './deliver.js'
export type { MirrorWrite } from './entries.js'
export type { MirrorRefusal } from './queue.js'
export type { ShadowDifference, ShadowReadOptions, ShadowStats } from './shadow.js'

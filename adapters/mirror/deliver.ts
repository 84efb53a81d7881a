/**
 * Sends the queue to the secondary, in rounds, one at a time, never on the app's path.
 *
 * A round takes up to `batchSize` ready entries from the head of the queue, at most one per
 * document or file and none whose key has an earlier entry still waiting (an intent, or one the
 * round skipped): so a later write to a document never overtakes an earlier one, whatever fails.
 * Document writes go out together through the secondary's SyncService when it has one (one outcome
 * per write, each carrying the entry's writeId), else one `documents.write` each. After a failure
 * that may have applied a write, the writeIds the secondary recorded tell which ones it did (with a
 * SyncService; without one a create answered `already-exists` becomes a copy, see outcomes.ts).
 *
 * A round with a retryable failure ends with a backoff (exponential, with jitter, at least the
 * server's retryAfterMs); `flush()` and the secondary coming back online cut it short.
 */
import { BehaviorSubject, Subject } from 'rxjs'
import { isPortabaseError, PortabaseError, toPortabaseError } from '../../src/errors.js'
import type { Adapter, SyncWrite, WriteOp } from '../../src/spi.js'
import { copyOf, type MirrorWrite } from './entries.js'
import { failureAction, mayHaveApplied } from './outcomes.js'
import type { MirrorQueue, MirrorRefusal, QueueEntry } from './queue.js'

export interface RetryPolicy {
  /** First backoff after a failed round, in ms. Default 1,000. */
  initialDelayMs?: number
  /** Longest backoff, in ms. Default 60,000. */
  maxDelayMs?: number
}

export interface MirrorStatus {
  /** Writes queued for the secondary (including ones the primary has not answered yet). */
  pending: number
  /** `delivering`: a round is under way; `waiting`: backing off after a failure (see `nextAttemptAt`). */
  state: 'idle' | 'delivering' | 'waiting' | 'disposed'
  /** The failure that made the queue wait; null again after a round without failures. */
  lastError: PortabaseError | null
  nextAttemptAt: Date | null
  lastDeliveredAt: Date | null
  /** The queue's store failed (last failure): entries queued since may not survive a crash. */
  storeError: Error | null
}

/** A write that reached the secondary as a copy of the primary's state instead of as itself. */
export interface MirrorRepair {
  /** The copy that was applied. */
  write: MirrorWrite
  /** Why: the secondary's answer to the original write, or the primary's failure that left it unknown. */
  cause: PortabaseError
}

export interface DelivererOptions {
  batchSize: number
  retry: Required<RetryPolicy>
  random: () => number
}

const SCAN_FACTOR = 4

export class Deliverer {
  readonly status$: BehaviorSubject<MirrorStatus>
  readonly refused$ = new Subject<MirrorRefusal>()
  readonly repaired$ = new Subject<MirrorRepair>()
  private running: Promise<void> | undefined
  private kickedWhileRunning = false
  private timer: ReturnType<typeof setTimeout> | undefined
  private failures = 0
  private readonly abort = new AbortController()

  constructor(
    private readonly queue: MirrorQueue,
    private readonly primary: Adapter,
    private readonly secondary: Adapter,
    private readonly options: DelivererOptions,
  ) {
    this.status$ = new BehaviorSubject<MirrorStatus>({ pending: queue.size, state: 'idle', lastError: null, nextAttemptAt: null, lastDeliveredAt: null, storeError: null })
  }

  get disposed(): boolean {
    return this.abort.signal.aborted
  }

  /**
   * Starts a round unless the queue is backing off. During a round, another follows it: a flush
   * that lands between a failed round's backoff and its end would otherwise cancel the backoff's
   * timer and start nothing, leaving the queue idle with entries in it.
   */
  kick(): void {
    if (this.disposed || this.timer) return
    if (this.running) {
      this.kickedWhileRunning = true
      return
    }
    this.running = this.run().finally(() => {
      this.running = undefined
      if (!this.kickedWhileRunning) return
      this.kickedWhileRunning = false
      this.kick()
    })
  }

  /** Ends a backoff now and starts a round. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = undefined
      this.update({ state: 'idle', nextAttemptAt: null })
    }
    this.kick()
  }

  update(patch: Partial<MirrorStatus>): void {
    if (this.status$.closed) return
    this.status$.next({ ...this.status$.value, pending: this.queue.size, ...patch })
  }

  /** Stops delivering: cancels the backoff, aborts the calls in flight and waits for the round to end. */
  async stop(): Promise<void> {
    this.abort.abort()
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    await this.running?.catch(() => undefined)
    this.update({ state: 'disposed', nextAttemptAt: null })
    this.status$.complete()
    this.refused$.complete()
    this.repaired$.complete()
  }

  private async run(): Promise<void> {
    while (!this.disposed) {
      const batch = this.pick()
      if (batch.length === 0) break
      this.update({ state: 'delivering' })
      let failure: unknown
      try {
        failure = await this.round(batch)
      } catch (error) {
        // A bug or a store failure outside the per-entry handling: back off rather than spin.
        failure = error
      }
      if (this.disposed) return
      if (failure !== undefined) return this.backoff(toPortabaseError(failure, this.secondary.name))
      this.failures = 0
      this.update({ lastError: null })
    }
    if (!this.disposed) this.update({ state: 'idle' })
  }

  private backoff(error: PortabaseError): void {
    this.failures++
    const { initialDelayMs, maxDelayMs } = this.options.retry
    const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** (this.failures - 1))
    const delay = Math.max(error.retryAfterMs ?? 0, ceiling * (0.5 + this.options.random() / 2))
    this.update({ state: 'waiting', lastError: error, nextAttemptAt: new Date(Date.now() + delay) })
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.update({ state: 'idle', nextAttemptAt: null })
      this.kick()
    }, delay)
  }

  /** The next round: ready entries from the head, one per key, none behind a waiting one of its key. */
  private pick(): QueueEntry[] {
    const picked: QueueEntry[] = []
    const blocked = new Set<string>()
    let scanned = 0
    for (const entry of this.queue.values()) {
      if (picked.length >= this.options.batchSize || scanned++ >= this.options.batchSize * SCAN_FACTOR) break
      if (blocked.has(entry.key)) continue
      blocked.add(entry.key)
      if (entry.state === 'ready') picked.push(entry)
    }
    return picked
  }

  /** Delivers a batch; resolves the failure that calls for a backoff, if any. */
  private async round(batch: readonly QueueEntry[]): Promise<unknown> {
    let failure: unknown
    const ops = batch.filter((e) => e.write.kind === 'document')
    if (ops.length > 0) failure = this.secondary.sync ? await this.sendSync(ops) : await this.sendEach(ops)
    for (const entry of batch) {
      if (entry.write.kind === 'document' || this.disposed) continue
      // A failure to reach the secondary would fail every other call too: wait instead.
      if (failure !== undefined) break
      failure = await this.deliverOne(entry)
    }
    return failure
  }

  /** Document writes through the secondary's SyncService: one request, one outcome per write. */
  private async sendSync(entries: readonly QueueEntry[]): Promise<unknown> {
    const sync = this.secondary.sync!
    const signal = this.abort.signal
    let toSend = entries
    const checked = entries.filter((e) => e.maybeApplied)
    if (checked.length > 0) {
      let applied: Set<QueueEntry>
      try {
        applied = await this.appliedAlready(checked)
      } catch (error) {
        return this.onRequestFailure(entries, error)
      }
      if (applied.size > 0) await this.delivered([...applied])
      toSend = entries.filter((e) => !applied.has(e))
    }
    if (toSend.length === 0) return undefined
    let outcomes
    try {
      outcomes = await sync.write(
        toSend.map((e): SyncWrite => ({ ...opOf(e), writeId: e.writeId })),
        { signal },
      )
    } catch (error) {
      return this.onRequestFailure(toSend, error)
    }
    const ok: QueueEntry[] = []
    let failure: unknown
    for (let i = 0; i < toSend.length; i++) {
      const outcome = outcomes[i]
      if (!outcome || outcome.ok) ok.push(toSend[i]!)
      else failure = (await this.onFailure(toSend[i]!, outcome.error)) ?? failure
    }
    if (ok.length > 0) await this.delivered(ok)
    return failure
  }

  /** Which of these writes the secondary already recorded (its writeId on the document or tombstone). */
  private async appliedAlready(entries: readonly QueueEntry[]): Promise<Set<QueueEntry>> {
    const byCollection = new Map<string, QueueEntry[]>()
    for (const e of entries) {
      const { collection } = opOf(e)
      byCollection.set(collection, [...(byCollection.get(collection) ?? []), e])
    }
    const applied = new Set<QueueEntry>()
    for (const [collection, list] of byCollection) {
      const records = await this.secondary.sync!.fetch(collection, list.map((e) => opOf(e).id), { signal: this.abort.signal })
      const writeIds = new Map(records.map((r) => [r.id, r.writeId]))
      for (const e of list) if (writeIds.get(opOf(e).id) === e.writeId) applied.add(e)
    }
    return applied
  }

  /** Without a SyncService: one `documents.write` per entry, stopping at the first failure to retry. */
  private async sendEach(entries: readonly QueueEntry[]): Promise<unknown> {
    for (const entry of entries) {
      if (this.disposed) return undefined
      try {
        await this.secondary.documents.write([{ ...opOf(entry), writeId: entry.writeId }], { atomic: false, signal: this.abort.signal })
      } catch (error) {
        const failure = await this.onFailure(entry, error)
        if (failure !== undefined) return failure
        continue
      }
      await this.delivered([entry])
    }
    return undefined
  }

  /** A request failed as a whole: every entry in it gets the same treatment. */
  private async onRequestFailure(entries: readonly QueueEntry[], error: unknown): Promise<unknown> {
    let failure: unknown
    for (const entry of entries) failure = (await this.onFailure(entry, error)) ?? failure
    return failure
  }

  /** Copy, refuse or keep for a retry (outcomes.ts); resolves the error when it calls for a backoff. */
  private async onFailure(entry: QueueEntry, error: unknown): Promise<unknown> {
    if (this.disposed) return error
    const failure = toPortabaseError(error, this.secondary.name)
    let action = failureAction(failure)
    // A copy is a set or a delete: if even that is refused, copying again will not help.
    if (action === 'copy' && copyOf(entry.write) === entry.write) action = 'refuse'
    if (action === 'copy') {
      await this.queue.replace(entry, copyOf(entry.write), failure)
      return undefined
    }
    if (action === 'refuse') {
      const refusal: MirrorRefusal = { write: entry.write, error: failure, at: new Date() }
      await this.queue.settle([], [refusal], [entry])
      this.update({})
      this.refused$.next(refusal)
      return undefined
    }
    if (mayHaveApplied(failure)) entry.maybeApplied = true
    return failure
  }

  private async delivered(entries: readonly QueueEntry[]): Promise<void> {
    await this.queue.settle(entries)
    this.update({ lastDeliveredAt: new Date() })
    for (const entry of entries) if (entry.cause && copyOf(entry.write) === entry.write) this.repaired$.next({ write: entry.write, cause: entry.cause })
  }

  /** Copies, uploads and file deletes, one call or two each. */
  private async deliverOne(entry: QueueEntry): Promise<unknown> {
    const covered = this.coveredBy(entry)
    try {
      await this.apply(entry)
    } catch (error) {
      return this.onFailure(entry, error)
    }
    await this.delivered([entry])
    // The copy read the primary after these were applied there: they are in it already.
    if (covered.length > 0) await this.queue.settle(covered.filter((e) => e.state === 'ready'))
    this.update({})
    return undefined
  }

  /**
   * A copy reads the primary's current state, which holds every write to that key the primary has
   * applied: the ready entries of the key behind it. Writes still in flight on the primary may or
   * may not be in it, so they will be copied again once ready.
   */
  private coveredBy(entry: QueueEntry): QueueEntry[] {
    if (entry.write.kind !== 'document-copy' && entry.write.kind !== 'file-copy') return []
    const covered: QueueEntry[] = []
    for (const other of this.queue.values()) {
      if (other.seq <= entry.seq || other.key !== entry.key) continue
      if (other.state === 'ready') covered.push(other)
      else other.copyWhenReady = true
    }
    return covered
  }

  private async apply({ write, writeId }: QueueEntry): Promise<void> {
    const signal = this.abort.signal
    const storage = this.secondary.storage
    switch (write.kind) {
      case 'document-copy': {
        const doc = await this.primary.documents.get(write.collection, write.id, { signal })
        if (doc === null && this.primary.capabilities.readRules === 'filter') {
          throw new PortabaseError(
            'permission-denied',
            `${this.primary.name} answers "absent" for documents its read rules hide, so the mirror cannot copy ${write.collection}/${write.id} (deleted, or hidden from this user?)`,
            { provider: 'mirror' },
          )
        }
        const data = doc?.data ?? null
        return this.writeDocument(data === null ? { type: 'delete', collection: write.collection, id: write.id } : { type: 'set', collection: write.collection, id: write.id, data }, writeId)
      }
      case 'upload':
        await storage.upload({ path: write.path, bytes: write.bytes, contentType: write.contentType, metadata: write.metadata, onProgress: noop, signal })
        return
      case 'file-copy': {
        let file: { bytes: Uint8Array; contentType: string; metadata: Record<string, string> } | null
        try {
          const meta = await this.primary.storage.getMetadata(write.path)
          file = { bytes: await this.primary.storage.download(write.path, { signal }), contentType: meta.contentType, metadata: meta.metadata }
        } catch (error) {
          if (!isPortabaseError(error, 'not-found')) throw error
          file = null
        }
        if (file) await storage.upload({ path: write.path, ...file, onProgress: noop, signal })
        else await deleteFile(this.secondary, write.path)
        return
      }
      case 'file-delete':
        return deleteFile(this.secondary, write.path)
      case 'document':
        return this.writeDocument(write.op, writeId)
    }
  }

  /** One document write on the secondary, through its SyncService when it has one. */
  private async writeDocument(op: WriteOp, writeId: string): Promise<void> {
    const sync = this.secondary.sync
    if (!sync) return this.secondary.documents.write([{ ...op, writeId }], { atomic: false, signal: this.abort.signal })
    const [outcome] = await sync.write([{ ...op, writeId }], { signal: this.abort.signal })
    if (outcome && !outcome.ok) throw outcome.error
  }
}

function opOf(entry: QueueEntry): WriteOp {
  if (entry.write.kind !== 'document') throw new PortabaseError('internal', 'The mirror sent a non-document entry as a document write', { provider: 'mirror' })
  return entry.write.op
}

async function deleteFile(adapter: Adapter, path: string): Promise<void> {
  try {
    await adapter.storage.delete(path)
  } catch (error) {
    // Gone already: what the delete was for.
    if (!isPortabaseError(error, 'not-found')) throw error
  }
}

const noop = (): void => undefined

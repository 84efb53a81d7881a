/**
 * The mirror's durable queue: every write for the secondary, in the order the app made them, kept
 * in a LocalStore (the offline stores: memory, IndexedDB, file) so it survives a restart.
 *
 * An entry is committed as an `intent` before the primary is asked, and turned `ready` once the
 * primary applied it; only ready entries are delivered. An intent found in the store on open means
 * the process stopped between the two, so nobody knows whether the primary applied the write: it
 * becomes a copy of the primary's state (entries.ts), right whichever way it went.
 *
 * Store layout: table `outbox`, key = the entry's sequence number (zero-padded, so keys sort in
 * queue order); table `meta`, keys `refused/<seq>` = refused writes kept for `refused()`.
 */
import { BehaviorSubject } from 'rxjs'
import { isPortabaseError, PortabaseError, type ErrorCode, ERROR_CODES } from '../../src/errors.js'
import { generateId } from '../../src/ids.js'
import type { LocalStore, StoreChange, StoredValue } from '../../src/offline/store.js'
import { copyOf, decodeWrite, encodeWrite, entryKey, type MirrorWrite } from './entries.js'

export interface QueueEntry {
  readonly seq: number
  /** Document or file the entry writes (entries.ts): one key's entries are delivered in order. */
  key: string
  write: MirrorWrite
  /** Recorded on the secondary's document (SyncService), so a retry can tell whether it was applied. */
  writeId: string
  state: 'intent' | 'ready'
  /** A delivery was under way when it failed or the process stopped: it may have been applied. */
  maybeApplied: boolean
  /** A copy of its key was read from the primary while this was still an intent: copy again once ready. */
  copyWhenReady: boolean
  /** Why a write became a copy, for `repaired$`. */
  cause?: PortabaseError
}

/** A write the secondary refused for good (outcomes.ts), or that could not be queued. */
export interface MirrorRefusal {
  write: MirrorWrite
  error: PortabaseError
  at: Date
}

const ENTRY_TABLE = 'outbox'
const META_TABLE = 'meta'
const REFUSED_PREFIX = 'refused/'
const seqKey = (seq: number): string => String(seq).padStart(15, '0')

export class MirrorQueue {
  private readonly entries = new Map<number, QueueEntry>()
  private nextSeq = 1
  /** Number of entries, intents included. */
  readonly size$ = new BehaviorSubject<number>(0)

  constructor(
    private readonly store: LocalStore,
    /** Store failures: the queue goes on in memory, but what it holds would not survive a crash. */
    private readonly onStoreError: (error: Error) => void,
  ) {}

  /** Opens the store and loads what an earlier run left. Every loaded entry may have been applied. */
  async open(): Promise<void> {
    await this.store.open()
    const refused = await this.store.entries(META_TABLE, { prefix: REFUSED_PREFIX })
    for (const [key] of refused) this.nextSeq = Math.max(this.nextSeq, Number(key.slice(REFUSED_PREFIX.length)) + 1)
    const rewrites: StoreChange[] = []
    for (const [key, value] of await this.store.entries(ENTRY_TABLE)) {
      const seq = Number(key)
      const stored = value as { write: StoredValue; writeId: string; state: string }
      let write = decodeWrite(stored.write)
      if (stored.state !== 'ready') {
        write = copyOf(write)
        rewrites.push({ table: ENTRY_TABLE, key, value: { write: encodeWrite(write), writeId: stored.writeId, state: 'ready' } })
      }
      this.entries.set(seq, { seq, key: entryKey(write), write, writeId: stored.writeId, state: 'ready', maybeApplied: true, copyWhenReady: false })
      this.nextSeq = Math.max(this.nextSeq, seq + 1)
    }
    if (rewrites.length > 0) await this.store.commit(rewrites)
    this.size$.next(this.entries.size)
  }

  get size(): number {
    return this.entries.size
  }

  /** Entries in queue order. */
  values(): IterableIterator<QueueEntry> {
    return this.entries.values()
  }

  /** Entries still waiting for the secondary that write to this collection. */
  pendingIn(collection: string): number {
    let n = 0
    for (const entry of this.entries.values()) {
      const w = entry.write
      if ((w.kind === 'document' && w.op.collection === collection) || (w.kind === 'document-copy' && w.collection === collection)) n++
    }
    return n
  }

  /**
   * Queues writes as intents, durably, before the primary is asked. A store failure is reported and
   * the entries are kept in memory: the secondary still gets them unless the process stops first.
   */
  async intend(writes: ReadonlyArray<{ write: MirrorWrite; writeId?: string }>): Promise<QueueEntry[]> {
    const added = writes.map(({ write, writeId }): QueueEntry => {
      const seq = this.nextSeq++
      return { seq, key: entryKey(write), write, writeId: writeId ?? generateId(), state: 'intent', maybeApplied: false, copyWhenReady: false }
    })
    for (const entry of added) this.entries.set(entry.seq, entry)
    this.size$.next(this.entries.size)
    await this.commit(added.map((entry) => this.put(entry)))
    return added
  }

  /** The primary applied these: they may go to the secondary. */
  async confirm(entries: readonly QueueEntry[]): Promise<void> {
    let todo = entries.filter((e) => this.entries.has(e.seq))
    // Ready only once stored as ready: a delivery's delete of the entry is then always the later commit.
    while (todo.length > 0) {
      for (const entry of todo) if (entry.copyWhenReady) this.rewrite(entry, copyOf(entry.write))
      await this.commit(todo.map((entry) => this.put(entry, 'ready')))
      // A copy of the key may have started meanwhile: those become copies before they are ready.
      const again = todo.filter((e) => e.copyWhenReady && this.entries.has(e.seq))
      for (const entry of todo) if (!again.includes(entry)) entry.state = 'ready'
      todo = again
    }
  }

  /**
   * The primary failed these. Dropped, unless it may have applied some of them: then each becomes a
   * copy of the primary's state.
   */
  async abandon(entries: readonly QueueEntry[], mayHaveApplied: boolean): Promise<void> {
    if (mayHaveApplied) {
      for (const entry of entries) entry.copyWhenReady = true
      return this.confirm(entries)
    }
    for (const entry of entries) this.entries.delete(entry.seq)
    this.size$.next(this.entries.size)
    await this.commit(entries.map((entry) => ({ table: ENTRY_TABLE, key: seqKey(entry.seq), delete: true as const })))
  }

  /** Turns an entry into another write at the same place (a copy), durably. */
  async replace(entry: QueueEntry, write: MirrorWrite, cause: PortabaseError): Promise<void> {
    this.rewrite(entry, write)
    entry.cause ??= cause
    entry.maybeApplied = false
    await this.commit([this.put(entry)])
  }

  /** Delivered or refused entries leave the queue; refusals are recorded, in the same commit. */
  async settle(delivered: readonly QueueEntry[], refused: readonly MirrorRefusal[] = [], refusedEntries: readonly QueueEntry[] = []): Promise<void> {
    const changes: StoreChange[] = []
    for (const entry of [...delivered, ...refusedEntries]) {
      this.entries.delete(entry.seq)
      changes.push({ table: ENTRY_TABLE, key: seqKey(entry.seq), delete: true })
    }
    for (const refusal of refused) changes.push({ table: META_TABLE, key: REFUSED_PREFIX + seqKey(this.nextSeq++), value: encodeRefusal(refusal) })
    this.size$.next(this.entries.size)
    await this.commit(changes)
  }

  /** Records refusals of writes that never had an entry (the queue could not take them). */
  async recordRefusals(refusals: readonly MirrorRefusal[]): Promise<void> {
    await this.settle([], refusals)
  }

  async refused(): Promise<MirrorRefusal[]> {
    return (await this.store.entries(META_TABLE, { prefix: REFUSED_PREFIX }))
      .filter(([key]) => key.startsWith(REFUSED_PREFIX))
      .map(([, value]) => decodeRefusal(value))
  }

  async clearRefused(): Promise<void> {
    const keys = (await this.store.entries(META_TABLE, { prefix: REFUSED_PREFIX })).map(([key]) => key).filter((key) => key.startsWith(REFUSED_PREFIX))
    await this.commit(keys.map((key) => ({ table: META_TABLE, key, delete: true as const })))
  }

  async close(): Promise<void> {
    this.size$.complete()
    await this.store.close()
  }

  private rewrite(entry: QueueEntry, write: MirrorWrite): void {
    entry.write = write
    entry.key = entryKey(write)
    entry.copyWhenReady = false
  }

  private put(entry: QueueEntry, state = entry.state): StoreChange {
    return { table: ENTRY_TABLE, key: seqKey(entry.seq), value: { write: encodeWrite(entry.write), writeId: entry.writeId, state } }
  }

  private async commit(changes: readonly StoreChange[]): Promise<void> {
    if (changes.length === 0) return
    try {
      await this.store.commit(changes)
    } catch (error) {
      this.onStoreError(error instanceof Error ? error : new Error(String(error)))
    }
  }
}

function encodeRefusal(refusal: MirrorRefusal): StoredValue {
  const { error } = refusal
  return { write: encodeWrite(refusal.write), at: refusal.at.toISOString(), error: { code: error.code, message: bareMessage(error), provider: error.provider } }
}

function decodeRefusal(json: StoredValue): MirrorRefusal {
  const v = json as { write: StoredValue; at: string; error: { code: string; message: string; provider: string } }
  const code = (ERROR_CODES as readonly string[]).includes(v.error.code) ? (v.error.code as ErrorCode) : 'internal'
  return { write: decodeWrite(v.write), at: new Date(v.at), error: new PortabaseError(code, v.error.message, { provider: v.error.provider }) }
}

/** The message without the `[code] ` prefix PortabaseError adds, so a rebuilt error reads the same. */
export function bareMessage(error: Error): string {
  return isPortabaseError(error) ? error.message.replace(/^\[[a-z-]+\] /, '') : error.message
}

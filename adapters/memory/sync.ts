/**
 * The SyncService of the memory adapter: what the offline engine calls to push queued writes and
 * pull changes. Backed by the backend's per-collection SyncState (backend.ts): the writeId of every
 * document's last write and a tombstone for every deletion, kept `tombstoneTtlMs` (backend clock).
 *
 * Every call passes the simulated network (offline, latency, injected faults) as `sync.<method>`.
 * Read rules apply per record: a document (or tombstone: judged on the document as it was when
 * deleted) the caller may not read is left out, instead of failing the whole call.
 */
import { toPortabaseError } from '../../src/errors.js'
import { compareStrings } from '../../src/query/compare.js'
import type { CallOptions, SyncCheckpoint, SyncRecord, SyncService, SyncWrite, SyncWriteOutcome } from '../../src/spi.js'
import type { Doc } from '../../src/types.js'
import { assertCheckpointFresh, assertChangesLimit, assertSyncWrite } from '../../src/sync-kit.js'
import { assertCollectionName, assertDocId } from '../../src/values.js'
import type { MemoryBackend, Tombstone } from './backend.js'
import type { MemoryDocuments } from './documents.js'
import type { MemoryNetwork } from './network.js'

const PROVIDER = 'memory'

export class MemorySync implements SyncService {
  constructor(
    private readonly backend: MemoryBackend,
    private readonly network: MemoryNetwork,
    private readonly documents: MemoryDocuments,
  ) {}

  async fetch(collection: string, ids: readonly string[], options?: CallOptions): Promise<SyncRecord[]> {
    assertCollectionName(collection)
    ids.forEach((id) => assertDocId(id))
    await this.network.gate('sync', 'fetch', options?.signal)
    this.backend.purgeTombstones()
    const docs = this.backend.collections.get(collection)
    const state = this.backend.syncState(collection)
    const out: SyncRecord[] = []
    for (const id of new Set(ids)) {
      const doc = docs?.get(id)
      const record = doc ? this.docRecord(collection, doc) : this.tombstoneRecord(collection, state.tombstones.get(id))
      if (record) out.push(record)
    }
    return out
  }

  async changes(collection: string, after: SyncCheckpoint | null, limit: number, options?: CallOptions): Promise<SyncRecord[]> {
    assertCollectionName(collection)
    assertChangesLimit(limit, PROVIDER)
    await this.network.gate('sync', 'changes', options?.signal)
    const now = this.backend.clock.now()
    assertCheckpointFresh(after, now, this.backend.tombstoneTtlMs, PROVIDER)
    this.backend.purgeTombstones()
    const records: SyncRecord[] = []
    const afterTime = after?.updateTime.getTime()
    // The backend keeps the feed ordered: a page reads from the checkpoint on, `limit` records.
    for (const entry of this.backend.feedFrom(collection, after)) {
      // Only entries at the checkpoint's own time can be at or before it (no Date made per entry).
      if (after && entry.data.t === afterTime && compareStrings(entry.id, after.id) <= 0) continue
      if (after && entry.data.t < afterTime!) continue
      const record = entry.doc ? this.docRecord(collection, entry.doc) : this.tombstoneRecord(collection, entry.tombstone)
      if (record) records.push(record)
      if (records.length >= limit) break
    }
    return records
  }

  async write(ops: readonly SyncWrite[], options?: CallOptions): Promise<SyncWriteOutcome[]> {
    await this.network.gate('sync', 'write', options?.signal)
    return ops.map((op): SyncWriteOutcome => {
      try {
        assertSyncWrite(op, PROVIDER)
        this.documents.applySyncWrite(op, op.writeId)
        return { ok: true }
      } catch (error) {
        return { ok: false, error: toPortabaseError(error, PROVIDER) }
      }
    })
  }

  private docRecord(collection: string, doc: Doc): SyncRecord | null {
    if (!this.documents.readable(collection, doc)) return null
    const writeId = this.backend.syncState(collection).writeIds.get(doc.id) ?? null
    return { id: doc.id, data: doc.data, version: doc.meta.version, updateTime: doc.meta.updateTime, writeId }
  }

  private tombstoneRecord(collection: string, tombstone: Tombstone | undefined): SyncRecord | null {
    if (!tombstone || !this.documents.readable(collection, tombstone.last)) return null
    return { id: tombstone.id, data: null, version: tombstone.version, updateTime: tombstone.updateTime, writeId: tombstone.writeId }
  }
}

/** Order of the change feed: (updateTime, id), ids in code-point order. */
export function compareRecords(a: { updateTime: Date; id: string }, b: { updateTime: Date; id: string }): number {
  return a.updateTime.getTime() - b.updateTime.getTime() || compareStrings(a.id, b.id)
}

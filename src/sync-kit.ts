/** Checks every SyncService implementation makes the same way (adapters call them, the engine relies on them). */
import { PortabaseError } from './errors.js'
import type { SyncCheckpoint, SyncWrite } from './spi.js'
import { assertCollectionName, assertDocId, assertDocumentData } from './values.js'

/** `changes()` refuses a checkpoint older than the tombstone lifetime: deletions since may be purged. */
export function assertCheckpointFresh(after: SyncCheckpoint | null, now: number, tombstoneTtlMs: number, provider: string): void {
  if (!after || after.updateTime.getTime() >= now - tombstoneTtlMs) return
  throw new PortabaseError(
    'failed-precondition',
    `The sync checkpoint (${after.updateTime.toISOString()}) is older than the tombstone lifetime (tombstoneTtlMs ${tombstoneTtlMs} ms): deletions since then may have been purged; sync the collection in full`,
    { provider, details: { reason: 'checkpoint-expired', tombstoneTtlMs } },
  )
}

export function assertChangesLimit(limit: number, provider: string): void {
  if (!Number.isInteger(limit) || limit < 1) throw new PortabaseError('invalid-argument', `sync.changes(): limit must be a positive integer, got ${String(limit)}`, { provider })
}

/** What the client checks before `documents.write`, checked again because the engine calls the SPI directly. */
export function assertSyncWrite(op: SyncWrite, provider: string): void {
  if (typeof op.writeId !== 'string' || op.writeId.length === 0) throw new PortabaseError('invalid-argument', 'A sync write needs a non-empty writeId', { provider })
  if (!['create', 'set', 'update', 'delete'].includes(op.type)) throw new PortabaseError('invalid-argument', `Unknown write type ${String(op.type)}`, { provider })
  assertCollectionName(op.collection)
  assertDocId(op.id)
  if (op.type !== 'delete') assertDocumentData(op.data, true)
}

/** Error codes that cannot succeed on a retry: the write is rejected. Everything else is retried. */
const PERMANENT = new Set(['permission-denied', 'invalid-argument', 'not-found', 'failed-precondition', 'already-exists', 'unsupported'])

/** True when a failed write can only fail again (the offline engine rejects it rather than retrying). */
export function isPermanentFailure(error: PortabaseError): boolean {
  return PERMANENT.has(error.code) && !error.retryable
}

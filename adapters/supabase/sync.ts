/**
 * The SyncService on Supabase, over the RPCs of sql.ts: `portabase_fetch` (documents or their
 * tombstones), `portabase_changes` (a feed ordered by the writing transaction that never hands out
 * a position a late commit could slip behind) and `portabase_write` (each write on its own, write
 * ids claimed in the same transaction: a replay is answered "applied" and not applied again).
 */
import type { SupabaseClient } from '@supabase/supabase-js'
import type { CallOptions, SyncCheckpoint, SyncRecord, SyncService, SyncWrite, SyncWriteOutcome } from '../../src/spi.js'
import { assertChangesLimit, assertCheckpointFresh, assertSyncWrite } from '../../src/sync-kit.js'
import { assertCollectionName, assertDocId } from '../../src/values.js'
import { wireOp } from './documents.js'
import { mapPostgrestError, PROVIDER } from './errors.js'
import { recordOf, type FeedRow } from './rows.js'

export interface SupabaseSyncOptions {
  /** How long tombstones are kept (purge them with portabase.purge_tombstones). Default 30 days. */
  tombstoneTtlMs?: number
}

export class SupabaseSync implements SyncService {
  private readonly tombstoneTtlMs: number

  constructor(
    private readonly client: SupabaseClient,
    options: SupabaseSyncOptions = {},
  ) {
    this.tombstoneTtlMs = options.tombstoneTtlMs ?? 30 * 24 * 3600 * 1000
  }

  private async call<T>(fn: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    const builder = this.client.rpc(fn, args)
    const { data, error, status } = await (signal ? builder.abortSignal(signal) : builder)
    if (error) throw mapPostgrestError(error, status)
    return data as T
  }

  async fetch(collection: string, ids: readonly string[], options?: CallOptions): Promise<SyncRecord[]> {
    assertCollectionName(collection)
    ids.forEach((id) => assertDocId(id))
    if (ids.length === 0) return []
    const rows = await this.call<FeedRow[]>('portabase_fetch', { collection, ids: [...new Set(ids)] }, options?.signal)
    return rows.map(recordOf)
  }

  async changes(collection: string, after: SyncCheckpoint | null, limit: number, options?: CallOptions): Promise<SyncRecord[]> {
    assertCollectionName(collection)
    assertChangesLimit(limit, PROVIDER)
    assertCheckpointFresh(after, Date.now(), this.tombstoneTtlMs, PROVIDER)
    const [xid, id] = after?.position ? splitPosition(after.position) : [null, null]
    const rows = await this.call<FeedRow[]>('portabase_changes', { collection, after_xid: xid, after_id: id, max_rows: limit }, options?.signal)
    return rows.map(recordOf)
  }

  async write(ops: readonly SyncWrite[], options?: CallOptions): Promise<SyncWriteOutcome[]> {
    ops.forEach((op) => assertSyncWrite(op, PROVIDER))
    if (ops.length === 0) return []
    const outcomes = await this.call<Array<{ ok: boolean; code?: string; message?: string }>>('portabase_write', { ops: ops.map(wireOp), atomic: false }, options?.signal)
    return ops.map((_, i) => {
      const outcome = outcomes[i]
      if (outcome?.ok) return { ok: true }
      return { ok: false, error: mapPostgrestError({ code: outcome?.code ?? '', message: outcome?.message ?? 'no outcome for this write' }) }
    })
  }
}

/** "xid:id" (ids hold no ':'). */
function splitPosition(position: string): [string, string] {
  const at = position.indexOf(':')
  return [position.slice(0, at), position.slice(at + 1)]
}

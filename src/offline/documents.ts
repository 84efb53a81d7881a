/** A DocumentsService that serves offline collections from the engine and the rest from the adapter. */
import type { Observable } from 'rxjs'
import { invalidArgument } from '../errors.js'
import type { Query } from '../query/model.js'
import type { CallOptions, DocumentsService, SyncCheckpoint, SyncRecord, SyncService, SyncWrite, SyncWriteOutcome, WriteOp, WriteOptions } from '../spi.js'
import type { Doc, QuerySnapshot } from '../types.js'
import type { OfflineEngine } from './engine.js'

export class OfflineDocuments implements DocumentsService {
  constructor(
    private readonly remote: DocumentsService,
    private readonly engine: OfflineEngine,
  ) {}

  get(collection: string, id: string, options?: CallOptions): Promise<Doc | null> {
    return this.engine.handles(collection) ? this.engine.get(collection, id) : this.remote.get(collection, id, options)
  }

  query(collection: string, query: Query, options?: CallOptions): Promise<Doc[]> {
    return this.engine.handles(collection) ? this.engine.query(collection, query) : this.remote.query(collection, query, options)
  }

  count(collection: string, query: Query, options?: CallOptions): Promise<number> {
    return this.engine.handles(collection) ? this.engine.count(collection, query) : this.remote.count(collection, query, options)
  }

  write(ops: readonly WriteOp[], options: WriteOptions): Promise<void> {
    const offline = ops.filter((op) => this.engine.handles(op.collection)).length
    if (offline === 0) return this.remote.write(ops, options)
    if (offline < ops.length) {
      return Promise.reject(invalidArgument('A batch cannot mix offline collections with online ones: their writes reach the server at different times'))
    }
    return this.engine.write(ops)
  }

  watch(collection: string, query: Query): Observable<QuerySnapshot> {
    return this.engine.handles(collection) ? this.engine.watch(collection, query) : this.remote.watch(collection, query)
  }

  /** Offline collections are served on the device: watched without realtime, written to the outbox. */
  servesLocally(collection: string): boolean {
    return this.engine.handles(collection)
  }
}

/**
 * The SyncService the client's keyed writes consult before retrying a write (keyed-writes.ts): for
 * offline collections it answers from the device, where those writes were queued, so a local
 * write retried by the links is queued once. Other collections ask the server as usual.
 */
export class OfflineSync implements SyncService {
  constructor(
    private readonly remote: SyncService,
    private readonly engine: OfflineEngine,
  ) {}

  fetch(collection: string, ids: readonly string[], options?: CallOptions): Promise<SyncRecord[]> {
    return this.engine.handles(collection) ? this.engine.localRecords(collection, ids) : this.remote.fetch(collection, ids, options)
  }

  changes(collection: string, after: SyncCheckpoint | null, limit: number, options?: CallOptions): Promise<SyncRecord[]> {
    return this.remote.changes(collection, after, limit, options)
  }

  write(ops: readonly SyncWrite[], options?: CallOptions): Promise<SyncWriteOutcome[]> {
    return this.remote.write(ops, options)
  }
}

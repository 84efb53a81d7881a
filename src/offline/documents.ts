/** A DocumentsService that serves offline collections from the engine and the rest from the adapter. */
import type { Observable } from 'rxjs'
import { invalidArgument } from '../errors.js'
import type { Query } from '../query/model.js'
import type { CallOptions, DocumentsService, WriteOp, WriteOptions } from '../spi.js'
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
}

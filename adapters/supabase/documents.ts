/**
 * Documents on Supabase: reads through PostgREST (supabase-js `from()`), with the parameters
 * query.ts builds; writes through the `portabase_write` RPC (sql.ts), one transaction per call.
 */
import type { SupabaseClient } from '@supabase/supabase-js'
import { PortabaseError } from '../../src/errors.js'
import type { Query } from '../../src/query/model.js'
import type { CallOptions, DocumentsService, WriteOp, WriteOptions } from '../../src/spi.js'
import type { Doc, QuerySnapshot } from '../../src/types.js'
import type { Observable } from 'rxjs'
import { encodeWriteData } from './codec.js'
import { mapPostgrestError, PROVIDER } from './errors.js'
import { filterParams, queryParams, type Params } from './query.js'
import { DOC_COLUMNS, docOf, type DocRow } from './rows.js'

/** The filter-builder calls the parameters need (postgrest-js appends each as `key=value`). */
interface FilterBuilder {
  filter(column: string, operator: string, value: string): FilterBuilder
  or(filters: string): FilterBuilder
  order(column: string, options: { ascending: boolean; nullsFirst?: boolean }): FilterBuilder
  limit(count: number): FilterBuilder
  abortSignal(signal: AbortSignal): FilterBuilder
  retry(enabled: boolean): FilterBuilder
  then: PromiseLike<{ data: unknown; error: { code?: string; message?: string } | null; status: number; count: number | null }>['then']
}

/** Applies query.ts's parameters through supabase-js's own builder calls (the URL comes out identical). */
export function applyParams(builder: FilterBuilder, params: Params): FilterBuilder {
  let b = builder
  for (const [key, value] of params) {
    if (key === 'or') b = b.or(value.slice(1, -1))
    else if (key === 'limit') b = b.limit(Number(value))
    else if (key === 'order') {
      for (const term of value.split(',')) {
        const [column, direction, nulls] = term.split('.') as [string, string, string | undefined]
        b = b.order(column, { ascending: direction === 'asc', ...(nulls ? { nullsFirst: nulls === 'nullsfirst' } : {}) })
      }
    } else {
      const negated = value.startsWith('not.')
      const rest = negated ? value.slice(4) : value
      const dot = rest.indexOf('.')
      b = b.filter(key, `${negated ? 'not.' : ''}${rest.slice(0, dot)}`, rest.slice(dot + 1))
    }
  }
  return b
}

/** What watch() runs on (realtime.ts's SupabaseRealtime); without it watch() is unsupported. */
export interface SupabaseWatchSource {
  watch(collection: string, query: Query, run: (signal: AbortSignal) => Promise<Doc[]>): Observable<QuerySnapshot>
}

export class SupabaseDocuments implements DocumentsService {
  constructor(
    private readonly client: SupabaseClient,
    private readonly realtime?: SupabaseWatchSource,
  ) {}

  private table(collection: string): { select(columns: string, options?: { count?: 'exact' }): FilterBuilder } {
    return this.client.from(collection) as unknown as { select(columns: string, options?: { count?: 'exact' }): FilterBuilder }
  }

  /**
   * postgrest-js retries a failed GET for 7 s by itself; retrying is the links' job in portabase
   * (`retry()`), and the offline engine needs to learn of a dropped network at once.
   */
  private async read(builder: FilterBuilder, signal?: AbortSignal): Promise<{ rows: DocRow[]; count: number | null }> {
    const once = builder.retry(false)
    const { data, error, status, count } = await (signal ? once.abortSignal(signal) : once)
    if (error) throw mapPostgrestError(error, status)
    return { rows: (data ?? []) as DocRow[], count }
  }

  async get(collection: string, id: string, options?: CallOptions): Promise<Doc | null> {
    const { rows } = await this.read(this.table(collection).select(DOC_COLUMNS).filter('id', 'eq', id), options?.signal)
    return rows[0] ? docOf(rows[0]) : null
  }

  async query(collection: string, query: Query, options?: CallOptions): Promise<Doc[]> {
    const { rows } = await this.read(applyParams(this.table(collection).select(DOC_COLUMNS), queryParams(query)), options?.signal)
    return rows.map(docOf)
  }

  async count(collection: string, query: Query, options?: CallOptions): Promise<number> {
    // GET with limit=0 and count=exact (a HEAD would lose the error body): the total comes back in Content-Range.
    const builder = applyParams(this.table(collection).select('id', { count: 'exact' }), filterParams({ filters: query.filters, orderBy: query.orderBy })).limit(0)
    const { count } = await this.read(builder, options?.signal)
    if (count === null) throw new PortabaseError('internal', `Supabase: no count came back for ${collection}`, { provider: PROVIDER })
    return count
  }

  /** One transaction: all or nothing (the adapter declares `transactions`). */
  async write(ops: readonly WriteOp[], options: WriteOptions): Promise<void> {
    const builder = this.client.rpc('portabase_write', { ops: ops.map(wireOp), atomic: true })
    const { error, status } = await (options.signal ? builder.abortSignal(options.signal) : builder)
    if (error) throw mapPostgrestError(error, status)
  }

  /** Realtime events trigger a re-run of the query through PostgREST (see realtime.ts for why). */
  watch(collection: string, query: Query): Observable<QuerySnapshot> {
    if (!this.realtime) throw new PortabaseError('unsupported', 'Realtime watch() is turned off for this supabase adapter', { provider: PROVIDER })
    return this.realtime.watch(collection, query, (signal) => this.query(collection, query, { signal }))
  }
}

/** A write as `portabase_write` takes it. */
export function wireOp(op: WriteOp): Record<string, unknown> {
  const base = { type: op.type, collection: op.collection, id: op.id, ...(op.writeId !== undefined ? { writeId: op.writeId } : {}) }
  return op.type === 'delete' ? base : { ...base, data: encodeWriteData(op.data) }
}

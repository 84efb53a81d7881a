/**
 * Documents on Amplify Gen 2 models (schema.ts) over raw GraphQL (`client.graphql`, graphql.ts).
 * A collection must be listed in the adapter's `collections` (its model, fields and types).
 *
 * Reads
 * - get: `get<Model>(id)`; a tombstone, or an item the owner rule hides (`Unauthorized`), reads as
 *   absent (`readRules: 'filter'`: the list resolvers hide such items silently, get agrees).
 * - query: id-ordered through the `pbById` index (`pbPart = 'all'`, sorted by id; the cursor and id
 *   filters are a key condition); ordered by fields through the declared ordering with exactly
 *   those fields, read forwards (all ascending) or backwards (all descending) — see queryOrdered.
 *   Any other ordering is `unsupported`: never a full read sorted on the client.
 *   COST: DynamoDB applies `limit` before the filter expression, so a page can come back short or
 *   empty while more matches follow. The query keeps following `nextToken` until `limit` documents
 *   are collected or the index is exhausted: a selective filter reads (and is billed for) every
 *   item it passes over, tombstones included — up to the whole collection for a filter nothing
 *   matches. Pages ask for max(remaining, 100) items, at most 1,000.
 * - count: no count in AppSync: pages of 1,000 ids through the same index and filter, counted
 *   here — one request per 1,000 items read (matched or not; DynamoDB's 1 MB page cap may cut a
 *   page shorter).
 *
 * Writes (non-atomic, in order, stopping at the first failure; `transactions: false`): every write
 * records `op.writeId` (or null) in `pbWriteId`.
 * - create: `create<Model>` (the resolver's `attribute_not_exists(id)`); when the id exists as a
 *   tombstone, the tombstone is brought back by a conditional update (`pbDeleted = true`), else
 *   `already-exists` (`permission-denied` when it is another owner's).
 * - set: an update of every declared field (absent ones REMOVEd) and the bookkeeping; when the item
 *   does not exist, a create.
 * - update: the given fields, condition `pbDeleted <> true` (plus the resolver's existence check):
 *   missing or deleted → `not-found`. A null or `deleteField()` changes `pbNulls`, so such an
 *   update first reads the item and writes on condition that `updatedAt` is unchanged (retried).
 * - delete: an update to a tombstone (`pbDeleted = true`, declared fields REMOVEd); a missing
 *   document is a success.
 * With owner rules, a write to a missing item is refused as `Unauthorized` (the resolver cannot
 * tell): the item is read to tell not-found (or "create it") from permission-denied.
 */
import { defer, type Observable } from 'rxjs'
import { PortabaseError, type ErrorCode } from '../../src/errors.js'
import { compileCursor, compileFilters, compileOrder } from '../../src/query/evaluate.js'
import { DOC_ID, type Filter, type Query } from '../../src/query/model.js'
import type { WriteData } from '../../src/sentinels.js'
import type { CallOptions, DocumentsService, WriteOp, WriteOptions } from '../../src/spi.js'
import type { Doc, DocumentData, QuerySnapshot } from '../../src/types.js'
import { amplifyError, CONDITIONAL_CHECK_FAILED, dataErrorTypeOf, mapDataError, PROVIDER, UNAUTHORIZED } from './errors.js'
import {
  attr,
  createDocument,
  fieldOfAttribute,
  orderKeysOf,
  touchesOrderings,
  uidOfOwner,
  updatedData,
  decodeItem,
  encodeWrite,
  getDocument,
  filtersOnId,
  idKeyCondition,
  isTombstone,
  listById,
  listByOrdering,
  listFieldOf,
  translateFilters,
  updateDocument,
  type EncodedWrite,
  type GqlFilter,
  type Item,
  type ModelInfo,
} from './graphql.js'
import { AFTER_PREFIX, orderPrefix } from './order-key.js'
import { OWNER, PARTITION, queryFieldOf } from './schema.js'

/** What the service needs of aws-amplify's client (`generateClient(ctx)` from 'aws-amplify/api'). */
export interface GraphQLClient {
  graphql(options: { query: string; variables?: Record<string, unknown>; authMode?: 'userPool' | 'apiKey' }): Promise<unknown>
  cancel(promise: Promise<unknown>, message?: string): boolean
}

/** What watch() runs on (realtime.ts's AmplifyRealtime); without it watch() is unsupported. */
export interface AmplifyWatchSource {
  watch(m: ModelInfo, run: (signal: AbortSignal) => Promise<Doc[]>): Observable<QuerySnapshot>
}

/** The attributes a replacement or a tombstone sets (null: REMOVE) — all but the owner, which stays with the item. */
export function storedAttributes(m: ModelInfo): string[] {
  return Object.entries(m.attributes).filter(([field]) => !(m.owner && field === OWNER)).map(([, attribute]) => attribute)
}

/** A tombstone: the fields and order keys REMOVEd (out of every ordering index), the owner kept. */
export function tombstoneInput(m: ModelInfo, id: string, writeId: string | null): Record<string, unknown> {
  const input: Record<string, unknown> = { id, pbDeleted: true, pbNulls: null, pbWriteId: writeId }
  for (const attribute of storedAttributes(m)) input[attribute] = null
  for (const o of m.orderings) input[o.index] = null
  return input
}

/** An update must read the item first when it changes pbNulls (a list) or an ordering's key (made of several fields). */
export function updateNeedsItem(m: ModelInfo, data: WriteData, encoded: EncodedWrite): boolean {
  return encoded.nulls.length > 0 || encoded.deleted.length > 0 || touchesOrderings(m, data)
}

/**
 * An update's input and conditions. With the item as read (see updateNeedsItem): the new pbNulls
 * and order keys, written on condition that nobody wrote in between (`updatedAt` unchanged).
 */
export function updateInput(m: ModelInfo, id: string, data: WriteData, encoded: EncodedWrite, writeId: string | null, item?: Item): [Record<string, unknown>, Record<string, unknown>[]] {
  const input: Record<string, unknown> = { id, ...encoded.values, pbWriteId: writeId }
  if (encoded.owner !== undefined) input[OWNER] = encoded.owner
  const conditions: Record<string, unknown>[] = [{ pbDeleted: { ne: true } }]
  if (item) {
    const nulls = new Set((item.pbNulls ?? []).filter((a): a is string => typeof a === 'string' && fieldOfAttribute(m, a) !== undefined))
    for (const field of Object.keys(data)) nulls.delete(attr(m, field))
    for (const attribute of encoded.nulls) nulls.add(attribute)
    input.pbNulls = nulls.size > 0 ? [...nulls] : null
    if (touchesOrderings(m, data)) Object.assign(input, orderKeysOf(m, updatedData(decodeItem(m, item).data, data), id))
    conditions.push({ updatedAt: { eq: item.updatedAt } })
  }
  return [input, conditions]
}

export const PAGE_FLOOR = 100
export const PAGE_MAX = 1000
const UPDATE_ATTEMPTS = 3

type Plan = { kind: 'id'; direction: 'asc' | 'desc' } | { kind: 'ordering'; ordering: ModelInfo['orderings'][number]; direction: 'asc' | 'desc' }

type Probe = { state: 'missing' } | { state: 'forbidden' } | { state: 'tombstone'; item: Item } | { state: 'live'; item: Item }

/** A write checked and encoded before any request. */
type Planned = { op: WriteOp; m: ModelInfo; encoded?: EncodedWrite }

export class AmplifyDocuments implements DocumentsService {
  constructor(
    private readonly client: GraphQLClient,
    private readonly models: ReadonlyMap<string, ModelInfo>,
    private readonly authMode: () => 'userPool' | 'apiKey',
    private readonly realtime?: AmplifyWatchSource,
    /** The signed-in user's owner value (`<sub>::<username>`), for `owner` collections. */
    private readonly ownerValue: () => Promise<string | null> = async () => null,
  ) {}

  model(collection: string): ModelInfo {
    const m = this.models.get(collection)
    if (!m) {
      throw new PortabaseError('failed-precondition', `Amplify: collection "${collection}" is not in the adapter's collections (amplify({ collections }))`, { provider: PROVIDER })
    }
    return m
  }

  /** One GraphQL request; rejects with what aws-amplify threw (a `{ data, errors }` result, or a cancel error). */
  async send<T>(query: string, variables: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw amplifyError('cancelled', 'cancelled', signal.reason)
    const request = this.client.graphql({ query, variables, authMode: this.authMode() })
    const abort = (): void => void this.client.cancel(request, 'cancelled')
    signal?.addEventListener('abort', abort, { once: true })
    try {
      const result = (await request) as { data?: T }
      return result.data as T
    } catch (error) {
      if (signal?.aborted) throw amplifyError('cancelled', 'cancelled', error)
      throw error
    } finally {
      signal?.removeEventListener('abort', abort)
    }
  }

  // ---------------------------------------------------------------- reads

  /** The stored item, tombstones included; 'forbidden' when the owner rule hides it. */
  private async probe(m: ModelInfo, id: string, signal?: AbortSignal): Promise<Probe> {
    try {
      const data = await this.send<Record<string, Item | null>>(getDocument(m), { id }, signal)
      const item = data[`get${m.model}`]
      if (!item) return { state: 'missing' }
      return isTombstone(item) ? { state: 'tombstone', item } : { state: 'live', item }
    } catch (error) {
      if (dataErrorTypeOf(error) === UNAUTHORIZED) return { state: 'forbidden' }
      throw mapDataError(error, { what: `get ${m.collection}/${id}` })
    }
  }

  async get(collection: string, id: string, options?: CallOptions): Promise<Doc | null> {
    const m = this.model(collection)
    const found = await this.probe(m, id, options?.signal)
    return found.state === 'live' ? decodeItem(m, found.item) : null
  }

  /** Pages of the pbById index under a filter, until `want` items or the end. */
  private async scan(
    m: ModelInfo,
    filter: GqlFilter,
    options: {
      want: number
      desc: boolean
      key?: Record<string, unknown>
      keep?: (item: Item) => boolean
      /** Read on while this holds (default: fewer than `want` items). */
      more?: (items: Item[]) => boolean
      /** A declared ordering's index instead of pbById. */
      ordering?: string
      selection?: string
      pageSize: (remaining: number) => number
      signal?: AbortSignal
    },
  ): Promise<Item[]> {
    if (filter === false) return []
    // An empty id range (lo > hi) would be refused by DynamoDB: nothing can match.
    const between = options.key?.between as [string, string] | undefined
    if (between && between[0] > between[1]) return []
    const out: Item[] = []
    const query = options.ordering ? listByOrdering(m, options.ordering) : listById(m, options.selection)
    const field = options.ordering ? queryFieldOf(m.model, options.ordering) : listFieldOf(m)
    const more = options.more ?? ((items: Item[]) => items.length < options.want)
    let nextToken: string | null = null
    do {
      const variables: Record<string, unknown> = {
        pbPart: PARTITION,
        sortDirection: options.desc ? 'DESC' : 'ASC',
        limit: options.pageSize(options.want - out.length),
        nextToken,
      }
      if (filter !== true) variables.filter = filter
      if (options.key) variables[options.ordering ? 'key' : 'id'] = options.key
      let page: { items: (Item | null)[]; nextToken: string | null } | null
      try {
        page = (await this.send<Record<string, typeof page>>(query, variables, options.signal))[field] ?? null
      } catch (error) {
        throw mapDataError(error, { what: `query ${m.collection}` })
      }
      for (const item of page?.items ?? []) {
        if (item && more(out) && (!options.keep || options.keep(item))) out.push(item)
      }
      nextToken = page?.nextToken ?? null
    } while (nextToken && more(out))
    return out
  }

  /**
   * How a query is read: by id (pbById), or through the declared ordering whose fields are the
   * orderBy's, all ascending or all descending (its index read forwards or backwards). Anything
   * else is `unsupported`: never a whole-collection read sorted here.
   */
  private plan(m: ModelInfo, query: Query): Plan {
    const last = query.orderBy[query.orderBy.length - 1]
    const idDirection = last?.field === DOC_ID ? last.direction : 'asc'
    const fields = last?.field === DOC_ID ? query.orderBy.slice(0, -1) : query.orderBy
    if (fields.length === 0) return { kind: 'id', direction: idDirection }
    const direction = fields[0]!.direction
    const ordering = m.orderings.find((o) => o.fields.length === fields.length && o.fields.every((f, i) => fields[i]!.field === f))
    if (!ordering || fields.some((f) => f.direction !== direction)) {
      const wanted = fields.map((f) => `${f.field} ${f.direction}`).join(', ')
      const declared = m.orderings.map((o) => `[${o.fields.join(', ')}]`).join(', ') || 'none'
      throw new PortabaseError('unsupported', `Amplify: ${m.collection} has no declared ordering for orderBy(${wanted}) (declared: ${declared}; each is read all ascending or all descending)`, { provider: PROVIDER })
    }
    return { kind: 'ordering', ordering, direction }
  }

  /** With filters on the id (not expressible in a filter expression), the check of each read item. */
  private idCheck(m: ModelInfo, filters: readonly Filter[]): ((item: Item) => boolean) | undefined {
    if (!filtersOnId(filters)) return undefined
    const matches = compileFilters(filters)
    return (item) => matches(decodeItem(m, item))
  }

  async query(collection: string, query: Query, options?: CallOptions): Promise<Doc[]> {
    const m = this.model(collection)
    const plan = this.plan(m, query)
    const filter = translateFilters(m, query.filters)
    const pageSize = (remaining: number): number => Math.min(PAGE_MAX, Math.max(PAGE_FLOOR, Number.isFinite(remaining) ? remaining : PAGE_MAX))
    if (plan.kind === 'id') {
      const items = await this.scan(m, filter, {
        keep: this.idCheck(m, query.filters),
        want: query.limit ?? Infinity,
        desc: plan.direction === 'desc',
        key: idKeyCondition(query.filters, query.startAfter ? { id: query.startAfter.id, desc: plan.direction === 'desc' } : undefined),
        pageSize,
        signal: options?.signal,
      })
      return items.map((item) => decodeItem(m, item))
    }
    return this.queryOrdered(m, plan, query, filter, pageSize, options?.signal)
  }

  /**
   * A query through a declared ordering's index. Its keys order documents by the fields' values
   * (order-key.ts); documents tied on them — and strings equal in their first STRING_PREFIX code
   * points — are read as a whole group and put in order here by the reference comparator, so ties
   * break by id in the direction asked, and a cursor inside a group is exact.
   * COST: besides limit-before-filter (see the file comment), a page also reads the rest of the
   * group its last document is in, and a cursor's page reads its cursor's group again.
   */
  private async queryOrdered(m: ModelInfo, plan: Extract<Plan, { kind: 'ordering' }>, query: Query, filter: GqlFilter, pageSize: (remaining: number) => number, signal?: AbortSignal): Promise<Doc[]> {
    const { fields, index } = plan.ordering
    const desc = plan.direction === 'desc'
    const groupOf = (item: Item): string => orderPrefix(fields, m.fields, decodeItem(m, item).data)
    let key: Record<string, unknown> | undefined
    const checks: ((doc: Doc) => boolean)[] = []
    if (query.startAfter) {
      const at = orderPrefix(fields, m.fields, Object.fromEntries(fields.map((f, i) => [f, query.startAfter!.values[i] ?? null])))
      key = desc ? { lt: at + AFTER_PREFIX } : { ge: at }
      checks.push(compileCursor(query.startAfter, query.orderBy))
    }
    if (filtersOnId(query.filters)) checks.push(compileFilters(query.filters))
    const want = query.limit ?? Infinity
    const items = await this.scan(m, filter, {
      ordering: index,
      desc,
      key,
      want,
      keep: checks.length > 0 ? (item) => checks.every((check) => check(decodeItem(m, item))) : undefined,
      more: (read) => read.length < want || groupOf(read[want - 1]!) === groupOf(read[read.length - 1]!),
      pageSize,
      signal,
    })
    const docs = items.map((item) => decodeItem(m, item)).sort(compileOrder(query.orderBy))
    return Number.isFinite(want) ? docs.slice(0, want) : docs
  }

  async count(collection: string, query: Query, options?: CallOptions): Promise<number> {
    const m = this.model(collection)
    const filter = translateFilters(m, query.filters)
    const keep = this.idCheck(m, query.filters)
    const items = await this.scan(m, filter, { want: Infinity, desc: false, key: idKeyCondition(query.filters, undefined), keep, selection: keep ? m.selection : 'id', pageSize: () => PAGE_MAX, signal: options?.signal })
    return items.length
  }

  /**
   * The query's live result (realtime.ts): subscriptions are triggers, the query runs again through
   * query(). An unknown collection or an unsupported query fails on the observable.
   */
  watch(collection: string, query: Query): Observable<QuerySnapshot> {
    return defer(() => {
      if (!this.realtime) throw new PortabaseError('unsupported', `Amplify: watch() (${collection}) is not available in this amplify adapter`, { provider: PROVIDER })
      const m = this.model(collection)
      this.plan(m, query)
      translateFilters(m, query.filters)
      return this.realtime.watch(m, (signal) => this.query(collection, query, { signal }))
    })
  }

  // ---------------------------------------------------------------- writes

  async write(ops: readonly WriteOp[], options: WriteOptions): Promise<void> {
    if (options.atomic) throw new PortabaseError('unsupported', 'Amplify: atomic batches are not supported (AppSync models have no transactions)', { provider: PROVIDER })
    // Every op checked before the first request.
    const planned: Planned[] = ops.map((op) => {
      const m = this.model(op.collection)
      return op.type === 'delete' ? { op, m } : { op, m, encoded: encodeWrite(m, op.data, op.type === 'update') }
    })
    for (const { op, m, encoded } of planned) {
      const writeId = op.writeId ?? null
      if (encoded?.owner !== undefined) encoded.owner = await this.storedOwner(encoded.owner)
      switch (op.type) {
        case 'create':
          await this.create(m, op.id, encoded!, writeId, options.signal)
          break
        case 'set':
          await this.set(m, op.id, encoded!, writeId, options.signal)
          break
        case 'update':
          await this.update(m, op.id, op.data, encoded!, writeId, options.signal)
          break
        case 'delete':
          await this.remove(m, op.id, writeId, options.signal)
          break
      }
    }
  }

  /** Runs a mutation; resolves 'ok', or the AppSync error type that matters here ('conditional' / 'unauthorized'); other failures reject. */
  async mutate(m: ModelInfo, kind: 'create' | 'update', input: Record<string, unknown>, condition: Record<string, unknown> | undefined, what: string, signal?: AbortSignal): Promise<'ok' | 'conditional' | 'unauthorized'> {
    try {
      await this.send(kind === 'create' ? createDocument(m) : updateDocument(m), condition ? { input, condition } : { input }, signal)
      return 'ok'
    } catch (error) {
      const type = dataErrorTypeOf(error)
      if (type === CONDITIONAL_CHECK_FAILED) return 'conditional'
      if (type === UNAUTHORIZED) return 'unauthorized'
      throw mapDataError(error, { what })
    }
  }

  /**
   * The owner attribute for a document naming `uid` as its owner: the signed-in user's full owner
   * value when it is theirs; else the uid as given, which the owner rule refuses (permission-denied).
   */
  async storedOwner(uid: string): Promise<string> {
    const mine = await this.ownerValue()
    return mine !== null && uidOfOwner(mine) === uid ? mine : uid
  }

  private refused(m: ModelInfo, id: string, code: ErrorCode, message: string): PortabaseError {
    return amplifyError(code, `${m.collection}/${id}: ${message}`)
  }

  /** Every declared field: the given values, the rest null (REMOVE); explicit nulls in pbNulls. */
  replacement(m: ModelInfo, id: string, encoded: EncodedWrite, writeId: string | null): Record<string, unknown> {
    const input: Record<string, unknown> = { id }
    for (const attribute of storedAttributes(m)) input[attribute] = encoded.values[attribute] ?? null
    if (encoded.owner !== undefined) input[OWNER] = encoded.owner
    Object.assign(input, orderKeysOf(m, encoded.data as DocumentData, id))
    return { ...input, pbPart: PARTITION, pbDeleted: false, pbNulls: encoded.nulls.length > 0 ? encoded.nulls : null, pbWriteId: writeId }
  }

  createInput(m: ModelInfo, id: string, encoded: EncodedWrite, writeId: string | null): Record<string, unknown> {
    const input: Record<string, unknown> = { id, pbPart: PARTITION, pbDeleted: false }
    for (const [attribute, value] of Object.entries(encoded.values)) if (value !== null) input[attribute] = value
    if (encoded.owner !== undefined) input[OWNER] = encoded.owner
    Object.assign(input, orderKeysOf(m, encoded.data as DocumentData, id))
    if (encoded.nulls.length > 0) input.pbNulls = encoded.nulls
    if (writeId !== null) input.pbWriteId = writeId
    return input
  }

  private async create(m: ModelInfo, id: string, encoded: EncodedWrite, writeId: string | null, signal?: AbortSignal): Promise<void> {
    const what = `create ${m.collection}/${id}`
    for (let attempt = 1; ; attempt++) {
      const created = await this.mutate(m, 'create', this.createInput(m, id, encoded, writeId), undefined, what, signal)
      if (created === 'ok') return
      if (created === 'unauthorized') throw this.refused(m, id, 'permission-denied', 'not authorized to create this document')
      // The id exists: a tombstone comes back to life, anything else is already-exists.
      const found = await this.probe(m, id, signal)
      if (found.state === 'forbidden') throw this.refused(m, id, 'permission-denied', 'the id belongs to a document you may not access')
      if (found.state === 'live') throw this.refused(m, id, 'already-exists', 'the document already exists')
      if (found.state === 'tombstone') {
        const revived = await this.mutate(m, 'update', this.replacement(m, id, encoded, writeId), { pbDeleted: { eq: true } }, what, signal)
        if (revived === 'ok') return
        if (revived === 'unauthorized') throw this.refused(m, id, 'permission-denied', 'not authorized to create this document')
      }
      // Gone or revived by someone else in between: look again, a bounded number of times.
      if (attempt >= UPDATE_ATTEMPTS) throw this.refused(m, id, 'already-exists', 'the document already exists')
    }
  }

  private async set(m: ModelInfo, id: string, encoded: EncodedWrite, writeId: string | null, signal?: AbortSignal): Promise<void> {
    const what = `set ${m.collection}/${id}`
    for (let attempt = 1; attempt <= UPDATE_ATTEMPTS; attempt++) {
      const replaced = await this.mutate(m, 'update', this.replacement(m, id, encoded, writeId), undefined, what, signal)
      if (replaced === 'ok') return
      if (replaced === 'unauthorized') {
        // Owner rules refuse updates of missing items too: only a missing item may be created.
        const found = await this.probe(m, id, signal)
        if (found.state !== 'missing') throw this.refused(m, id, 'permission-denied', 'not authorized to write this document')
      }
      const created = await this.mutate(m, 'create', this.createInput(m, id, encoded, writeId), undefined, what, signal)
      if (created === 'ok') return
      if (created === 'unauthorized') throw this.refused(m, id, 'permission-denied', 'not authorized to create this document')
      // Created by someone else in between: replace it.
    }
    throw this.refused(m, id, 'conflict', 'the document kept changing between reads and writes')
  }

  private async update(m: ModelInfo, id: string, data: WriteData, encoded: EncodedWrite, writeId: string | null, signal?: AbortSignal): Promise<void> {
    const what = `update ${m.collection}/${id}`
    const notFound = (): PortabaseError => this.refused(m, id, 'not-found', 'no such document')
    const needsItem = updateNeedsItem(m, data, encoded)
    for (let attempt = 1; attempt <= UPDATE_ATTEMPTS; attempt++) {
      let item: Item | undefined
      if (needsItem) {
        const found = await this.probe(m, id, signal)
        if (found.state === 'forbidden') throw this.refused(m, id, 'permission-denied', 'not authorized to write this document')
        if (found.state !== 'live') throw notFound()
        item = found.item
      }
      const [input, conditions] = updateInput(m, id, data, encoded, writeId, item)
      const updated = await this.mutate(m, 'update', input, conditions.length === 1 ? conditions[0] : { and: conditions }, what, signal)
      if (updated === 'ok') return
      if (updated === 'unauthorized') {
        const found = await this.probe(m, id, signal)
        if (found.state === 'missing' || found.state === 'tombstone') throw notFound()
        throw this.refused(m, id, 'permission-denied', 'not authorized to write this document')
      }
      // A failed condition: missing, a tombstone — or, read first, written in between (try again).
      if (!needsItem) throw notFound()
    }
    throw this.refused(m, id, 'conflict', 'the document kept changing between reads and writes')
  }

  private async remove(m: ModelInfo, id: string, writeId: string | null, signal?: AbortSignal): Promise<void> {
    const deleted = await this.mutate(m, 'update', tombstoneInput(m, id, writeId), undefined, `delete ${m.collection}/${id}`, signal)
    if (deleted === 'ok' || deleted === 'conditional') return // conditional: no such item, a success
    const found = await this.probe(m, id, signal)
    if (found.state === 'missing') return
    throw this.refused(m, id, 'permission-denied', 'not authorized to delete this document')
  }
}

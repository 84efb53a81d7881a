/**
 * Documents on Parse classes: a collection is a class, a document an object whose objectId is the
 * client-generated id (the server needs `allowCustomObjectId: true`).
 *
 * Reads translate the neutral query (query-translate.ts) after learning what they need of the
 * class's columns (fields.ts), then check what came back against the neutral evaluator: a result
 * that breaks portabase's semantics fails loudly instead of being returned.
 *
 * Writes (see README for costs): create → POST; set → read, then PUT replacing every other field
 * (or POST when missing); update → PUT with Parse ops (Increment, Remove, Delete), reading the
 * object first only when it must (arrayUnion, or nulling a column the adapter has not seen);
 * delete → DELETE. An atomic batch reads every object it touches first (so create/update
 * preconditions fail before anything is sent), folds several writes to one object into one, and
 * sends one transactional /batch.
 */
import type { Observable } from 'rxjs'
import { PortabaseError } from '../../src/errors.js'
import { compileQuery, cursorOf } from '../../src/query/evaluate.js'
import type { Query } from '../../src/query/model.js'
import { isSentinel, type WriteData } from '../../src/sentinels.js'
import type { CallOptions, DocumentsService, WriteOp, WriteOptions } from '../../src/spi.js'
import type { Doc, DocumentData, QuerySnapshot, Value } from '../../src/types.js'
import { applyWrite } from '../../src/write.js'
import { valuesEqual } from '../../src/query/compare.js'
import type { Session } from './auth.js'
import {
  assertStorable,
  decodeData,
  decodeDoc,
  encodeValue,
  fromColumn,
  newNonce,
  nullMarkers,
  NULLS_COLUMN,
  parseTypeOf,
  storedColumns,
  toColumn,
  VERSION_COLUMN,
  type ParseObjectJSON,
} from './codec.js'
import { parseCodeOf, ParseCode, parseFailure, PROVIDER } from './errors.js'
import type { FieldCatalog } from './fields.js'
import { fieldsToResolve, translateFilters, translateQuery, type FieldKnowledge, type KnowledgeOf } from './query-translate.js'
import type { ParseRest } from './sdk.js'

/** Page size when a query without limit is read in full (keyset pages, never `skip`). */
export const PAGE_SIZE = 1000
/** How often set() retries when the object appears or disappears between its read and its write. */
const SET_ATTEMPTS = 3

export interface DocumentsContext {
  rest: ParseRest
  session: Session
  catalog: FieldCatalog
}

type Method = 'POST' | 'PUT' | 'DELETE'
interface PlannedRequest {
  method: Method
  collection: string
  id: string
  path: string
  body?: Record<string, unknown>
}

interface FindResponse {
  results: ParseObjectJSON[]
  count?: number
}

const classPath = (collection: string): string => `classes/${collection}`
const objectPath = (collection: string, id: string): string => `classes/${collection}/${encodeURIComponent(id)}`
const keyOf = (collection: string, id: string): string => `${collection}/${id}`

/** The watch implementation (live.ts), plugged in by the factory. */
export type WatchImpl = (collection: string, query: Query) => Observable<QuerySnapshot>

export class ParseDocuments implements DocumentsService {
  watchImpl: WatchImpl | undefined

  constructor(private readonly ctx: DocumentsContext) {}

  // ---------------------------------------------------------------- reads

  async get(collection: string, id: string, options?: CallOptions): Promise<Doc | null> {
    const json = await this.getRaw(collection, id, options?.signal)
    return json ? decodeDoc(json) : null
  }

  async query(collection: string, query: Query, options?: CallOptions): Promise<Doc[]> {
    if (query.limit !== undefined) return this.findPage(collection, query, options?.signal)
    // No limit: read everything, a page at a time, each page after the last doc of the previous one.
    const out: Doc[] = []
    let page: Query = { ...query, limit: PAGE_SIZE }
    for (;;) {
      const docs = await this.findPage(collection, page, options?.signal)
      out.push(...docs)
      if (docs.length < PAGE_SIZE) return out
      page = { ...query, limit: PAGE_SIZE, startAfter: cursorOf(docs[docs.length - 1]!, query.orderBy) }
    }
  }

  async count(collection: string, query: Query, options?: CallOptions): Promise<number> {
    const knowledge = await this.resolve(collection, fieldsToResolve(query, { cursor: false }), options?.signal)
    const where = translateFilters(query.filters, knowledge)
    if (where === false) return 0
    const body = { where: where === true ? {} : where, count: 1, limit: 0 }
    const response = await this.ctx.rest.request<FindResponse>('GET', classPath(collection), body, this.readOptions(options?.signal))
    return response.count ?? 0
  }

  watch(collection: string, query: Query): Observable<QuerySnapshot> {
    if (!this.watchImpl) throw new PortabaseError('unsupported', 'Realtime watch() is not enabled for this parse adapter (no liveQueryServerURL)', { provider: PROVIDER })
    return this.watchImpl(collection, query)
  }

  /** One page of a query with a limit, checked against the neutral semantics. */
  async findPage(collection: string, query: Query, signal?: AbortSignal): Promise<Doc[]> {
    const knowledge = await this.resolve(collection, fieldsToResolve(query), signal)
    const find = translateQuery(query, knowledge)
    if (!find) return []
    const body: Record<string, unknown> = { where: find.where, limit: find.limit ?? PAGE_SIZE }
    if (find.order) body.order = find.order
    const response = await this.ctx.rest.request<FindResponse>('GET', classPath(collection), body, this.readOptions(signal))
    const docs = response.results.map((json) => {
      this.ctx.catalog.learnObject(collection, json)
      return decodeDoc(json)
    })
    verifyResults(query, docs)
    return docs
  }

  /** The stored object, or null when it does not exist (or the caller may not read it). */
  async getRaw(collection: string, id: string, signal?: AbortSignal): Promise<ParseObjectJSON | null> {
    try {
      const json = await this.ctx.rest.request<ParseObjectJSON>('GET', objectPath(collection, id), undefined, this.readOptions(signal))
      this.ctx.catalog.learnObject(collection, json)
      return json
    } catch (error) {
      if (parseCodeOf(error) === ParseCode.OBJECT_NOT_FOUND) return null
      throw error
    }
  }

  /**
   * What the translation needs to know of each field: from the catalog, else from a probe (the
   * first readable object holding the field). Probes of fields nothing holds are not cached: the
   * next query asks again, so a field someone starts using is seen at once.
   */
  async resolve(collection: string, fields: readonly string[], signal?: AbortSignal): Promise<KnowledgeOf> {
    const { catalog } = this.ctx
    const probed = new Map<string, FieldKnowledge>()
    await Promise.all(
      fields.map(async (field) => {
        const column = toColumn(field)
        if (catalog.known(collection, column)) return
        probed.set(field, await this.probe(collection, column, signal))
      }),
    )
    return (field) => probed.get(field) ?? catalog.known(collection, toColumn(field)) ?? { state: 'untyped' }
  }

  private async probe(collection: string, column: string, signal?: AbortSignal): Promise<FieldKnowledge> {
    const { catalog } = this.ctx
    try {
      const body = { where: { [column]: { $exists: true } }, limit: 1 }
      const response = await this.ctx.rest.request<FindResponse>('GET', classPath(collection), body, this.readOptions(signal))
      const first = response.results[0]
      if (!first) return { state: 'absent' }
      catalog.learnObject(collection, first)
    } catch (error) {
      // Reading it was denied (ACL, triggers): the column exists, its type stays unknown.
      if (!(error instanceof PortabaseError) || error.code !== 'permission-denied') throw error
      catalog.learnColumn(collection, column, 'untyped')
    }
    return catalog.known(collection, column) ?? { state: 'untyped' }
  }

  private readOptions(signal?: AbortSignal) {
    return { sessionToken: this.ctx.session.token, signal, context: 'read' as const }
  }

  private writeOptions(signal?: AbortSignal) {
    return { sessionToken: this.ctx.session.token, signal, context: 'write' as const }
  }

  // ---------------------------------------------------------------- writes

  async write(ops: readonly WriteOp[], options: WriteOptions): Promise<void> {
    for (const op of ops) checkWrite(op)
    if (options.atomic && ops.length > 1) return this.writeAtomically(ops, options.signal)
    for (const op of ops) await this.writeOne(op, options.signal)
  }

  private async writeOne(op: WriteOp, signal?: AbortSignal): Promise<void> {
    switch (op.type) {
      case 'create':
        return this.send(planCreate(op.collection, op.id, resolveLocally(op.data)), signal)
      case 'set':
        return this.setOne(op.collection, op.id, resolveLocally(op.data), signal)
      case 'update': {
        let existing: ParseObjectJSON | undefined
        if (this.updateNeedsRead(op.collection, op.data)) {
          existing = (await this.getRaw(op.collection, op.id, signal)) ?? undefined
          if (!existing) throw notFound(op.collection, op.id)
        }
        const request: PlannedRequest = { method: 'PUT', collection: op.collection, id: op.id, path: objectPath(op.collection, op.id), body: this.encodeUpdate(op.collection, op.data, existing) }
        try {
          return await this.send(request, signal)
        } catch (error) {
          throw await this.explainNotFound(error, op.collection, op.id, 'update', signal)
        }
      }
      case 'delete':
        try {
          return await this.send({ method: 'DELETE', collection: op.collection, id: op.id, path: objectPath(op.collection, op.id) }, signal)
        } catch (error) {
          const explained = await this.explainNotFound(error, op.collection, op.id, 'delete', signal)
          // Deleting a missing document succeeds.
          if (explained.code === 'not-found' && parseCodeOf(error) === ParseCode.OBJECT_NOT_FOUND) return
          throw explained
        }
    }
  }

  private async setOne(collection: string, id: string, data: DocumentData, signal?: AbortSignal): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const existing = await this.getRaw(collection, id, signal)
      const request = existing ? planReplace(collection, id, data, existing) : planCreate(collection, id, data)
      try {
        return await this.send(request, signal)
      } catch (error) {
        // Created or deleted by someone else between the read and the write: read again.
        const code = parseCodeOf(error)
        const raced = existing ? code === ParseCode.OBJECT_NOT_FOUND : code === ParseCode.DUPLICATE_VALUE
        if (raced && attempt < SET_ATTEMPTS) continue
        if (existing) throw await this.explainNotFound(error, collection, id, 'set', signal)
        if (code === ParseCode.DUPLICATE_VALUE) {
          // The id is taken by an object this user cannot read (its ACL hides it).
          throw new PortabaseError('permission-denied', `Parse Server refused to set ${collection}/${id}: an object this user cannot read holds that id`, { provider: PROVIDER, cause: error, details: { parseCode: code } })
        }
        throw error
      }
    }
  }

  /**
   * Parse answers 101 both for a missing object and for one the ACL does not let the caller write.
   * A read tells them apart: readable → permission-denied; not readable → not-found (an object the
   * caller cannot read behaves as missing).
   */
  private async explainNotFound(error: unknown, collection: string, id: string, what: string, signal?: AbortSignal): Promise<PortabaseError> {
    const mapped = error instanceof PortabaseError ? error : parseFailure('internal', String(error))
    if (parseCodeOf(error) !== ParseCode.OBJECT_NOT_FOUND) return mapped
    const visible = await this.getRaw(collection, id, signal).catch(() => null)
    if (visible) return new PortabaseError('permission-denied', `Parse Server refused to ${what} ${collection}/${id} (its ACL does not let this user write it)`, { provider: PROVIDER, cause: error, details: { parseCode: ParseCode.OBJECT_NOT_FOUND } })
    return new PortabaseError('not-found', `No document to ${what} at ${collection}/${id}`, { provider: PROVIDER, cause: error, details: { parseCode: ParseCode.OBJECT_NOT_FOUND } })
  }

  private async writeAtomically(ops: readonly WriteOp[], signal?: AbortSignal): Promise<void> {
    const existing = await this.readAll(ops, signal)
    const requests = this.planBatch(ops, existing)
    if (requests.length === 0) return
    if (requests.length === 1) return this.send(requests[0]!, signal)
    await this.prepareColumns(requests, signal)
    const mount = this.ctx.rest.mountPath
    const body = {
      transaction: true,
      requests: requests.map((r) => ({ method: r.method, path: `${mount}/${r.path}`, ...(r.body ? { body: r.body } : {}) })),
    }
    let responses: { success?: unknown; error?: { code: number; error: string } }[]
    try {
      responses = await this.ctx.rest.request('POST', 'batch', body, this.writeOptions(signal))
    } catch (error) {
      throw await this.explainBatchFailure(ops, error, signal)
    }
    const failed = responses.find((r) => r.error)
    if (failed?.error) throw parseFailure('internal', `Parse Server reported a failed write inside a committed transactional batch: ${failed.error.error}`, { parseCode: failed.error.code })
    for (const r of requests) if (r.body) this.ctx.catalog.learnWrite(r.collection, r.body)
  }

  /**
   * Parse Server adds a class or column from a separate database connection: inside a transaction
   * that has already written to that class, the ALTER TABLE waits for the transaction and the
   * transaction for it, forever. So before a transactional batch, every column it writes that the
   * adapter has not seen is created by an update of an object that does not exist: Parse adds the
   * columns, then answers 101. Best effort (a beforeSave trigger may refuse it). A type mismatch
   * (with a column type the adapter knows, or found by that update) fails here, clearly, instead of
   * as the batch's opaque failure.
   */
  private async prepareColumns(requests: readonly PlannedRequest[], signal?: AbortSignal): Promise<void> {
    const { catalog } = this.ctx
    const byClass = new Map<string, Record<string, unknown>>()
    for (const request of requests) {
      for (const [key, value] of Object.entries(request.body ?? {})) {
        if (key === 'objectId') continue
        const dot = key.indexOf('.')
        const column = dot < 0 ? key : key.slice(0, dot)
        const sample = dot < 0 ? sampleOf(value) : {}
        if (sample === undefined) continue
        const known = catalog.known(request.collection, column)
        const type = parseTypeOf(sample)
        if (known?.state === 'typed' && type !== null && known.type !== type) {
          // What Parse would answer (111), said before the batch instead of as its opaque failure.
          throw new PortabaseError('invalid-argument', `Field ${fromColumn(column) ?? column} of ${request.collection} holds ${known.type} values; this batch writes ${type}`, {
            provider: PROVIDER,
            details: { parseCode: ParseCode.INCORRECT_TYPE, field: fromColumn(column) ?? column },
          })
        }
        if (known) continue
        let body = byClass.get(request.collection)
        if (!body) byClass.set(request.collection, (body = {}))
        if (!(column in body)) body[column] = sample
      }
    }
    await Promise.all(
      [...byClass].map(async ([collection, body]) => {
        try {
          await this.ctx.rest.request('PUT', objectPath(collection, `pbcolumns${newNonce()}`), body, this.writeOptions(signal))
        } catch (error) {
          const code = parseCodeOf(error)
          if (code === ParseCode.INCORRECT_TYPE) throw error
          if (code !== ParseCode.OBJECT_NOT_FOUND) return
        }
        catalog.learnWrite(collection, body)
      }),
    )
  }

  /**
   * A failed transactional batch comes back as an opaque HTTP 500 (Parse does not say which write
   * failed). Nothing was applied. Reading the objects again finds the usual causes (a document
   * created or deleted meanwhile); otherwise the error says what it can.
   */
  private async explainBatchFailure(ops: readonly WriteOp[], error: unknown, signal?: AbortSignal): Promise<PortabaseError> {
    const mapped = error instanceof PortabaseError ? error : parseFailure('internal', String(error))
    if (mapped.code === 'cancelled' || mapped.code === 'unavailable') return mapped
    try {
      this.planBatch(ops, await this.readAll(ops, signal))
    } catch (precondition) {
      if (precondition instanceof PortabaseError) return precondition
    }
    if (mapped.code !== 'internal') return mapped
    return new PortabaseError(
      'internal',
      'Parse Server rolled back the transactional batch without saying which write failed (a beforeSave trigger, an ACL write restriction or a field type mismatch); nothing was applied',
      { provider: PROVIDER, cause: error, details: mapped.details },
    )
  }

  /** Every object a batch touches, by `collection/id` (null when missing or unreadable). */
  private async readAll(ops: readonly WriteOp[], signal?: AbortSignal): Promise<Map<string, ParseObjectJSON | null>> {
    const ids = new Map<string, Set<string>>()
    for (const op of ops) {
      let set = ids.get(op.collection)
      if (!set) ids.set(op.collection, (set = new Set()))
      set.add(op.id)
    }
    const found = new Map<string, ParseObjectJSON | null>()
    await Promise.all(
      [...ids].map(async ([collection, set]) => {
        const list = [...set]
        const body = { where: { objectId: { $in: list } }, limit: list.length }
        const response = await this.ctx.rest.request<FindResponse>('GET', classPath(collection), body, this.readOptions(signal))
        for (const id of list) found.set(keyOf(collection, id), null)
        for (const json of response.results) {
          this.ctx.catalog.learnObject(collection, json)
          found.set(keyOf(collection, String(json.objectId)), json)
        }
      }),
    )
    return found
  }

  /**
   * Checks the batch's preconditions in order against the objects as read, and plans one request
   * per object: a single write keeps its Parse ops (atomic increments…); several writes to one
   * object are folded into their final state (Parse runs the requests of a batch concurrently, so
   * two requests on one object could apply in either order).
   */
  private planBatch(ops: readonly WriteOp[], existing: Map<string, ParseObjectJSON | null>): PlannedRequest[] {
    const now = new Date()
    const states = new Map<string, { collection: string; id: string; stored: ParseObjectJSON | null; data: DocumentData | undefined; ops: WriteOp[] }>()
    for (const op of ops) {
      const key = keyOf(op.collection, op.id)
      let state = states.get(key)
      if (!state) {
        const stored = existing.get(key) ?? null
        state = { collection: op.collection, id: op.id, stored, data: stored ? decodeData(stored) : undefined, ops: [] }
        states.set(key, state)
      }
      if (op.type === 'create' && state.data !== undefined) throw alreadyExists(op.collection, op.id)
      if (op.type === 'update' && state.data === undefined) throw notFound(op.collection, op.id)
      state.data = op.type === 'delete' ? undefined : applyWrite(op.type === 'update' ? state.data : undefined, op, now)
      state.ops.push(op)
    }
    const requests: PlannedRequest[] = []
    for (const { collection, id, stored, data, ops: list } of states.values()) {
      const only = list.length === 1 ? list[0]! : undefined
      if (only?.type === 'update' && stored) {
        requests.push({ method: 'PUT', collection, id, path: objectPath(collection, id), body: this.encodeUpdate(collection, only.data, stored) })
      } else if (data === undefined) {
        if (stored) requests.push({ method: 'DELETE', collection, id, path: objectPath(collection, id) })
      } else {
        requests.push(stored ? planReplace(collection, id, data, stored) : planCreate(collection, id, data))
      }
    }
    return requests
  }

  private async send(request: PlannedRequest, signal?: AbortSignal): Promise<void> {
    await this.ctx.rest.request(request.method, request.path, request.body, this.writeOptions(signal))
    if (request.body) this.ctx.catalog.learnWrite(request.collection, request.body)
  }

  /** An update must read the object first for arrayUnion, and to null or delete a column it has not seen. */
  private updateNeedsRead(collection: string, data: WriteData): boolean {
    const { catalog } = this.ctx
    for (const [field, value] of Object.entries(data)) {
      if (isSentinel(value)) {
        if (value.kind === 'arrayUnion') return true
        if (value.kind === 'deleteField' && (!catalog.exists(collection, toColumn(field)) || !catalog.hasNullMarkers(collection))) return true
      } else if (value === null && !catalog.exists(collection, toColumn(field))) return true
    }
    return false
  }

  /**
   * An update as Parse ops. `existing` (when read) makes it exact: only columns that hold a value
   * are cleared, and arrayUnion writes the read array plus the missing values, in order.
   */
  private encodeUpdate(collection: string, data: WriteData, existing: ParseObjectJSON | undefined): Record<string, unknown> {
    const { catalog } = this.ctx
    const body: Record<string, unknown> = { [VERSION_COLUMN]: newNonce() }
    const markers = existing ? new Set(nullMarkers(existing)) : undefined
    const holdsValue = (column: string): boolean => (existing ? existing[column] !== null && existing[column] !== undefined : catalog.exists(collection, column))
    for (const [field, value] of Object.entries(data)) {
      const column = toColumn(field)
      if (!isSentinel(value)) {
        assertStorable(value, field)
        if (value === null) {
          if (holdsValue(column)) body[column] = { __op: 'Delete' }
          body[`${NULLS_COLUMN}.${field}`] = true
        } else body[column] = encodeValue(value)
        continue
      }
      switch (value.kind) {
        case 'increment':
          body[column] = { __op: 'Increment', amount: value.by }
          break
        case 'arrayRemove':
          value.values.forEach((v, i) => assertStorable(v, `${field}[${i}]`))
          body[column] = { __op: 'Remove', objects: value.values.map(encodeValue) }
          break
        case 'arrayUnion': {
          value.values.forEach((v, i) => assertStorable(v, `${field}[${i}]`))
          const current = existing ? decodeData(existing)[field] : undefined
          const base: Value[] = Array.isArray(current) ? [...current] : []
          const missing: Value[] = []
          for (const v of value.values) if (!base.some((x) => valuesEqual(x, v)) && !missing.some((x) => valuesEqual(x, v))) missing.push(v)
          // Written whole: Parse's Add and AddUnique both rebuild the stored array with SELECT DISTINCT
          // on PostgreSQL (dropping its duplicates, reordering it). Not atomic: see README.
          if (missing.length > 0 || !Array.isArray(current)) body[column] = encodeValue([...base, ...missing])
          break
        }
        case 'deleteField':
          if (holdsValue(column)) body[column] = { __op: 'Delete' }
          if (markers ? markers.has(field) : catalog.hasNullMarkers(collection)) body[`${NULLS_COLUMN}.${field}`] = { __op: 'Delete' }
          break
        case 'serverTimestamp':
          throw new PortabaseError('unsupported', 'serverTimestamp() is not supported by the parse adapter', { provider: PROVIDER })
      }
    }
    return body
  }
}

/** A value of the type a column gets from this body value (ops included), or undefined when it sets no type. */
function sampleOf(value: unknown): unknown {
  if (value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) return value
  const op = (value as { __op?: unknown }).__op
  if (op === undefined) return value
  if (op === 'Increment') return (value as { amount: number }).amount
  if (op === 'Add' || op === 'AddUnique' || op === 'Remove') return (value as { objects: unknown[] }).objects
  return undefined
}

/** Create/set data: sentinels resolve against an empty document (as applyWrite does), nothing left for the server. */
function resolveLocally(data: WriteData): DocumentData {
  return applyWrite(undefined, { type: 'create', data }, new Date())
}

function checkWrite(op: WriteOp): void {
  if (op.type === 'delete') return
  for (const [field, value] of Object.entries(op.data)) {
    toColumn(field)
    if (!isSentinel(value)) assertStorable(value, field)
    else if (value.kind === 'serverTimestamp') throw new PortabaseError('unsupported', 'serverTimestamp() is not supported by the parse adapter', { provider: PROVIDER })
  }
}

function nullsOf(data: DocumentData): Record<string, true> {
  const markers: Record<string, true> = {}
  for (const [field, value] of Object.entries(data)) if (value === null) markers[field] = true
  return markers
}

function planCreate(collection: string, id: string, data: DocumentData): PlannedRequest {
  const body: Record<string, unknown> = { objectId: id, [VERSION_COLUMN]: newNonce(), [NULLS_COLUMN]: nullsOf(data) }
  for (const [field, value] of Object.entries(data)) if (value !== null) body[toColumn(field)] = encodeValue(value)
  return { method: 'POST', collection, id, path: classPath(collection), body }
}

/** set() on an existing object: every field of `data`, and a Delete for every other stored column. */
function planReplace(collection: string, id: string, data: DocumentData, stored: ParseObjectJSON): PlannedRequest {
  const body: Record<string, unknown> = { [VERSION_COLUMN]: newNonce(), [NULLS_COLUMN]: nullsOf(data) }
  for (const [field, value] of Object.entries(data)) {
    const column = toColumn(field)
    if (value !== null) body[column] = encodeValue(value)
    else if (stored[column] !== null && stored[column] !== undefined) body[column] = { __op: 'Delete' }
  }
  for (const column of storedColumns(stored)) if (!(column in body)) body[column] = { __op: 'Delete' }
  return { method: 'PUT', collection, id, path: objectPath(collection, id), body }
}

const notFound = (collection: string, id: string): PortabaseError => new PortabaseError('not-found', `No document to update at ${collection}/${id}`, { provider: PROVIDER })
const alreadyExists = (collection: string, id: string): PortabaseError => new PortabaseError('already-exists', `Document ${collection}/${id} already exists`, { provider: PROVIDER })

/**
 * The safety net: every returned document must match the filters (and cursor) and come in the
 * neutral order. A mismatch means the server's semantics differ for this query (e.g. a database
 * collation that is not code-point order, or a field whose type the adapter could not learn).
 */
export function verifyResults(query: Query, docs: readonly Doc[]): void {
  const { accepts, compare, limit } = compileQuery(query)
  if (docs.length > limit) throw semanticsError(query, `returned ${docs.length} documents for limit ${limit}`)
  for (let i = 0; i < docs.length; i++) {
    if (!accepts(docs[i]!)) throw semanticsError(query, `returned ${docs[i]!.id}, which does not match the query`)
    if (i > 0 && compare(docs[i - 1]!, docs[i]!) >= 0) throw semanticsError(query, `returned ${docs[i - 1]!.id} before ${docs[i]!.id}, against the requested order`)
  }
}

function semanticsError(query: Query, what: string): PortabaseError {
  return new PortabaseError(
    'unsupported',
    `Parse Server ${what}: this query does not follow portabase's semantics on this server (string collation other than code-point order, ordering by arrays or objects, or mixed field types); see adapters/parse/README.md`,
    { provider: PROVIDER, details: { orderBy: query.orderBy.map((o) => `${o.field} ${o.direction}`) } },
  )
}

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
 * delete → read, then the DELETE and the creation of a tombstone (for the offline engine's delta
 * sync, see sync.ts), sent together. Every write sets `pb_w`, the writeId of the write ('' for
 * none). An atomic batch reads every object it touches first (so create/update preconditions fail
 * before anything is sent), folds several writes to one object into one, and sends one
 * transactional /batch (tombstones included).
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
  WRITE_ID_COLUMN,
  type ParseObjectJSON,
} from './codec.js'
import { mapParseError, parseCodeOf, ParseCode, parseFailure, PROVIDER } from './errors.js'
import type { FieldCatalog } from './fields.js'
import { fieldsToResolve, translateFilters, translateQuery, type FieldKnowledge, type KnowledgeOf } from './query-translate.js'
import type { ParseRest } from './sdk.js'

/** Page size when a query without limit is read in full (keyset pages, never `skip`). */
export const PAGE_SIZE = 1000
/** How often set() retries when the object appears or disappears between its read and its write. */
export const SET_ATTEMPTS = 3
/** Sub-requests per non-transactional /batch request (larger writes are split into several). */
export const BATCH_LIMIT = 50

export interface DocumentsContext {
  rest: ParseRest
  session: Session
  catalog: FieldCatalog
  /** The class holding tombstones (one object per deletion; see sync.ts). */
  tombstoneClass: string
}

type Method = 'POST' | 'PUT' | 'DELETE'
export interface PlannedRequest {
  method: Method
  collection: string
  id: string
  path: string
  body?: Record<string, unknown>
}

/** One sub-request's answer in a non-transactional /batch. */
export type BatchResult = { ok: true } | { ok: false; error: PortabaseError }

export interface FindResponse {
  results: ParseObjectJSON[]
  count?: number
}

export const classPath = (collection: string): string => `classes/${collection}`
export const objectPath = (collection: string, id: string): string => `classes/${collection}/${encodeURIComponent(id)}`
export const keyOf = (collection: string, id: string): string => `${collection}/${id}`

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

  /** Learns the columns of an object read elsewhere (sync.ts). */
  learn(collection: string, json: ParseObjectJSON): void {
    this.ctx.catalog.learnObject(collection, json)
  }

  readOptions(signal?: AbortSignal) {
    return { sessionToken: this.ctx.session.token, signal, context: 'read' as const }
  }

  writeOptions(signal?: AbortSignal) {
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
        return this.send(planCreate(op.collection, op.id, resolveLocally(op.data), op.writeId ?? null), signal)
      case 'set':
        return this.setOne(op.collection, op.id, resolveLocally(op.data), op.writeId ?? null, signal)
      case 'update': {
        let existing: ParseObjectJSON | undefined
        if (this.updateNeedsRead(op.collection, op.data)) {
          existing = (await this.getRaw(op.collection, op.id, signal)) ?? undefined
          if (!existing) throw notFound(op.collection, op.id)
        }
        const request: PlannedRequest = { method: 'PUT', collection: op.collection, id: op.id, path: objectPath(op.collection, op.id), body: this.encodeUpdate(op.collection, op.data, existing, op.writeId ?? null) }
        try {
          return await this.send(request, signal)
        } catch (error) {
          throw await this.explainNotFound(error, op.collection, op.id, 'update', signal)
        }
      }
      case 'delete': {
        // Read first: the tombstone gets the object's ACL. Then the tombstone and the DELETE, sent
        // together (a lost answer to the DELETE still leaves the tombstone; see settleDelete).
        const stored = await this.getRaw(op.collection, op.id, signal)
        const requests = this.planDelete(op.collection, op.id, stored, op.writeId ?? null)
        const results = await Promise.all(requests.map((request) => this.sendOne(request, signal)))
        const failure = await this.settleDelete(op.collection, op.id, requests, results, signal)
        if (failure) throw failure
      }
    }
  }

  /**
   * A delete: the DELETE, and the creation of its tombstone with the object's ACL. Without the
   * object (missing, or not readable by this user, which behaves as missing) the DELETE alone is
   * sent, as before tombstones: it deletes nothing, unless the ACL lets this user delete what it
   * cannot read (then no tombstone: the adapter cannot know who may read it).
   */
  planDelete(collection: string, id: string, stored: ParseObjectJSON | null, writeId: string | null): PlannedRequest[] {
    const deletion: PlannedRequest = { method: 'DELETE', collection, id, path: objectPath(collection, id) }
    return stored ? [deletion, planTombstone(this.ctx.tombstoneClass, collection, id, stored, writeId)] : [deletion]
  }

  /**
   * The outcome of a delete sent as `planDelete` (null: done). The DELETE failed: a 101 is
   * explained by a read (gone meanwhile: done; readable: permission-denied), and when the refusal
   * is certain the tombstone is removed again (best effort). When the outcome is unknown (no answer)
   * the tombstone stays: the delete may have happened, and a tombstone counts only while its
   * document does not exist, so a leftover one is harmless. The DELETE succeeded but the tombstone
   * failed: an error saying so (other devices' delta sync would miss this deletion: the server
   * set-up needs fixing).
   */
  async settleDelete(collection: string, id: string, requests: readonly PlannedRequest[], results: readonly BatchResult[], signal?: AbortSignal): Promise<PortabaseError | null> {
    const [deleted, tombstone] = results
    const created = requests[1]
    if (deleted?.ok) {
      if (!created || tombstone?.ok) return null
      const cause = tombstone?.error
      return new PortabaseError(cause?.code ?? 'internal', `${collection}/${id} was deleted, but its tombstone could not be written to class ${this.ctx.tombstoneClass}: ${cause?.message ?? 'no answer'}`, {
        provider: PROVIDER,
        cause,
        details: { ...cause?.details, deleted: true },
      })
    }
    const error = deleted?.error ?? parseFailure('internal', `Parse Server did not answer the delete of ${collection}/${id}`)
    const missing = parseCodeOf(error) === ParseCode.OBJECT_NOT_FOUND
    // Nothing was read: missing or unreadable, as the read just said. Deleting it succeeds.
    if (!created) return missing ? null : error
    const explained = await this.explainNotFound(error, collection, id, 'delete', signal)
    // Deleted by someone else meanwhile: the document is gone, as asked.
    if (explained.code === 'not-found' && missing) return null
    if (tombstone?.ok && explained.code === 'permission-denied') {
      await this.ctx.rest.request('DELETE', objectPath(created.collection, created.id), undefined, this.writeOptions(signal)).catch(() => undefined)
    }
    return explained
  }

  /** One request on its own, its failure as a result. */
  async sendOne(request: PlannedRequest, signal?: AbortSignal): Promise<BatchResult> {
    try {
      await this.send(request, signal)
      return { ok: true }
    } catch (error) {
      return { ok: false, error: error instanceof PortabaseError ? error : mapParseError(error, 'write') }
    }
  }

  /**
   * Sends requests through non-transactional /batch requests of at most BATCH_LIMIT sub-requests,
   * one after the other, keeping each group in one /batch. Parse runs the sub-requests of a batch
   * concurrently: a group's requests, and the groups of one call, must touch different objects.
   * Returns each request's result, by group; rejects only when a /batch request itself failed.
   */
  async sendBatch(groups: readonly (readonly PlannedRequest[])[], signal?: AbortSignal): Promise<BatchResult[][]> {
    const results: BatchResult[][] = groups.map(() => [])
    const mount = this.ctx.rest.mountPath
    let chunk: number[] = []
    let size = 0
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return
      const members = chunk
      chunk = []
      size = 0
      const requests = members.flatMap((g) => groups[g]!)
      const body = { requests: requests.map((r) => ({ method: r.method, path: `${mount}/${r.path}`, ...(r.body ? { body: r.body } : {}) })) }
      const responses = await this.ctx.rest.request<{ success?: unknown; error?: unknown }[]>('POST', 'batch', body, this.writeOptions(signal))
      let n = 0
      for (const g of members) {
        for (const request of groups[g]!) {
          const response = Array.isArray(responses) ? responses[n] : undefined
          n += 1
          if (response && response.error === undefined && 'success' in response) {
            if (request.body) this.ctx.catalog.learnWrite(request.collection, request.body)
            results[g]!.push({ ok: true })
          } else {
            const error = response?.error !== undefined ? mapParseError(response.error, 'write') : parseFailure('internal', `Parse Server sent no answer for ${request.method} ${request.path} in a /batch`)
            results[g]!.push({ ok: false, error })
          }
        }
      }
    }
    for (let g = 0; g < groups.length; g++) {
      const count = groups[g]!.length
      if (count === 0) continue
      if (size + count > BATCH_LIMIT) await flush()
      chunk.push(g)
      size += count
    }
    await flush()
    return results
  }

  private async setOne(collection: string, id: string, data: DocumentData, writeId: string | null, signal?: AbortSignal): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const existing = await this.getRaw(collection, id, signal)
      const request = existing ? planReplace(collection, id, data, existing, writeId) : planCreate(collection, id, data, writeId)
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
   * A read tells them apart: readable and not writable by this caller → permission-denied; not
   * readable → not-found (an object the caller cannot read behaves as missing). Readable AND
   * writable means it was created after the refused request (a concurrent create): not-found.
   */
  async explainNotFound(error: unknown, collection: string, id: string, what: string, signal?: AbortSignal): Promise<PortabaseError> {
    const mapped = error instanceof PortabaseError ? error : parseFailure('internal', String(error))
    if (parseCodeOf(error) !== ParseCode.OBJECT_NOT_FOUND) return mapped
    const visible = await this.getRaw(collection, id, signal).catch(() => null)
    if (visible && !aclLetsWrite(visible, this.ctx.session.state$.value?.user.uid ?? null)) return new PortabaseError('permission-denied', `Parse Server refused to ${what} ${collection}/${id} (its ACL does not let this user write it)`, { provider: PROVIDER, cause: error, details: { parseCode: ParseCode.OBJECT_NOT_FOUND } })
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
        if (key === 'objectId' || key === 'ACL') continue
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
      // The document's ops collapse into one request: it records the last op's write id.
      const writeId = list[list.length - 1]!.writeId ?? null
      if (only?.type === 'update' && stored) {
        requests.push({ method: 'PUT', collection, id, path: objectPath(collection, id), body: this.encodeUpdate(collection, only.data, stored, writeId) })
      } else if (data === undefined) {
        // The tombstone goes into the same transaction as the DELETE.
        if (stored) requests.push(...this.planDelete(collection, id, stored, writeId))
      } else {
        requests.push(stored ? planReplace(collection, id, data, stored, writeId) : planCreate(collection, id, data, writeId))
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
  encodeUpdate(collection: string, data: WriteData, existing: ParseObjectJSON | undefined, writeId: string | null): Record<string, unknown> {
    const { catalog } = this.ctx
    const body: Record<string, unknown> = { [VERSION_COLUMN]: newNonce(), [WRITE_ID_COLUMN]: writeId ?? '' }
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
export function resolveLocally(data: WriteData): DocumentData {
  return applyWrite(undefined, { type: 'create', data }, new Date())
}

export function checkWrite(op: WriteOp): void {
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

export function planCreate(collection: string, id: string, data: DocumentData, writeId: string | null): PlannedRequest {
  const body: Record<string, unknown> = { objectId: id, [VERSION_COLUMN]: newNonce(), [WRITE_ID_COLUMN]: writeId ?? '', [NULLS_COLUMN]: nullsOf(data) }
  for (const [field, value] of Object.entries(data)) if (value !== null) body[toColumn(field)] = encodeValue(value)
  return { method: 'POST', collection, id, path: classPath(collection), body }
}

/** set() on an existing object: every field of `data`, and a Delete for every other stored column. */
export function planReplace(collection: string, id: string, data: DocumentData, stored: ParseObjectJSON, writeId: string | null): PlannedRequest {
  const body: Record<string, unknown> = { [VERSION_COLUMN]: newNonce(), [WRITE_ID_COLUMN]: writeId ?? '', [NULLS_COLUMN]: nullsOf(data) }
  for (const [field, value] of Object.entries(data)) {
    const column = toColumn(field)
    if (value !== null) body[column] = encodeValue(value)
    else if (stored[column] !== null && stored[column] !== undefined) body[column] = { __op: 'Delete' }
  }
  for (const column of storedColumns(stored)) if (!(column in body)) body[column] = { __op: 'Delete' }
  return { method: 'PUT', collection, id, path: objectPath(collection, id), body }
}

/**
 * A tombstone: one object of the tombstone class per deletion, `{ collection, docId, nonce,
 * writeId }` (its `updatedAt` is the deletion time), with the ACL the deleted object had, so it is
 * visible to whoever could read the document. A random objectId: Parse has no upsert, and a document
 * deleted twice has two tombstones; readers keep the newest (sync.ts).
 */
export function planTombstone(tombstoneClass: string, collection: string, docId: string, stored: ParseObjectJSON, writeId: string | null): PlannedRequest {
  const objectId = newNonce()
  const body: Record<string, unknown> = { objectId, collection, docId, nonce: newNonce(), writeId: writeId ?? '' }
  if (stored.ACL !== null && typeof stored.ACL === 'object') body.ACL = stored.ACL
  return { method: 'POST', collection: tombstoneClass, id: objectId, path: classPath(tombstoneClass), body }
}

export const notFound = (collection: string, id: string): PortabaseError => new PortabaseError('not-found', `No document to update at ${collection}/${id}`, { provider: PROVIDER })
export const alreadyExists = (collection: string, id: string): PortabaseError => new PortabaseError('already-exists', `Document ${collection}/${id} already exists`, { provider: PROVIDER })

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

/** Whether an object's ACL lets this user (null: signed out) write it. No ACL: anyone may. */
function aclLetsWrite(object: ParseObjectJSON, uid: string | null): boolean {
  const acl = (object as { ACL?: Record<string, { write?: boolean }> }).ACL
  if (!acl) return true
  return acl['*']?.write === true || (uid !== null && acl[uid]?.write === true)
}

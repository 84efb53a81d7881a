/**
 * The SyncService of the Parse adapter: what the offline engine calls to push queued writes and
 * pull changes (see README, "Offline sync").
 *
 * - writeIds: every write through the adapter sets the `pb_w` column (codec.ts) to its writeId,
 *   `''` for none; `SyncRecord.writeId` reads it back.
 * - tombstones: every delete through the adapter is a /batch of the DELETE and the creation of a
 *   tombstone object in the tombstone class (`PortabaseTombstone`): `{ collection, docId, nonce,
 *   writeId }`, `updatedAt` = the deletion time, the deleted object's ACL. A random objectId (Parse
 *   has no upsert), so a document deleted several times has several tombstones: readers keep the
 *   newest, and only while the document does not exist (a re-created document supersedes them).
 * - `changes`: one keyset query on the class (`updatedAt`, `objectId`) and one on the tombstones of
 *   that collection (`updatedAt`, `docId`), merged; the tombstones kept are checked for supersession
 *   with one more round trip (two queries in parallel). `updatedAt` has millisecond precision.
 * - `write`: one non-transactional /batch (BATCH_LIMIT sub-requests per request), per-op outcomes
 *   from the sub-responses; the objects that set/update/delete touch are read first (one query per
 *   collection). Parse runs a batch's sub-requests concurrently, so a call with several writes to
 *   one document is sent in rounds, each holding at most one write per document, in order.
 */
import { PortabaseError, toPortabaseError } from '../../src/errors.js'
import { compareStrings } from '../../src/query/compare.js'
import type { CallOptions, SyncCheckpoint, SyncRecord, SyncService, SyncWrite, SyncWriteOutcome, WriteOp } from '../../src/spi.js'
import { assertCheckpointFresh, assertChangesLimit, assertSyncWrite } from '../../src/sync-kit.js'
import { assertCollectionName, assertDocId } from '../../src/values.js'
import { decodeDoc, encodeDate, parseTime, versionOf, writeIdOf, type ParseObjectJSON } from './codec.js'
import {
  checkWrite,
  classPath,
  keyOf,
  notFound,
  objectPath,
  planCreate,
  planReplace,
  resolveLocally,
  SET_ATTEMPTS,
  type BatchResult,
  type FindResponse,
  type ParseDocuments,
  type PlannedRequest,
} from './documents.js'
import { parseCodeOf, ParseCode, PROVIDER } from './errors.js'
import type { ParseRest } from './sdk.js'

/** Ids per `$in` query. */
const IDS_PER_QUERY = 500
/** Page size of tombstone look-ups. */
const TOMBSTONE_PAGE = 1000

export interface SyncContext {
  rest: ParseRest
  documents: ParseDocuments
  tombstoneClass: string
  tombstoneTtlMs: number
}

/** A record with its position in the feed. */
interface Keyed {
  updateTime: Date
  id: string
}

/** What a set/update/delete found before its write: the object, null (missing or unreadable), or why it could not be read. */
type Stored = ParseObjectJSON | null | PortabaseError

/** The verdict on one write of a round. */
type Verdict = { ok: true } | { ok: false; error: PortabaseError } | 'retry'

export class ParseSync implements SyncService {
  constructor(private readonly ctx: SyncContext) {}

  // ---------------------------------------------------------------- reads

  async fetch(collection: string, ids: readonly string[], options?: CallOptions): Promise<SyncRecord[]> {
    assertCollectionName(collection)
    ids.forEach((id) => assertDocId(id))
    const unique = [...new Set(ids)]
    if (unique.length === 0) return []
    const signal = options?.signal
    const [docs, tombstones] = await Promise.all([this.findDocs(collection, unique, signal), this.latestTombstones(collection, unique, signal)])
    const out: SyncRecord[] = []
    for (const id of unique) {
      const record = docs.get(id) ?? tombstones.get(id)
      if (record) out.push(record)
    }
    return out
  }

  async changes(collection: string, after: SyncCheckpoint | null, limit: number, options?: CallOptions): Promise<SyncRecord[]> {
    assertCollectionName(collection)
    assertChangesLimit(limit, PROVIDER)
    const { tombstoneTtlMs } = this.ctx
    assertCheckpointFresh(after, Date.now(), tombstoneTtlMs, PROVIDER)
    const signal = options?.signal
    const out: SyncRecord[] = []
    let cursor = after
    while (out.length < limit) {
      const want = limit - out.length
      const [docs, tombstones] = await Promise.all([this.docsAfter(collection, cursor, want, signal), this.tombstonesAfter(collection, cursor, want, signal)])
      // Both lists are complete up to the horizon: the smaller last key of a full page (none: the end).
      let horizon: Keyed | null = null
      if (docs.length === want) horizon = docs[docs.length - 1]!
      if (tombstones.length === want) {
        const last = tombstones[tombstones.length - 1]!
        if (horizon === null || compareKeys(last, horizon) < 0) horizon = last
      }
      const within = (r: Keyed): boolean => horizon === null || compareKeys(r, horizon) <= 0
      const live = await this.liveTombstones(collection, tombstones.filter(within), signal)
      const merged = [...docs.filter(within), ...live].sort(compareKeys)
      out.push(...merged.slice(0, want))
      if (horizon === null) break
      cursor = { updateTime: horizon.updateTime, id: horizon.id }
    }
    return out
  }

  /** Existing documents among `ids` (readable by the caller), by id. */
  private async findDocs(collection: string, ids: readonly string[], signal?: AbortSignal): Promise<Map<string, SyncRecord>> {
    const found = new Map<string, SyncRecord>()
    for (const list of chunks(ids, IDS_PER_QUERY)) {
      const body = { where: { objectId: { $in: list } }, limit: list.length }
      const response = await this.ctx.rest.request<FindResponse>('GET', classPath(collection), body, this.ctx.documents.readOptions(signal))
      for (const json of response.results) {
        const record = this.docRecord(collection, json)
        found.set(record.id, record)
      }
    }
    return found
  }

  /** The newest tombstone of each of these documents (whether or not the document exists again), by id. */
  private async latestTombstones(collection: string, ids: readonly string[], signal?: AbortSignal): Promise<Map<string, SyncRecord>> {
    const found = new Map<string, SyncRecord>()
    for (const list of chunks(ids, IDS_PER_QUERY)) {
      let remaining = list
      // Newest first: the first tombstone of a document in a page is its newest. A full page may
      // leave documents out: ask again for those only.
      while (remaining.length > 0) {
        const body = { where: { collection, docId: { $in: remaining } }, order: '-updatedAt,-objectId', limit: TOMBSTONE_PAGE }
        const response = await this.ctx.rest.request<FindResponse>('GET', classPath(this.ctx.tombstoneClass), body, this.ctx.documents.readOptions(signal))
        for (const json of response.results) {
          const record = tombstoneRecord(json)
          if (record && !found.has(record.id)) found.set(record.id, record)
        }
        if (response.results.length < TOMBSTONE_PAGE) break
        remaining = remaining.filter((id) => !found.has(id))
      }
    }
    return found
  }

  /** Up to `limit` documents after `cursor`, in (updatedAt, objectId) order. */
  private async docsAfter(collection: string, cursor: SyncCheckpoint | null, limit: number, signal?: AbortSignal): Promise<SyncRecord[]> {
    const body = { where: afterWhere(cursor, 'objectId'), order: 'updatedAt,objectId', limit }
    const response = await this.ctx.rest.request<FindResponse>('GET', classPath(collection), body, this.ctx.documents.readOptions(signal))
    const records = response.results.map((json) => this.docRecord(collection, json))
    checkOrder(records, cursor, collection)
    return records
  }

  /** Up to `limit` tombstones of the collection after `cursor`, in (updatedAt, docId) order. */
  private async tombstonesAfter(collection: string, cursor: SyncCheckpoint | null, limit: number, signal?: AbortSignal): Promise<SyncRecord[]> {
    const body = { where: { collection, ...afterWhere(cursor, 'docId') }, order: 'updatedAt,docId,objectId', limit }
    const response = await this.ctx.rest.request<FindResponse>('GET', classPath(this.ctx.tombstoneClass), body, this.ctx.documents.readOptions(signal))
    const records = response.results.map(tombstoneRecord).filter((r): r is SyncRecord => r !== null)
    checkOrder(records, cursor, this.ctx.tombstoneClass, true)
    return records
  }

  /**
   * The tombstones that still count: the newest of their document, and the document does not
   * exist (readable by the caller) now. One round trip: two queries in parallel.
   */
  private async liveTombstones(collection: string, tombstones: readonly SyncRecord[], signal?: AbortSignal): Promise<SyncRecord[]> {
    if (tombstones.length === 0) return []
    const newest = new Map<string, SyncRecord>()
    for (const t of tombstones) newest.set(t.id, t) // in feed order: the last one of a document wins
    const ids = [...newest.keys()]
    const [existing, latest] = await Promise.all([this.existingIds(collection, ids, signal), this.latestTombstones(collection, ids, signal)])
    return [...newest.values()].filter((t) => !existing.has(t.id) && latest.get(t.id)?.version === t.version)
  }

  private async existingIds(collection: string, ids: readonly string[], signal?: AbortSignal): Promise<Set<string>> {
    const found = new Set<string>()
    for (const list of chunks(ids, IDS_PER_QUERY)) {
      const body = { where: { objectId: { $in: list } }, keys: 'objectId', limit: list.length }
      const response = await this.ctx.rest.request<FindResponse>('GET', classPath(collection), body, this.ctx.documents.readOptions(signal))
      for (const json of response.results) found.add(String(json.objectId))
    }
    return found
  }

  private docRecord(collection: string, json: ParseObjectJSON): SyncRecord {
    this.ctx.documents.learn(collection, json)
    const doc = decodeDoc(json)
    return { id: doc.id, data: doc.data, version: doc.meta.version, updateTime: doc.meta.updateTime, writeId: writeIdOf(json) }
  }

  // ---------------------------------------------------------------- writes

  async write(ops: readonly SyncWrite[], options?: CallOptions): Promise<SyncWriteOutcome[]> {
    const signal = options?.signal
    const outcomes: (SyncWriteOutcome | undefined)[] = ops.map(() => undefined)
    const attempts = new Map<number, number>()
    let queue: number[] = []
    ops.forEach((op, i) => {
      try {
        assertSyncWrite(op, PROVIDER)
        checkWrite(op)
        queue.push(i)
      } catch (error) {
        outcomes[i] = { ok: false, error: toPortabaseError(error, PROVIDER) }
      }
    })
    while (queue.length > 0) {
      // One write per document per round, in call order; later writes to it wait for the next round.
      const round: number[] = []
      const later: number[] = []
      const seen = new Set<string>()
      for (const i of queue) {
        const key = keyOf(ops[i]!.collection, ops[i]!.id)
        if (seen.has(key)) later.push(i)
        else {
          seen.add(key)
          round.push(i)
        }
      }
      const retry: number[] = []
      const verdicts = await this.runRound(ops, round, signal)
      round.forEach((i, k) => {
        const verdict = verdicts[k]!
        const attempt = (attempts.get(i) ?? 1) + 1
        if (verdict === 'retry' && attempt <= SET_ATTEMPTS) {
          attempts.set(i, attempt)
          retry.push(i)
        } else if (verdict === 'retry') {
          outcomes[i] = { ok: false, error: new PortabaseError('conflict', `${keyOf(ops[i]!.collection, ops[i]!.id)} kept appearing or disappearing while it was written; try again`, { provider: PROVIDER }) }
        } else outcomes[i] = verdict
      })
      queue = [...retry, ...later].sort((a, b) => a - b)
    }
    return outcomes.map((o) => o ?? { ok: false, error: new PortabaseError('internal', 'The write was not attempted', { provider: PROVIDER }) })
  }

  /** One round: read what it needs, send one /batch (or a few), decide each write's outcome. */
  private async runRound(ops: readonly SyncWrite[], round: readonly number[], signal?: AbortSignal): Promise<Verdict[]> {
    const { documents } = this.ctx
    const stored = await this.readStates(
      round.map((i) => ops[i]!).filter((op) => op.type !== 'create'),
      signal,
    )
    const verdicts: (Verdict | undefined)[] = round.map(() => undefined)
    const planned: { k: number; requests: PlannedRequest[] }[] = []
    round.forEach((i, k) => {
      const op = ops[i]!
      const state = op.type === 'create' ? null : (stored.get(keyOf(op.collection, op.id)) ?? null)
      if (state instanceof PortabaseError) {
        verdicts[k] = { ok: false, error: state }
        return
      }
      try {
        const requests = this.plan(op, state)
        if (requests.length === 0) verdicts[k] = op.type === 'update' ? { ok: false, error: notFound(op.collection, op.id) } : { ok: true }
        else planned.push({ k, requests })
      } catch (error) {
        verdicts[k] = { ok: false, error: toPortabaseError(error, PROVIDER) }
      }
    })
    const results = await documents.sendBatch(
      planned.map((p) => p.requests),
      signal,
    )
    await Promise.all(
      planned.map(async ({ k, requests }, n) => {
        const op = ops[round[k]!]!
        const state = op.type === 'create' ? null : (stored.get(keyOf(op.collection, op.id)) as ParseObjectJSON | null)
        verdicts[k] = await this.settle(op, state, requests, results[n]!, signal)
      }),
    )
    return verdicts.map((v) => v ?? { ok: false, error: new PortabaseError('internal', 'No outcome', { provider: PROVIDER }) })
  }

  /** The requests of one write, given the object as read (none: nothing to send). */
  private plan(op: SyncWrite, stored: ParseObjectJSON | null): PlannedRequest[] {
    const { documents } = this.ctx
    switch (op.type) {
      case 'create':
        return [planCreate(op.collection, op.id, resolveLocally(op.data), op.writeId)]
      case 'set': {
        const data = resolveLocally(op.data)
        return [stored ? planReplace(op.collection, op.id, data, stored, op.writeId) : planCreate(op.collection, op.id, data, op.writeId)]
      }
      case 'update':
        if (!stored) return []
        return [{ method: 'PUT', collection: op.collection, id: op.id, path: objectPath(op.collection, op.id), body: documents.encodeUpdate(op.collection, op.data, stored, op.writeId) }]
      case 'delete':
        return documents.planDelete(op.collection, op.id, stored, op.writeId)
    }
  }

  private async settle(op: WriteOp, stored: ParseObjectJSON | null, requests: readonly PlannedRequest[], results: readonly BatchResult[], signal?: AbortSignal): Promise<Verdict> {
    const { documents } = this.ctx
    if (op.type === 'delete') {
      const failure = await documents.settleDelete(op.collection, op.id, requests, results, signal)
      return failure ? { ok: false, error: failure } : { ok: true }
    }
    const result = results[0]
    if (!result || result.ok) return { ok: true }
    const { error } = result
    const code = parseCodeOf(error)
    if (op.type === 'set') {
      if (stored && code === ParseCode.OBJECT_NOT_FOUND) {
        // Deleted meanwhile (read again and retry), or not writable by this user.
        const explained = await documents.explainNotFound(error, op.collection, op.id, 'set', signal)
        return explained.code === 'not-found' ? 'retry' : { ok: false, error: explained }
      }
      if (!stored && code === ParseCode.DUPLICATE_VALUE) {
        // Created meanwhile (retry as a replace), or the id is taken by an object this user cannot read.
        const visible = await documents.getRaw(op.collection, op.id, signal).catch(() => null)
        if (visible) return 'retry'
        return {
          ok: false,
          error: new PortabaseError('permission-denied', `Parse Server refused to set ${op.collection}/${op.id}: an object this user cannot read holds that id`, { provider: PROVIDER, cause: error, details: { parseCode: code } }),
        }
      }
    }
    if (op.type === 'update' || op.type === 'set') return { ok: false, error: await documents.explainNotFound(error, op.collection, op.id, op.type, signal) }
    return { ok: false, error }
  }

  /**
   * The objects these writes touch, by `collection/id`: one query per collection. When the query is
   * refused (a trigger that rejects reading someone else's object), each object is read on its own,
   * so only the writes to objects the caller may not read fail (with that error).
   */
  private async readStates(ops: readonly WriteOp[], signal?: AbortSignal): Promise<Map<string, Stored>> {
    const ids = new Map<string, Set<string>>()
    for (const op of ops) {
      let set = ids.get(op.collection)
      if (!set) ids.set(op.collection, (set = new Set()))
      set.add(op.id)
    }
    const found = new Map<string, Stored>()
    const { documents } = this.ctx
    await Promise.all(
      [...ids].map(async ([collection, set]) => {
        for (const list of chunks([...set], IDS_PER_QUERY)) {
          try {
            const body = { where: { objectId: { $in: list } }, limit: list.length }
            const response = await this.ctx.rest.request<FindResponse>('GET', classPath(collection), body, documents.readOptions(signal))
            for (const id of list) found.set(keyOf(collection, id), null)
            for (const json of response.results) {
              documents.learn(collection, json)
              found.set(keyOf(collection, String(json.objectId)), json)
            }
          } catch (error) {
            if (!(error instanceof PortabaseError) || error.code !== 'permission-denied') throw error
            await Promise.all(
              list.map(async (id) => {
                try {
                  found.set(keyOf(collection, id), await documents.getRaw(collection, id, signal))
                } catch (single) {
                  if (!(single instanceof PortabaseError) || single.code !== 'permission-denied') throw single
                  found.set(keyOf(collection, id), single)
                }
              }),
            )
          }
        }
      }),
    )
    return found
  }
}

/** A tombstone object as a SyncRecord (null when it is not one the adapter wrote). */
function tombstoneRecord(json: ParseObjectJSON): SyncRecord | null {
  const updateTime = parseTime(json.updatedAt) ?? parseTime(json.createdAt)
  if (typeof json.docId !== 'string' || !updateTime) return null
  const nonce = typeof json.nonce === 'string' ? json.nonce : String(json.objectId ?? '')
  const writeId = typeof json.writeId === 'string' && json.writeId.length > 0 ? json.writeId : null
  return { id: json.docId, data: null, version: versionOf(updateTime, nonce), updateTime, writeId }
}

/** `where` for "(updatedAt, idColumn) after the cursor". */
function afterWhere(cursor: SyncCheckpoint | null, idColumn: string): Record<string, unknown> {
  if (!cursor) return {}
  const at = encodeDate(cursor.updateTime)
  return { $or: [{ updatedAt: { $gt: at } }, { updatedAt: at, [idColumn]: { $gt: cursor.id } }] }
}

function compareKeys(a: Keyed, b: Keyed): number {
  return a.updateTime.getTime() - b.updateTime.getTime() || compareStrings(a.id, b.id)
}

/**
 * The server must return records after the cursor, in the feed's order (ids in code-point order):
 * a database whose collation orders ids otherwise would make delta sync skip or repeat records,
 * so it fails loudly instead. Tombstones may repeat an id (a document deleted twice in one ms).
 */
function checkOrder(records: readonly Keyed[], cursor: SyncCheckpoint | null, className: string, repeats = false): void {
  let previous: Keyed | null = cursor
  for (const record of records) {
    const order = previous === null ? 1 : compareKeys(previous, record)
    if (previous !== null && (repeats && previous !== cursor ? order > 0 : order >= 0)) {
      throw new PortabaseError(
        'unsupported',
        `Parse Server returned ${className} records out of (updatedAt, id) order; delta sync needs ids compared in code-point order (a C-collated database), see adapters/parse/README.md`,
        { provider: PROVIDER },
      )
    }
    previous = record
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}


/**
 * Push: sends the outbox to the server in order, in batches. Before each batch the server state of
 * the documents involved is fetched: a write whose id the server already carries was applied before
 * (a crash or a lost answer) and is settled without sending it again; a document whose server
 * state moved away from the queued writes' base is a conflict, decided by the collection's strategy.
 */
import { toPortabaseError } from '../errors.js'
import type { SyncRecord, SyncService, SyncWrite } from '../spi.js'
import { applyWrite } from '../write.js'
import { docKey, overlay, serverStateOf, type LocalCache, type QueuedWrite, type ServerState } from './cache.js'
import { baseMatches, decide } from './conflicts.js'
import type { LocalStore } from './store.js'
import type { ConflictInput, ConflictStrategy, FlushResult, RejectedWrite } from './types.js'

export interface PushContext {
  /** Runs a read-cache → commit → apply-to-cache step alone (no local write interleaves with it). */
  locked<T>(step: () => Promise<T>): Promise<T>
  sync: SyncService
  store: LocalStore
  cache: LocalCache
  batchSize: number
  strategyFor(collection: string): ConflictStrategy
  /** Documents waiting for a manual decision are skipped. */
  isHeld(key: string): boolean
  /** Holds a document for a manual decision; `writes` are the queued writes the conflict is about. */
  hold(conflict: ConflictInput, writes: readonly QueuedWrite[]): void
  reject(rejection: RejectedWrite): void
  onProgress(): void
}

interface Send {
  key: string
  write: SyncWrite
  /** The queued writes this request settles (several when a conflict decision replaced them). */
  settles: QueuedWrite[]
}

export async function pushOutbox(ctx: PushContext): Promise<FlushResult> {
  const result: FlushResult = { sent: 0, rejected: 0, conflicts: 0 }
  for (;;) {
    const chunk = ctx.cache.outbox().filter((w) => !ctx.isHeld(docKey(w.op.collection, w.op.id))).slice(0, ctx.batchSize)
    if (chunk.length === 0) return result
    await pushChunk(ctx, chunk, result)
    ctx.onProgress()
  }
}

async function pushChunk(ctx: PushContext, chunk: readonly QueuedWrite[], result: FlushResult): Promise<void> {
  const chains = new Map<string, QueuedWrite[]>()
  for (const w of chunk) {
    const key = docKey(w.op.collection, w.op.id)
    chains.set(key, [...(chains.get(key) ?? []), w])
  }
  const records = await fetchRecords(ctx.sync, chains)

  const settled: QueuedWrite[] = []
  const states = new Map<string, ServerState | undefined>()
  /** Per document: the writes to send as they are, or one write replacing its whole chain. */
  const asIs = new Set<number>()
  const replacements = new Map<string, Send>()
  for (const [key, writes] of chains) {
    const { collection, id } = writes[0]!.op
    const all = ctx.cache.queuedFor(collection, id)
    const server = records.get(key)
    const appliedAt = server?.writeId ? all.findIndex((w) => w.writeId === server.writeId) : -1
    if (appliedAt >= 0) {
      // Already on the server: settle up to it; the rest continues from this device's own write.
      const done = all.slice(0, appliedAt + 1)
      settled.push(...done)
      result.sent += done.length
      states.set(key, serverStateOf(server!))
      for (const w of writes) if (!done.includes(w)) asIs.add(w.seq)
      continue
    }
    if (baseMatches(all[0]!.base, server)) {
      for (const w of writes) asIs.add(w.seq)
      continue
    }
    const input: ConflictInput = {
      collection,
      id,
      local: overlay(all[0]!.base.data, all),
      server: server?.data ?? null,
      base: all[0]!.base.data,
      localTime: all[all.length - 1]!.createdAt,
      serverTime: server?.updateTime ?? null,
    }
    const decision = await decide(ctx.strategyFor(collection), input)
    if (decision.kind === 'manual') {
      ctx.hold(input, all)
      result.conflicts += 1
    } else if (decision.kind === 'keep-server') {
      settled.push(...all)
      states.set(key, server && server.data !== null ? serverStateOf(server) : undefined)
    } else {
      // One write replaces the chain. It reuses the last queued write's id, so after a crash the
      // server's writeId still tells that the whole chain is done.
      const writeId = all[all.length - 1]!.writeId
      const write: SyncWrite = decision.data === null ? { type: 'delete', collection, id, writeId } : { type: 'set', collection, id, data: decision.data, writeId }
      replacements.set(key, { key, write, settles: [...all] })
    }
  }
  // Sent in the order the device made them: a replacement takes the place of its chain's last write in this chunk.
  const sends: Send[] = []
  for (const w of chunk) {
    const key = docKey(w.op.collection, w.op.id)
    if (asIs.has(w.seq)) sends.push({ key, write: toSyncWrite(w), settles: [w] })
    const replacement = replacements.get(key)
    if (replacement && chains.get(key)!.at(-1) === w) sends.push(replacement)
  }

  if (settled.length > 0 || states.size > 0) {
    await ctx.locked(async () => {
      await ctx.store.commit(ctx.cache.settleChanges(settled, states, true))
      ctx.cache.applySettled(settled, states, true)
    })
  }
  if (sends.length === 0) return

  const outcomes = await ctx.sync.write(sends.map((s) => s.write))
  const now = new Date()
  const removed: QueuedWrite[] = []
  const after = new Map<string, ServerState | undefined>()
  let retryLater: Error | undefined
  sends.forEach((send, i) => {
    const outcome = outcomes[i] ?? { ok: false as const, error: new Error('The adapter returned no outcome for this write') }
    const previous = after.has(send.key) ? after.get(send.key) : states.has(send.key) ? states.get(send.key) : stateOrUndefined(records.get(send.key))
    if (outcome.ok) {
      removed.push(...send.settles)
      result.sent += send.settles.length
      after.set(send.key, stateAfter(previous, send.write, now))
      return
    }
    const error = toPortabaseError(outcome.error, 'portabase')
    if (error.retryable) {
      retryLater ??= error
      return
    }
    // Refused for good: rolled back locally (the queued writes go) and reported.
    removed.push(...send.settles)
    result.rejected += send.settles.length
    for (const w of send.settles) ctx.reject({ collection: w.op.collection, id: w.op.id, type: w.op.type, error })
    if (!after.has(send.key)) after.set(send.key, previous)
  })
  await ctx.locked(async () => {
    await ctx.store.commit(ctx.cache.settleChanges(removed, after, true))
    ctx.cache.applySettled(removed, after, true)
  })
  if (retryLater) throw retryLater
}

async function fetchRecords(sync: SyncService, chains: ReadonlyMap<string, QueuedWrite[]>): Promise<Map<string, SyncRecord>> {
  const idsByCollection = new Map<string, string[]>()
  for (const writes of chains.values()) {
    const { collection, id } = writes[0]!.op
    idsByCollection.set(collection, [...(idsByCollection.get(collection) ?? []), id])
  }
  const records = new Map<string, SyncRecord>()
  for (const [collection, ids] of idsByCollection) {
    for (const record of await sync.fetch(collection, ids)) records.set(docKey(collection, record.id), record)
  }
  return records
}

function toSyncWrite(w: QueuedWrite): SyncWrite {
  return { ...w.op, writeId: w.writeId }
}

function stateOrUndefined(record: SyncRecord | undefined): ServerState | undefined {
  return record && record.data !== null ? serverStateOf(record) : undefined
}

/** This device's estimate of the server state after its write (the next pull brings the real one). */
function stateAfter(previous: ServerState | undefined, write: SyncWrite, now: Date): ServerState | undefined {
  if (write.type === 'delete') return undefined
  let data
  try {
    data = applyWrite(previous?.data ?? undefined, write, now)
  } catch {
    return previous
  }
  return { data, version: null, writeId: write.writeId, updateTime: null }
}

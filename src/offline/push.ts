/**
 * Push: sends the outbox to the server in order, in batches. Before each batch the server state of
 * the documents involved is fetched: a write whose id the server already carries was applied before
 * (a crash or a lost answer) and is settled without sending it again; a document whose server
 * state moved away from the queued writes' base is a conflict. A conflict is decided by the
 * collection's strategy (field by field for queued updates, conflicts.ts) and the decision is
 * written into the outbox — a patch without the fields the server keeps, or one replacing write —
 * before anything is sent, with its outcome attached, so a crash can neither lose nor repeat it.
 */
import { isPermanentFailure } from '../sync-kit.js'
import { PortabaseError, toPortabaseError } from '../errors.js'
import type { SyncRecord, SyncService, SyncWrite } from '../spi.js'
import type { WriteData } from '../sentinels.js'
import { valuesEqual } from '../query/compare.js'
import { applyWrite } from '../write.js'
import { docKey, overlay, serverStateOf, written, type LocalCache, type QueuedWrite, type ServerState, type Verdict } from './cache.js'
import { analyse, baseMatches, decide, touchedFields } from './conflicts.js'
import type { LocalStore } from './store.js'
import type { ConflictInput, ConflictStrategy, FlushResult, SyncOutcome, WrittenWrite } from './types.js'

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
  /** Writes the server has as written: counted only. */
  applied(count: number): void
  /** Every other outcome: counted and reported. */
  report(outcome: SyncOutcome): void
  /** Throws `cancelled` once the signed-in user is not the one whose queue this is. */
  checkUser(): void
  onProgress(): void
}


export const emptyFlushResult = (): FlushResult => ({ sent: 0, merged: 0, overridden: 0, rejected: 0, conflicts: 0 })

export async function pushOutbox(ctx: PushContext): Promise<FlushResult> {
  const result = emptyFlushResult()
  const counting: PushContext = {
    ...ctx,
    applied: (count) => {
      result.sent += count
      ctx.applied(count)
    },
    report: (outcome) => {
      result[outcome.kind] += outcome.writes.length
      ctx.report(outcome)
    },
    hold: (conflict, writes) => {
      result.conflicts += 1
      ctx.hold(conflict, writes)
    },
  }
  for (;;) {
    const chunk = ctx.cache.outbox().filter((w) => !ctx.isHeld(keyOf(w))).slice(0, ctx.batchSize)
    if (chunk.length === 0) return result
    await pushChunk(counting, chunk)
    ctx.onProgress()
  }
}

async function pushChunk(ctx: PushContext, chunk: readonly QueuedWrite[]): Promise<void> {
  const chains = new Map<string, QueuedWrite[]>()
  for (const w of chunk) chains.set(keyOf(w), [...(chains.get(keyOf(w)) ?? []), w])
  ctx.checkUser()
  const records = await fetchRecords(ctx.sync, chains)

  // 1. Decide: what the server already has, and each conflict, becomes one outbox commit.
  const done: QueuedWrite[] = []
  const removed: QueuedWrite[] = []
  const replaced: QueuedWrite[] = []
  const states = new Map<string, ServerState | undefined>()
  const outcomes: SyncOutcome[] = []
  for (const [key, writes] of chains) {
    const { collection, id } = writes[0]!.op
    const all = ctx.cache.queuedFor(collection, id)
    const server = records.get(key)
    const appliedAt = server?.writeId ? all.findIndex((w) => w.writeId === server.writeId) : -1
    if (appliedAt >= 0) {
      // Already on the server (a crash, or a lost answer): settle up to it; the rest continues from this device's own write.
      done.push(...all.slice(0, appliedAt + 1))
      states.set(key, serverStateOf(server!))
      continue
    }
    if (baseMatches(all[0]!.base, server)) continue
    const local = overlay(all[0]!.base.data, all)
    const serverData = server?.data ?? null
    const serverState = server && server.data !== null ? serverStateOf(server) : undefined
    const input: ConflictInput = {
      collection,
      id,
      ...analyse(all, local, serverData),
      local,
      server: serverData,
      base: all[0]!.base.data,
      localTime: all[all.length - 1]!.createdAt,
      serverTime: server?.updateTime ?? null,
    }
    const decision = await decide(ctx.strategyFor(collection), input, all)
    const verdict = (kind: Verdict['kind'], fields: string[], stands: readonly QueuedWrite[]): Verdict => ({
      kind,
      level: input.level,
      fields,
      local,
      server: serverData,
      writes: stands.flatMap(originals),
    })
    if (decision.kind === 'manual') {
      ctx.hold(input, all)
      continue
    }
    states.set(key, serverState)
    if (decision.kind === 'keep-server') {
      removed.push(...all)
      outcomes.push(outcomeOf(collection, id, verdict('overridden', input.fields, all)))
    } else if (decision.kind === 'write') {
      // One write replaces the chain. It keeps the last queued write's seq and id, so after a crash
      // the server's writeId still tells that the whole chain is done.
      const last = all[all.length - 1]!
      const kind = decision.data !== null && serverData !== null && valuesEqual(decision.data, serverData) ? 'overridden' : 'merged'
      removed.push(...all.slice(0, -1))
      replaced.push({
        seq: last.seq,
        writeId: last.writeId,
        op: decision.data === null ? { type: 'delete', collection, id } : { type: 'set', collection, id, data: decision.data },
        base: last.base,
        createdAt: last.createdAt,
        verdict: verdict(kind, input.fields, all),
      })
    } else if (input.fields.length > 0) {
      // Field level: the updates go out without the fields whose server values stay.
      const drop = new Set(decision.drop)
      const kind = drop.size > 0 ? 'overridden' : 'merged'
      const fields = drop.size > 0 ? decision.drop : input.fields
      const emptied: QueuedWrite[] = []
      for (const w of all) {
        const data = without((w.op as { data: WriteData }).data, drop)
        if (Object.keys(data).length === 0) emptied.push(w)
        else replaced.push({ ...w, op: { ...w.op, data } as QueuedWrite['op'], verdict: combine(w.verdict, verdict(kind, fields, [w])) })
      }
      removed.push(...emptied)
      if (emptied.length > 0) outcomes.push(outcomeOf(collection, id, verdict('overridden', fields, emptied)))
    }
    // (No conflicting field: the updates apply on top of the server's changes as they are.)
  }
  if (done.length > 0 || removed.length > 0 || replaced.length > 0 || states.size > 0) {
    await ctx.locked(async () => {
      const settle = ctx.cache.prepareSettle({ removed: [...done, ...removed], replaced, states, rebase: true })
      await ctx.store.commit(settle.changes)
      settle.apply()
    })
    settledOk(ctx, done)
    for (const outcome of outcomes) ctx.report(outcome)
  }

  // 2. Send, in the order the device made the writes (a replacement takes its chain's last place).
  const seqs = new Set([...chunk.map((w) => w.seq), ...replaced.map((w) => w.seq)])
  const sends = [...seqs]
    .sort((a, b) => a - b)
    .map((seq) => ctx.cache.queuedAt(seq))
    .filter((w): w is QueuedWrite => w !== undefined && !ctx.isHeld(keyOf(w)))
  if (sends.length === 0) return
  ctx.checkUser()
  const results = await ctx.sync.write(sends.map(toSyncWrite))

  // 3. Settle what the server answered.
  const now = new Date()
  const ok: QueuedWrite[] = []
  const refused: Array<{ write: QueuedWrite; error: PortabaseError }> = []
  const after = new Map<string, ServerState | undefined>()
  let retryLater: PortabaseError | undefined
  sends.forEach((write, i) => {
    const key = keyOf(write)
    const result = results[i] ?? { ok: false as const, error: new Error('The adapter returned no outcome for this write') }
    const previous = after.has(key) ? after.get(key) : states.has(key) ? states.get(key) : stateOrUndefined(records.get(key))
    if (result.ok) {
      ok.push(write)
      after.set(key, stateAfter(previous, toSyncWrite(write), now))
      return
    }
    const error = toPortabaseError(result.error, 'portabase')
    if (!isPermanentFailure(error)) {
      retryLater ??= error
      return
    }
    refused.push({ write, error })
    if (!after.has(key)) after.set(key, previous)
  })
  // The data the device had, for rejections: read before the rollback.
  const rejections = refused.map(({ write, error }) => rejectionOf(ctx, write, error, records.get(keyOf(write))?.data ?? null))
  await ctx.locked(async () => {
    const settle = ctx.cache.prepareSettle({ removed: [...ok, ...refused.map((r) => r.write)], states: after, rebase: true })
    await ctx.store.commit(settle.changes)
    settle.apply()
  })
  settledOk(ctx, ok)
  for (const rejection of rejections) ctx.report(rejection)
  if (retryLater) throw retryLater
}

/** Writes the server has: counted as applied, or reported with the verdict they carried out. */
function settledOk(ctx: PushContext, writes: readonly QueuedWrite[]): void {
  const plain = writes.filter((w) => !w.verdict).length
  if (plain > 0) ctx.applied(plain)
  const byDoc = new Map<string, { write: QueuedWrite; verdict: Verdict }>()
  for (const w of writes) {
    if (!w.verdict) continue
    const key = `${keyOf(w)}\u0000${w.verdict.kind}`
    const seen = byDoc.get(key)
    byDoc.set(key, { write: w, verdict: seen ? combine(seen.verdict, w.verdict) : w.verdict })
  }
  for (const { write, verdict } of byDoc.values()) ctx.report(outcomeOf(write.op.collection, write.op.id, verdict))
}

function rejectionOf(ctx: PushContext, write: QueuedWrite, error: PortabaseError, server: SyncOutcome['server']): SyncOutcome {
  const { collection, id } = write.op
  return {
    kind: 'rejected',
    collection,
    id,
    writes: originals(write),
    fields: [...touchedFields([write])].sort(),
    level: write.verdict?.level ?? 'document',
    local: ctx.cache.doc(collection, id)?.data ?? null,
    server,
    error,
  }
}

function outcomeOf(collection: string, id: string, verdict: Verdict): SyncOutcome {
  return { kind: verdict.kind, collection, id, writes: verdict.writes, fields: verdict.fields, level: verdict.level, local: verdict.local, server: verdict.server }
}

/** The app's own writes a queued write stands for. */
function originals(w: QueuedWrite): WrittenWrite[] {
  return w.verdict?.writes ?? [written(w)]
}

/** A second decision on writes that already carry one: overridden if either gave way, fields of both. */
function combine(previous: Verdict | undefined, next: Verdict): Verdict {
  if (!previous) return next
  return {
    ...next,
    kind: previous.kind === 'overridden' || next.kind === 'overridden' ? 'overridden' : 'merged',
    fields: [...new Set([...previous.fields, ...next.fields])].sort(),
    writes: dedupe([...previous.writes, ...next.writes]),
  }
}

function dedupe(writes: WrittenWrite[]): WrittenWrite[] {
  const seen = new Set<string>()
  return writes.filter((w) => !seen.has(w.writeId) && seen.add(w.writeId))
}

function without(data: WriteData, drop: ReadonlySet<string>): WriteData {
  if (drop.size === 0) return data
  return Object.fromEntries(Object.entries(data).filter(([field]) => !drop.has(field)))
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

function keyOf(w: QueuedWrite): string {
  return docKey(w.op.collection, w.op.id)
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

/**
 * Idempotency keys for writes a replay could apply twice (create, update, sentinels).
 *
 * On an adapter that records write ids (`adapter.sync`: every write stores its `writeId` on the
 * document or its tombstone), each such op gets a fresh id. A second attempt of the same call (a
 * retry after a lost response, a dropped connection, a 503) first fetches the documents and sends
 * only the ops whose ids are not there yet, so `retry()` may retry these writes and each is applied
 * once.
 *
 * What the ids cannot tell: a write still in flight when the retry checks (the first attempt was
 * cut off by `timeout()` but reaches the server later), and a write that another client overwrote
 * between the first attempt and the check. Both are resent. See docs/networking.md.
 */
import { generateId } from '../ids.js'
import type { SyncService, WriteOp } from '../spi.js'

export type KeyedWriteOp = WriteOp & { writeId: string }

export function withWriteIds(ops: readonly WriteOp[]): KeyedWriteOp[] {
  return ops.map((op) => ({ ...op, writeId: generateId() }))
}

/**
 * The ops the backend has not applied yet, in their order. Per document, the recorded write id
 * says how many of that document's ops landed: ops apply in order, and each records its own id.
 */
export async function unappliedWrites(sync: SyncService, ops: readonly KeyedWriteOp[], signal?: AbortSignal): Promise<KeyedWriteOp[]> {
  const idsByCollection = new Map<string, Set<string>>()
  for (const op of ops) {
    let ids = idsByCollection.get(op.collection)
    if (!ids) idsByCollection.set(op.collection, (ids = new Set()))
    ids.add(op.id)
  }
  const recorded = new Map<string, string | null>()
  for (const [collection, ids] of idsByCollection) {
    for (const record of await sync.fetch(collection, [...ids], { signal })) recorded.set(keyOf(collection, record.id), record.writeId)
  }
  const writeIdsByDoc = new Map<string, string[]>()
  for (const op of ops) {
    const key = keyOf(op.collection, op.id)
    const list = writeIdsByDoc.get(key)
    if (list) list.push(op.writeId)
    else writeIdsByDoc.set(key, [op.writeId])
  }
  const seen = new Map<string, number>()
  return ops.filter((op) => {
    const key = keyOf(op.collection, op.id)
    const position = seen.get(key) ?? 0
    seen.set(key, position + 1)
    const landed = writeIdsByDoc.get(key)!.lastIndexOf(recorded.get(key) ?? '') + 1
    return position >= landed
  })
}

function keyOf(collection: string, id: string): string {
  return `${collection}\u0000${id}`
}

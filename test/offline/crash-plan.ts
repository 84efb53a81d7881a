/**
 * The writes of the offline crash test (crash.test.ts, crash-child.ts) and the server state they
 * must produce, chosen so that a write lost or applied twice shows: increments (a counter and a
 * document pulled from the server before going offline), unique creates (a repeated create would
 * fail or duplicate nothing silently: the set of ids is checked), sets interleaved with increments,
 * and a document created, updated and deleted (a create replayed after its delete brings it back).
 */
import { increment, type CollectionRef, type DocumentData } from '../../src/index.js'

export interface ChildConfig {
  serverURL: string
  appId: string
  javascriptKey: string
  directory: string
  collection: string
  batchSize: number
}

export type CrashWrite =
  | { type: 'set'; id: string; data: DocumentData }
  | { type: 'create'; id: string; data: DocumentData }
  | { type: 'increment'; id: string; field: string }
  | { type: 'update'; id: string; data: DocumentData }
  | { type: 'delete'; id: string }

/** On the server before the child starts: the device pulls it, then increments it offline. */
export const SEED: DocumentData = { n: 100, keep: true }

export const CREATES = 40

function plan(): CrashWrite[] {
  const writes: CrashWrite[] = [{ type: 'set', id: 'counter', data: { n: 0 } }]
  for (let i = 0; i < CREATES; i++) {
    writes.push({ type: 'create', id: createdId(i), data: { i, label: `c${i}` } })
    if (i % 4 === 1) writes.push({ type: 'increment', id: 'counter', field: 'n' })
    if (i % 8 === 3) writes.push({ type: 'increment', id: 'seed', field: 'n' })
    if (i === 2) writes.push({ type: 'set', id: 'x', data: { v: 1 } })
    if (i === 10 || i === 25 || i === 35) writes.push({ type: 'increment', id: 'x', field: 'v' })
    if (i === 20) writes.push({ type: 'set', id: 'x', data: { v: 10 } })
    if (i === 5) writes.push({ type: 'create', id: 'tmp', data: { t: 1 } })
    if (i === 15) writes.push({ type: 'update', id: 'tmp', data: { t: 2 } })
    if (i === 30) writes.push({ type: 'delete', id: 'tmp' })
  }
  return writes
}

export const CRASH_WRITES: readonly CrashWrite[] = plan()

export function createdId(i: number): string {
  return `c${String(i).padStart(2, '0')}`
}

/** The collection on the server once every write was applied exactly once. */
export function expectedServerDocs(): Record<string, DocumentData> {
  const docs: Record<string, DocumentData> = {}
  for (let i = 0; i < CREATES; i++) docs[createdId(i)] = { i, label: `c${i}` }
  docs.counter = { n: CRASH_WRITES.filter((w) => w.type === 'increment' && w.id === 'counter').length }
  docs.seed = { ...SEED, n: 100 + CRASH_WRITES.filter((w) => w.type === 'increment' && w.id === 'seed').length }
  docs.x = { v: 12 }
  return docs
}

export async function applyCrashWrite(collection: CollectionRef, write: CrashWrite): Promise<void> {
  const ref = collection.doc(write.id)
  switch (write.type) {
    case 'set':
      return ref.set(write.data)
    case 'create':
      return ref.create(write.data)
    case 'increment':
      return ref.update({ [write.field]: increment(1) })
    case 'update':
      return ref.update(write.data)
    case 'delete':
      return ref.delete()
  }
}

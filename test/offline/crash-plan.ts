/**
 * The writes of the offline crash test (crash.test.ts, crash-child.ts) and the server state they
 * must produce, chosen so that a write lost or applied twice shows: increments (a counter and a
 * document pulled from the server before going offline), unique creates (a repeated create would
 * fail or duplicate nothing silently: the set of ids is checked), sets interleaved with increments,
 * and a document created, updated and deleted (a create replayed after its delete brings it back).
 */
import type { AmplifyCollection } from '../../adapters/amplify/schema.js'
import { increment, type CollectionRef, type DocumentData } from '../../src/index.js'
import type { AmplifyOutputs } from '../backends/amplify/shared.js'

/** How the child reaches the backend: a Parse Server (the default), or the local Amplify backend. */
export type ChildTarget =
  | { target?: 'parse'; serverURL: string; appId: string; javascriptKey: string }
  | { target: 'amplify'; outputs: AmplifyOutputs; cognitoEndpoint: string; collections: AmplifyCollection[] }

export type ChildConfig = ChildTarget & {
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

/**
 * Applies one planned write. `increment: false` (an adapter without increment(), e.g. Amplify): an
 * increment is an update to the value read from the device's cache plus one — the same server
 * state when every write lands once (one device writes), and a replay of an older update after a
 * newer one still shows as a wrong final value.
 */
export async function applyCrashWrite(collection: CollectionRef, write: CrashWrite, options: { increment?: boolean } = {}): Promise<void> {
  const ref = collection.doc(write.id)
  if (write.type === 'increment' && options.increment === false) {
    const current = (await ref.get())?.data[write.field]
    if (typeof current !== 'number') throw new Error(`applyCrashWrite: ${write.id}.${write.field} is ${String(current)} in the cache, not a number`)
    return ref.update({ [write.field]: current + 1 })
  }
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

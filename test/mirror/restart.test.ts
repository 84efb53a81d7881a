/**
 * The queue outlives the mirror: writes queued while the secondary was away reach it after a
 * restart, each exactly once and in order, from a file store or a shared memory store; a write
 * whose primary outcome the process never recorded is copied from the primary.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mirror, type MirrorAdapter } from '../../adapters/mirror/index.js'
import { increment } from '../../src/index.js'
import { fileStore } from '../../src/offline/node/file-store.js'
import type { LocalStore } from '../../src/offline/store.js'
import { memoryStore } from '../../src/offline/stores/memory.js'
import { contents, FAST_RETRY, history, reconnect, side, type Side } from './harness.js'

let directory: string
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'portabase-mirror-'))
})
afterEach(async () => {
  await rm(directory, { recursive: true, force: true })
})

/** Queues a mix of writes while the secondary is offline, then disposes the mirror. */
async function queueWhileOffline(primary: Side, secondary: Side, store: LocalStore): Promise<number> {
  const m = mirror({ primary: primary.adapter, secondary: secondary.adapter, store, retry: FAST_RETRY })
  secondary.adapter.network.goOffline()
  const w = (ops: Parameters<MirrorAdapter['documents']['write']>[0]) => m.documents.write(ops, { atomic: false })
  await w([{ type: 'set', collection: 'c', id: 'counter', data: { n: 0 } }])
  for (let i = 0; i < 5; i++) await w([{ type: 'update', collection: 'c', id: 'counter', data: { n: increment(1) } }])
  await w([
    { type: 'create', collection: 'c', id: 'x', data: { at: new Date('2030-01-02T03:04:05Z') } },
    { type: 'set', collection: 'c', id: 'y', data: { v: 'y' } },
  ])
  await w([{ type: 'delete', collection: 'c', id: 'y' }])
  await m.storage.upload({ path: 'f/one.txt', bytes: new TextEncoder().encode('one'), contentType: 'text/plain', metadata: { k: 'v' }, onProgress: () => undefined })
  const pending = m.status.pending
  await m.dispose()
  return pending
}

async function restartAndDrain(primary: Side, secondary: Side, store: LocalStore): Promise<void> {
  const p = reconnect(primary)
  const s = reconnect(secondary)
  const m = mirror({ primary: p.adapter, secondary: s.adapter, store, retry: FAST_RETRY })
  try {
    await m.drain()
    expect(m.status.pending).toBe(0)
  } finally {
    await m.dispose()
  }
}

function expectSameAsPrimary(primary: Side, secondary: Side): void {
  expect(contents(primary.backend, 'c')).toEqual({ counter: { n: 5 }, x: { at: new Date('2030-01-02T03:04:05Z') } })
  expect(contents(secondary.backend, 'c')).toEqual(contents(primary.backend, 'c'))
  // Exactly once, in order: the secondary went through the primary's states.
  for (const key of ['c/counter', 'c/x', 'c/y']) expect(history(secondary.events, key)).toEqual(history(primary.events, key))
  expect(new TextDecoder().decode(secondary.backend.files.get('f/one.txt')!.bytes)).toBe('one')
  expect(secondary.backend.files.get('f/one.txt')!.metadata).toEqual({ k: 'v' })
}

test('a file store keeps the queue across a restart; each write arrives once, in order', async () => {
  const primary = side()
  const secondary = side()
  const pending = await queueWhileOffline(primary, secondary, fileStore({ directory }))
  expect(pending).toBe(10)
  expect(contents(secondary.backend, 'c')).toEqual({})
  await restartAndDrain(primary, secondary, fileStore({ directory }))
  expectSameAsPrimary(primary, secondary)
})

test('a shared memory store keeps the queue across a restart of the mirror', async () => {
  const primary = side()
  const secondary = side()
  const store = memoryStore()
  await queueWhileOffline(primary, secondary, store)
  await restartAndDrain(primary, secondary, store)
  expectSameAsPrimary(primary, secondary)
})

test('refusals recorded by one run are there for the next', async () => {
  const primary = side()
  const secondary = side({ rules: { locked: { write: () => false } } })
  const store = fileStore({ directory })
  const m = mirror({ primary: primary.adapter, secondary: secondary.adapter, store, retry: FAST_RETRY })
  await m.documents.write([{ type: 'set', collection: 'locked', id: 'l', data: { v: 1 } }], { atomic: false })
  await m.drain()
  await m.dispose()
  const again = mirror({ primary: reconnect(primary).adapter, secondary: reconnect(secondary).adapter, store: fileStore({ directory }) })
  const refused = await again.refused()
  expect(refused.map((r) => [r.write, r.error.code, r.error.provider])).toEqual([
    [{ kind: 'document', op: { type: 'set', collection: 'locked', id: 'l', data: { v: 1 } } }, 'permission-denied', 'memory'],
  ])
  await again.dispose()
})

test('a stop between the primary write and the queue confirming it ends in a copy of the primary state', async () => {
  const primary = side()
  const secondary = side()
  const inner = memoryStore()
  // The "crash": after the intent is durable, the store never confirms another commit.
  let commits = 0
  let crash: (error: Error) => void = () => undefined
  const crashing: LocalStore = {
    ...inner,
    name: 'crashing',
    commit: (changes) => (++commits === 1 ? inner.commit(changes) : new Promise((_, reject) => (crash = reject))),
  }
  const first = mirror({ primary: primary.adapter, secondary: secondary.adapter, store: crashing, retry: FAST_RETRY })
  secondary.adapter.network.goOffline()
  await first.documents.write([{ type: 'set', collection: 'c', id: 'doc2', data: { v: 1 } }], { atomic: false })
  // `doc2` was applied by the primary; its confirmation is stuck. A new process takes over the store.
  expect(contents(primary.backend, 'c')).toEqual({ doc2: { v: 1 } })
  expect((await inner.entries('outbox')).map(([, value]) => (value as { state: string }).state)).toEqual(['intent'])
  const second = mirror({ primary: reconnect(primary).adapter, secondary: reconnect(secondary).adapter, store: inner, retry: FAST_RETRY })
  await second.drain()
  expect(contents(secondary.backend, 'c')).toEqual({ doc2: { v: 1 } })
  await second.dispose()
  crash(new Error('process gone'))
  await first.dispose()
})

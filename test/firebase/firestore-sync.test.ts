/**
 * Offline collections on Firestore, translation level: the SyncService of `firestore({ offline })`
 * (adapters/firebase/firestore-sync.ts) and the offline engine over it, on the fake Firestore of
 * fake-firestore.ts — the real SDK module with its server calls replaced by our reading of
 * Firestore's semantics (queries, commits, FieldValues). It proves what the adapter asks for and
 * how it reads the answers: the stamps and write ids it writes, tombstones, exactly-once replays,
 * the change feed's pages. It is not Firestore: commit-time visibility, transaction contention and
 * security rules are the live target's (test/live/firebase.test.ts with FIRESTORE_EMULATOR_HOST).
 */
jest.mock('firebase/firestore', () => (jest.requireActual('./fake-firestore') as typeof import('./fake-firestore.js')).fakeFirestoreModule())

import * as sdk from 'firebase/firestore'
import { firebase, firestore, firestoreOffline } from '../../adapters/firebase/index.js'
import { TOMBSTONES_PREFIX } from '../../adapters/firebase/firestore-codec.js'
import { Bytes, createClient, GeoPoint, increment } from '../../src/index.js'
import { offline, memoryStore } from '../../src/offline/index.js'
import type { Adapter, SyncRecord, SyncService } from '../../src/spi.js'
import { expectError } from '../contract/helpers.js'
import type { FakeDb, FakeStore } from './fake-firestore.js'

const store = (sdk as unknown as { __store: FakeStore }).__store
const opened: Adapter[] = []

function adapter(offline: boolean): Adapter {
  const created = firebase({ config: { apiKey: 'k', projectId: 'demo-sync', appId: 'a' }, services: { documents: firestore(offline ? { offline: firestoreOffline() } : {}) } })
  opened.push(created)
  return created
}
function syncOf(a: Adapter): SyncService {
  if (!a.sync) throw new Error('no sync service')
  return a.sync
}
const stored = (collection: string, id: string) => store.collections.get(collection)?.get(id) as Record<string, unknown> | undefined
const summary = (records: SyncRecord[]) => records.map((r) => [r.id, r.data, r.writeId])

beforeEach(() => store.reset())
afterEach(async () => {
  await Promise.all(opened.splice(0).map((a) => a.dispose()))
})

describe('firestore({ offline }) SyncService (translation, fake Firestore)', () => {
  it('without offline: no SyncService, documents carry only the app fields, and offline collections are refused', async () => {
    const plain = adapter(false)
    expect(plain.sync).toBeUndefined()
    await plain.documents.write([{ type: 'set', collection: 'todos', id: 'a', data: { title: 'a' } }], { atomic: false })
    expect(stored('todos', 'a')).toEqual({ title: 'a' })
    await expectError(() => createClient({ adapter: plain, offline: offline({ store: memoryStore(), collections: { todos: {} } }) }), 'unsupported', 'offline collections without firestore({ offline })')
  })

  it('firestore() declares every neutral value type queryable, so the client lets them through (GeoPoint, Bytes round trip)', async () => {
    const a = adapter(false)
    expect(a.capabilities.valueTypes).toEqual({ geoPoint: 'queryable', reference: 'queryable', bytes: 'queryable' })
    const app = createClient({ adapter: a })
    const data = { at: new GeoPoint(48.85, 2.35), raw: Bytes.fromBase64('AQID'), nested: { points: [new GeoPoint(-1, -2)] } }
    await app.db.collection('places').doc('p').set(data)
    expect(stored('places', 'p')!.at).toBeInstanceOf(sdk.GeoPoint)
    expect((await app.db.collection('places').doc('p').get())?.data).toEqual(data)
    await app.dispose()
  })

  it("what earlier versions took, firestore({ offline: true }), is refused with invalid-argument naming firestoreOffline()", async () => {
    for (const old of [true, { tombstoneTtlMs: 1000 }]) {
      const error = await expectError(
        () => firebase({ config: { apiKey: 'k', projectId: 'demo-sync', appId: 'a' }, services: { documents: firestore({ offline: old as never }) } }),
        'invalid-argument',
        `firestore({ offline: ${JSON.stringify(old)} })`,
      )
      expect(error.message).toContain('firestoreOffline()')
    }
  })

  it('with offline: every write stamps _portabase { updatedAt, writeId }; a plain write resets the writeId to null', async () => {
    const a = adapter(true)
    await syncOf(a).write([{ type: 'set', collection: 'todos', id: 'a', data: { title: 'a' }, writeId: 'w1' }])
    const first = stored('todos', 'a')!
    expect(first).toMatchObject({ title: 'a', _portabase: { writeId: 'w1' } })
    expect((first._portabase as { updatedAt: unknown }).updatedAt).toBeInstanceOf(sdk.Timestamp)
    await a.documents.write([{ type: 'update', collection: 'todos', id: 'a', data: { title: 'b' } }], { atomic: false })
    expect(stored('todos', 'a')).toMatchObject({ title: 'b', _portabase: { writeId: null } })
    // The metadata never shows in the app's data.
    expect((await a.documents.get('todos', 'a'))?.data).toEqual({ title: 'b' })
  })

  it('a replayed write is applied once: the same writeId answers ok without writing (increments included)', async () => {
    const sync = syncOf(adapter(true))
    await sync.write([{ type: 'create', collection: 'c', id: 'n', data: { n: 0 }, writeId: 'w1' }])
    const bump = { type: 'update' as const, collection: 'c', id: 'n', data: { n: increment(1) }, writeId: 'w2' }
    expect(await sync.write([bump])).toEqual([{ ok: true }])
    const stamped = stored('c', 'n')!._portabase
    expect(await sync.write([bump, bump])).toEqual([{ ok: true }, { ok: true }])
    expect(stored('c', 'n')).toMatchObject({ n: 1 })
    expect(stored('c', 'n')!._portabase).toEqual(stamped)
    const [record] = await sync.fetch('c', ['n'])
    expect(record).toMatchObject({ id: 'n', data: { n: 1 }, writeId: 'w2' })
  })

  it('one outcome per write: create of an existing id and update of a missing one fail on their own, the rest apply', async () => {
    const sync = syncOf(adapter(true))
    await sync.write([{ type: 'set', collection: 'c', id: 'x', data: { v: 1 }, writeId: 'w1' }])
    const outcomes = await sync.write([
      { type: 'create', collection: 'c', id: 'x', data: { v: 2 }, writeId: 'w2' },
      { type: 'update', collection: 'c', id: 'missing', data: { v: 3 }, writeId: 'w3' },
      { type: 'set', collection: 'c', id: 'y', data: { v: 4 }, writeId: 'w4' },
    ])
    expect(outcomes.map((o) => (o.ok ? 'ok' : (o.error as unknown as { code: string }).code))).toEqual(['already-exists', 'not-found', 'ok'])
    expect(stored('c', 'x')).toMatchObject({ v: 1 })
    expect(stored('c', 'missing')).toBeUndefined()
    expect(stored('c', 'y')).toMatchObject({ v: 4 })
  })

  it('a delete leaves a tombstone with its writeId; a replayed delete is a no-op; a re-created document wins in fetch', async () => {
    const sync = syncOf(adapter(true))
    await sync.write([{ type: 'set', collection: 'c', id: 'd', data: { v: 1 }, writeId: 'w1' }])
    await sync.write([{ type: 'delete', collection: 'c', id: 'd', writeId: 'w2' }])
    expect(stored('c', 'd')).toBeUndefined()
    expect(stored(`${TOMBSTONES_PREFIX}c`, 'd')).toMatchObject({ _portabase: { writeId: 'w2' } })
    expect(summary(await sync.fetch('c', ['d']))).toEqual([['d', null, 'w2']])
    await sync.write([{ type: 'set', collection: 'c', id: 'd', data: { v: 2 }, writeId: 'w3' }])
    // The replay of the delete finds its id on the tombstone: applied before, nothing deleted now.
    expect(await sync.write([{ type: 'delete', collection: 'c', id: 'd', writeId: 'w2' }])).toEqual([{ ok: true }])
    expect(summary(await sync.fetch('c', ['d']))).toEqual([['d', { v: 2 }, 'w3']])
    // The feed tells the history in commit order: the deletion, then the document as it is now.
    expect(summary(await sync.changes('c', null, 10))).toEqual([
      ['d', null, 'w2'],
      ['d', { v: 2 }, 'w3'],
    ])
  })

  it('changes() pages through documents and tombstones in (stamp, id) order, each once, reading at most 2 × limit per page', async () => {
    const a = adapter(true)
    const sync = syncOf(a)
    for (let i = 0; i < 7; i++) await sync.write([{ type: 'set', collection: 'c', id: `d${i}`, data: { i }, writeId: `w${i}` }])
    await sync.write([{ type: 'delete', collection: 'c', id: 'd2', writeId: 'wd' }])
    // Several documents in one commit share a stamp: ordered by id.
    await a.documents.write(
      [
        { type: 'set', collection: 'c', id: 'z', data: { i: 9 } },
        { type: 'set', collection: 'c', id: 'y', data: { i: 8 } },
      ],
      { atomic: true },
    )
    const seen: string[] = []
    let after: SyncRecord | null = null
    for (let page = 0; page < 10; page++) {
      const before = store.calls.length
      const records: SyncRecord[] = await sync.changes('c', after && { updateTime: after.updateTime, id: after.id, ...(after.position ? { position: after.position } : {}) }, 3)
      const read = store.calls.slice(before).reduce((n, c) => n + c.documents, 0)
      expect(read).toBeLessThanOrEqual(6)
      seen.push(...records.map((r) => `${r.id}${r.data === null ? '†' : ''}`))
      if (records.length < 3) break
      after = records[records.length - 1]!
    }
    expect(seen).toEqual(['d0', 'd1', 'd3', 'd4', 'd5', 'd6', 'd2†', 'y', 'z'])
  })

  it('a plain delete through the documents service leaves a tombstone too, so delta pulls see it', async () => {
    const a = adapter(true)
    await a.documents.write([{ type: 'set', collection: 'c', id: 'p', data: { v: 1 } }], { atomic: false })
    await a.documents.write([{ type: 'delete', collection: 'c', id: 'p' }], { atomic: false })
    expect(stored(`${TOMBSTONES_PREFIX}c`, 'p')).toMatchObject({ _portabase: { writeId: null } })
    expect(summary(await syncOf(a).changes('c', null, 10))).toEqual([['p', null, null]])
    // Without offline there is no feed, and no tombstone.
    const plain = adapter(false)
    await plain.documents.write([{ type: 'set', collection: 'q', id: 'p', data: { v: 1 } }], { atomic: false })
    await plain.documents.write([{ type: 'delete', collection: 'q', id: 'p' }], { atomic: false })
    expect(stored(`${TOMBSTONES_PREFIX}q`, 'p')).toBeUndefined()
  })

  it('sync reads go to the server: cut off, fetch and changes fail unavailable instead of answering from the SDK cache', async () => {
    const a = adapter(true)
    const sync = syncOf(a)
    await sync.write([{ type: 'set', collection: 'c', id: 'x', data: { v: 1 }, writeId: 'w1' }])
    expect(await sync.changes('c', null, 10)).toHaveLength(1)
    const db = (sdk as unknown as { getFirestore(app: unknown): FakeDb }).getFirestore((a as unknown as { app: unknown }).app)
    const cut = (sdk as unknown as { __setOnline(db: FakeDb, online: boolean): void }).__setOnline
    cut(db, false)
    try {
      // The SDK's own getDocs would answer from its cache here (fromCache), and the feed would look complete.
      expect((await sdk.getDocs(sdk.query(sdk.collection(db as never, 'c')))).metadata.fromCache).toBe(true)
      await expectError(() => sync.changes('c', null, 10), 'unavailable', 'changes while cut off')
      await expectError(() => sync.fetch('c', ['x']), 'unavailable', 'fetch while cut off')
      await expectError(() => sync.write([{ type: 'set', collection: 'c', id: 'y', data: { v: 2 }, writeId: 'w2' }]), 'unavailable', 'write while cut off')
    } finally {
      cut(db, true)
    }
    expect(summary(await sync.fetch('c', ['x', 'y']))).toEqual([['x', { v: 1 }, 'w1']])
  })

  it('the offline engine over it: a device writes offline-first, the server holds it once, another device pulls it', async () => {
    const one = createClient({ adapter: adapter(true), offline: offline({ store: memoryStore(), collections: { todos: {} } }) })
    const two = createClient({ adapter: adapter(true), offline: offline({ store: memoryStore(), collections: { todos: {} } }) })
    await one.db.collection('todos').doc('t1').set({ title: 'written on one', done: false })
    await one.db.collection('todos').doc('t1').update({ done: true })
    await one.sync.waitForSync()
    expect(stored('todos', 't1')).toMatchObject({ title: 'written on one', done: true })
    expect((stored('todos', 't1')!._portabase as { writeId: unknown }).writeId).toEqual(expect.any(String))
    await two.sync.waitForSync()
    expect((await two.db.collection('todos').doc('t1').get())?.data).toEqual({ title: 'written on one', done: true })
    await one.db.collection('todos').doc('t1').delete()
    await one.sync.waitForSync()
    await two.sync.pull()
    expect(await two.db.collection('todos').doc('t1').get()).toBeNull()
    await Promise.all([one.dispose(), two.dispose()])
  })
})

/**
 * Neutral value types through the offline engine: written offline, they survive a client restart in
 * the persisted queue and cache (memory store, IndexedDB through fake-indexeddb, the Node file store),
 * the local cache answers queries on them by content, and the queued writes reach the server as the
 * same values. Expected values are the values written.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IDBFactory } from 'fake-indexeddb'
import { firstValueFrom } from 'rxjs'
import { createMemoryBackend, memory } from '../../adapters/memory/index.js'
import { arrayUnion, Bytes, createClient, GeoPoint, Reference, type DocumentData, type LocalStore, type PortabaseClient } from '../../src/index.js'
import { offline, memoryStore, indexedDbStore } from '../../src/offline/index.js'
import { fileStore } from '../../src/offline/node/index.js'

const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

const stores: Array<[string, () => Promise<() => LocalStore>]> = [
  ['memoryStore', async () => {
    const store = memoryStore()
    return () => store
  }],
  ['indexedDbStore (fake-indexeddb)', async () => {
    const indexedDB = new IDBFactory()
    return () => indexedDbStore({ name: 'portabase-values', indexedDB })
  }],
  ['fileStore', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'portabase-values-'))
    dirs.push(directory)
    return () => fileStore({ directory })
  }],
]

const geo = new GeoPoint(45.5017, -73.5673)
const ref = new Reference('users', 'u1')
const bin = Bytes.fromUint8Array(new Uint8Array([0, 1, 254, 255]))

describe.each(stores)('offline engine on %s', (_name, makeStore) => {
  it('queued writes and the cache keep neutral values across a restart; the server receives the same values', async () => {
    const backend = createMemoryBackend()
    const open = await makeStore()
    const device = (): { app: PortabaseClient; adapter: ReturnType<typeof memory> } => {
      const adapter = memory({ backend })
      return { adapter, app: createClient({ adapter, offline: offline({ store: open(), collections: { places: {} }, retryDelayMs: { initial: 10, max: 50 } }) }) }
    }
    const a: DocumentData = { at: geo, owner: ref, nested: { list: [bin, { at: geo }] }, tags: [ref] }
    const expectedA: DocumentData = { ...a, tags: [ref, bin] }
    const b: DocumentData = { at: new GeoPoint(0, 0), owner: new Reference('users', 'u2') }

    const first = device()
    await first.app.sync.waitForSync()
    first.adapter.network.goOffline()
    const places = first.app.db.collection('places')
    await places.doc('a').set(a)
    await places.doc('a').update({ tags: arrayUnion(ref, bin) })
    await places.doc('b').set(b)
    await first.app.dispose()

    const second = device()
    second.adapter.network.goOffline()
    expect((await firstValueFrom(second.app.sync.status$)).pending).toBe(3)
    const cached = second.app.db.collection('places')
    expect((await cached.doc('a').get())?.data).toStrictEqual(expectedA)
    // The cache answers queries on them by content.
    expect((await cached.where('at', '==', geo).get()).docs.map((d) => d.id)).toEqual(['a'])
    expect((await cached.where('tags', 'array-contains', bin).get()).docs.map((d) => d.id)).toEqual(['a'])
    expect((await cached.orderBy('owner', 'desc').get()).docs.map((d) => d.id)).toEqual(['b', 'a'])
    second.adapter.network.goOnline()
    await second.app.sync.waitForSync()
    expect(backend.collection('places').get('a')?.data).toStrictEqual(expectedA)
    expect(backend.collection('places').get('b')?.data).toStrictEqual(b)
    await second.app.dispose()
  })
})

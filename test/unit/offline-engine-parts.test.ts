/** The offline engine's pure parts: three-way merge, conflict detection, codec, schema migrations. */
import { arrayUnion, deleteField, increment, isSentinel, serverTimestamp, type DocumentData } from '../../src/index.js'
import { memoryStore } from '../../src/offline/index.js'
import { LocalCache, overlay, type BaseState, type QueuedWrite } from '../../src/offline/cache.js'
import { movePartition } from '../../src/offline/partition.js'
import { decodeWriteData, encodeWriteData } from '../../src/offline/codec.js'
import { analyse, baseMatches, decide, mergeFields } from '../../src/offline/conflicts.js'
import { CURRENT_SCHEMA_VERSION, openAndMigrate, SCHEMA_VERSION_KEY, type Migration } from '../../src/offline/schema.js'
import type { SyncRecord } from '../../src/spi.js'

const record = (patch: Partial<SyncRecord>): SyncRecord => ({ id: 'd', data: { v: 1 }, version: 'v1', updateTime: new Date(1000), writeId: null, ...patch })
const base = (patch: Partial<BaseState>): BaseState => ({ data: { v: 1 }, version: 'v1', writeId: null, updateTime: new Date(1000), ...patch })

describe('mergeFields (three-way, field by field)', () => {
  it('keeps each side\'s changes; a field changed on both takes the local value', () => {
    expect(mergeFields({ a: 1, b: 1, c: 1 }, { a: 2, b: 1, c: 9 }, { a: 1, b: 3, c: 8 })).toEqual({ a: 2, b: 3, c: 9 })
  })
  it('a field removed on one side stays removed; one added on either side is kept', () => {
    expect(mergeFields({ a: 1, b: 1 }, { a: 1 }, { a: 1, b: 1, c: 5 })).toEqual({ a: 1, c: 5 })
    expect(mergeFields({ a: 1 }, { a: 1, x: true }, { a: 2 })).toEqual({ a: 2, x: true })
  })
  it('an edit beats a delete, on either side; two deletes delete', () => {
    expect(mergeFields({ a: 1 }, null, { a: 2 })).toEqual({ a: 2 })
    expect(mergeFields({ a: 1 }, { a: 3 }, null)).toEqual({ a: 3 })
    expect(mergeFields({ a: 1 }, null, { a: 1 })).toBeNull()
    expect(mergeFields({ a: 1 }, null, null)).toBeNull()
  })
  it('compares values deeply (dates, arrays, maps)', () => {
    const when = new Date(5)
    expect(mergeFields({ d: new Date(5), m: { x: [1] } }, { d: when, m: { x: [1] } }, { d: new Date(6), m: { x: [2] } })).toEqual({ d: new Date(6), m: { x: [2] } })
  })
})

describe('conflict detection and decisions', () => {
  it('a base matches the server by write id, else by version; absent on both sides matches', () => {
    expect(baseMatches(base({ writeId: 'w1', version: null }), record({ writeId: 'w1', version: 'other' }))).toBe(true)
    expect(baseMatches(base({}), record({}))).toBe(true)
    expect(baseMatches(base({}), record({ version: 'v2' }))).toBe(false)
    expect(baseMatches(base({ data: null, version: null }), undefined)).toBe(true)
    expect(baseMatches(base({ data: null, version: null }), record({ data: null, version: 'tomb' }))).toBe(true)
    expect(baseMatches(base({ data: null, version: null }), record({}))).toBe(false)
    expect(baseMatches(base({}), undefined)).toBe(false)
  })
  const queued = (op: QueuedWrite['op'], seq: number, at = 2000): QueuedWrite => ({ seq, writeId: `w${seq}`, op, base: base({ data: { title: 'x', done: false, n: 1 } }), createdAt: new Date(at) })
  const set = (data: DocumentData) => queued({ type: 'set', collection: 'c', id: 'd', data }, 1)

  it('document level (a queued set): each strategy decides as documented', async () => {
    const writes = [set({ v: 2 })]
    const input = { collection: 'c', id: 'd', fields: ['v'], level: 'document' as const, local: { v: 2 }, server: { v: 3 }, base: { v: 1 }, localTime: new Date(2000), serverTime: new Date(1000) }
    expect(await decide('server-wins', input, writes)).toEqual({ kind: 'keep-server' })
    expect(await decide('client-wins', input, writes)).toEqual({ kind: 'write', data: { v: 2 } })
    expect(await decide('last-write-wins', input, writes)).toEqual({ kind: 'write', data: { v: 2 } })
    expect(await decide('last-write-wins', { ...input, localTime: new Date(500) }, writes)).toEqual({ kind: 'keep-server' })
    expect(await decide('merge', input, writes)).toEqual({ kind: 'write', data: { v: 2 } })
    expect(await decide('manual', input, writes)).toEqual({ kind: 'manual' })
    expect(await decide(async () => ({ v: 9 }), input, writes)).toEqual({ kind: 'write', data: { v: 9 } })
    expect(await decide(() => null, input, writes)).toEqual({ kind: 'write', data: null })
    expect(await decide(() => undefined, input, writes)).toEqual({ kind: 'manual' })
  })

  it('analyse: queued updates conflict only over fields the server also changed; a set or a deleted document is document level', () => {
    const updates = [queued({ type: 'update', collection: 'c', id: 'd', data: { title: 'A' } }, 1), queued({ type: 'update', collection: 'c', id: 'd', data: { n: increment(1) } }, 2)]
    expect(analyse(updates, { title: 'A', done: false, n: 2 }, { title: 'x', done: true, n: 1 })).toEqual({ level: 'field', fields: [] })
    expect(analyse(updates, { title: 'A', done: false, n: 2 }, { title: 'S', done: true, n: 5 })).toEqual({ level: 'field', fields: ['n', 'title'] })
    expect(analyse(updates, { title: 'A', done: false, n: 2 }, null)).toEqual({ level: 'document', fields: ['done', 'n', 'title'] })
    expect(analyse([set({ title: 'A' })], { title: 'A' }, { title: 'x', done: true, n: 1 })).toEqual({ level: 'document', fields: ['done', 'n', 'title'] })
  })

  it('field level: each strategy acts on the conflicting fields only', async () => {
    const writes = [queued({ type: 'update', collection: 'c', id: 'd', data: { title: 'A' } }, 1, 500), queued({ type: 'update', collection: 'c', id: 'd', data: { n: 2 } }, 2, 2000)]
    const input = { collection: 'c', id: 'd', fields: ['n', 'title'], level: 'field' as const, local: { title: 'A', done: false, n: 2 }, server: { title: 'S', done: true, n: 5 }, base: { title: 'x', done: false, n: 1 }, localTime: new Date(2000), serverTime: new Date(1000) }
    expect(await decide('server-wins', input, writes)).toEqual({ kind: 'patch', drop: ['n', 'title'] })
    expect(await decide('client-wins', input, writes)).toEqual({ kind: 'patch', drop: [] })
    expect(await decide('merge', input, writes)).toEqual({ kind: 'patch', drop: [] })
    // title was written at 500, before the server's write at 1000; n at 2000, after it.
    expect(await decide('last-write-wins', input, writes)).toEqual({ kind: 'patch', drop: ['title'] })
    expect(await decide('manual', input, writes)).toEqual({ kind: 'manual' })
    expect(await decide('server-wins', { ...input, fields: [] }, writes)).toEqual({ kind: 'patch', drop: [] })
  })
})

describe('overlay: queued writes over the server state', () => {
  const at = new Date(0)
  const q = (op: Parameters<typeof overlay>[1][number]['op'], seq: number) => ({ seq, writeId: `w${seq}`, op, base: base({}), createdAt: at })
  it('applies set, update with sentinels and delete in order; an update of a missing doc is skipped', () => {
    expect(overlay({ n: 1, tags: ['a'] }, [q({ type: 'update', collection: 'c', id: 'd', data: { n: increment(2), tags: arrayUnion('b') } }, 1)])).toEqual({ n: 3, tags: ['a', 'b'] })
    expect(overlay({ n: 1 }, [q({ type: 'delete', collection: 'c', id: 'd' }, 1), q({ type: 'update', collection: 'c', id: 'd', data: { n: 5 } }, 2)])).toBeNull()
    expect(overlay(null, [q({ type: 'set', collection: 'c', id: 'd', data: { x: 1 } }, 1), q({ type: 'update', collection: 'c', id: 'd', data: { x: deleteField() } }, 2)])).toEqual({})
  })
})

describe('codec: queued writes survive JSON', () => {
  it('round-trips values and every sentinel', () => {
    const data = { when: new Date(7), nested: { list: [new Date(8), 1, 'x', null] }, n: increment(3), t: serverTimestamp(), u: arrayUnion(new Date(9), 'a'), gone: deleteField() }
    const decoded = decodeWriteData(JSON.parse(JSON.stringify(encodeWriteData(data))))
    expect(decoded.when).toEqual(new Date(7))
    expect(decoded.nested).toEqual({ list: [new Date(8), 1, 'x', null] })
    for (const field of ['n', 't', 'u', 'gone']) expect(isSentinel(decoded[field])).toBe(true)
    expect(decoded.n).toMatchObject({ kind: 'increment', by: 3 })
    expect(decoded.u).toMatchObject({ kind: 'arrayUnion', values: [new Date(9), 'a'] })
  })
  it('a field that merely looks like a tag but has other keys stays data', () => {
    expect(decodeWriteData(encodeWriteData({ m: { $sentinel: 'x', other: 1 } }))).toEqual({ m: { $sentinel: 'x', other: 1 } })
  })
})

describe('schema versions and migrations', () => {
  it('stamps a new store with the current version', async () => {
    const store = memoryStore()
    const snapshot = await openAndMigrate(store)
    expect(snapshot.meta).toContainEqual([SCHEMA_VERSION_KEY, CURRENT_SCHEMA_VERSION])
  })
  it('runs each pending migration once, in order, each with its version in the same commit', async () => {
    const store = memoryStore()
    await store.open()
    await store.commit([{ table: 'meta', key: SCHEMA_VERSION_KEY, value: 1 }, { table: 'docs', key: 'c/a', value: { old: true } }])
    const migrations: Migration[] = [
      { to: 1, describe: 'initial', migrate: () => [] },
      { to: 2, describe: 'rename', migrate: (s) => s.docs.map(([key]) => ({ table: 'docs' as const, key, value: { renamed: true } })) },
      { to: 3, describe: 'marker', migrate: () => [{ table: 'meta', key: 'm3', value: true }] },
    ]
    const snapshot = await openAndMigrate(store, migrations)
    expect(snapshot.docs).toEqual([['c/a', { renamed: true }]])
    expect(snapshot.meta).toEqual(expect.arrayContaining([[SCHEMA_VERSION_KEY, 3], ['m3', true]]))
    // Running again changes nothing.
    expect(await openAndMigrate(store, migrations)).toEqual(snapshot)
  })
  it('refuses a store written by a newer version', async () => {
    const store = memoryStore()
    await store.open()
    await store.commit([{ table: 'meta', key: SCHEMA_VERSION_KEY, value: CURRENT_SCHEMA_VERSION + 1 }])
    await expect(openAndMigrate(store)).rejects.toMatchObject({ code: 'failed-precondition' })
  })
})

describe('a queue handed to another partition keeps its bases', () => {
  const state = { data: { n: 1 }, version: 'v1', writeId: null, updateTime: new Date(1_000) }
  /** A partition `from` holding document c/a and one write queued on it (its base stored as the row). */
  async function sourceWithQueuedWrite(store: ReturnType<typeof memoryStore>): Promise<QueuedWrite> {
    const cache = new LocalCache()
    const settle = cache.prepareSettle({ states: new Map([['c/a', state]]) })
    settle.apply()
    const write: QueuedWrite = { seq: 1, writeId: 'w1', op: { type: 'update', collection: 'c', id: 'a', data: { n: 2 } }, base: cache.serverState('c', 'a'), createdAt: new Date(2_000) }
    const queue = cache.prepareQueue([write])
    expect((queue.changes[0] as unknown as { value: { b: unknown } }).value.b).toBe(0) // stored as "the document's row"
    await store.commit([...settle.changes, ...queue.changes].map((change) => ({ ...change, key: `from/${change.key}` })))
    return write
  }
  const loaded = async (store: ReturnType<typeof memoryStore>, prefix: string): Promise<LocalCache> => {
    const cache = new LocalCache()
    cache.load(await store.entries('docs'), await store.entries('outbox'), prefix)
    return cache
  }

  it('moved without its documents (the target has its own): the base is written out in full', async () => {
    const store = memoryStore()
    await store.open()
    const write = await sourceWithQueuedWrite(store)
    await store.commit([{ table: 'docs', key: 'to/c/a', value: { d: { n: 50 }, v: 'v9', w: null, t: 9_000 } }])
    await movePartition(store, 'from/', 'to/')
    const target = await loaded(store, 'to/')
    expect(target.serverState('c', 'a').version).toBe('v9') // the target's own document stays
    expect(target.outbox()).toEqual([{ ...write, base: state }])
  })

  it('moved with its documents (the target is empty): the row moves with it and still is the base', async () => {
    const store = memoryStore()
    await store.open()
    const write = await sourceWithQueuedWrite(store)
    await movePartition(store, 'from/', 'to/')
    const target = await loaded(store, 'to/')
    expect(target.outbox()).toEqual([{ ...write, base: state }])
    expect((await store.entries('outbox')).map(([, value]) => (value as { b: unknown }).b)).toEqual([0])
  })
})

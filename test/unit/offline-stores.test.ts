/**
 * One conformance suite for every LocalStore: memory, IndexedDB (fake-indexeddb) and the Node file
 * store (a temp directory). A new store joins by adding a subject below.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import { isPortabaseError } from '../../src/errors.js'
import { fileStore } from '../../src/offline/node/index.js'
import type { LocalStore, StoreChange, StoredValue, StoreTable } from '../../src/offline/store.js'
import { indexedDbStore } from '../../src/offline/stores/indexeddb.js'
import { memoryStore } from '../../src/offline/stores/memory.js'

interface Subject {
  name: string
  /** A store over new, empty storage, and (when the store has one) a way to make a second instance over the same storage. */
  create(): Promise<{ store: LocalStore; sameStorage?: () => LocalStore }>
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const subjects: Subject[] = [
  { name: 'memoryStore', create: async () => ({ store: memoryStore() }) },
  {
    name: 'indexedDbStore (fake-indexeddb)',
    create: async () => {
      const indexedDB = new IDBFactory()
      const make = (): LocalStore => indexedDbStore({ name: 'portabase-test', indexedDB })
      return { store: make(), sameStorage: make }
    },
  },
  {
    // Every commit folded into the batches at once: the same behaviour through the compaction path.
    name: 'indexedDbStore (fake-indexeddb, compacting after every commit)',
    create: async () => {
      const indexedDB = new IDBFactory()
      const make = (): LocalStore => indexedDbStore({ name: 'portabase-test', indexedDB, IDBKeyRange, compactAfterChars: 0 })
      return { store: make(), sameStorage: make }
    },
  },
  {
    name: 'fileStore (temp directory)',
    create: async () => {
      const directory = await mkdtemp(join(tmpdir(), 'portabase-store-'))
      cleanups.push(() => rm(directory, { recursive: true, force: true }))
      const make = (): LocalStore => fileStore({ directory })
      return { store: make(), sameStorage: make }
    },
  },
]

const put = (table: StoreTable, key: string, value: StoredValue): StoreChange => ({ table, key, value })
const del = (table: StoreTable, key: string): StoreChange => ({ table, key, delete: true })

/** Opens, and closes after the test (closing twice is harmless). */
async function opened(store: LocalStore): Promise<LocalStore> {
  await store.open()
  cleanups.push(() => store.close())
  return store
}

async function dump(store: LocalStore): Promise<Record<StoreTable, Array<[string, StoredValue]>>> {
  return { docs: await store.entries('docs'), outbox: await store.entries('outbox'), meta: await store.entries('meta') }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )
}

class Point {
  constructor(public x: number) {}
}
const circular: Record<string, unknown> = { a: 1 }
circular.self = circular

/** Changes every store must refuse (and refuse before applying anything else in the commit). */
const invalid: Array<[string, unknown]> = [
  ['an unknown table', { table: 'users', key: 'k', value: 1 }],
  ['an undefined value', { table: 'docs', key: 'k', value: undefined }],
  ['a function value', { table: 'docs', key: 'k', value: () => 1 }],
  ['a nested undefined', { table: 'docs', key: 'k', value: { a: { b: undefined } } }],
  ['NaN', { table: 'docs', key: 'k', value: { n: NaN } }],
  ['Infinity', { table: 'docs', key: 'k', value: [Infinity] }],
  ['a Date', { table: 'docs', key: 'k', value: { at: new Date(0) } }],
  ['a class instance', { table: 'docs', key: 'k', value: new Point(1) }],
  ['a bigint', { table: 'docs', key: 'k', value: 1n }],
  ['a circular value', { table: 'docs', key: 'k', value: circular }],
  ['a sparse array', { table: 'docs', key: 'k', value: [1, , 3] }], // eslint-disable-line no-sparse-arrays
  ['a non-string key', { table: 'docs', key: 7, value: 1 }],
  ['no value and no delete', { table: 'docs', key: 'k' }],
  ['delete: false', { table: 'docs', key: 'k', delete: false }],
  ['both a value and delete', { table: 'docs', key: 'k', value: 1, delete: true }],
  ['not an object', 'docs/k'],
  ['null', null],
]

describe.each(subjects)('$name', (subject) => {
  test('a new store is empty', async () => {
    const { store } = await subject.create()
    await opened(store)
    expect(await dump(store)).toEqual({ docs: [], outbox: [], meta: [] })
  })

  test('commit, then read back from each table', async () => {
    const store = await opened((await subject.create()).store)
    const doc = { title: 'Ünïcödé ✓ 😀', tags: ['a', 'b'], nested: { n: 1.5, t: true, f: false, z: null }, empty: {}, list: [] }
    await store.commit([put('docs', 'todos/1', doc), put('outbox', '0001', { op: 'set' }), put('meta', 'schema', 1), put('meta', '', 'empty key')])
    expect(await dump(store)).toEqual({
      docs: [['todos/1', doc]],
      outbox: [['0001', { op: 'set' }]],
      meta: [
        ['', 'empty key'],
        ['schema', 1],
      ],
    })
  })

  test('values keep what JSON keeps: "__proto__" keys stay own properties, -0 reads back as 0', async () => {
    const store = await opened((await subject.create()).store)
    const value = JSON.parse('{"__proto__": {"polluted": true}, "zero": 0}') as { [key: string]: StoredValue }
    await store.commit([put('docs', 'p', value), put('docs', 'z', -0)])
    const [[, read], [, zero]] = (await store.entries('docs')) as [[string, StoredValue], [string, StoredValue]]
    // (Not `toBe(Object.prototype)`: fake-indexeddb clones in Node's realm, not in jest's.)
    expect((read as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.keys(read as object)).toEqual(['__proto__', 'zero'])
    expect(Object.is(zero, 0)).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  test('a later put replaces; delete removes; deleting a missing key is not an error', async () => {
    const store = await opened((await subject.create()).store)
    await store.commit([put('docs', 'a', 1), put('docs', 'b', 2), put('meta', 'a', 'meta a')])
    await store.commit([put('docs', 'a', { v: 2 }), del('docs', 'b'), del('docs', 'never-there')])
    expect(await store.entries('docs')).toEqual([['a', { v: 2 }]])
    expect(await store.entries('meta')).toEqual([['a', 'meta a']]) // same key, other table: untouched
  })

  test('within one commit, changes apply in order', async () => {
    const store = await opened((await subject.create()).store)
    await store.commit([put('docs', 'x', 1), del('docs', 'x'), del('docs', 'y'), put('docs', 'y', 2), put('docs', 'y', 3)])
    expect(await store.entries('docs')).toEqual([['y', 3]])
  })

  test('entries are in key order, by UTF-16 code unit', async () => {
    const store = await opened((await subject.create()).store)
    const keys = ['b', 'a', 'B', 'aa', 'a\u0000', '😀', '\uffff', '10', '9', '', 'é', 'e\u0301', ' ', 'A']
    await store.commit(keys.map((key, i) => put('outbox', key, i)))
    const sorted = [...keys].sort()
    expect(sorted.indexOf('😀')).toBeLessThan(sorted.indexOf('\uffff')) // a surrogate pair sorts by its first unit
    expect((await store.entries('outbox')).map(([key]) => key)).toEqual(sorted)
  })

  describe('a commit with one invalid change rejects and applies nothing', () => {
    test.each(invalid)('%s', async (_, change) => {
      const store = await opened((await subject.create()).store)
      await store.commit([put('docs', 'before', 0)])
      const error = await rejection(store.commit([put('docs', 'k', 'good'), put('meta', 'm', 1), del('docs', 'before'), change as StoreChange]))
      expect(isPortabaseError(error, 'invalid-argument')).toBe(true)
      expect(await dump(store)).toEqual({ docs: [['before', 0]], outbox: [], meta: [] })
    })

    test('not an array', async () => {
      const store = await opened((await subject.create()).store)
      const error = await rejection(store.commit(put('docs', 'k', 1) as unknown as StoreChange[]))
      expect(isPortabaseError(error, 'invalid-argument')).toBe(true)
      expect(await store.entries('docs')).toEqual([])
    })
  })

  test('an empty commit is fine; entries of an unknown table is invalid-argument', async () => {
    const store = await opened((await subject.create()).store)
    await expect(store.commit([])).resolves.toBeUndefined()
    expect(isPortabaseError(await rejection(store.entries('users' as StoreTable)), 'invalid-argument')).toBe(true)
  })

  test('values are copied on commit and on read', async () => {
    const store = await opened((await subject.create()).store)
    const value = { list: [1, 2], inner: { a: 'x' } }
    await store.commit([put('docs', 'd', value)])
    value.list.push(3)
    value.inner.a = 'changed by the caller'
    const [, first] = (await store.entries('docs'))[0]!
    expect(first).toEqual({ list: [1, 2], inner: { a: 'x' } })
    ;(first as { list: number[] }).list.push(99)
    ;(first as { inner: { a: string } }).inner.a = 'changed by a reader'
    expect(await store.entries('docs')).toEqual([['d', { list: [1, 2], inner: { a: 'x' } }]])
  })

  test('calls before open() and after close() fail with failed-precondition; open() twice is harmless', async () => {
    const { store } = await subject.create()
    expect(isPortabaseError(await rejection(store.entries('docs')), 'failed-precondition')).toBe(true)
    expect(isPortabaseError(await rejection(store.commit([put('docs', 'a', 1)])), 'failed-precondition')).toBe(true)
    await store.open()
    await store.open()
    await store.commit([put('docs', 'a', 1)])
    await store.close()
    expect(isPortabaseError(await rejection(store.entries('docs')), 'failed-precondition')).toBe(true)
    expect(isPortabaseError(await rejection(store.commit([put('docs', 'b', 1)])), 'failed-precondition')).toBe(true)
    await store.close() // twice: harmless
  })

  test('close() and open() again keep the data (same object, and a new one over the same storage)', async () => {
    const { store, sameStorage } = await subject.create()
    await store.open()
    await store.commit([put('docs', 'a', { n: 1 }), put('outbox', '1', 'w'), put('meta', 'checkpoint', [1, 'x'])])
    await store.commit([del('outbox', '1'), put('outbox', '2', 'w2')])
    const before = await dump(store)
    await store.close()
    await opened(store)
    expect(await dump(store)).toEqual(before)
    if (sameStorage) {
      await store.close()
      const second = await opened(sameStorage())
      expect(await dump(second)).toEqual(before)
      await second.commit([put('docs', 'b', 2)])
      await second.close()
      await store.open()
      expect(await store.entries('docs')).toEqual([
        ['a', { n: 1 }],
        ['b', 2],
      ])
    }
  })

  test('many commits, one after another, all survive a reopen', async () => {
    const { store } = await subject.create()
    await opened(store)
    const expected: Array<[string, StoredValue]> = []
    for (let i = 0; i < 300; i++) {
      const key = `doc-${String(i).padStart(4, '0')}`
      await store.commit([put('docs', key, { i, text: 'x'.repeat(i % 50) }), put('meta', 'last', i)])
      expected.push([key, { i, text: 'x'.repeat(i % 50) }])
    }
    await store.close()
    await store.open()
    expect(await store.entries('docs')).toEqual(expected)
    expect(await store.entries('meta')).toEqual([['last', 299]])
  })

  test('concurrent commits all land, and for one key the last one called wins', async () => {
    const store = await opened((await subject.create()).store)
    const commits = Array.from({ length: 100 }, (_, i) => store.commit([put('docs', `k${String(i).padStart(3, '0')}`, i), put('meta', 'last', i)]))
    const read = store.entries('docs') // called after them: sees all of them
    await Promise.all(commits)
    expect((await read).length).toBe(100)
    expect((await store.entries('docs')).map(([, v]) => v)).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(await store.entries('meta')).toEqual([['last', 99]])
  })

  test('concurrent commits with an invalid one among them: only that one fails', async () => {
    const store = await opened((await subject.create()).store)
    const results = await Promise.allSettled([
      store.commit([put('docs', 'a', 1)]),
      store.commit([put('docs', 'b', 2), put('docs', 'bad', undefined as unknown as StoredValue)]),
      store.commit([put('docs', 'c', 3)]),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(await store.entries('docs')).toEqual([
      ['a', 1],
      ['c', 3],
    ])
  })
})

describe('indexedDbStore specifics', () => {
  test('no IndexedDB in this environment: open() rejects with unsupported, creating the store does not throw', async () => {
    expect((globalThis as { indexedDB?: unknown }).indexedDB).toBeUndefined()
    const store = indexedDbStore({ name: 'x' })
    const error = await rejection(store.open())
    expect(isPortabaseError(error, 'unsupported')).toBe(true)
    expect((error as Error).message).toMatch(/IndexedDB is not available/)
  })

  const openRaw = (indexedDB: IDBFactory, name: string, version?: number, upgrade?: (db: IDBDatabase) => void): Promise<IDBDatabase> =>
    new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name, version)
      request.onupgradeneeded = () => upgrade?.(request.result)
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error)
    })

  test('creates one database at schema version 2 with the batches and log object stores', async () => {
    const indexedDB = new IDBFactory()
    await opened(indexedDbStore({ name: 'shape', indexedDB }))
    const db = await openRaw(indexedDB, 'shape')
    expect(db.version).toBe(2)
    expect([...db.objectStoreNames].sort()).toEqual(['batches', 'log'])
    db.close()
  })

  test('a version-1 database (one record per row) opens with the same entries, converted into batches', async () => {
    const indexedDB = new IDBFactory()
    const rows: Record<StoreTable, Array<[string, StoredValue]>> = {
      docs: Array.from({ length: 40 }, (_, i): [string, StoredValue] => [`u/c/${String(i).padStart(3, '0')}`, { d: { n: i, text: 'x'.repeat(20_000) }, v: `v${i}`, w: null, t: i }]),
      outbox: [['u/0000000001', { s: 1, w: 'w1', type: 'update', c: 'c', i: '001', d: { n: 9 }, b: 0, t: 5 }]],
      meta: [['schemaVersion', 3], ['u/checkpoint/c', { at: 'x' }]],
    }
    const v1 = await openRaw(indexedDB, 'old', 1, (db) => {
      for (const table of ['docs', 'outbox', 'meta']) db.createObjectStore(table)
    })
    const tx = v1.transaction(['docs', 'outbox', 'meta'], 'readwrite')
    for (const table of ['docs', 'outbox', 'meta'] as const) for (const [key, value] of rows[table]) tx.objectStore(table).put(value, key)
    await new Promise((resolve) => (tx.oncomplete = resolve))
    v1.close()
    const store = await opened(indexedDbStore({ name: 'old', indexedDB, IDBKeyRange }))
    expect(await dump(store)).toEqual(rows)
    expect(await store.entries('docs', { prefix: 'u/c/01' })).toEqual(rows.docs.slice(10, 20))
    await store.close()
    const db = await openRaw(indexedDB, 'old')
    expect([...db.objectStoreNames].sort()).toEqual(['batches', 'log'])
    // 40 rows of 20k characters: more than one batch.
    const batches = await new Promise<number>((resolve) => {
      const count = db.transaction('batches').objectStore('batches').count()
      count.onsuccess = () => resolve(count.result)
    })
    expect(batches).toBeGreaterThan(1)
    db.close()
  })

  test('a compaction that fails loses nothing: reported through onError, the log kept, folded by the next one', async () => {
    const indexedDB = new IDBFactory()
    const store = await opened(indexedDbStore({ name: 'failing', indexedDB, IDBKeyRange, compactAfterChars: 0 }))
    const errors: Error[] = []
    store.onError!((error) => errors.push(error))
    await store.commit([put('docs', 'a', 1), put('docs', 'b', 2)]) // compacted: the first batch
    const { IDBObjectStore } = jest.requireActual('fake-indexeddb') as { IDBObjectStore: { prototype: IDBObjectStore } }
    const original = IDBObjectStore.prototype.put
    const failing = jest.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      // The log is appended with add(); put() writes batches, i.e. the compaction.
      if (this.name === 'batches') throw new Error('disk on fire')
      return original.apply(this, args)
    })
    await store.commit([put('docs', 'a', 10), del('docs', 'b'), put('docs', 'c', 3)])
    failing.mockRestore()
    expect(errors).toHaveLength(1)
    expect(isPortabaseError(errors[0], 'internal')).toBe(true)
    expect(errors[0]!.message).toMatch(/disk on fire/)
    expect(await store.entries('docs')).toEqual([['a', 10], ['c', 3]])
    await store.commit([put('docs', 'd', 4)])
    expect(errors).toHaveLength(1)
    const raw = await openRaw(indexedDB, 'failing')
    const logged = await new Promise<number>((resolve) => {
      const count = raw.transaction('log').objectStore('log').count()
      count.onsuccess = () => resolve(count.result)
    })
    raw.close()
    expect(logged).toBe(0) // folded by the compaction after the next commit
    expect(await store.entries('docs')).toEqual([['a', 10], ['c', 3], ['d', 4]])
  })

  test('commits, compactions and reopening give what the memory store gives (random commits; values large enough to span batches)', async () => {
    const key = fc.constantFrom('a', 'b', 'b1', 'c', 'd', 'e', 'f', 'g', 'h', 'p/a', 'p/b', 'p/c', 'z')
    const table = fc.constantFrom<StoreTable>('docs', 'outbox', 'meta')
    const change = fc.oneof(
      fc.record({ table, key, size: fc.integer({ min: 0, max: 90_000 }), n: fc.integer() }).map(({ table, key, size, n }) => put(table, key, { n, pad: 'y'.repeat(size) })),
      fc.record({ table, key }).map(({ table, key }) => del(table, key)),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(change, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 12 }), fc.constantFrom(0, 100_000, 10_000_000), async (commits, compactAfterChars) => {
        const indexedDB = new IDBFactory()
        const make = (): LocalStore => indexedDbStore({ name: 'random', indexedDB, IDBKeyRange, compactAfterChars })
        const reference = memoryStore()
        await reference.open()
        let store = make()
        await store.open()
        for (const [i, changes] of commits.entries()) {
          await Promise.all([reference.commit(changes), store.commit(changes)])
          expect(await dump(store)).toEqual(await dump(reference))
          expect(await store.entries('docs', { prefix: 'p/' })).toEqual(await reference.entries('docs', { prefix: 'p/' }))
          if (i % 4 === 3) {
            await store.close()
            store = make()
            await store.open()
          }
        }
        await store.close()
        store = make()
        await store.open()
        expect(await dump(store)).toEqual(await dump(reference))
        await store.close()
      }),
      { numRuns: 40 },
    )
  })

  test('another connection upgrading the database: the store steps aside and says so; open() again fails clearly (newer schema)', async () => {
    const indexedDB = new IDBFactory()
    const store = await opened(indexedDbStore({ name: 'upgrade', indexedDB }))
    await store.commit([put('docs', 'a', 1)])
    const newer = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('upgrade', 3) // not blocked: the store closes on versionchange
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error)
    })
    const error = await rejection(store.commit([put('docs', 'b', 2)]))
    expect(isPortabaseError(error, 'failed-precondition')).toBe(true)
    expect((error as Error).message).toMatch(/upgraded or deleted by another connection/)
    newer.close()
    const reopen = await rejection(store.open())
    expect(isPortabaseError(reopen, 'failed-precondition')).toBe(true)
    expect((reopen as Error).message).toMatch(/VersionError/)
  })
})

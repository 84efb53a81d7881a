/**
 * entries(table, { prefix }) on every store: the keys starting with the prefix, ascending, and
 * nothing else (the engine reads one user's partition this way; issue #14).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import { type LocalStore } from '../../src/index.js'
import { memoryStore, indexedDbStore } from '../../src/offline/index.js'
import { fileStore } from '../../src/offline/node/index.js'

const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

const stores: Array<[string, () => Promise<LocalStore>]> = [
  ['memoryStore', async () => memoryStore()],
  ['indexedDbStore (fake-indexeddb, key ranges)', async () => indexedDbStore({ name: 'prefix', indexedDB: new IDBFactory(), IDBKeyRange })],
  ['indexedDbStore (fake-indexeddb, no IDBKeyRange: filtered)', async () => indexedDbStore({ name: 'prefix', indexedDB: new IDBFactory() })],
  ['fileStore (rows in the log)', async () => fileStore({ directory: await scratch() })],
  ['fileStore (rows in the snapshot)', async () => fileStore({ directory: await scratch(), compactAfterBytes: 0 })],
]

async function scratch(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'portabase-prefix-'))
  dirs.push(directory)
  return directory
}

const KEYS = ['a', 'u:a/1', 'u:a/2', 'u:a/\uffff', 'u:a0', 'u:a\uffff', 'u:b/1', 'guest/x', '\uffff\uffff', '']

describe.each(stores)('%s', (_name, make) => {
  it('returns exactly the keys with the prefix, ascending; no prefix or an empty one returns all', async () => {
    const store = await make()
    await store.open()
    try {
      await store.commit(KEYS.map((key, i) => ({ table: 'docs', key, value: i })))
      const sorted = [...KEYS].sort()
      for (const prefix of ['u:a/', 'u:a', 'u:', 'guest/', 'nothing/', '\uffff', 'u:a\uffff']) {
        const expected = sorted.filter((k) => k.startsWith(prefix)).map((k) => [k, KEYS.indexOf(k)])
        expect([prefix, await store.entries('docs', { prefix })]).toEqual([prefix, expected])
      }
      expect((await store.entries('docs')).map(([k]) => k)).toEqual(sorted)
      expect((await store.entries('docs', { prefix: '' })).map(([k]) => k)).toEqual(sorted)
      await expect(store.entries('docs', { prefix: 3 as unknown as string })).rejects.toMatchObject({ code: 'invalid-argument' })
    } finally {
      await store.close()
    }
  })
})

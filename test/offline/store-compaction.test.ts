/**
 * The file store's compaction at scale (issue #14): it streams (no write, and so no string or buffer,
 * near the store's size), keeps no decoded copy of the snapshot, reads one partition without the
 * others, converts a format-1 snapshot, and a failed compaction is reported — to `onError`, and by
 * the engine on `sync.status$` — instead of being swallowed.
 */
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memory } from '../../adapters/memory/index.js'
import { createClient, type LocalStore, type StoreChange, type StoredValue } from '../../src/index.js'
import { offline } from '../../src/offline/index.js'
import { LOG_FILE, SNAPSHOT_FILE, SNAPSHOT_TMP_FILE, fileStore } from '../../src/offline/node/file-store.js'
import { decodeRecords, encodeRecord, encodeRecordPayload } from '../../src/offline/node/records.js'

let directory: string
const opened: LocalStore[] = []

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'portabase-compaction-'))
})
afterEach(async () => {
  jest.restoreAllMocks()
  for (const store of opened.splice(0)) await store.close()
  await rm(directory, { recursive: true, force: true })
})

async function openStore(options: { compactAfterBytes?: number } = {}): Promise<LocalStore> {
  const store = fileStore({ directory, ...options })
  await store.open()
  opened.push(store)
  return store
}

async function closeAll(): Promise<void> {
  for (const store of opened.splice(0)) await store.close()
}

const put = (key: string, value: StoredValue): StoreChange => ({ table: 'docs', key, value })

async function fileHandlePrototype(): Promise<{ write: (...args: unknown[]) => Promise<unknown> }> {
  const handle = await open(join(directory, 'probe'), 'w')
  const proto = Object.getPrototypeOf(handle) as { write: (...args: unknown[]) => Promise<unknown> }
  await handle.close()
  return proto
}

test('a compaction of a ~24 MB store streams: no single write above ~1 MiB, data intact after reopen', async () => {
  const store = await openStore({ compactAfterBytes: 1e12 }) // no compaction while filling
  const pad = 'p'.repeat(8_000)
  for (let i = 0; i < 3_000; i += 500) {
    await store.commit(Array.from({ length: 500 }, (_, k) => put(`doc/${String(i + k).padStart(5, '0')}`, { i: i + k, pad })))
  }
  await store.commit([{ table: 'outbox', key: 'q1', value: { w: 1 } }])
  await closeAll()

  const proto = await fileHandlePrototype()
  const sizes: number[] = []
  const write = proto.write
  jest.spyOn(proto, 'write').mockImplementation(function (this: unknown, ...args: unknown[]) {
    const data = args[0] as Uint8Array | string
    const length = typeof args[2] === 'number' ? args[2] : data.length
    sizes.push(length)
    return write.apply(this, args)
  })
  const compacting = await openStore({ compactAfterBytes: 0 })
  await compacting.commit([put('doc/00001', 'changed'), { table: 'docs', key: 'doc/00002', delete: true }])
  await closeAll() // waits for the compaction
  jest.restoreAllMocks()

  const snapshot = await readFile(join(directory, SNAPSHOT_FILE))
  expect(snapshot.length).toBeGreaterThan(24_000_000)
  expect(Math.max(...sizes)).toBeLessThan(1.5 * 2 ** 20)
  expect((await readFile(join(directory, LOG_FILE))).length).toBe(0)

  const reopened = await openStore()
  const docs = await reopened.entries('docs')
  expect(docs).toHaveLength(2_999)
  expect(docs[1]).toEqual(['doc/00001', 'changed'])
  expect(docs[2]![0]).toBe('doc/00003')
  expect(docs.every(([key], i) => i === 0 || docs[i - 1]![0] < key)).toBe(true)
  expect(await reopened.entries('outbox')).toEqual([['q1', { w: 1 }]])
})

test('entries(table, { prefix }) returns one partition, in key order, merging snapshot and log', async () => {
  const store = await openStore({ compactAfterBytes: 0 })
  await store.commit(Array.from({ length: 300 }, (_, i) => put(`${i % 3 === 0 ? 'guest/' : 'u:ada/'}${String(i).padStart(3, '0')}`, i)))
  await closeAll()
  const reopened = await openStore({ compactAfterBytes: 1e12 })
  await reopened.commit([put('u:ada/zzz', 'log'), { table: 'docs', key: 'guest/000', delete: true }, put('u:ada-other/1', 'x')])
  const ada = await reopened.entries('docs', { prefix: 'u:ada/' })
  expect(ada).toHaveLength(201)
  expect(ada.every(([key]) => key.startsWith('u:ada/'))).toBe(true)
  expect(ada.at(-1)).toEqual(['u:ada/zzz', 'log'])
  const guest = await reopened.entries('docs', { prefix: 'guest/' })
  expect(guest.map(([key]) => key)).toEqual(Array.from({ length: 99 }, (_, k) => `guest/${String(3 * (k + 1)).padStart(3, '0')}`))
  expect(await reopened.entries('docs', { prefix: 'legacy/' })).toEqual([])
})

test('a snapshot in format 1 (one record, written by an earlier version) is read, then rewritten as format 2', async () => {
  const tables = { docs: [['a', { v: 1 }], ['b', 2]], outbox: [['0001', { w: 'x' }]], meta: [['schemaVersion', 2]] }
  await writeFile(join(directory, SNAPSHOT_FILE), encodeRecord({ format: 1, tables }))
  await writeFile(join(directory, LOG_FILE), encodeRecord([put('c', 3), { table: 'docs', key: 'b', delete: true }]))
  const store = await openStore()
  expect(await store.entries('docs')).toEqual([['a', { v: 1 }], ['c', 3]])
  expect(await store.entries('outbox')).toEqual([['0001', { w: 'x' }]])
  expect(await store.entries('meta')).toEqual([['schemaVersion', 2]])
  const [header] = decodeRecords(await readFile(join(directory, SNAPSHOT_FILE)))
  expect(header!.value).toEqual({ format: 2 })
})

test('a snapshot of a newer format is refused with failed-precondition', async () => {
  await writeFile(join(directory, SNAPSHOT_FILE), encodeRecord({ format: 99 }))
  await expect(fileStore({ directory }).open()).rejects.toMatchObject({ code: 'failed-precondition' })
})

test('a failed compaction is reported to onError, loses nothing, and is retried after the next commit', async () => {
  const store = await openStore({ compactAfterBytes: 0 })
  const errors: Error[] = []
  const stop = store.onError!((error) => errors.push(error))
  await mkdir(join(directory, SNAPSHOT_TMP_FILE)) // where the compaction writes: it cannot
  await store.commit([put('a', 1)])
  await store.entries('docs') // behind the compaction
  expect(errors).toHaveLength(1)
  expect(errors[0]).toMatchObject({ code: 'internal', message: expect.stringContaining('compaction failed') })
  expect(await store.entries('docs')).toEqual([['a', 1]])
  await rm(join(directory, SNAPSHOT_TMP_FILE), { recursive: true })
  await store.commit([put('b', 2)])
  await store.entries('docs')
  expect(errors).toHaveLength(1)
  expect((await readFile(join(directory, LOG_FILE))).length).toBe(0) // compacted this time
  stop()
  await closeAll()
  expect(await (await openStore()).entries('docs')).toEqual([['a', 1], ['b', 2]])
})

test('the engine shows a failed compaction on sync.status$ error', async () => {
  const adapter = memory()
  const store = fileStore({ directory, compactAfterBytes: 0 })
  const app = createClient({ adapter, offline: offline({ store, collections: { todos: {} }, retryDelayMs: { initial: 3_600_000, max: 3_600_000 } }) })
  const errors: string[] = []
  const sub = app.sync.status$.subscribe((s) => {
    if (s.error) errors.push(s.error.message)
  })
  await app.sync.waitForSync()
  adapter.network.goOffline()
  // The sync's own commits may have queued a compaction: wait behind it, or it owns snapshot.tmp.
  await store.entries('meta')
  await mkdir(join(directory, SNAPSHOT_TMP_FILE))
  await app.db.collection('todos').doc('a').set({ v: 1 })
  await new Promise((resolve) => setTimeout(resolve, 100))
  expect(errors.some((message) => message.includes('compaction failed'))).toBe(true)
  sub.unsubscribe()
  await rm(join(directory, SNAPSHOT_TMP_FILE), { recursive: true })
  await app.dispose()
})

// ------------------------------------------------ close() folds; grouped writes

const logSize = async (): Promise<number> => (await stat(join(directory, LOG_FILE))).size
/** ~1.5 MiB of rows over 300 commits: past the close threshold (1 MiB), under the default 4 MiB. */
const rows = (n: number): StoreChange[] => Array.from({ length: n }, (_, i) => put(`doc/${String(i).padStart(5, '0')}`, { text: 'é'.repeat(2_500), i }))

test('close() folds a log over 1 MiB into the snapshot; the data reads back the same', async () => {
  const store = await openStore()
  const changes = rows(300)
  for (const change of changes) await store.commit([change])
  expect(await logSize()).toBeGreaterThan(1024 * 1024)
  await closeAll()
  expect(await logSize()).toBe(0)
  const reopened = await openStore()
  expect(await reopened.entries('docs')).toEqual(changes.map((c) => [c.key, (c as { value: StoredValue }).value]))
})

test('close() leaves a small log, and an explicit compactAfterBytes is the only threshold', async () => {
  const small = await openStore()
  await small.commit([put('a', 1)])
  await closeAll()
  expect(await logSize()).toBeGreaterThan(0)

  const explicit = await openStore({ compactAfterBytes: 1e12 })
  for (const change of rows(300)) await explicit.commit([change])
  await closeAll()
  expect(await logSize()).toBeGreaterThan(1024 * 1024)
  expect((await (await openStore()).entries('docs')).length).toBe(301)
})

test('concurrent commits written together (one writev) are one sound record each, in order', async () => {
  const store = await openStore({ compactAfterBytes: 1e12 })
  const changes = rows(200)
  await Promise.all(changes.map((change) => store.commit([change])))
  const records = [...decodeRecords(await readFile(join(directory, LOG_FILE)))]
  expect(records.map((r) => r.value)).toEqual(changes.map((c) => [c]))
  expect(records.at(-1)!.end).toBe(await logSize())
})

test('a record encoded in place equals the one made from its parts (length, checksum, payload)', () => {
  for (const value of [[], [put('k', 'ü\u2028😀')], [put('x', 'a'.repeat(70_000))]]) {
    const json = JSON.stringify(value)
    const payload = Buffer.from(json, 'utf8')
    const record = encodeRecordPayload(json)
    expect(record.subarray(record.length - 1 - payload.length, record.length - 1).equals(payload)).toBe(true)
    expect(record.toString('latin1', 0, record.length - 1 - payload.length)).toMatch(new RegExp(`^${payload.length} [0-9a-f]{8} $`))
    expect([...decodeRecords(record)]).toEqual([{ value, end: record.length }])
  }
})

/**
 * The file store folds a large log into the snapshot at close() (issue #14: the next open reads one
 * file instead of replaying, re-serialising and re-parsing every logged row), leaves a small log as
 * it is, and keeps an explicit compactAfterBytes as the only threshold. Records written by one
 * writev per group read back byte for byte.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LocalStore, StoreChange, StoredValue } from '../../src/index.js'
import { LOG_FILE, fileStore } from '../../src/offline/node/file-store.js'
import { decodeRecords, encodeRecord, encodeRecordPayload } from '../../src/offline/node/records.js'

let directory: string
const opened: LocalStore[] = []

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'portabase-close-fold-'))
})
afterEach(async () => {
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
    expect(record.equals(encodeRecord(value))).toBe(true)
    expect([...decodeRecords(record)]).toEqual([{ value, end: record.length }])
  }
})

/**
 * The file store's crash handling, driven by editing its files the way a crash would leave them:
 * torn and damaged log lines, compactions interrupted at each step, and the directory lock.
 * (The conformance suite in offline-stores.test.ts covers the LocalStore contract; the real-crash
 * test with SIGKILL is file-store-crash.test.ts.)
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as zlib from 'node:zlib'
import { isPortabaseError } from '../../src/errors.js'
import { LOG_FILE, SNAPSHOT_FILE, SNAPSHOT_TMP_FILE, fileStore } from '../../src/offline/node/file-store.js'
import { LOCK_FILE } from '../../src/offline/node/lock.js'
import { crc32Js, decodeRecords, encodeRecord } from '../../src/offline/node/records.js'
import type { LocalStore, StoreChange, StoredValue } from '../../src/offline/store.js'

const ROOT = join(__dirname, '..', '..')
const WRITER = join(ROOT, 'test', 'offline', 'file-store-writer.ts')

let directory: string
const open: LocalStore[] = []
const children: ChildProcess[] = []

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'portabase-file-store-'))
})
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  for (const store of open.splice(0)) await store.close()
  await rm(directory, { recursive: true, force: true })
})

async function openStore(options: { compactAfterBytes?: number } = {}): Promise<LocalStore> {
  const store = fileStore({ directory, ...options })
  await store.open()
  open.push(store)
  return store
}

async function closeAll(): Promise<void> {
  for (const store of open.splice(0)) await store.close()
}

const put = (key: string, value: StoredValue): StoreChange => ({ table: 'docs', key, value })
const del = (key: string): StoreChange => ({ table: 'docs', key, delete: true })
const logPath = (): string => join(directory, LOG_FILE)
const docs = async (store: LocalStore): Promise<Record<string, StoredValue>> => Object.fromEntries(await store.entries('docs'))

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: Error) => error,
  )
}

describe('record format', () => {
  test('the table CRC-32 (older Node 20) equals zlib.crc32, so files move between Node versions', () => {
    for (const size of [0, 1, 7, 64, 1000, 65_537]) {
      const data = randomBytes(size)
      expect(crc32Js(data)).toBe(zlib.crc32(data))
    }
    expect(crc32Js(Buffer.from('123456789'))).toBe(0xcbf43926) // the standard check value
  })

  test('one line per record: length, checksum, JSON', () => {
    const line = encodeRecord([{ table: 'docs', key: 'a\nb', value: 'line\nbreak ü' }]).toString('utf8')
    expect(line.endsWith('\n')).toBe(true)
    expect(line.slice(0, -1)).not.toContain('\n')
    expect(line).toMatch(/^\d+ [0-9a-f]{8} \[/)
    expect([...decodeRecords(Buffer.from(line))]).toEqual([{ value: [{ table: 'docs', key: 'a\nb', value: 'line\nbreak ü' }], end: Buffer.byteLength(line) }])
  })
})

describe('replaying the log', () => {
  async function threeCommits(): Promise<number[]> {
    const store = await openStore()
    const ends: number[] = []
    for (const [key, value] of [['a', 1], ['b', 2], ['c', 3]] as const) {
      await store.commit([put(key, value)])
      ends.push((await stat(logPath())).size)
    }
    await closeAll()
    return ends
  }

  test('a torn last line (crash mid-append) is ignored and cut off; the next commit starts a clean line', async () => {
    const [, afterB] = await threeCommits()
    const full = await readFile(logPath())
    await writeFile(logPath(), full.subarray(0, afterB! + 5)) // c's line cut after 5 bytes
    const store = await openStore()
    expect(await docs(store)).toEqual({ a: 1, b: 2 })
    expect((await stat(logPath())).size).toBe(afterB)
    await store.commit([put('d', 4)])
    await closeAll()
    expect(await docs(await openStore())).toEqual({ a: 1, b: 2, d: 4 })
  })

  test('a complete line without its newline still counts as torn', async () => {
    const [, afterB, afterC] = await threeCommits()
    const full = await readFile(logPath())
    await writeFile(logPath(), full.subarray(0, afterC! - 1))
    expect(await docs(await openStore())).toEqual({ a: 1, b: 2 })
    expect((await stat(logPath())).size).toBe(afterB)
  })

  test('a line failing its checksum stops the replay there, and the log is cut to what came before', async () => {
    const [afterA] = await threeCommits()
    const full = await readFile(logPath())
    const damaged = Buffer.from(full)
    const at = full.indexOf('"value":2') + '"value":'.length
    damaged[at] = '7'.charCodeAt(0) // same length, wrong checksum
    await writeFile(logPath(), damaged)
    expect(await docs(await openStore())).toEqual({ a: 1 }) // not c either: nothing after damage is trusted
    expect((await stat(logPath())).size).toBe(afterA)
  })

  test('garbage, a wrong length, or a well-formed record that is not a commit also stop the replay', async () => {
    for (const bad of [
      Buffer.from('garbage without structure\n'),
      Buffer.from(encodeRecord([put('x', 1)]).toString('utf8').replace(/^\d+/, '999')),
      encodeRecord({ not: 'a commit' }),
      encodeRecord([{ table: 'users', key: 'x', value: 1 }]),
    ]) {
      await rm(directory, { recursive: true, force: true })
      const store = await openStore()
      await store.commit([put('a', 1)])
      await closeAll()
      const good = (await stat(logPath())).size
      await appendFile(logPath(), Buffer.concat([bad, encodeRecord([put('after', 1)])]))
      expect(await docs(await openStore())).toEqual({ a: 1 })
      expect((await stat(logPath())).size).toBe(good)
      await closeAll()
    }
  })
})

describe('compaction', () => {
  test('past compactAfterBytes the log is folded into the snapshot; data, overwrites and deletes survive reopen', async () => {
    const store = await openStore({ compactAfterBytes: 500 })
    const expected: Record<string, StoredValue> = {}
    for (let i = 0; i < 60; i++) {
      await store.commit([put(`k${i}`, { i, text: 'y'.repeat(20) }), put('overwritten', i)])
      expected[`k${i}`] = { i, text: 'y'.repeat(20) }
      if (i % 10 === 9) {
        await store.commit([del(`k${i - 5}`)])
        delete expected[`k${i - 5}`]
      }
    }
    expected.overwritten = 59
    expect(await docs(store)).toEqual(expected) // (queued behind any compaction)
    expect(existsSync(join(directory, SNAPSHOT_FILE))).toBe(true)
    expect((await stat(logPath())).size).toBeLessThan(500 + 200)
    await closeAll()
    expect(existsSync(join(directory, SNAPSHOT_TMP_FILE))).toBe(false)
    expect(await docs(await openStore({ compactAfterBytes: 500 }))).toEqual(expected)
  })

  /** Commits whose replay order matters (overwrites, deletes, re-puts), then the store's state. */
  async function history(store: LocalStore): Promise<Record<string, StoredValue>> {
    await store.commit([put('x', 1), put('y', 1), put('z', 1)])
    await store.commit([del('x'), put('y', 2)])
    await store.commit([put('x', 3), del('z')])
    await store.commit([put('y', 4), { table: 'meta', key: 'm', value: 'v' }])
    return docs(store)
  }

  test('crash after the rename, before the log was truncated: the new snapshot plus the whole log replays to the same state', async () => {
    const store = await openStore({ compactAfterBytes: 1e9 })
    const state = await history(store)
    await closeAll()
    const wholeLog = await readFile(logPath())
    // Reopen with compaction on every commit; an idempotent last commit triggers it.
    const compacting = await openStore({ compactAfterBytes: 0 })
    await compacting.commit([put('y', 4)])
    await closeAll()
    expect((await stat(logPath())).size).toBe(0)
    expect(existsSync(join(directory, SNAPSHOT_FILE))).toBe(true)
    // What the crash leaves: the new snapshot, and the log as it was before truncation.
    await writeFile(logPath(), Buffer.concat([wholeLog, encodeRecord([put('y', 4)])]))
    const reopened = await openStore()
    expect(await docs(reopened)).toEqual(state)
    expect(state).toEqual({ x: 3, y: 4 })
    expect(await reopened.entries('meta')).toEqual([['m', 'v']])
  })

  test('crash before the rename: a leftover snapshot.tmp (partial or complete) is ignored and removed', async () => {
    const store = await openStore()
    const state = await history(store)
    await closeAll()
    for (const tmp of [
      Buffer.from('12 0000'), // partial
      encodeRecord({ format: 1, tables: { docs: [['bogus', 1]], outbox: [], meta: [] } }), // complete, never renamed
    ]) {
      await writeFile(join(directory, SNAPSHOT_TMP_FILE), tmp)
      expect(await docs(await openStore())).toEqual(state)
      expect(existsSync(join(directory, SNAPSHOT_TMP_FILE))).toBe(false)
      await closeAll()
    }
  })

  test('a damaged snapshot (never a crash: it is replaced by rename) refuses to open instead of losing data', async () => {
    const store = await openStore({ compactAfterBytes: 0 })
    await store.commit([put('a', 1)])
    await closeAll()
    const snapshot = await readFile(join(directory, SNAPSHOT_FILE))
    await writeFile(join(directory, SNAPSHOT_FILE), snapshot.subarray(0, snapshot.length - 3))
    const error = await rejection(fileStore({ directory }).open())
    expect(isPortabaseError(error, 'internal')).toBe(true)
    expect(error.message).toMatch(/snapshot file .* is damaged/)
    expect(existsSync(join(directory, LOCK_FILE))).toBe(false) // the failed open let go of the lock
    await writeFile(join(directory, SNAPSHOT_FILE), snapshot)
    expect(await docs(await openStore())).toEqual({ a: 1 })
  })
})

describe('directory lock', () => {
  test('a second store on the same directory fails with failed-precondition while the first is open, and works after close', async () => {
    const first = await openStore()
    const error = await rejection(fileStore({ directory: join(directory, '.', '') }).open())
    expect(isPortabaseError(error, 'failed-precondition')).toBe(true)
    expect(error.message).toMatch(/is in use: another store of this process has it open/)
    await first.commit([put('a', 1)]) // the first is unaffected
    await closeAll()
    expect(existsSync(join(directory, LOCK_FILE))).toBe(false)
    expect(await docs(await openStore())).toEqual({ a: 1 })
  })

  test('two stores opening at once in one process: exactly one wins', async () => {
    const stores = [fileStore({ directory }), fileStore({ directory })]
    const results = await Promise.allSettled(stores.map((s) => s.open()))
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    for (const [i, r] of results.entries()) if (r.status === 'fulfilled') open.push(stores[i]!)
  })

  test('another live process holding the directory: failed-precondition naming its pid; once it is killed, its stale lock is taken over', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, directory, 'hold'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
    children.push(child)
    const exited = new Promise((resolve) => child.once('close', resolve))
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('open') && resolve())
      child.once('exit', (code) => reject(new Error(`writer exited early (${code})`)))
    })
    const error = await rejection(fileStore({ directory }).open())
    expect(isPortabaseError(error, 'failed-precondition')).toBe(true)
    expect(error.message).toContain(`process ${child.pid} has it open`)
    child.kill('SIGKILL')
    await exited
    expect((await readFile(join(directory, LOCK_FILE), 'utf8')).trim()).toBe(String(child.pid)) // left behind
    await openStore()
    expect((await readFile(join(directory, LOCK_FILE), 'utf8')).trim()).toBe(String(process.pid))
  })

  test.each([
    ['a pid that does not exist', '999999999\n'],
    ['our own pid, held by no store of ours (a container restarted as pid 1)', `${process.pid}\n`],
    ['an empty file (crash between creating and writing it)', ''],
  ])('a stale lock from %s is taken over', async (_, content) => {
    await writeFile(join(directory, LOCK_FILE), content)
    const store = await openStore()
    await store.commit([put('a', 1)])
    expect((await readFile(join(directory, LOCK_FILE), 'utf8')).trim()).toBe(String(process.pid))
    await closeAll()
    expect(existsSync(join(directory, LOCK_FILE))).toBe(false)
  })
})

describe('concurrency', () => {
  test('concurrent commits are appended one line each, never interleaved', async () => {
    const store = await openStore()
    const big = 'z'.repeat(100_000) // large writes are where interleaving would show
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.commit([put(`k${i}`, { i, big })])))
    const lines = [...decodeRecords(await readFile(logPath()))]
    expect(lines).toHaveLength(40)
    expect(lines.at(-1)!.end).toBe((await stat(logPath())).size)
  })

  test('close() waits for queued commits, and a compaction they started', async () => {
    const store = fileStore({ directory, compactAfterBytes: 100 })
    await store.open()
    const commits = Array.from({ length: 20 }, (_, i) => store.commit([put(`k${i}`, i)]))
    await store.close()
    await Promise.all(commits)
    expect((await stat(logPath())).size).toBeLessThan(100 + 100)
    expect(Object.keys(await docs(await openStore()))).toHaveLength(20)
  })
})

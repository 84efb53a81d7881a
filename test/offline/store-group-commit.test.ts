/**
 * Group commit (issue #14): concurrent commits share one durable write — one fdatasync of the file
 * store's log, one IndexedDB transaction — and each still resolves only once that write is durable.
 * fdatasync calls are counted (and held back) with a spy on node's FileHandle; transactions with a
 * spy on fake-indexeddb's IDBDatabase.
 */
import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IDBDatabase, IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import { type LocalStore, type StoreChange } from '../../src/index.js'
import { indexedDbStore } from '../../src/offline/index.js'
import { fileStore } from '../../src/offline/node/index.js'

let directory: string
const opened: LocalStore[] = []
let fileHandle: { datasync(): Promise<void> }

beforeAll(async () => {
  const scratch = await mkdtemp(join(tmpdir(), 'portabase-proto-'))
  const handle = await open(join(scratch, 'x'), 'w')
  fileHandle = Object.getPrototypeOf(handle) as typeof fileHandle
  await handle.close()
  await rm(scratch, { recursive: true, force: true })
})
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'portabase-group-'))
})
afterEach(async () => {
  jest.restoreAllMocks()
  for (const store of opened.splice(0)) await store.close()
  await rm(directory, { recursive: true, force: true })
})

const put = (key: string, value: number): StoreChange => ({ table: 'docs', key, value })

async function openFileStore(): Promise<LocalStore> {
  const store = fileStore({ directory })
  await store.open()
  opened.push(store)
  return store
}

/** Counts fdatasync calls; each waits until `release()` (or runs at once after `passThrough()`). */
function gateDatasync(): { calls: () => number; release: () => void; passThrough: () => void; failNext: (error: Error) => void } {
  const original = fileHandle.datasync
  let calls = 0
  let open = false
  let failure: Error | undefined
  const waiting: Array<() => void> = []
  jest.spyOn(fileHandle, 'datasync').mockImplementation(function (this: unknown) {
    calls += 1
    if (failure) {
      const error = failure
      failure = undefined
      return Promise.reject(error)
    }
    const run = (): Promise<void> => original.call(this)
    if (open) return run()
    return new Promise<void>((resolve, reject) => waiting.push(() => run().then(resolve, reject)))
  })
  return {
    calls: () => calls,
    release: () => {
      for (const go of waiting.splice(0)) go()
    },
    passThrough: () => {
      open = true
      for (const go of waiting.splice(0)) go()
    },
    failNext: (error) => {
      failure = error
    },
  }
}

/** Settled-ness of promises, without waiting for them. */
function track(promises: Array<Promise<void>>): { resolved: () => number } {
  let resolved = 0
  for (const p of promises) p.then(() => (resolved += 1), () => undefined)
  return { resolved: () => resolved }
}

const tick = (ms = 20): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('fileStore group commit', () => {
  test('concurrent commits share one fdatasync, and none resolves before it is done', async () => {
    const store = await openFileStore()
    const gate = gateDatasync()
    const commits = Array.from({ length: 50 }, (_, i) => store.commit([put(`k${i}`, i)]))
    const state = track(commits)
    await tick()
    expect(gate.calls()).toBe(1)
    expect(state.resolved()).toBe(0) // written, not yet durable: not acknowledged
    gate.passThrough()
    await Promise.all(commits)
    expect(gate.calls()).toBe(1)
    expect((await store.entries('docs')).length).toBe(50)
  })

  test('commits arriving during an fdatasync go together in the next one, acknowledged after it', async () => {
    const store = await openFileStore()
    const gate = gateDatasync()
    const first = store.commit([put('a', 1)])
    await tick()
    expect(gate.calls()).toBe(1)
    const later = [store.commit([put('b', 2)]), store.commit([put('c', 3)]), store.commit([put('a', 4)])]
    const state = track([first, ...later])
    await tick()
    expect(gate.calls()).toBe(1) // the next group waits for the durable end of the first
    gate.release()
    await first
    await tick()
    expect(gate.calls()).toBe(2)
    expect(state.resolved()).toBe(1)
    gate.passThrough()
    await Promise.all(later)
    expect(gate.calls()).toBe(2)
    // In call order: the later put of `a` wins.
    expect(await store.entries('docs')).toEqual([['a', 4], ['b', 2], ['c', 3]])
  })

  test('sequential awaited commits: one fdatasync each, each acknowledged after its own', async () => {
    const store = await openFileStore()
    const gate = gateDatasync()
    gate.passThrough()
    for (let i = 0; i < 5; i++) {
      await store.commit([put(`k${i}`, i)])
      expect(gate.calls()).toBe(i + 1)
    }
  })

  test('a failed fdatasync rejects every commit of its group; none of them is visible or survives a reopen', async () => {
    const store = await openFileStore()
    await store.commit([put('before', 0)])
    const gate = gateDatasync()
    gate.passThrough()
    gate.failNext(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }))
    const results = await Promise.allSettled([store.commit([put('x', 1)]), store.commit([put('y', 2)])])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect(await store.entries('docs')).toEqual([['before', 0]])
    await store.commit([put('after', 3)])
    await store.close()
    opened.splice(0)
    expect(await (await openFileStore()).entries('docs')).toEqual([['after', 3], ['before', 0]])
  })

  test('close() waits for the commits waiting on a group', async () => {
    const store = fileStore({ directory })
    await store.open()
    const gate = gateDatasync()
    const commits = Array.from({ length: 10 }, (_, i) => store.commit([put(`k${i}`, i)]))
    const closing = store.close()
    await tick()
    gate.passThrough()
    await closing
    await Promise.all(commits)
    expect((await (await openFileStore()).entries('docs')).length).toBe(10)
  })
})

describe('indexedDbStore group commit (fake-indexeddb)', () => {
  test('concurrent commits share one readwrite transaction; each resolves after it completed', async () => {
    const store = indexedDbStore({ name: 'group', indexedDB: new IDBFactory(), IDBKeyRange })
    await store.open()
    opened.push(store)
    const modes: string[] = []
    const original = IDBDatabase.prototype.transaction
    jest.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, ...args: Parameters<typeof original>) {
      modes.push(args[1] ?? 'readonly')
      return original.apply(this, args)
    })
    const commits = Array.from({ length: 30 }, (_, i) => store.commit([put(`k${i}`, i)]))
    await Promise.all(commits)
    expect(modes.filter((m) => m === 'readwrite')).toHaveLength(1)
    // A commit during a running transaction waits for the next one, and a read sees both.
    const first = store.commit([put('a', 1)])
    await Promise.resolve()
    const second = store.commit([put('a', 2)])
    const read = store.entries('docs', { prefix: 'a' })
    await Promise.all([first, second])
    expect(await read).toEqual([['a', 2]])
    expect(modes.filter((m) => m === 'readwrite')).toHaveLength(3)
  })
})

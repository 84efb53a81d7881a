/**
 * memory → backup (NDJSON) → memory, through the migration API: every document, file, config key
 * and user arrives as the fixtures hold them, `verify` agrees, and it notices a difference.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { memory } from '../../adapters/memory/index.js'
import { createClient } from '../../src/index.js'
import { validateConfig, openEndpoint } from '../../src/migrate/config.js'
import { backupReader, backupWriter } from '../../src/migrate/endpoints/backup.js'
import { memoryEndpoint } from '../../src/migrate/endpoints/memory.js'
import { migrate } from '../../src/migrate/run.js'
import type { Selection } from '../../src/migrate/selection.js'
import { verify } from '../../src/migrate/verify.js'
import { silentProgress } from '../../src/migrate/progress.js'
import { FIXTURE_CONFIG, FIXTURE_EMAIL, FIXTURE_FILES, FIXTURE_LISTS, FIXTURE_PASSWORD, fixtureDocs, seedSource } from './fixtures.js'

const DOCS = 1_234
const ALL: Selection = { collections: ['todos', 'lists'], storagePrefixes: ['avatars/'], configKeys: 'all', users: true }
let dir: string

/** The process's open file descriptors (Linux and macOS list them under /dev/fd). */
const openFiles = async (): Promise<number> => (await readdir('/dev/fd')).length

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portabase-migrate-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function seeded() {
  const source = memory()
  await seedSource(source, { docs: DOCS })
  return source
}

const dataOf = (docs: Iterable<{ id: string; data: unknown }>): Record<string, unknown> => Object.fromEntries([...docs].map((d) => [d.id, d.data]))

describe('memory → backup → memory', () => {
  it('moves documents (ids, every value kind, timestamps), files, config and users with their passwords, and verifies', async () => {
    const source = await seeded()
    const backup = path.join(dir, 'backup')
    const filesBefore = await openFiles()
    const exported = await migrate({ from: memoryEndpoint(source), to: backupWriter(backup), selection: ALL, verify: true, pageSize: 100, targetReader: () => backupReader(backup) })
    expect(exported.verify?.ok).toBe(true)
    // A finished backup closes its files: nothing is left for the GC to close (the caller never called close()).
    expect(await openFiles()).toBe(filesBefore)
    expect(exported.collections.map((c) => [c.collection, c.read, c.written])).toEqual([
      ['todos', DOCS, DOCS],
      ['lists', 2, 2],
    ])
    const manifest = JSON.parse(await readFile(path.join(backup, 'manifest.json'), 'utf8'))
    expect(manifest).toMatchObject({ format: 'portabase-backup', version: 1, collections: { todos: { count: DOCS }, lists: { count: 2 } }, files: { count: 2 }, config: { keys: 3 }, users: { count: 2, withPasswordHash: 1 } })
    const lines = (await readFile(path.join(backup, 'collections/todos.ndjson'), 'utf8')).trimEnd().split('\n')
    expect(lines).toHaveLength(DOCS)
    // users.ndjson holds password hashes: owner-only.
    expect((await stat(path.join(backup, 'users.ndjson'))).mode & 0o777).toBe(0o600)

    const target = memory()
    const imported = await migrate({ from: await backupReader(backup), to: memoryEndpoint(target), selection: ALL, verify: true, pageSize: 333 })
    expect(imported.verify?.ok).toBe(true)
    expect(imported.users?.mustReset).toEqual([])

    expect(dataOf(target.backend.collection('todos').values())).toEqual(fixtureDocs(DOCS))
    expect(dataOf(target.backend.collection('lists').values())).toEqual(FIXTURE_LISTS)
    for (const [id, doc] of source.backend.collection('todos')) expect(target.backend.collection('todos').get(id)!.meta.updateTime).toEqual(doc.meta.updateTime)
    expect(target.backend.config).toEqual(FIXTURE_CONFIG)
    expect([...target.backend.files.keys()].sort()).toEqual(['avatars/alice.png', 'avatars/bob.txt'])
    for (const file of ['avatars/alice.png', 'avatars/bob.txt']) {
      expect(target.backend.files.get(file)!.bytes).toEqual(FIXTURE_FILES[file]!.bytes)
      expect(target.backend.files.get(file)!.contentType).toBe(FIXTURE_FILES[file]!.contentType)
    }
    // The password hash moved: the user signs in on the target with the old password, same uid.
    const app = createClient({ adapter: target })
    const user = await app.auth.signIn({ email: FIXTURE_EMAIL, password: FIXTURE_PASSWORD })
    expect(user.uid).toBe(source.backend.uidByEmail.get(FIXTURE_EMAIL))
    expect([...target.backend.users.values()].filter((u) => u.user.isAnonymous)).toHaveLength(1)
    await app.dispose()
  })

  it('a memory backend with other PBKDF2 iterations gets the account, and the report lists it for a password reset', async () => {
    const source = await seeded()
    const target = memory({ passwordIterations: 20_000 })
    const report = await migrate({ from: memoryEndpoint(source), to: memoryEndpoint(target), selection: { ...ALL, collections: [] } })
    const uid = source.backend.uidByEmail.get(FIXTURE_EMAIL)!
    expect(report.users?.mustReset).toEqual([{ uid, email: FIXTURE_EMAIL, reason: expect.stringContaining('10000 iterations') }])
    expect(target.backend.users.get(uid)?.user.email).toBe(FIXTURE_EMAIL)
  })

  it('verify names documents that differ or are missing, and fails', async () => {
    const source = await seeded()
    const target = memory()
    await migrate({ from: memoryEndpoint(source), to: memoryEndpoint(target), selection: { ...ALL, users: false } })
    const todos = target.backend.collection('todos')
    const [first, second] = [...todos.keys()].sort()
    target.backend.commitEvents([
      { collection: 'todos', id: first!, after: { ...todos.get(first!)!, data: { ...todos.get(first!)!.data, n: -1 } } },
      { collection: 'todos', id: second!, after: undefined },
    ])
    target.backend.setConfig({ ...FIXTURE_CONFIG, theme: 'light' })
    target.backend.files.delete('avatars/bob.txt')
    const report = await verify(memoryEndpoint(source), memoryEndpoint(target), { ...ALL, users: false }, 200, silentProgress)
    expect(report.ok).toBe(false)
    const todosReport = report.collections.find((c) => c.collection === 'todos')!
    expect(todosReport).toMatchObject({ ok: false, source: { count: DOCS }, target: { count: DOCS - 1 } })
    expect(todosReport.differences).toEqual([`${first} (different)`, `${second} (missing)`])
    expect(report.collections.find((c) => c.collection === 'lists')!.ok).toBe(true)
    expect(report.files.differences).toEqual([{ path: 'avatars/bob.txt', reason: 'missing' }])
    expect(report.config).toEqual({ ok: false, differingKeys: ['theme'] })
  })

  it('--dry-run reads and counts everything and writes nothing', async () => {
    const source = await seeded()
    const target = memory()
    const report = await migrate({ from: memoryEndpoint(source), to: memoryEndpoint(target), selection: ALL, dryRun: true, checkpoint: path.join(dir, 'cp.json') })
    expect(report.collections.map((c) => [c.read, c.written])).toEqual([
      [DOCS, 0],
      [2, 0],
    ])
    expect(report.files.count).toBe(2)
    expect(target.backend.collection('todos').size).toBe(0)
    expect(target.backend.files.size).toBe(0)
    expect(target.backend.users.size).toBe(0)
    expect(target.backend.config).toEqual({})
    await expect(stat(path.join(dir, 'cp.json'))).rejects.toThrow()
  })

  it('refuses to export into a directory holding a backup, and to resume another migration’s checkpoint', async () => {
    const source = await seeded()
    const backup = path.join(dir, 'backup')
    await migrate({ from: memoryEndpoint(source), to: backupWriter(backup), selection: { ...ALL, users: false } })
    await expect(migrate({ from: memoryEndpoint(source), to: backupWriter(backup), selection: ALL })).rejects.toMatchObject({ code: 'failed-precondition' })
    const checkpoint = path.join(dir, 'cp.json')
    await writeFile(checkpoint, JSON.stringify({ version: 1, identity: 'another run', collections: {} }))
    await expect(migrate({ from: memoryEndpoint(source), to: memoryEndpoint(memory()), selection: ALL, checkpoint, resume: true })).rejects.toMatchObject({ code: 'failed-precondition' })
  })
})

describe('config files', () => {
  it('rejects a bad config with invalid-argument, naming the option and never printing a secret', async () => {
    const secret = 'super-secret-master-key-123'
    expect(() => validateConfig({ adapter: 'mongo' })).toThrow(expect.objectContaining({ code: 'invalid-argument' }))
    expect(() => validateConfig({ adapter: 'memory', collections: ['bad/name'] })).toThrow(expect.objectContaining({ code: 'invalid-argument' }))
    const error = await openEndpoint({ adapter: 'parse', options: { serverURL: 'http://localhost:1/parse', masterKey: secret } }, 'target').catch((e: Error) => e)
    expect(error).toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('options.appId') })
    expect(JSON.stringify({ message: (error as Error).message, details: (error as { details?: unknown }).details })).not.toContain(secret)
    const firebaseError = await openEndpoint({ adapter: 'firebase', options: { serviceAccount: secret } }, 'source').catch((e: Error) => e)
    expect(firebaseError).toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('options.projectId') })
    expect(JSON.stringify({ message: (firebaseError as Error).message, details: (firebaseError as { details?: unknown }).details })).not.toContain(secret)
  })
})

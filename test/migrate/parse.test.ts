/**
 * Migrations to and from a real Parse Server (test/backends/parse, started as test/parse/*.test.ts
 * start it): memory → Parse and Parse → memory with --verify, users by the documented rules, and a
 * CLI run to Parse killed with SIGKILL then resumed, with every write counted on its way to Parse
 * (a proxy in front of the server logs each /batch): each document created exactly once. With
 * `maintenanceKey`, documents keep their source `updateTime` on the real server (read back over REST).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { memory } from '../../adapters/memory/index.js'
import { parse } from '../../adapters/parse/index.js'
import { createClient, generateId } from '../../src/index.js'
import { openEndpoint } from '../../src/migrate/config.js'
import type { Endpoint } from '../../src/migrate/endpoint.js'
import type { Doc, DocumentData } from '../../src/types.js'
import { memoryEndpoint } from '../../src/migrate/endpoints/memory.js'
import { migrate } from '../../src/migrate/run.js'
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from '../backends/proxy.js'
import { startParseServer, type ParseTestServer } from '../backends/parse/server.js'
import { docId, FIXTURE_CONFIG, FIXTURE_EMAIL, FIXTURE_FILES, FIXTURE_LISTS, FIXTURE_PASSWORD, fixtureDocs, seedSource } from './fixtures.js'
import { fixture, runCli, startCli, waitFor, writtenSoFar } from './cli-process.js'

jest.setTimeout(240_000)

let server: ParseTestServer
let proxy: FaultProxy
let dir: string
const run = generateId(5)
const maintenanceKey = `maintenance-${generateId(12)}`

beforeAll(async () => {
  server = await startParseServer({ maintenanceKey })
  proxy = await startFaultProxy({ port: Number(new URL(server.serverURL).port) })
  dir = await mkdtemp(path.join(tmpdir(), 'portabase-migrate-parse-'))
})
afterAll(async () => {
  await proxy?.close()
  await server?.stop()
  await rm(dir, { recursive: true, force: true })
})

const parseOptions = (serverURL = server.serverURL) => ({ serverURL, appId: server.appId, masterKey: server.masterKey, javascriptKey: server.javascriptKey })
const parseTarget = (): Promise<Endpoint> => openEndpoint({ adapter: 'parse', options: parseOptions() }, 'target')
/** A portabase client on the parse adapter, as an app would read the migrated data. */
const parseApp = () => createClient({ adapter: parse({ serverURL: server.serverURL, appId: server.appId, javascriptKey: server.javascriptKey, liveQueryServerURL: false, transactions: false }) })

describe('memory → Parse', () => {
  it('moves documents, files, config and users; verifies; the parse adapter reads the documents back as the fixtures hold them', async () => {
    const source = memory()
    await seedSource(source, { docs: 260, bytes: false })
    // Fresh class names per run, as the Parse test backend may be shared.
    const todos = `todos${run}`
    const lists = `lists${run}`
    source.backend.seed(todos, fixtureDocs(260, { bytes: false }))
    source.backend.seed(lists, FIXTURE_LISTS)
    const target = await parseTarget()
    const report = await migrate({
      from: memoryEndpoint(source),
      to: target,
      selection: { collections: [todos, lists], storagePrefixes: ['avatars/'], configKeys: ['theme', 'maxItems'], users: true },
      verify: true,
      pageSize: 120,
    })
    await target.close()
    expect(report.verify?.ok).toBe(true)
    expect(report.timestamps).toBe('server-assigned')
    expect(report.collections.map((c) => c.written)).toEqual([260, 2])

    const app = parseApp()
    const read = await app.db.collection(todos).get()
    expect(Object.fromEntries(read.docs.map((d) => [d.id, d.data]))).toEqual(fixtureDocs(260, { bytes: false }))
    expect(new Uint8Array(await app.storage.download('avatars/alice.png'))).toEqual(FIXTURE_FILES['avatars/alice.png']!.bytes)
    await app.config.fetchAndActivate()
    expect(app.config.get('theme').asString()).toBe(FIXTURE_CONFIG.theme)
    expect(app.config.get('maxItems').asNumber()).toBe(FIXTURE_CONFIG.maxItems)

    // Users: same uid and email on Parse, but Parse takes no password hash: the report lists the account.
    const uid = source.backend.uidByEmail.get(FIXTURE_EMAIL)!
    expect(report.users?.mustReset).toEqual([{ uid, email: FIXTURE_EMAIL, reason: 'Parse Server accepts no password hash over its REST API' }])
    expect(report.verify?.users).toEqual({ ok: true, source: 2, found: 2 })
    await expect(app.auth.signIn({ email: FIXTURE_EMAIL, password: FIXTURE_PASSWORD })).rejects.toMatchObject({ code: 'unauthenticated' })
    const response = await fetch(`${server.serverURL}/classes/_User/${uid}`, { headers: { 'X-Parse-Application-Id': server.appId, 'X-Parse-Master-Key': server.masterKey } })
    expect(await response.json()).toMatchObject({ objectId: uid, email: FIXTURE_EMAIL, username: FIXTURE_EMAIL })
    await app.dispose()
  })
})

describe('Parse → memory', () => {
  it('reads every object with the master key (past ACLs), verifies, and lists the users who must reset their password', async () => {
    const collection = `back${run}`
    const app = parseApp()
    const expected = fixtureDocs(130, { bytes: false })
    await app.db.batch((b) => {
      for (const [id, data] of Object.entries(expected).slice(0, 100)) b.set(app.db.collection(collection).doc(id), data)
    })
    for (const [id, data] of Object.entries(expected).slice(100)) await app.db.collection(collection).doc(id).set(data)
    const email = `back${run}@example.com`.toLowerCase() // Parse stores emails lower-cased
    const user = await app.auth.signUp({ email, password: 'pw-123456-x' })
    // A document only its owner may read: the master key reads it anyway.
    await fetch(`${server.serverURL}/classes/${collection}/${docId(0)}`, {
      method: 'PUT',
      headers: { 'X-Parse-Application-Id': server.appId, 'X-Parse-Master-Key': server.masterKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ACL: { [user.uid]: { read: true, write: true } } }),
    })
    await app.dispose()

    const target = memory()
    const source = await openEndpoint({ adapter: 'parse', options: parseOptions() }, 'source')
    const report = await migrate({ from: source, to: memoryEndpoint(target), selection: { collections: [collection], storagePrefixes: [], configKeys: 'all', users: true }, verify: true, pageSize: 50 })
    await source.close()
    expect(report.verify?.ok).toBe(true)
    expect(Object.fromEntries([...target.backend.collection(collection).values()].map((d) => [d.id, d.data]))).toEqual(expected)
    expect(target.backend.config).toMatchObject({ welcome: 'hello', maxItems: expect.any(Number) })
    expect(target.backend.users.get(user.uid)?.user).toMatchObject({ uid: user.uid, email, isAnonymous: false })
    expect(report.users?.mustReset).toContainEqual({ uid: user.uid, email, reason: 'the source exported no password hash' })
  })
})

describe('SIGKILL, then --resume, memory → Parse', () => {
  it('creates every document on Parse exactly once, counted at the proxy, and verifies', async () => {
    const total = 1_500
    const configDir = await mkdtemp(path.join(dir, 'cfg-'))
    const checkpoint = path.join(configDir, 'cp.json')
    const to = path.join(configDir, 'parse.json')
    await writeFile(to, JSON.stringify({ adapter: 'parse', options: parseOptions(proxy.url(new URL(server.serverURL).pathname)) }))
    // The fixture source writes to `todos`: a clean class for this run.
    await fetch(`${server.serverURL}/schemas/todos`, { method: 'DELETE', headers: { 'X-Parse-Application-Id': server.appId, 'X-Parse-Master-Key': server.masterKey } })
    await fetch(`${server.serverURL}/purge/todos`, { method: 'DELETE', headers: { 'X-Parse-Application-Id': server.appId, 'X-Parse-Master-Key': server.masterKey } })
    proxy.reset()
    const args = ['migrate', '--from', fixture('source.config.ts'), '--to', to, '--checkpoint', checkpoint, '--page-size', '100', '--collections', 'todos', '--no-progress']
    const env = { MIGRATE_DOCS: String(total), MIGRATE_USERS: '0', MIGRATE_BYTES: '0' }

    const { child, done } = startCli(args, env)
    await waitFor(async () => (await writtenSoFar(checkpoint, 'todos')) >= 400 || child.exitCode !== null, 180_000)
    // Kill while the next /batch is on its way (it is held at the proxy until the kill).
    proxy.setLatency(300)
    await new Promise((resolve) => setTimeout(resolve, 150))
    child.kill('SIGKILL')
    expect((await done).signal).toBe('SIGKILL')
    proxy.setLatency(0)
    const atKill = await writtenSoFar(checkpoint, 'todos')
    expect(atKill).toBeLessThan(total)

    const finished = await runCli([...args, '--resume', '--verify'], env)
    expect(finished.stderr).toBe('')
    expect(finished.code).toBe(0)
    expect(finished.stdout).toContain('Verify: OK')

    // Every create and replace sent to Parse, by objectId, from the forwarded /batch requests.
    const writes = new Map<string, number>()
    const batches = proxy.requests.filter((r: ProxiedRequest) => r.action === 'forwarded' && r.path.endsWith('/batch'))
    for (const request of batches) {
      const { requests } = JSON.parse(request.body) as { requests: { method: string; path: string; body?: { objectId?: string } }[] }
      for (const sub of requests) {
        const id = sub.method === 'POST' ? sub.body?.objectId : sub.path.split('/').pop()
        if (id && sub.path.includes('/classes/todos')) writes.set(id, (writes.get(id) ?? 0) + 1)
      }
    }
    expect(writes.size).toBe(total)
    expect([...writes.entries()].filter(([, n]) => n !== 1)).toEqual([])
    expect([...writes.keys()].sort()).toEqual(Array.from({ length: total }, (_, i) => docId(i)))
  })
})

describe('memory → Parse with maintenanceKey (real Parse Server started with one)', () => {
  const docsAt = (data: Record<string, DocumentData>, time: (i: number) => Date): Doc[] =>
    Object.entries(data).map(([id, fields], i) => ({ id, data: fields, meta: { updateTime: time(i), version: String(i), fromCache: false, hasPendingWrites: false } }))
  const seeded = async (collection: string, docs: Doc[]) => {
    const source = memory()
    await memoryEndpoint(source).documents.writePage!(collection, docs)
    return source
  }
  /** createdAt/updatedAt of every object of a class, as Parse Server stores them. */
  const timesOn = async (collection: string) => {
    const response = await fetch(`${server.serverURL}/classes/${collection}?limit=1000&keys=objectId`, { headers: { 'X-Parse-Application-Id': server.appId, 'X-Parse-Master-Key': server.masterKey } })
    const { results } = (await response.json()) as { results: { objectId: string; createdAt: string; updatedAt: string }[] }
    return Object.fromEntries(results.map((r) => [r.objectId, { createdAt: r.createdAt, updatedAt: r.updatedAt }]))
  }
  const move = async (collection: string, source: ReturnType<typeof memory>, options: Record<string, unknown>) => {
    const target = await openEndpoint({ adapter: 'parse', options: { ...parseOptions(), ...options } }, 'target')
    try {
      return await migrate({ from: memoryEndpoint(source), to: target, selection: { collections: [collection], storagePrefixes: [], configKeys: [], users: false }, verify: true, pageSize: 40 })
    } finally {
      await target.close()
    }
  }

  it('keeps each document\'s updateTime as createdAt and updatedAt, also when the ids are already there (a repeated run)', async () => {
    const current = `kept${run}`
    const first = docsAt(fixtureDocs(90, { bytes: false }), (i) => new Date(Date.UTC(2021, 0, 1 + i, 12, 0, 0, i)))
    const report = await move(current, await seeded(current, first), { maintenanceKey })
    expect(report.verify?.ok).toBe(true)
    expect(report.timestamps).toBe('preserved')
    const iso = (doc: Doc) => doc.meta.updateTime.toISOString()
    expect(await timesOn(current)).toEqual(Object.fromEntries(first.map((d) => [d.id, { createdAt: iso(d), updatedAt: iso(d) }])))

    // Same ids again, new data and times: Parse updates cannot set updatedAt, so the driver recreates them.
    const second = first.map((d, i) => ({ ...d, data: { ...d.data, n: 1000 + i }, meta: { ...d.meta, updateTime: new Date(Date.UTC(2022, 5, 1, 0, 0, i)) } }))
    const again = await move(current, await seeded(current, second), { maintenanceKey })
    expect(again.verify?.ok).toBe(true)
    expect(await timesOn(current)).toEqual(Object.fromEntries(second.map((d) => [d.id, { createdAt: iso(d), updatedAt: iso(d) }])))
    const app = parseApp()
    const read = await app.db.collection(current).get()
    expect(Object.fromEntries(read.docs.map((d) => [d.id, d.data]))).toEqual(Object.fromEntries(second.map((d) => [d.id, d.data])))
    await app.dispose()
  })

  it('without maintenanceKey, Parse assigns the times (the default)', async () => {
    const current = `assigned${run}`
    const started = Date.now() - 5_000 // slack for clock rounding between the processes
    const docs = docsAt(fixtureDocs(10, { bytes: false }), () => new Date(Date.UTC(2020, 0, 1)))
    const report = await move(current, await seeded(current, docs), {})
    expect(report.timestamps).toBe('server-assigned')
    for (const { createdAt, updatedAt } of Object.values(await timesOn(current))) {
      expect(Date.parse(createdAt)).toBeGreaterThanOrEqual(started)
      expect(Date.parse(updatedAt)).toBeGreaterThanOrEqual(started)
    }
  })

  it('a key the server does not take fails with permission-denied, and no key is in the error', async () => {
    const current = `wrongkey${run}`
    const wrong = `wrong-${generateId(12)}`
    const docs = docsAt(fixtureDocs(3, { bytes: false }), () => new Date(Date.UTC(2020, 0, 1)))
    const error = await move(current, await seeded(current, docs), { maintenanceKey: wrong }).then(() => null, (e: unknown) => e as Error & { code?: string })
    expect(error).toMatchObject({ code: 'permission-denied' })
    const shown = `${error?.message} ${JSON.stringify(error)} ${String(error?.stack)}`
    for (const secret of [wrong, maintenanceKey, server.masterKey]) expect(shown).not.toContain(secret)
    await expect(openEndpoint({ adapter: 'parse', options: { ...parseOptions(), maintenanceKey: '' } }, 'target')).rejects.toMatchObject({ code: 'invalid-argument' })
  })
})

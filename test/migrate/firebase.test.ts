/**
 * The firebase migration endpoint (firebase-admin) against the Firebase Auth and Storage emulators
 * (test/backends/firebase: the real firebase-tools emulators): users and files, both directions,
 * with --verify. Documents need the Firestore emulator, which cannot run here (Java 21): they are
 * covered by test/migrate/firebase-translation.test.ts (translation, not a server) and
 * test/live/migrate-firebase.test.ts (a real Firestore emulator, FIRESTORE_EMULATOR_HOST).
 *
 * What the auth emulator does with imported hashes (firebase-tools 15, lib/emulator/auth/operations.js):
 * `batchCreate` stores `passwordHash`/`salt` as sent and ignores the hash algorithm; sign-in compares
 * against its own fake scheme (`fakeHash:salt=…:password=…`). So it cannot verify an imported hash:
 * these tests prove the request (PBKDF2_SHA256, the rounds, the bytes) and that the stored hash is
 * PBKDF2-SHA256 of the original password, and assert that the emulator then refuses that password.
 */
import { pbkdf2Sync } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { memory } from '../../adapters/memory/index.js'
import type { Endpoint, MigratedUser } from '../../src/migrate/endpoint.js'
import { firebaseEndpoint, type FirebaseEndpointOptions } from '../../src/migrate/endpoints/firebase.js'
import { memoryEndpoint } from '../../src/migrate/endpoints/memory.js'
import { migrate } from '../../src/migrate/run.js'
import { startFirebaseEmulators, type FirebaseEmulators } from '../backends/firebase/emulators.js'
import { startFaultProxy, type FaultProxy } from '../backends/proxy.js'
import { runCli } from './cli-process.js'
import { FIXTURE_EMAIL, FIXTURE_FILES, FIXTURE_PASSWORD, seedSource } from './fixtures.js'

jest.setTimeout(180_000)

let emulators: FirebaseEmulators
let authProxy: FaultProxy
let dir: string

beforeAll(async () => {
  emulators = await startFirebaseEmulators()
  // firebase-admin talks to the auth emulator through this proxy, which logs each request.
  authProxy = await startFaultProxy({ port: emulators.authPort })
  dir = await mkdtemp(path.join(tmpdir(), 'portabase-migrate-firebase-'))
})
afterAll(async () => {
  await authProxy?.close()
  await emulators?.stop()
  await rm(dir, { recursive: true, force: true })
})

const options = (): FirebaseEndpointOptions => ({
  projectId: emulators.projectId,
  storageBucket: emulators.storageBucket,
  emulators: { auth: `127.0.0.1:${authProxy.port}`, storage: `${emulators.host}:${emulators.storagePort}` },
})
const authUrl = (path: string): string => `http://${emulators.host}:${emulators.authPort}/${path}`

/** Deletes every account and file the emulators hold (their own reset endpoints). */
async function resetEmulators(): Promise<void> {
  await fetch(authUrl(`emulator/v1/projects/${emulators.projectId}/accounts`), { method: 'DELETE' })
  await fetch(`http://${emulators.host}:${emulators.storagePort}/internal/reset`, { method: 'POST' })
  authProxy.reset()
}

/** Sign-in with email and password through the auth emulator's REST API, as the web SDK does. */
async function signIn(email: string, password: string): Promise<{ status: number; body: { localId?: string; error?: { message: string } } }> {
  const response = await fetch(authUrl('identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=demo-key'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, returnSecureToken: true }),
  })
  return { status: response.status, body: (await response.json()) as never }
}

async function allUsers(endpoint: Endpoint): Promise<MigratedUser[]> {
  const users: MigratedUser[] = []
  let cursor: string | null = null
  do {
    const page: { users: MigratedUser[]; cursor: string | null } = await endpoint.users!.list!(cursor, 1)
    users.push(...page.users)
    cursor = page.cursor
  } while (cursor !== null)
  return users
}

describe('memory → firebase (auth + storage emulators)', () => {
  beforeEach(resetEmulators)

  it('imports PBKDF2-SHA256 hashes as PBKDF2_SHA256 with their rounds; moves files with metadata; verifies', async () => {
    const source = memory()
    await seedSource(source, { docs: 0 })
    const stored = [...source.backend.users.values()].find((u) => u.user.email === FIXTURE_EMAIL)!
    const target = firebaseEndpoint(options())
    const report = await migrate({
      from: memoryEndpoint(source),
      to: target,
      selection: { collections: [], storagePrefixes: ['avatars/'], configKeys: null, users: true },
      verify: true,
    })
    expect(report.verify?.ok).toBe(true)
    expect(report.verify?.files).toMatchObject({ checked: 2, ok: true, extraInTarget: 0 })
    expect(report.verify?.users).toEqual({ ok: true, source: 2, found: 2 })
    expect(report.users).toMatchObject({ count: 2, withPasswordHash: 1, mustReset: [] })

    // The request as firebase-admin sent it to the emulator.
    const uploads = authProxy.requests.filter((r) => r.path.includes('accounts:batchCreate')).map((r) => JSON.parse(r.body) as Record<string, unknown>)
    const withHash = uploads.find((u) => u.hashAlgorithm !== undefined)!
    expect(withHash).toMatchObject({ hashAlgorithm: 'PBKDF2_SHA256', rounds: source.backend.passwordIterations })
    const sent = (withHash.users as { localId: string; passwordHash: string; salt: string }[])[0]!
    expect(sent.localId).toBe(stored.user.uid)
    expect(Buffer.from(sent.passwordHash, 'base64')).toEqual(Buffer.from(stored.passwordHash!))

    // Read back from the emulator: the stored hash is PBKDF2-SHA256 of the ORIGINAL password (computed here, independently).
    const users = await allUsers(target)
    const alice = users.find((u) => u.email === FIXTURE_EMAIL)!
    expect(alice).toMatchObject({ uid: stored.user.uid, isAnonymous: false, providerId: 'password' })
    expect(users.find((u) => u.uid !== alice.uid)).toMatchObject({ isAnonymous: true, email: null })
    expect(alice.password).toMatchObject({ algorithm: 'firebase-scrypt' })
    const { hash, salt } = alice.password as { hash: string; salt: string }
    expect(Buffer.from(hash, 'base64')).toEqual(pbkdf2Sync(FIXTURE_PASSWORD, Buffer.from(salt, 'base64'), source.backend.passwordIterations, 32, 'sha256'))

    // The emulator does not verify imported hashes (module comment): it refuses the original password.
    const attempt = await signIn(FIXTURE_EMAIL, FIXTURE_PASSWORD)
    expect(attempt.status).toBe(400)
    expect(attempt.body.error?.message).toBe('INVALID_PASSWORD') // INVALID_LOGIN_CREDENTIALS with email-enumeration protection on

    // Files: bytes were compared by --verify; content type and custom metadata kept.
    const { items } = await target.files!.list!('avatars/', null, 10)
    expect(items.find((f) => f.path === 'avatars/alice.png')).toMatchObject({ contentType: 'image/png', size: FIXTURE_FILES['avatars/alice.png']!.bytes.byteLength, metadata: { origin: 'fixture' } })
    await target.close()
  })

  it('a second run over the same accounts updates them in place (importUsers refuses existing uids) and still verifies', async () => {
    const source = memory()
    await seedSource(source, { docs: 0 })
    const selection = { collections: [], storagePrefixes: [], configKeys: null, users: true }
    const first = firebaseEndpoint(options())
    await migrate({ from: memoryEndpoint(source), to: first, selection })
    await first.close()
    const uid = source.backend.uidByEmail.get(FIXTURE_EMAIL)!
    source.backend.users.get(uid)!.user.displayName = 'Alice Renamed'
    const second = firebaseEndpoint(options())
    const report = await migrate({ from: memoryEndpoint(source), to: second, selection, verify: true })
    expect(report.verify?.users).toEqual({ ok: true, source: 2, found: 2 })
    expect(report.users?.mustReset).toEqual([])
    expect((await allUsers(second)).find((u) => u.uid === uid)).toMatchObject({ displayName: 'Alice Renamed', email: FIXTURE_EMAIL })
    await second.close()
  })

  it('lists as must-reset the accounts whose hash Firebase cannot import (PBKDF2 over 120000 rounds)', async () => {
    const source = memory({ passwordIterations: 150_000 })
    await seedSource(source, { docs: 0 })
    const target = firebaseEndpoint(options())
    const report = await migrate({ from: memoryEndpoint(source), to: target, selection: { collections: [], storagePrefixes: [], configKeys: null, users: true }, verify: true })
    const uid = source.backend.uidByEmail.get(FIXTURE_EMAIL)!
    expect(report.users?.mustReset).toEqual([{ uid, email: FIXTURE_EMAIL, reason: 'a pbkdf2-sha256 hash of 150000 iterations (Firebase imports at most 120000)' }])
    expect(report.verify?.users?.ok).toBe(true)
    // Imported without a password: the emulator holds no hash for it.
    expect((await allUsers(target)).find((u) => u.uid === uid)?.password).toBeUndefined()
    await target.close()
  })
})

describe('firebase (auth + storage emulators) → memory and → backup', () => {
  const email = 'bob@example.com'
  let uid: string

  beforeAll(async () => {
    await resetEmulators()
    const response = await fetch(authUrl('identitytoolkit.googleapis.com/v1/accounts:signUp?key=demo-key'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'bob-password-1', displayName: 'Bob', returnSecureToken: true }),
    })
    uid = ((await response.json()) as { localId: string }).localId
    await fetch(authUrl('identitytoolkit.googleapis.com/v1/accounts:signUp?key=demo-key'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ returnSecureToken: true }) })
    // Files through the endpoint's own upload, from a memory source.
    const seed = memory()
    await seedSource(seed, { docs: 0, users: false })
    const target = firebaseEndpoint(options())
    await migrate({ from: memoryEndpoint(seed), to: target, selection: { collections: [], storagePrefixes: [''], configKeys: null, users: false } })
    await target.close()
  })

  it('exports users and files to memory and verifies; the emulator gives no real hash, so the password account must reset', async () => {
    const source = firebaseEndpoint(options())
    const target = memory()
    const report = await migrate({ from: source, to: memoryEndpoint(target), selection: { collections: [], storagePrefixes: ['avatars/', 'other/'], configKeys: null, users: true }, verify: true, pageSize: 1 })
    expect(report.verify?.ok).toBe(true)
    expect(report.verify?.files).toMatchObject({ checked: 3, ok: true })
    expect(report.users).toMatchObject({ count: 2, withPasswordHash: 0, mustReset: [{ uid, email, reason: 'the source exported no password hash' }] })
    expect(target.backend.users.get(uid)?.user).toEqual({ uid, email, displayName: 'Bob', photoURL: null, isAnonymous: false, providerId: 'password' })
    expect([...target.backend.users.values()].filter((u) => u.user.isAnonymous)).toHaveLength(1)
    expect(target.backend.files.get('avatars/alice.png')).toMatchObject({ contentType: 'image/png', metadata: { origin: 'fixture' }, bytes: FIXTURE_FILES['avatars/alice.png']!.bytes })
    await source.close()
  })

  it('`portabase export` from a firebase config writes users and files to a backup, and --verify passes', async () => {
    const config = path.join(dir, 'firebase.json')
    await writeFile(config, JSON.stringify({ adapter: 'firebase', options: options(), collections: [], storage: { prefixes: ['avatars/'] }, users: true }))
    const out = path.join(dir, 'backup')
    const result = await runCli(['export', '--from', config, '--out', out, '--verify', '--no-progress', '--checkpoint', path.join(dir, 'cp.json')])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Verify: OK')
    const lines = (await readFile(path.join(out, 'users.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as MigratedUser)
    expect(lines.find((u) => u.uid === uid)).toEqual({ uid, email, displayName: 'Bob', photoURL: null, isAnonymous: false, providerId: 'password' })
    expect(JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8'))).toMatchObject({ files: { count: 2 }, users: { count: 2, withPasswordHash: 0 } })
  })
})

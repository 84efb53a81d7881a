/**
 * The firebase migration endpoint's translation into firebase-admin calls — translation, not a
 * server. The Firestore emulator cannot run here (Java 21) and Remote Config has no emulator, so
 * these tests record the calls the endpoint makes on a stand-in for firebase-admin's Firestore,
 * RemoteConfig and Auth objects, built with the SDK's REAL value classes (Timestamp, GeoPoint,
 * DocumentReference from a never-connected admin Firestore), and check every written document
 * against the real SDK's own validation (`WriteBatch.set`, no commit). They prove what is sent and
 * how answers are decoded, not that a server accepts it: documents against a real Firestore
 * emulator are test/live/migrate-firebase.test.ts; users and files on the real auth and storage
 * emulators are test/migrate/firebase.test.ts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { deleteApp, initializeApp, type App } from 'firebase-admin/app'
import type { Auth, UserImportOptions, UserImportRecord, UserRecord } from 'firebase-admin/auth'
import { DocumentReference, FieldPath, FieldValue, GeoPoint as AdminGeoPoint, getFirestore, Timestamp, type Firestore } from 'firebase-admin/firestore'
import type { RemoteConfig, RemoteConfigTemplate } from 'firebase-admin/remote-config'
import { isPortabaseError } from '../../src/errors.js'
import { openEndpoint } from '../../src/migrate/config.js'
import type { MigratedUser } from '../../src/migrate/endpoint.js'
import { firebaseEndpoint, type FirebaseEndpointOptions } from '../../src/migrate/endpoints/firebase.js'
import type { FirebaseAdmin } from '../../src/migrate/endpoints/firebase-admin.js'
import { neutralCode } from '../../src/migrate/endpoints/firebase-errors.js'
import { hashPlan, userOf } from '../../src/migrate/endpoints/firebase-users.js'
import { Bytes, GeoPoint, Reference } from '../../src/value-types.js'
import { docId, fixtureDocs } from './fixtures.js'
import { fixture, runCli } from './cli-process.js'

let app: App
let real: Firestore
beforeAll(() => {
  app = initializeApp({ projectId: 'demo-translation' }, 'translation-test')
  real = getFirestore(app)
})
afterAll(() => deleteApp(app))

const values = { Timestamp, GeoPoint: AdminGeoPoint, DocumentReference, FieldPath, FieldValue }
const OPTIONS: FirebaseEndpointOptions = { projectId: 'demo-translation' }
const SCRYPT = { signerKey: Buffer.from('signer-key-secret').toString('base64'), saltSeparator: 'Bw==', rounds: 8, memoryCost: 14 }

type Call = [string, ...unknown[]]
interface Snapshot {
  id: string
  exists: boolean
  updateTime?: Timestamp
  data(): Record<string, unknown> | undefined
}
const snapshot = (id: string, data: Record<string, unknown> | undefined, seconds = 1_700_000_000): Snapshot => ({
  id,
  exists: data !== undefined,
  updateTime: data ? new Timestamp(seconds, 123_000_000) : undefined,
  data: () => data,
})

/** A stand-in for admin Firestore that records calls; references are the real SDK's. */
function recordingFirestore(stored: Record<string, Record<string, unknown>> = {}) {
  const calls: Call[] = []
  const db = {
    collection(name: string) {
      const steps: Call[] = []
      const query = {
        orderBy: (field: unknown) => (steps.push(['orderBy', field]), query),
        limit: (n: number) => (steps.push(['limit', n]), query),
        startAfter: (cursor: unknown) => (steps.push(['startAfter', cursor]), query),
        async get() {
          calls.push(['query', name, ...steps])
          const limit = steps.find((s) => s[0] === 'limit')?.[1] as number
          const after = steps.find((s) => s[0] === 'startAfter')?.[1] as string | undefined
          const ids = Object.keys(stored).sort().filter((id) => after === undefined || id > after)
          return { docs: ids.slice(0, limit).map((id) => snapshot(id, stored[id])) }
        },
      }
      return {
        ...query,
        doc: (id: string) => real.collection(name).doc(id),
        count: () => ({ get: async () => (calls.push(['count', name]), { data: () => ({ count: Object.keys(stored).length }) }) }),
      }
    },
    batch() {
      const sets: [string, Record<string, unknown>][] = []
      const check = real.batch()
      return {
        set(ref: DocumentReference, data: Record<string, unknown>) {
          check.set(ref, data) // the real SDK's validation of the data it would send
          sets.push([ref.path, data])
        },
        commit: async () => void calls.push(['commit', sets]),
      }
    },
    async getAll(...refs: DocumentReference[]) {
      calls.push(['getAll', refs.map((r) => r.path)])
      return refs.map((ref) => snapshot(ref.id, stored[ref.id]))
    },
    listCollections: async () => [{ id: 'todos' }, { id: 'lists' }],
  }
  return { db: db as unknown as Firestore, calls }
}

function adminWith(parts: { db?: Firestore; auth?: Partial<Auth>; rc?: Partial<RemoteConfig> }): FirebaseAdmin {
  return {
    firestore: async () => ({ db: parts.db!, values }),
    auth: async () => parts.auth as Auth,
    bucket: async () => {
      throw new Error('no bucket in translation tests')
    },
    remoteConfig: async () => parts.rc as RemoteConfig,
    close: async () => undefined,
  }
}

describe('documents (translation, not a server)', () => {
  it('writes pages as batches of at most 500 sets by id, with admin value types the real SDK accepts', async () => {
    const { db, calls } = recordingFirestore()
    const endpoint = firebaseEndpoint(OPTIONS, adminWith({ db }))
    const docs = Object.entries(fixtureDocs(1_200)).map(([id, data]) => ({ id, data, meta: { updateTime: new Date(0), version: '', fromCache: false, hasPendingWrites: false } }))
    await endpoint.documents.writePage!('todos', docs)
    const commits = calls.filter((c) => c[0] === 'commit').map((c) => c[1] as [string, Record<string, unknown>][])
    expect(commits.map((sets) => sets.length)).toEqual([500, 500, 200])
    const [path, data] = commits[0]![1]!
    expect(path).toBe(`todos/${docId(1)}`)
    expect(data.due).toEqual(new Date(Date.UTC(2024, 0, 1) + 60_000)) // a Date: the SDK stores it as a Timestamp
    expect(data.place).toBeInstanceOf(AdminGeoPoint)
    expect(data.place).toMatchObject({ latitude: 48.11, longitude: 11.5 })
    expect(data.owner).toBeInstanceOf(DocumentReference)
    expect((data.owner as DocumentReference).path).toBe('people/u1')
    expect(Buffer.isBuffer(data.blob)).toBe(true)
    expect([...(data.blob as Buffer)]).toEqual([1, 0, 255])
    expect((data.nested as Record<string, unknown>).when).toBeInstanceOf(Date)
    expect(data).not.toHaveProperty('_portabase')
  })

  it('with writeMetadata, stamps `_portabase` with a server timestamp as the firebase adapter’s offline collections expect', async () => {
    const { db, calls } = recordingFirestore()
    await firebaseEndpoint({ ...OPTIONS, writeMetadata: true }, adminWith({ db })).documents.writePage!('todos', [{ id: 'a', data: { n: 1 }, meta: { updateTime: new Date(0), version: '', fromCache: false, hasPendingWrites: false } }])
    const data = (calls[0]![1] as [string, Record<string, { updatedAt: unknown; writeId: unknown }>][])[0]![1]
    expect(data._portabase!.updatedAt).toEqual(FieldValue.serverTimestamp())
    expect(data._portabase!.writeId).toBeNull()
  })

  it('reads keyset pages ordered by document id and decodes admin values to neutral ones', async () => {
    const stored = {
      a: {
        when: new Timestamp(1_704_067_200, 5_000_000),
        place: new AdminGeoPoint(1.5, -2),
        owner: real.doc('people/u1'),
        deep: real.doc('people/u1/pets/p1'),
        blob: Buffer.from([9, 8]),
        list: [new Timestamp(0, 0), { x: null }],
        _portabase: { updatedAt: new Timestamp(1, 0), writeId: null },
      },
      b: { n: 2 },
      c: { n: 3 },
    }
    const { db, calls } = recordingFirestore(stored)
    const endpoint = firebaseEndpoint(OPTIONS, adminWith({ db }))
    const first = await endpoint.documents.readPage('todos', null, 2)
    expect(first.cursor).toBe('b')
    expect(first.docs[0]).toEqual({
      id: 'a',
      data: {
        when: new Date(Date.UTC(2024, 0, 1, 0, 0, 0, 5)),
        place: new GeoPoint(1.5, -2),
        owner: new Reference('people', 'u1'),
        deep: { path: 'people/u1/pets/p1' },
        blob: Bytes.fromUint8Array(Uint8Array.of(9, 8)),
        list: [new Date(0), { x: null }],
      },
      meta: { updateTime: new Date(1_700_000_000_123), version: '1700000000.123000000', fromCache: false, hasPendingWrites: false },
    })
    const second = await endpoint.documents.readPage('todos', first.cursor, 2)
    expect(second).toMatchObject({ cursor: null, docs: [{ id: 'c', data: { n: 3 } }] })
    const queries = calls.filter((c) => c[0] === 'query')
    expect(queries[0]).toEqual(['query', 'todos', ['orderBy', FieldPath.documentId()], ['limit', 2]])
    expect(queries[1]).toEqual(['query', 'todos', ['orderBy', FieldPath.documentId()], ['limit', 2], ['startAfter', 'b']])
    expect(await endpoint.documents.count!('todos')).toBe(3)
    expect(await endpoint.documents.listCollections!()).toEqual(['todos', 'lists'])
  })

  it('reads by id with getAll in chunks of 300; missing documents are absent', async () => {
    const { db, calls } = recordingFirestore({ [docId(5)]: { n: 5 }, [docId(640)]: { n: 640 } })
    const ids = Array.from({ length: 650 }, (_, i) => docId(i))
    const found = await firebaseEndpoint(OPTIONS, adminWith({ db })).documents.readByIds!('todos', ids)
    expect([...found.keys()]).toEqual([docId(5), docId(640)])
    expect(calls.filter((c) => c[0] === 'getAll').map((c) => (c[1] as string[]).length)).toEqual([300, 300, 50])
  })

  it('maps Firestore failures (gRPC codes) to PortabaseErrors', async () => {
    const db = { collection: () => ({ orderBy: () => ({ limit: () => ({ get: () => Promise.reject(Object.assign(new Error('7 PERMISSION_DENIED: Missing or insufficient permissions.'), { code: 7 })) }) }) }) }
    await expect(firebaseEndpoint(OPTIONS, adminWith({ db: db as unknown as Firestore })).documents.readPage('todos', null, 10)).rejects.toMatchObject({
      name: 'PortabaseError',
      code: 'permission-denied',
      message: '[permission-denied] Firebase refused reading todos: 7 PERMISSION_DENIED: Missing or insufficient permissions.',
    })
    expect([neutralCode(14), neutralCode(404), neutralCode('auth/email-already-exists'), neutralCode('remote-config/failed-precondition'), neutralCode('ECONNREFUSED'), neutralCode('app/invalid-credential')]).toEqual([
      'unavailable',
      'not-found',
      'already-exists',
      'conflict',
      'unavailable',
      'unauthenticated',
    ])
  })
})

describe('remote config (translation, not a server)', () => {
  const template = (): RemoteConfigTemplate =>
    ({
      etag: 'etag-1',
      conditions: [{ name: 'ios', expression: "device.os == 'ios'" }],
      parameters: {
        theme: { defaultValue: { value: 'light' }, conditionalValues: { ios: { value: 'dark' } }, valueType: 'STRING' },
        maxItems: { defaultValue: { value: '10' }, valueType: 'NUMBER' },
        inApp: { defaultValue: { useInAppDefault: true } },
        json: { defaultValue: { value: '{"a":1}' }, valueType: 'JSON' },
      },
      parameterGroups: { flags: { parameters: { beta: { defaultValue: { value: 'false' }, valueType: 'BOOLEAN' } } } },
    }) as unknown as RemoteConfigTemplate

  it('reads default values typed by valueType (parameter groups included; in-app defaults skipped)', async () => {
    const rc = { getTemplate: async () => template() }
    expect(await firebaseEndpoint(OPTIONS, adminWith({ rc })).config!.read!()).toEqual({ theme: 'light', maxItems: 10, json: '{"a":1}', beta: false })
  })

  it('writes strings with a valueType into the template, in place, keeping conditions, and publishes it with its ETag', async () => {
    const published: RemoteConfigTemplate[] = []
    const rc = { getTemplate: async () => template(), publishTemplate: async (t: RemoteConfigTemplate) => (published.push(t), t) }
    await firebaseEndpoint(OPTIONS, adminWith({ rc })).config!.write!({ theme: 'dark', maxItems: 50, beta: true, fresh: 'x' })
    expect(published).toHaveLength(1)
    const sent = published[0]!
    expect(sent.etag).toBe('etag-1')
    expect(sent.parameters.theme).toEqual({ defaultValue: { value: 'dark' }, conditionalValues: { ios: { value: 'dark' } }, valueType: 'STRING' })
    expect(sent.parameters.maxItems).toEqual({ defaultValue: { value: '50' }, valueType: 'NUMBER' })
    expect(sent.parameters.fresh).toEqual({ defaultValue: { value: 'x' }, valueType: 'STRING' })
    expect(sent.parameters).not.toHaveProperty('beta')
    expect(sent.parameterGroups.flags!.parameters.beta).toEqual({ defaultValue: { value: 'true' }, valueType: 'BOOLEAN' })
    expect(sent.parameters.inApp).toEqual({ defaultValue: { useInAppDefault: true } })
  })
})

describe('users (translation, not a server)', () => {
  const base64 = (text: string): string => Buffer.from(text).toString('base64')
  const user = (uid: string, password?: MigratedUser['password'], extra: Partial<MigratedUser> = {}): MigratedUser => ({ uid, email: `${uid}@example.com`, displayName: null, photoURL: null, isAnonymous: false, providerId: 'password', ...(password ? { password } : {}), ...extra })

  function recordingAuth(existing: Partial<UserRecord>[] = []) {
    const imports: { records: UserImportRecord[]; options?: UserImportOptions }[] = []
    const updates: [string, unknown][] = []
    const auth: Partial<Auth> = {
      getUsers: (async (ids: { uid: string }[]) => ({ users: existing.filter((u) => ids.some((i) => i.uid === u.uid)), notFound: [] })) as never,
      updateUser: (async (uid: string, props: unknown) => (updates.push([uid, props]), {})) as never,
      importUsers: (async (records: UserImportRecord[], options?: UserImportOptions) => (imports.push({ records, options }), { successCount: records.length, failureCount: 0, errors: [] })) as never,
    }
    return { auth, imports, updates }
  }

  it('groups accounts by hash algorithm: PBKDF2_SHA256 per rounds, BCRYPT, SCRYPT with the hash’s parameters; the rest must reset', async () => {
    const { auth, imports } = recordingAuth()
    const users = [
      user('p1', { algorithm: 'pbkdf2-sha256', iterations: 10_000, salt: base64('salt1'), hash: base64('hash1') }),
      user('p2', { algorithm: 'pbkdf2-sha256', iterations: 20_000, salt: base64('salt2'), hash: base64('hash2') }),
      user('b1', { algorithm: 'bcrypt', hash: '$2b$10$abcdefghijklmnopqrstuu' }),
      user('s1', { algorithm: 'firebase-scrypt', hash: base64('scrypt-hash'), salt: base64('scrypt-salt'), parameters: SCRYPT } as MigratedUser['password']),
      user('s2', { algorithm: 'firebase-scrypt', hash: base64('h'), salt: base64('s') }),
      user('n1'),
      user('anon', undefined, { email: null, isAnonymous: true, providerId: 'anonymous' }),
    ]
    const result = await firebaseEndpoint(OPTIONS, adminWith({ auth })).users!.import!(users)
    expect(result.imported).toBe(7)
    expect(result.mustReset).toEqual([
      { uid: 's2', email: 's2@example.com', reason: 'a Firebase scrypt hash without its project’s hash parameters (options.scrypt of either endpoint)' },
      { uid: 'n1', email: 'n1@example.com', reason: 'the source exported no password hash' },
    ])
    const byUids = Object.fromEntries(imports.map((i) => [i.records.map((r) => r.uid).join(','), i]))
    expect(Object.keys(byUids).sort()).toEqual(['b1', 'p1', 'p2', 's1', 's2,n1,anon'].sort())
    expect(byUids.p1!.options).toEqual({ hash: { algorithm: 'PBKDF2_SHA256', rounds: 10_000 } })
    expect(byUids.p1!.records[0]).toEqual({ uid: 'p1', email: 'p1@example.com', passwordHash: Buffer.from('hash1'), passwordSalt: Buffer.from('salt1') })
    expect(byUids.p2!.options).toEqual({ hash: { algorithm: 'PBKDF2_SHA256', rounds: 20_000 } })
    expect(byUids.b1!.options).toEqual({ hash: { algorithm: 'BCRYPT' } })
    expect(byUids.b1!.records[0]!.passwordHash).toEqual(Buffer.from('$2b$10$abcdefghijklmnopqrstuu'))
    expect(byUids.s1!.options).toEqual({ hash: { algorithm: 'SCRYPT', key: Buffer.from('signer-key-secret'), saltSeparator: Buffer.from([7]), rounds: 8, memoryCost: 14 } })
    expect(byUids['s2,n1,anon']!.options).toBeUndefined()
    expect(byUids['s2,n1,anon']!.records.every((r) => r.passwordHash === undefined)).toBe(true)
  })

  it('imports Firebase scrypt hashes with the target’s scrypt option when the hash carries no parameters', () => {
    expect(hashPlan({ algorithm: 'firebase-scrypt', hash: 'aGFzaA==', salt: 'c2FsdA==' }, SCRYPT)).toMatchObject({ options: { hash: { algorithm: 'SCRYPT', rounds: 8, memoryCost: 14 } }, hash: Buffer.from('hash'), salt: Buffer.from('salt') })
  })

  it('updates an account that already exists instead of importing it; one without a password must reset', async () => {
    const { auth, imports, updates } = recordingAuth([{ uid: 'old', providerData: [], passwordHash: undefined } as Partial<UserRecord>])
    const result = await firebaseEndpoint(OPTIONS, adminWith({ auth })).users!.import!([user('old', { algorithm: 'bcrypt', hash: '$2b$10$x' }, { displayName: 'Old' })])
    expect(imports).toEqual([])
    expect(updates).toEqual([['old', { displayName: 'Old', photoURL: null, email: 'old@example.com' }]])
    expect(result.mustReset).toEqual([{ uid: 'old', email: 'old@example.com', reason: 'the account already existed on the target without a password' }])
  })

  it('exports the scrypt hash and salt (web-safe base64 → base64) with the configured parameters; the auth emulator’s fake hash is not a hash', () => {
    const record = { uid: 'u', email: 'u@example.com', providerData: [{ providerId: 'password' }], passwordHash: Buffer.from([251, 255, 1]).toString('base64url'), passwordSalt: 'c2FsdA' } as unknown as UserRecord
    expect(userOf(record, SCRYPT)).toEqual({
      uid: 'u',
      email: 'u@example.com',
      displayName: null,
      photoURL: null,
      isAnonymous: false,
      providerId: 'password',
      password: { algorithm: 'firebase-scrypt', hash: Buffer.from([251, 255, 1]).toString('base64'), salt: 'c2FsdA==', parameters: SCRYPT },
    })
    const emulated = { ...record, passwordHash: 'fakeHash:salt=fakeSaltabc:password=secret', passwordSalt: 'fakeSaltabc' } as unknown as UserRecord
    expect(userOf(emulated, undefined).password).toBeUndefined()
  })
})

describe('options (no SDK loaded)', () => {
  it('refuses bad options with invalid-argument, naming the option and never the signer key', async () => {
    await expect(openEndpoint({ adapter: 'firebase', options: {} }, 'source')).rejects.toMatchObject({ code: 'invalid-argument', message: '[invalid-argument] A firebase endpoint needs options.projectId as a string' })
    const secret = Buffer.from('do-not-print-me').toString('base64')
    let caught: unknown
    try {
      firebaseEndpoint({ projectId: 'p', scrypt: { ...SCRYPT, signerKey: secret, rounds: 99 } })
    } catch (error) {
      caught = error
    }
    expect(isPortabaseError(caught) && caught.code === 'invalid-argument').toBe(true)
    expect(String((caught as Error).message)).not.toContain(secret)
    expect(() => firebaseEndpoint({ projectId: 'p', emulators: { auth: 'http://127.0.0.1:9099' } })).toThrow(/options\.emulators\.auth as 'host:port'/)
  })

  it('opens from a config by name; the label names the project, never a credential', async () => {
    const endpoint = await openEndpoint({ adapter: 'firebase', options: { projectId: 'demo-x', serviceAccount: { private_key: 'SECRET' } } }, 'target')
    expect(endpoint.label).toBe('firebase (project demo-x)')
    expect(endpoint.capabilities).toEqual({ timestamps: 'server-assigned', resume: 'reconcile' })
    await endpoint.close()
  })
})

describe('firebase-admin is an optional peer (CLI child processes)', () => {
  // A loader hook makes `firebase-admin` unresolvable, as when it is not installed.
  const env = { NODE_OPTIONS: `--import ${fixture('no-firebase-admin.mjs')}`, MIGRATE_DOCS: '5' }

  it('without it, a memory export runs, and a firebase config fails with failed-precondition naming the package', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'portabase-no-firebase-admin-'))
    try {
      const plain = await runCli(['export', '--from', fixture('source.config.ts'), '--out', path.join(dir, 'a'), '--checkpoint', path.join(dir, 'a.json'), '--no-progress'], env)
      expect(plain.stderr).toBe('')
      expect(plain.code).toBe(0)
      const config = path.join(dir, 'firebase.json')
      await writeFile(config, JSON.stringify({ adapter: 'firebase', options: { projectId: 'demo-x' }, collections: [], users: true }))
      const firebase = await runCli(['export', '--from', config, '--out', path.join(dir, 'b'), '--checkpoint', path.join(dir, 'b.json'), '--no-progress'], env)
      expect(firebase.code).toBe(2)
      expect(firebase.stderr).toBe('portabase: [failed-precondition] The firebase migration endpoint needs the firebase-admin package (npm install firebase-admin); firebase-admin/auth could not be loaded\n')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 60_000)
})

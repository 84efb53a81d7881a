/**
 * The Amplify (Gen 2) admin driver against the local Amplify test backend (test/backends/amplify:
 * the real Amplify transformer's resolvers on the AppSync simulator over dynalite, cognito-local,
 * s3rver). What each layer proves:
 * - documents and remote config: DynamoDB calls of the real AWS SDK v3 against dynalite, and the
 *   migrated items read back by the real amplify adapter through the AppSync simulator (the
 *   transformer's VTL): the items are what the adapter's resolvers would have stored;
 * - files: the real S3 v3 client against s3rver, read back through the adapter (aws-amplify/storage);
 * - users: the driver's own AWS SDK v3 Cognito client (@aws-sdk/client-cognito-identity-provider)
 *   pointed at cognito-local; the migrated account signed in through the real amplify adapter after
 *   the app's password reset, under the uid of the id map, seeing the documents whose owner field
 *   the migration rewrote (`uidFields`). cognito-local is a simulator, not Cognito.
 * Not real AWS: table discovery across accounts, IAM, throttling (UnprocessedItems) are not exercised.
 */
import { DeleteItemCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { amplify } from '../../adapters/amplify/index.js'
import { memory } from '../../adapters/memory/index.js'
import { createClient } from '../../src/index.js'
import { amplifyEndpoint, type AmplifyEndpointOptions } from '../../src/migrate/endpoints/amplify.js'
import { backupReader, backupWriter } from '../../src/migrate/endpoints/backup.js'
import { memoryEndpoint } from '../../src/migrate/endpoints/memory.js'
import { migrate } from '../../src/migrate/run.js'
import { startAmplifyBackend, type AmplifyTestBackend } from '../backends/amplify/server.js'
import { installS3FetchRewrite, localCredentialsProvider } from '../backends/amplify/shims.js'
import { fixture, runCli } from './cli-process.js'
import { FIXTURE_CONFIG, FIXTURE_EMAIL, FIXTURE_FILES } from './fixtures.js'
import { AMPLIFY_COLLECTIONS, AMPLIFY_NOTES, amplifyItems, seedAmplifySource } from './fixtures/amplify-source.config.js'

jest.setTimeout(180_000)
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1'
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

/** The harness grants `public/*` (outputs.storage.buckets[0].paths): files go under it, as the adapter's `prefix`. */
const PREFIX = 'public/'
const REGION = 'us-east-1'
const LOCAL = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

let backend: AmplifyTestBackend
let dir: string
let undoFetch: () => void

beforeAll(async () => {
  backend = await startAmplifyBackend({ collections: AMPLIFY_COLLECTIONS, config: {} })
  undoFetch = installS3FetchRewrite(backend.s3Endpoint)
  dir = await mkdtemp(path.join(tmpdir(), 'portabase-migrate-amplify-'))
}, 120_000)
afterAll(async () => {
  undoFetch?.()
  await backend?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

const endpointOptions = (): AmplifyEndpointOptions => ({
  outputs: backend.outputs,
  collections: AMPLIFY_COLLECTIONS,
  credentials: LOCAL,
  storage: { prefix: PREFIX },
  endpoints: { dynamodb: backend.dynamoDbEndpoint, s3: backend.s3Endpoint, cognito: backend.cognitoEndpoint },
})

/** One call of Cognito's JSON API on cognito-local (the harness's cognitoApi lives with cognito-local, which jest cannot load). */
async function cognitoApi(endpoint: string, target: string, body: object): Promise<unknown> {
  const response = await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `AWSCognitoIdentityProviderService.${target}` }, body: JSON.stringify(body) })
  const text = await response.text()
  if (!response.ok) throw new Error(`Cognito ${target}: HTTP ${response.status} ${text}`)
  return JSON.parse(text)
}

/** Documents' `owner` fields follow the uids Cognito assigns. */
const amplifyTarget = () => amplifyEndpoint({ ...endpointOptions(), uidFields: ['owner'] })

/** The app's view: the real amplify adapter on the simulators. */
function amplifyApp() {
  return createClient({
    adapter: amplify({
      outputs: backend.outputs,
      userPoolEndpoint: backend.cognitoEndpoint,
      credentialsProvider: localCredentialsProvider(REGION),
      authFlowType: 'USER_PASSWORD_AUTH',
      collections: AMPLIFY_COLLECTIONS,
      storage: { prefix: PREFIX },
    }),
  })
}

describe('memory → Amplify', () => {
  it('moves documents, files, config and users (new uids, owner fields rewritten); verifies; the migrated user signs in after a reset and sees their documents', async () => {
    const source = memory()
    await seedAmplifySource(source, { docs: 130, users: true })
    const alice = source.backend.uidByEmail.get(FIXTURE_EMAIL)!
    const anonymous = [...source.backend.users.values()].find((u) => u.user.isAnonymous)!.user.uid
    // alice's note names her memory uid, as the memory adapter's owner rule reads it.
    source.backend.seed('notes', { ...AMPLIFY_NOTES, n3: { text: 'alice’s', owner: alice } })
    const target = await amplifyTarget()
    const report = await migrate({
      from: memoryEndpoint(source),
      to: target,
      selection: { collections: ['items', 'notes'], storagePrefixes: ['avatars/'], configKeys: 'all', users: true },
      verify: true,
      pageSize: 40,
    })
    expect(report.timestamps).toBe('preserved')
    expect(report.collections.map((c) => [c.collection, c.written])).toEqual([['items', 130], ['notes', 3]])
    expect(report.verify?.collections.every((c) => c.ok)).toBe(true)
    expect(report.verify?.files).toMatchObject({ ok: true, checked: 2, extraInTarget: 0 })
    expect(report.verify?.config).toEqual({ ok: true, differingKeys: [] })
    // alice is found under her new uid with her email and name; the anonymous account is listed, not missing.
    expect(report.verify?.users).toEqual({ ok: true, source: 2, found: 1, mapped: 1, notImported: 1 })
    expect(report.verify?.ok).toBe(true)

    // The id map: alice → the sub Cognito assigned. She must reset (no hash); the anonymous account is not imported.
    const newUid = report.users!.idMap[alice]!
    expect(report.users!.idMap).toEqual({ [alice]: expect.stringMatching(/^[0-9a-f-]{36}$/) })
    expect(report.users!.uidFields).toEqual(['owner'])
    expect(report.users!.warning).toBeUndefined()
    expect(report.users!.mustReset).toEqual([{ uid: alice, email: FIXTURE_EMAIL, reason: 'Cognito imports no password hash (the source gave a pbkdf2-sha256 hash)' }])
    expect(report.users!.notImported).toEqual([{ uid: anonymous, email: null, reason: 'an anonymous account: a Cognito email pool holds neither' }])

    // Timestamps kept: the source's updateTime on the stored items.
    const stored = await target.documents.readByIds!('items', ['doc0000003'])
    expect(stored.get('doc0000003')?.meta.updateTime).toEqual(source.backend.collection('items').get('doc0000003')!.meta.updateTime)

    const app = amplifyApp()
    try {
      // Documents through AppSync: every value as the fixtures hold them, and a declared ordering's index.
      const all = await app.db.collection('items').get()
      expect(Object.fromEntries(all.docs.map((d) => [d.id, d.data]))).toEqual(amplifyItems(130))
      const byN = await app.db.collection('items').orderBy('n').limit(5).get()
      expect(byN.docs.map((d) => d.data.n)).toEqual([0, 1, 2, 3, 4])
      const byDoneDue = await app.db.collection('items').orderBy('done', 'desc').orderBy('due', 'desc').limit(2).get()
      expect(byDoneDue.docs.map((d) => d.id)).toEqual(['doc0000129', 'doc0000126'])
      // Files and config through aws-amplify/storage and the config model.
      expect(new Uint8Array(await app.storage.download('avatars/alice.png'))).toEqual(FIXTURE_FILES['avatars/alice.png']!.bytes)
      expect((await app.storage.getMetadata('avatars/bob.txt')).metadata).toEqual({ origin: 'fixture', Caps: 'Ünïcode' })
      await app.config.fetchAndActivate()
      expect([app.config.get('theme').asString(), app.config.get('maxItems').asNumber(), app.config.get('beta').asBoolean()]).toEqual([FIXTURE_CONFIG.theme, FIXTURE_CONFIG.maxItems, FIXTURE_CONFIG.beta])

      // Must-reset, end to end: no sign-in with the old password; the app's reset flow then works.
      await expect(app.auth.signIn({ email: FIXTURE_EMAIL, password: 'correct horse battery 1' })).rejects.toMatchObject({ code: 'unauthenticated' })
      await app.auth.sendPasswordReset(FIXTURE_EMAIL)
      await cognitoApi(backend.cognitoEndpoint, 'ConfirmForgotPassword', { ClientId: backend.outputs.auth.user_pool_client_id, Username: FIXTURE_EMAIL, ConfirmationCode: backend.confirmationCode, Password: 'New-passw0rd!' })
      const user = await app.auth.signIn({ email: FIXTURE_EMAIL, password: 'New-passw0rd!' })
      expect(user).toMatchObject({ uid: newUid, email: FIXTURE_EMAIL, displayName: 'Alice A.' })
      // Her document, through the owner rule (AppSync's allow.owner()): its owner field is her new uid.
      const mine = await app.db.collection('notes').get()
      expect(mine.docs.map((d) => [d.id, d.data])).toEqual([['n3', { text: 'alice’s', owner: newUid }]])
      expect((await app.db.collection('notes').doc('n3').get())?.data).toEqual({ text: 'alice’s', owner: newUid })
      await app.auth.signOut()
    } finally {
      await app.dispose()
    }

    // The owner attribute as the adapter writes a document naming its owner (read straight from DynamoDB);
    // owners outside the id map keep their value.
    const ddb = new DynamoDBClient({ region: REGION, endpoint: backend.dynamoDbEndpoint, credentials: LOCAL })
    const owners = await Promise.all(['n1', 'n3'].map((id) => ddb.send(new GetItemCommand({ TableName: backend.tableNames.Notes!, Key: { id: { S: id } } }))))
    expect(owners.map((o) => o.Item?.owner)).toEqual([{ S: AMPLIFY_NOTES.n1!.owner }, { S: newUid }])
    ddb.destroy()

    // A second run writes the same items again (set semantics), finds alice by email (same uid, no duplicate account) and verifies.
    const again = await migrate({ from: memoryEndpoint(source), to: target, selection: { collections: ['notes'], storagePrefixes: [], configKeys: null, users: true }, verify: true })
    expect(again.verify?.ok).toBe(true)
    expect(again.users!.idMap).toEqual({ [alice]: newUid })
    const pool = (await cognitoApi(backend.cognitoEndpoint, 'ListUsers', { UserPoolId: backend.outputs.auth.user_pool_id, Filter: `email = "${FIXTURE_EMAIL}"` })) as { Users: unknown[] }
    expect(pool.Users).toHaveLength(1)

    // Without uidFields the report warns that documents keep the old uids.
    const plain = await amplifyEndpoint(endpointOptions())
    const warned = await migrate({ from: memoryEndpoint(source), to: plain, selection: { collections: [], storagePrefixes: [], configKeys: null, users: true } })
    expect(warned.users!.warning).toMatch(/^1 account\(s\) got a new uid: documents naming their old uids/)
    await plain.close()
    await target.close()
    // The tests below start from the CLI fixture's notes (n1, n2).
    const cleanup = new DynamoDBClient({ region: REGION, endpoint: backend.dynamoDbEndpoint, credentials: LOCAL })
    await cleanup.send(new DeleteItemCommand({ TableName: backend.tableNames.Notes!, Key: { id: { S: 'n3' } } }))
    cleanup.destroy()
  })
})

describe('Amplify → backup', () => {
  it('exports what the adapter wrote (tombstones left out) with users, no hashes, and verifies', async () => {
    // Written by the app through AppSync: a live item and a deleted one (a tombstone in DynamoDB).
    const app = amplifyApp()
    await app.db.collection('items').doc('zz-app').set({ title: 'from the app', n: 999, nested: 'hello' })
    await app.db.collection('items').doc('zz-gone').set({ title: 'deleted', n: 998 })
    await app.db.collection('items').doc('zz-gone').delete()
    await app.dispose()

    const out = path.join(dir, 'backup-users')
    const source = await amplifyEndpoint(endpointOptions())
    const report = await migrate({
      from: source,
      to: backupWriter(out),
      targetReader: () => backupReader(out),
      selection: { collections: ['items', 'notes'], storagePrefixes: [''], configKeys: 'all', users: true },
      verify: true,
      pageSize: 25,
    })
    await source.close()
    expect(report.verify?.ok).toBe(true)
    expect(report.collections.map((c) => [c.collection, c.read])).toEqual([['items', 131], ['notes', 2]])
    expect(report.verify?.users).toEqual({ ok: true, source: 2, found: 2 }) // alice and the harness's config admin, with the v3 client
    expect(report.users).toMatchObject({ count: 2, withPasswordHash: 0 })
    const lines = (await readFile(path.join(out, 'collections/items.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string; data: { nested?: unknown } })
    expect(lines.find((l) => l.id === 'zz-app')?.data.nested).toBe('hello')
    expect(lines.some((l) => l.id === 'zz-gone')).toBe(false)
    const users = (await readFile(path.join(out, 'users.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(users.find((u) => u.email === FIXTURE_EMAIL)).toMatchObject({ displayName: 'Alice A.', isAnonymous: false, providerId: 'password' })
    expect(users.every((u) => u.password === undefined)).toBe(true)

    // Back to the memory source's documents, for the CLI runs below.
    const cleanup = amplifyApp()
    await cleanup.db.collection('items').doc('zz-app').delete()
    await cleanup.dispose()
  })
})

describe('the CLI (built on src/migrate/cli.ts through tsx), amplify by name', () => {
  const amplifyConfig = async (name: string, extra: Record<string, unknown>) => {
    const file = path.join(dir, name)
    await writeFile(file, JSON.stringify({ adapter: 'amplify', options: { ...endpointOptions(), outputs: path.join(dir, 'amplify_outputs.json'), uidFields: ['owner'] }, ...extra }))
    return file
  }
  beforeAll(async () => {
    await writeFile(path.join(dir, 'amplify_outputs.json'), JSON.stringify(backend.outputs))
  })

  it('migrate memory → amplify with users and uidFields --verify exits 0; --report holds the id map', async () => {
    const from = path.resolve(__dirname, 'fixtures/amplify-source.config.ts')
    const to = await amplifyConfig('to.json', {})
    const reportFile = path.join(dir, 'report1.json')
    const result = await runCli(['migrate', '--from', from, '--to', to, '--verify', '--no-progress', '--page-size', '50', '--checkpoint', path.join(dir, 'cp1.json'), '--report', reportFile], { AMPLIFY_DOCS: '130' })
    expect(result.stderr).toBe('')
    expect(result.stdout).toContain('Verify: OK')
    expect(result.stdout).toMatch(/ok {3}items: source 130 docs/)
    expect(result.stdout).toMatch(/users with a new uid \(1; the target assigned them\), old → new:\n {4}\S+ → [0-9a-f-]{36}\n {2}document fields rewritten to the new uids: owner/)
    expect(result.stdout).toMatch(/ok {3}users: 1 of the source's 2 in the target with the same email and profile \(1 under their new uid\), 1 not imported/)
    expect(result.code).toBe(0)
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as { users: { idMap: Record<string, string>; notImported: unknown[] } }
    expect(Object.values(report.users.idMap)).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/)])
    expect(report.users.notImported).toHaveLength(1)
  })

  it('export amplify → backup --verify exits 0', async () => {
    const from = await amplifyConfig('from.json', { collections: ['items', 'notes'], storage: { prefixes: ['avatars/'] }, config: true })
    const out = path.join(dir, 'backup-cli')
    const result = await runCli(['export', '--from', from, '--out', out, '--verify', '--no-progress', '--checkpoint', path.join(dir, 'cp2.json')])
    expect(result.stderr).toBe('')
    expect(result.stdout).toContain('Verify: OK')
    expect(result.code).toBe(0)
    const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as { collections: Record<string, { count: number }>; files: { count: number } }
    expect(manifest.collections.items?.count).toBe(130)
    expect(manifest.files.count).toBe(2)
  })

  it('without @aws-sdk/client-cognito-identity-provider (a loader hook hides it), users fail with exit 2 naming the package', async () => {
    const from = await amplifyConfig('users.json', { collections: ['notes'], users: true })
    const result = await runCli(['export', '--from', from, '--out', path.join(dir, 'backup-nousers'), '--no-progress', '--checkpoint', path.join(dir, 'cp3.json')], { NODE_OPTIONS: `--import ${fixture('no-aws-cognito.mjs')}` })
    expect(result.code).toBe(2)
    expect(result.stderr).toBe('portabase: [failed-precondition] The amplify migration driver needs @aws-sdk/client-cognito-identity-provider for users: npm install @aws-sdk/client-cognito-identity-provider@^3\n')
  })
})

describe('bad options', () => {
  it('refuses missing outputs, collections and malformed credentials with invalid-argument', async () => {
    await expect(amplifyEndpoint({} as AmplifyEndpointOptions)).rejects.toMatchObject({ code: 'invalid-argument', details: { option: 'outputs' } })
    await expect(amplifyEndpoint({ outputs: backend.outputs } as unknown as AmplifyEndpointOptions)).rejects.toMatchObject({ code: 'invalid-argument', details: { option: 'collections' } })
    await expect(amplifyEndpoint({ ...endpointOptions(), credentials: { accessKeyId: 'x' } as never })).rejects.toMatchObject({ code: 'invalid-argument', details: { option: 'credentials' } })
    await expect(amplifyEndpoint({ ...endpointOptions(), outputs: path.join(dir, 'missing.json') })).rejects.toMatchObject({ code: 'invalid-argument' })
    await expect(amplifyEndpoint({ ...endpointOptions(), uidFields: ['owner.id'] })).rejects.toMatchObject({ code: 'invalid-argument', details: { option: 'uidFields' } })
    const endpoint = await amplifyEndpoint({ ...endpointOptions(), apiId: 'nosuchapi' })
    await expect(endpoint.documents.readPage('items', null, 10)).rejects.toMatchObject({ code: 'not-found' })
    await expect(endpoint.documents.readPage('other', null, 10)).rejects.toMatchObject({ code: 'invalid-argument' })
    await endpoint.close()
  })
})

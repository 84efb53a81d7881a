/**
 * The Amplify migration driver on real AWS (`npm run test:live -- amplify-migrate`): the backend
 * deployed from test/live/amplify (AMPLIFY_OUTPUTS, as test/live/amplify-live.ts) and AWS admin
 * credentials from the SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)
 * allowed DynamoDB Scan/BatchGet/BatchWrite/ListTables, S3 List/Get/Put/Head, and Cognito
 * ListUsers/AdminCreateUser/AdminSetUserPassword/AdminUpdateUserAttributes/AdminDeleteUser.
 *
 * What the local suite (test/migrate/amplify.test.ts) cannot show: Gen 2's real table names
 * (found by ListTables), IAM, consistent Scans on DynamoDB itself, and the Cognito SDK v3 client
 * (@aws-sdk/client-cognito-identity-provider, which must be installed for the users test).
 * It writes into the last pool collection and under `public/migrate-<run>/`, and removes both after.
 */
import { BatchWriteItemCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { memory } from '../../adapters/memory/index.js'
import { modelNameOf, type AmplifyFieldType } from '../../adapters/amplify/schema.js'
import { generateId } from '../../src/index.js'
import type { DocumentData } from '../../src/types.js'
import { loadCognito } from '../../src/migrate/endpoints/amplify-aws.js'
import { amplifyEndpoint } from '../../src/migrate/endpoints/amplify.js'
import { backupReader, backupWriter } from '../../src/migrate/endpoints/backup.js'
import { memoryEndpoint } from '../../src/migrate/endpoints/memory.js'
import { migrate } from '../../src/migrate/run.js'
import { LIVE_POOL, LIVE_STORAGE_PREFIX, liveCollections } from './amplify-fixtures.js'

jest.setTimeout(300_000)

const run = generateId(6).toLowerCase()
const collection = liveCollections()[LIVE_POOL - 1]!
const filesPrefix = `migrate-${run}/`

interface Live {
  outputs: { data?: { aws_region?: string }; storage?: { bucket_name?: string } }
  outputsPath: string
  region: string
}

async function live(): Promise<Live> {
  const outputsPath = process.env.AMPLIFY_OUTPUTS
  const hasCredentials = Boolean(process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE || process.env.AWS_WEB_IDENTITY_TOKEN_FILE)
  if (!outputsPath || !hasCredentials) {
    throw new Error('The live Amplify migration test needs AMPLIFY_OUTPUTS (amplify_outputs.json of the backend deployed from test/live/amplify) and AWS admin credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE): see the file comment')
  }
  const outputs = JSON.parse(await readFile(outputsPath, 'utf8')) as Live['outputs']
  const region = outputs.data?.aws_region
  if (!region || !outputs.storage?.bucket_name) throw new Error(`AMPLIFY_OUTPUTS=${outputsPath}: the outputs need data and storage`)
  return { outputs, outputsPath, region }
}

/** A value of each declared type, from the collection's own fields (the deployed pool's). */
function valueOf(type: AmplifyFieldType, i: number): DocumentData[string] {
  switch (type) {
    case 'string':
      return `s${i} — ü`
    case 'number':
      return i / 7
    case 'integer':
      return i
    case 'boolean':
      return i % 2 === 0
    case 'date':
      return new Date(Date.UTC(2024, 0, 1) + i * 1000)
    case 'json':
      return { i, when: new Date(Date.UTC(2023, 0, 1)), list: ['a', null] }
    case 'string[]':
      return [`t${i % 3}`]
    case 'number[]':
      return [i, 0.5]
  }
}

function docs(n: number): Record<string, DocumentData> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`m${run}${String(i).padStart(4, '0')}`, Object.fromEntries(Object.entries(collection.fields).map(([f, t]) => [f, valueOf(t, i)]))]))
}

describe(`Amplify migration driver on live AWS (${collection.name})`, () => {
  let env: Live
  let dir: string
  const expected = docs(120)

  beforeAll(async () => {
    env = await live()
    dir = await mkdtemp(path.join(tmpdir(), 'portabase-live-amplify-migrate-'))
  })
  afterAll(async () => {
    if (!env) return
    const ddb = new DynamoDBClient({ region: env.region })
    const tables = (await ddb.send(new ListTablesCommand({}))).TableNames ?? []
    const table = tables.find((t) => t.startsWith(`${modelNameOf(collection)}-`) && t.endsWith('-NONE'))
    const ids = Object.keys(expected)
    for (let i = 0; table && i < ids.length; i += 25) {
      await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: ids.slice(i, i + 25).map((id) => ({ DeleteRequest: { Key: { id: { S: id } } } })) } }))
    }
    ddb.destroy()
    const s3 = new S3Client({ region: env.region })
    for (const name of ['a.txt', 'b.bin']) await s3.send(new DeleteObjectCommand({ Bucket: env.outputs.storage!.bucket_name!, Key: `${LIVE_STORAGE_PREFIX}${filesPrefix}${name}` }))
    s3.destroy()
    await rm(dir, { recursive: true, force: true })
  })

  const options = () => ({ outputs: env.outputsPath, collections: [collection], storage: { prefix: LIVE_STORAGE_PREFIX } })

  it('memory → Amplify, then Amplify → backup, both verified', async () => {
    const source = memory()
    source.backend.seed(collection.name, expected)
    source.backend.files.set(`${filesPrefix}a.txt`, { bytes: new TextEncoder().encode('hello'), contentType: 'text/plain', metadata: { Origin: 'live' }, updated: new Date() })
    source.backend.files.set(`${filesPrefix}b.bin`, { bytes: Uint8Array.from({ length: 70_000 }, (_, i) => i % 251), contentType: 'application/octet-stream', metadata: {}, updated: new Date() })
    const target = await amplifyEndpoint(options())
    const toAmplify = await migrate({ from: memoryEndpoint(source), to: target, selection: { collections: [collection.name], storagePrefixes: [filesPrefix], configKeys: null, users: false }, verify: true, pageSize: 50 })
    await target.close()
    expect(toAmplify.verify?.ok).toBe(true)

    const out = path.join(dir, 'backup')
    const from = await amplifyEndpoint(options())
    const toBackup = await migrate({ from, to: backupWriter(out), targetReader: () => backupReader(out), selection: { collections: [collection.name], storagePrefixes: [filesPrefix], configKeys: 'all', users: false }, verify: true })
    await from.close()
    expect(toBackup.verify?.ok).toBe(true)
    // The pool may hold other items; ours are all there.
    expect(toBackup.collections[0]!.read).toBeGreaterThanOrEqual(120)
  })

  it('users: a migrated account is created without its password, listed as must-reset, its new uid in the id map', async () => {
    const email = `migrate-${run}@example.com`
    const source = memory()
    await source.auth.signUp({ email, password: 'Live-passw0rd!' })
    await source.auth.signOut()
    const target = await amplifyEndpoint(options())
    try {
      const report = await migrate({ from: memoryEndpoint(source), to: target, selection: { collections: [], storagePrefixes: [], configKeys: null, users: true } })
      const uid = source.backend.uidByEmail.get(email)!
      expect(report.users?.mustReset).toEqual([{ uid, email, reason: expect.stringMatching(/^Cognito imports no password hash/) }])
      expect(report.users?.idMap).toEqual({ [uid]: expect.stringMatching(/^[0-9a-f-]{36}$/) })
    } finally {
      await target.close()
      const outputs = JSON.parse(await readFile(env.outputsPath, 'utf8')) as { auth: { user_pool_id: string } }
      const { sdk, client } = await loadCognito({ region: env.region })
      await client.send(new sdk.AdminDeleteUserCommand({ UserPoolId: outputs.auth.user_pool_id, Username: email })).catch(() => undefined)
      client.destroy()
    }
  })
})

/**
 * Gen 1 apps: the adapter configured with a Gen 1 `aws-exports` config (not `amplify_outputs.json`),
 * over a data API built from the Gen 1 `schema.graphql` that `portabaseGraphQLSchema()` writes —
 * transformed by Amplify's own GraphQL transformer (the v2 transformer the Amplify CLI runs) and
 * served by the AppSync simulator, as every Amplify test here (test/backends/amplify).
 *
 * What it proves: the SDL is one the transformer accepts and whose resolvers serve the adapter's
 * documents, owner rules, ordering indexes and remote config; aws-amplify's Gen 1 config parser
 * gives the adapter what it needs (auth, API, storage). Not proven: the Amplify CLI's own
 * `amplify push` (it runs the same transformer, then CloudFormation).
 */
import { a } from '@aws-amplify/data-schema'
import { firstValueFrom, filter } from 'rxjs'
import { amplify, portabaseGraphQLSchema, type AmplifyAdapter, type AmplifyCollection } from '../../adapters/amplify/index.js'
import { createClient, type PortabaseClient } from '../../src/index.js'
import type { AmplifyOutputs } from '../backends/amplify/shared.js'
import { startAmplifyBackend, type AmplifyTestBackend } from '../backends/amplify/server.js'
import { installAdapterTestShims, installFileReaderShim, installS3FetchRewrite, localCredentialsProvider } from '../backends/amplify/shims.js'
import { expectError, uniqueEmail, uniquePassword } from '../contract/helpers.js'

jest.setTimeout(60_000)

const COLLECTIONS: AmplifyCollection[] = [
  { name: 'tasks', access: 'public', fields: { title: 'string', n: 'number', done: 'boolean' }, orderBy: [['n']] },
  { name: 'diary', access: 'owner', fields: { text: 'string' } },
]

/** The Gen 1 `aws-exports.js` an Amplify CLI project with these resources would have. */
function awsExports(outputs: AmplifyOutputs): Record<string, unknown> {
  return {
    aws_project_region: outputs.auth.aws_region,
    aws_cognito_region: outputs.auth.aws_region,
    aws_user_pools_id: outputs.auth.user_pool_id,
    aws_user_pools_web_client_id: outputs.auth.user_pool_client_id,
    aws_cognito_username_attributes: ['EMAIL'],
    aws_cognito_signup_attributes: ['EMAIL'],
    aws_cognito_verification_mechanisms: ['EMAIL'],
    aws_cognito_password_protection_settings: { passwordPolicyMinLength: 8, passwordPolicyCharacters: [] },
    aws_appsync_graphqlEndpoint: outputs.data.url,
    aws_appsync_region: outputs.data.aws_region,
    aws_appsync_authenticationType: 'AMAZON_COGNITO_USER_POOLS',
    aws_appsync_apiKey: outputs.data.api_key,
    aws_user_files_s3_bucket: outputs.storage.bucket_name,
    aws_user_files_s3_bucket_region: outputs.storage.aws_region,
  }
}

let backend: AmplifyTestBackend | undefined
const undo: Array<() => void> = []
beforeAll(async () => {
  undo.push(installAdapterTestShims())
  backend = await startAmplifyBackend({ schema: portabaseGraphQLSchema(a, COLLECTIONS, { config: true }), config: { welcome: 'hello gen 1' } })
  undo.push(installS3FetchRewrite(backend.s3Endpoint), installFileReaderShim())
}, 120_000)
afterAll(async () => {
  await Promise.allSettled(opened.splice(0).map((o) => o.dispose()))
  undo.splice(0).reverse().forEach((step) => step())
  await backend?.stop()
})

const opened: Array<{ dispose(): Promise<void> }> = []
function client(): PortabaseClient {
  if (!backend) throw new Error('The Amplify test backend is not running (setup failed; see the error above)')
  const adapter: AmplifyAdapter = amplify({
    outputs: awsExports(backend.outputs),
    userPoolEndpoint: backend.cognitoEndpoint,
    authFlowType: 'USER_PASSWORD_AUTH',
    credentialsProvider: localCredentialsProvider(backend.outputs.auth.aws_region),
    collections: COLLECTIONS,
    // Gen 1 storage: signed-in users' shared files live under `public/`.
    storage: { prefix: 'public/' },
  })
  const app = createClient({ adapter })
  opened.push(app, adapter)
  return app
}

describe('amplify adapter on a Gen 1 config and schema (portabaseGraphQLSchema, aws-exports)', () => {
  it('the schema is the Gen 1 SDL: @model, @auth, @index directives, no Gen 2 builder left in it', () => {
    const sdl = portabaseGraphQLSchema(a, COLLECTIONS, { config: true })
    expect(sdl).toMatch(/type Tasks @model @auth\(rules: \[\{allow: public, provider: apiKey\},\s*\{allow: private\}\]\)/)
    expect(sdl).toMatch(/type Diary @model @auth\(rules: \[\{allow: owner, ownerField: "owner"\}\]\)/)
    expect(sdl).toContain('@index(name: "pbFeed", sortKeyFields: ["updatedAt", "id"], queryField: "listTasksPbFeed")')
    expect(sdl).toMatch(/type PortabaseConfig @model/)
    expect(backend?.tableNames).toMatchObject({ Tasks: expect.any(String), Diary: expect.any(String), PortabaseConfig: expect.any(String) })
  })

  it('auth, documents in a declared order, owner rules, realtime and remote config work as on Gen 2', async () => {
    const alice = client()
    const bob = client()
    const password = uniquePassword()
    const user = await alice.auth.signUp({ email: uniqueEmail(), password })
    expect((await firstValueFrom(alice.auth.user$))?.uid).toBe(user.uid)
    await bob.auth.signUp({ email: uniqueEmail(), password })

    const tasks = alice.db.collection('tasks')
    const seen = firstValueFrom(bob.db.collection('tasks').watch().pipe(filter((s) => s.docs.some((d) => d.id === 'late'))))
    for (const [id, n] of [['b', 2], ['a', 3], ['c', 1]] as const) await tasks.doc(id).set({ title: id, n, done: false })
    const ordered = await tasks.orderBy('n', 'desc').limit(2).get()
    expect(ordered.docs.map((d) => d.id)).toEqual(['a', 'b'])
    await expectError(() => tasks.orderBy('title').get(), 'unsupported', 'an undeclared ordering')
    await tasks.doc('late').set({ title: 'late', n: 0, done: true })
    expect((await seen).docs.find((d) => d.id === 'late')?.data).toEqual({ title: 'late', n: 0, done: true })

    await alice.db.collection('diary').doc('d1').set({ owner: user.uid, text: 'mine' })
    await expectError(() => bob.db.collection('diary').doc('d1').update({ text: 'not yours' }), 'permission-denied', "bob's update of alice's entry")
    expect((await alice.db.collection('diary').doc('d1').get())?.data).toEqual({ owner: user.uid, text: 'mine' })

    await alice.config.fetchAndActivate()
    expect(alice.config.get('welcome').asString()).toBe('hello gen 1')
  })

  it('storage on the Gen 1 bucket config: upload, download, remove', async () => {
    const app = client()
    await app.auth.signUp({ email: uniqueEmail(), password: uniquePassword() })
    const path = `gen1/${Date.now()}.txt`
    const stored = await app.storage.upload(path, new TextEncoder().encode('gen 1 file'), { contentType: 'text/plain' })
    expect(stored).toMatchObject({ path, size: 10, contentType: 'text/plain' })
    expect(new TextDecoder().decode(await app.storage.download(path))).toBe('gen 1 file')
    await app.storage.delete(path)
    await expectError(() => app.storage.download(path), 'not-found', 'a removed file')
  })
})

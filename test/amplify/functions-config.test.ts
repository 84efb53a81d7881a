/**
 * Functions (adapters/amplify/functions.ts) and remote config (remote-config.ts) on the local
 * Amplify test backend: Gen 2 custom queries with `a.handler.function()` handlers and the
 * `PortabaseConfig` model, through Amplify's real transformer on the AppSync simulator. The
 * Lambdas are the FIXTURES.md functions run in process by the simulator's Lambda data source
 * (test/backends/amplify/lambda.ts): the Lambda runtime itself is not run here. The config is
 * written by the harness's admin (a member of the model's admin group) through GraphQL mutations.
 *
 * The services are built over `generateClient(ctx)` on a context of their own, as `amplify()`
 * builds its services. The contract's functions and config sections run on `amplify()` itself
 * (test/contract/amplify-simulators.test.ts).
 */
import { a } from '@aws-amplify/data-schema'
import { generateClient } from 'aws-amplify/api'
import { AmplifyAuth } from '../../adapters/amplify/auth.js'
import { createAdapterContext, SessionStore } from '../../adapters/amplify/context.js'
import { AmplifyFunctions, functionError, mapFunctionError } from '../../adapters/amplify/functions.js'
import type { GraphQLClient } from '../../adapters/amplify/documents.js'
import { haltIdleReconnects } from '../../adapters/amplify/reconnect.js'
import { AmplifyConfig, type ConfigClient } from '../../adapters/amplify/remote-config.js'
import { CONFIG_ADMIN_GROUP, portabaseConfigModel, portabaseFunction } from '../../adapters/amplify/schema.js'
import { startAmplifyBackend, type AmplifyTestBackend } from '../backends/amplify/server.js'
import { installAdapterTestShims } from '../backends/amplify/shims.js'
import { DEFAULT_WAIT_MS, expectError, QUIET_MS, Recorder, sleep, uniqueEmail, uniquePassword } from '../contract/helpers.js'
import { FIXTURE_CONFIG } from '../contract/target.js'

jest.setTimeout(60_000)

let backend: AmplifyTestBackend
let restoreWebSocket: (() => void) | undefined
let started: Promise<AmplifyTestBackend> | undefined
const startBackend = (): Promise<AmplifyTestBackend> => (started ??= startAmplifyBackend({ collections: [], functions: true, config: { ...FIXTURE_CONFIG } }).then((b) => (backend = b)))

beforeAll(async () => {
  restoreWebSocket = installAdapterTestShims()
  await startBackend()
}, 120_000)
afterAll(async () => {
  restoreWebSocket?.()
  await backend?.stop()
})

const contextOptions = () => ({ outputs: backend.outputs, userPoolEndpoint: backend.cognitoEndpoint, authFlowType: 'USER_PASSWORD_AUTH' as const })

/** One session (context, auth, client) with the services under test, as amplify() assembles them. */
function session(options: { pageSize?: number } = {}) {
  const store = new SessionStore()
  const { ctx } = createAdapterContext(contextOptions(), store)
  const auth = new AmplifyAuth(ctx, store, contextOptions())
  const client = generateClient(ctx)
  const authMode = (): 'userPool' | 'apiKey' => (auth.currentUser() ? 'userPool' : 'apiKey')
  return {
    auth,
    // As amplify() does: aws-amplify's reconnect loop of a connection left disrupted is halted once the session closes.
    releaseReconnects: haltIdleReconnects(),
    client: client as unknown as GraphQLClient,
    functions: new AmplifyFunctions(client as unknown as GraphQLClient, authMode),
    config: new AmplifyConfig(client as unknown as ConfigClient, { authMode, user$: auth.user$ }, options),
    authMode,
  }
}
type Session = ReturnType<typeof session>

const sessions: Session[] = []
const recorders: Recorder<unknown>[] = []
afterEach(async () => {
  recorders.splice(0).forEach((r) => r.stop())
  for (const s of sessions.splice(0)) {
    if (s.auth.currentUser()) await s.auth.signOut()
    s.auth.close()
    s.releaseReconnects()
  }
})
function open(options: { pageSize?: number } = {}): Session {
  const s = session(options)
  sessions.push(s)
  return s
}
function record<T>(source: import('rxjs').Observable<T>): Recorder<T> {
  const recorder = new Recorder(source)
  recorders.push(recorder as Recorder<unknown>)
  return recorder
}
async function signedIn(s: Session) {
  return s.auth.signUp({ email: uniqueEmail(), password: uniquePassword() })
}
async function waitUntil(condition: () => boolean, what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(20)
  }
}
/** Waits until a recorder has been quiet for a while (subscription acks come one per subscription). */
async function settled(recorder: Recorder<unknown>): Promise<number> {
  let count = -1
  while (count !== recorder.values.length) {
    count = recorder.values.length
    await sleep(QUIET_MS * 2)
  }
  return count
}

describe('schema helpers (the Gen 2 schema an app writes)', () => {
  it('portabaseFunction is a custom query taking and returning JSON, handled by the function, public by default', () => {
    const sdl = a.schema({ echo: portabaseFunction(a, 'echo'), inner: portabaseFunction(a, 'inner', { access: 'signedIn' }) }).transform().schema
    expect(sdl).toContain('echo(input: AWSJSON): AWSJSON @function(name: "echo") @auth(rules: [{allow: public, provider: apiKey},\n  {allow: private}])')
    expect(sdl).toContain('inner(input: AWSJSON): AWSJSON @function(name: "inner") @auth(rules: [{allow: private}])')
  })

  it('portabaseConfigModel: key identifier, JSON value, read for API key and users, written by the admin group', () => {
    const sdl = a.schema({ ...portabaseConfigModel(a) }).transform().schema
    expect(sdl).toContain('type PortabaseConfig @model')
    expect(sdl).toContain('{allow: public, provider: apiKey, operations: [read]}')
    expect(sdl).toContain('{allow: private, operations: [read]}')
    expect(sdl).toContain(`{allow: groups, groups: ["${CONFIG_ADMIN_GROUP}"]}`)
    expect(sdl).toMatch(/key: String! @primaryKey\s+value: AWSJSON/)
    const signedInOnly = a.schema({ ...portabaseConfigModel(a, { access: 'signedIn', adminGroup: 'ops' }) }).transform().schema
    expect(signedInOnly).not.toContain('apiKey')
    expect(signedInOnly).toContain('{allow: groups, groups: ["ops"]}')
  })
})

describe('AmplifyFunctions', () => {
  it('echo round-trips every JSON value, falsy ones included, with the API key', async () => {
    const { functions } = open()
    const inputs: unknown[] = [
      0, false, '', null, 'just a string', -0.125, 7, true, [], {}, [1, 'two', null, { three: [3] }],
      { text: 'héllo 😀', int: 42, float: -0.125, yes: true, no: false, nothing: null, empty: '', zero: 0, nested: { deeper: { list: [], obj: {} } } },
    ]
    for (const input of inputs) expect(await functions.call('echo', input, {})).toEqual(input)
    // undefined input is sent as null (the client passes null for a missing input).
    expect(await functions.call('echo', undefined, {})).toBeNull()
  })

  it('whoami: no caller with the API key; the signed-in user (Cognito sub = uid) with the user pool', async () => {
    const s = open()
    expect(s.authMode()).toBe('apiKey')
    expect(await s.functions.call('whoami', null, {})).toEqual({ uid: null })
    const user = await signedIn(s)
    expect(s.authMode()).toBe('userPool')
    expect(await s.functions.call('whoami', null, {})).toEqual({ uid: user.uid })
    await s.auth.signOut()
    expect(await s.functions.call('whoami', null, {})).toEqual({ uid: null })
  })

  it('a function failing with functionError reaches the caller with its code and message', async () => {
    const { functions } = open()
    const error = await expectError(() => functions.call('fail', {}, {}), 'invalid-argument')
    expect(error.provider).toBe('amplify')
    expect(error.message).toBe('[invalid-argument] Amplify: bad input')
    expect(error.details).toEqual({ vendorCode: 'Lambda:Unhandled' })
  })

  it('slow: finishes within timeoutMs; cancelled by timeoutMs (deadline-exceeded) or the signal (cancelled), fast', async () => {
    const { functions } = open()
    expect(await functions.call('slow', { ms: 10 }, { timeoutMs: 10_000 })).toEqual({ ok: true })

    let at = Date.now()
    await expectError(() => functions.call('slow', { ms: 3_000 }, { timeoutMs: 200 }), 'deadline-exceeded')
    expect(Date.now() - at).toBeLessThan(1_500)

    const controller = new AbortController()
    at = Date.now()
    const call = functions.call('slow', { ms: 3_000 }, { signal: controller.signal })
    setTimeout(() => controller.abort(), 50)
    await expectError(() => call, 'cancelled')
    expect(Date.now() - at).toBeLessThan(1_500)

    await expectError(() => functions.call('echo', 1, { signal: AbortSignal.abort() }), 'cancelled')
  })

  it('an unknown name is not-found; a query field of another shape is failed-precondition; a non-GraphQL name is invalid-argument', async () => {
    const { functions } = open()
    const missing = await expectError(() => functions.call('noSuchFunction', {}, {}), 'not-found')
    expect(missing.message).toContain('noSuchFunction')
    await expectError(() => functions.call('listPortabaseConfigs', {}, {}), 'failed-precondition')
    for (const name of ['send-email', '__typename', '1abc']) await expectError(() => functions.call(name, {}, {}), 'invalid-argument', name)
  })

  it('an input JSON cannot carry is invalid-argument', async () => {
    const { functions } = open()
    await expectError(() => functions.call('echo', { big: BigInt(1) }, {}), 'invalid-argument')
  })
})

describe('mapFunctionError (AppSync error shapes)', () => {
  const appSync = (message: string, errorType?: string) => ({ data: null, errors: [{ message, ...(errorType ? { errorType } : {}) }] })

  it("reads the code from a '[code] message' message, whatever the errorType", () => {
    const error = mapFunctionError(appSync('[permission-denied] not yours', 'Lambda:Unhandled'), 'f')
    expect([error.code, error.message]).toEqual(['permission-denied', '[permission-denied] Amplify: not yours'])
    expect(mapFunctionError(appSync('[not-a-code] x', 'Lambda:Unhandled'), 'f').code).toBe('internal')
    expect(mapFunctionError(appSync('plain failure', 'Lambda:Unhandled'), 'f').code).toBe('internal')
  })

  it('an errorType that is a neutral code (a custom resolver util.error) counts', () => {
    expect(mapFunctionError(appSync('gone', 'not-found'), 'f').code).toBe('not-found')
  })

  it("AppSync's own validation wording for an undefined field is not-found; Lambda's timeout is deadline-exceeded; Unauthorized is permission-denied", () => {
    expect(mapFunctionError(appSync("Validation error of type FieldUndefined: Field 'nope' in type 'Query' is undefined @ 'nope'"), 'nope').code).toBe('not-found')
    expect(mapFunctionError(appSync('2026-01-01T00:00:00.000Z abc Task timed out after 3.00 seconds', 'Lambda:Unhandled'), 'f').code).toBe('deadline-exceeded')
    expect(mapFunctionError(appSync('Not Authorized to access f on type Query', 'Unauthorized'), 'f').code).toBe('permission-denied')
  })

  it('functionError builds the message the mapping reads, and refuses unknown codes', () => {
    const thrown = functionError('already-exists', 'taken')
    expect([thrown.name, thrown.message]).toEqual(['PortabaseFunctionError', '[already-exists] taken'])
    expect(() => functionError('nope' as never, 'x')).toThrow(TypeError)
  })
})

describe('AmplifyConfig', () => {
  it('fetch() serves the model as key → value, with the API key and signed in', async () => {
    const s = open()
    expect(await s.config.fetch()).toEqual(FIXTURE_CONFIG)
    await signedIn(s)
    expect(s.authMode()).toBe('userPool')
    expect(await s.config.fetch()).toEqual(FIXTURE_CONFIG)
  })

  it('fetch() follows nextToken to the end; non-scalar values are JSON text, null values absent', async () => {
    const values = { ...FIXTURE_CONFIG, list: [1, 'a'], obj: { n: { m: true } }, gone: null, empty: '', zero: 0, no: false }
    try {
      await backend.setConfig(values)
      const paged = open({ pageSize: 2 }) // 11 items: 6 pages at least
      const requests: unknown[] = []
      const graphql = paged.client.graphql.bind(paged.client)
      paged.client.graphql = (options) => (requests.push(options.variables), graphql(options))
      const served = await paged.config.fetch()
      expect(served).toEqual({ ...FIXTURE_CONFIG, list: '[1,"a"]', obj: '{"n":{"m":true}}', empty: '', zero: 0, no: false })
      expect(requests.length).toBeGreaterThanOrEqual(6)
      expect(await open().config.fetch()).toEqual(served)
    } finally {
      await backend.setConfig({ ...FIXTURE_CONFIG })
    }
  })

  it('fetch() with an aborted signal is cancelled', async () => {
    await expectError(() => open().config.fetch({ signal: AbortSignal.abort() }), 'cancelled')
  })

  it('only the admin group writes: the API key and a signed-in user are refused', async () => {
    const s = open()
    const create = 'mutation ($input: CreatePortabaseConfigInput!) { createPortabaseConfig(input: $input) { key } }'
    const attempt = () => s.client.graphql({ query: create, variables: { input: { key: 'hack', value: '1' } }, authMode: s.authMode() })
    await expect(attempt()).rejects.toMatchObject({ errors: [{ errorType: 'Unauthorized' }] })
    await signedIn(s)
    await expect(attempt()).rejects.toMatchObject({ errors: [{ errorType: 'Unauthorized' }] })
    expect(await s.config.fetch()).toEqual(FIXTURE_CONFIG)
  })

  it('changes(): emits once subscribed (the acks), then on each server change, and on nothing else', async () => {
    const s = open()
    const changes = record(s.config.changes())
    await changes.waitFor(() => true, 'the subscription acknowledgements')
    const quiet = await settled(changes)
    await sleep(QUIET_MS * 2)
    expect(changes.values.length).toBe(quiet)
    try {
      await backend.setConfig({ ...FIXTURE_CONFIG, welcome: 'changed' })
      await waitUntil(() => changes.values.length > quiet, 'a change event')
      expect((await s.config.fetch()).welcome).toBe('changed')
      const afterUpdate = await settled(changes)
      await backend.setConfig({ ...FIXTURE_CONFIG, welcome: 'changed', added: 'x' }) // a create (and updates)
      await waitUntil(() => changes.values.length > afterUpdate, 'a create event')
      expect((await s.config.fetch()).added).toBe('x')
      const afterCreate = await settled(changes)
      await backend.setConfig({ ...FIXTURE_CONFIG }) // deletes `added` (and updates)
      await waitUntil(() => changes.values.length > afterCreate, 'a delete event')
      expect(await s.config.fetch()).toEqual(FIXTURE_CONFIG)
    } finally {
      await backend.setConfig({ ...FIXTURE_CONFIG })
    }
  })

  it('changes(): a sign-in subscribes again with the user pool (and emits), and events still arrive', async () => {
    const s = open()
    const changes = record(s.config.changes())
    await changes.waitFor(() => true, 'the subscription acknowledgements')
    const before = await settled(changes)
    await signedIn(s)
    await waitUntil(() => changes.values.length > before, 'an emission after sign-in')
    const signedInCount = await settled(changes)
    try {
      await backend.setConfig({ ...FIXTURE_CONFIG, maxItems: 21 })
      await waitUntil(() => changes.values.length > signedInCount, 'a change event while signed in')
      expect((await s.config.fetch()).maxItems).toBe(21)
    } finally {
      await backend.setConfig({ ...FIXTURE_CONFIG })
    }
  })

  it('changes(): one AppSync subscription per event kind while listened to, made again with the user pool after a sign-in, none after', async () => {
    const s = open()
    let active = 0
    const modes: unknown[] = []
    const client = s.client as unknown as ConfigClient
    const graphql = client.graphql.bind(client)
    client.graphql = (options) => {
      const result = graphql(options)
      if (!options.query.startsWith('subscription')) return result
      modes.push(options.authMode)
      const source = result as { subscribe(observer: object): { unsubscribe(): void } }
      return {
        subscribe: (observer: object) => {
          active++
          const subscription = source.subscribe(observer)
          return { unsubscribe: () => (active--, subscription.unsubscribe()) }
        },
      }
    }
    const changes = record(s.config.changes())
    await changes.waitFor(() => true, 'the subscription acknowledgements')
    expect(active).toBe(3)
    const before = await settled(changes)
    await signedIn(s)
    await waitUntil(() => changes.values.length > before, 'an emission after sign-in')
    expect(active).toBe(3)
    expect(modes).toEqual(['apiKey', 'apiKey', 'apiKey', 'userPool', 'userPool', 'userPool'])
    changes.stop()
    expect(active).toBe(0)
  })
})

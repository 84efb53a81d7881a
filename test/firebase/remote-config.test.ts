/**
 * Remote Config through the REAL `firebase/remote-config` SDK (and the Installations SDK under it)
 * against a local HTTP server this test controls (test/backends/firebase/remote-config-server.ts).
 * The browser globals the SDK needs are installed only in this file and restored in afterAll.
 */
import { setLogLevel } from 'firebase/app'
import { createClient, type PortabaseClient } from '../../src/index.js'
import { firebase, firebaseRemoteConfig, type FirebaseRemoteConfigOptions } from '../../adapters/firebase/index.js'
import { installRemoteConfigGlobals, startRemoteConfigServer, type RemoteConfigServer } from '../backends/firebase/remote-config-server.js'
import { expectError, sleep } from '../contract/helpers.js'

const PROJECT_ID = 'demo-portabase'
const SERVED = { welcome: 'hello', maxItems: 20, featureX: true, ratio: 0.5 }
// The SDK arms a fetchTimeoutMillis timer per fetch and never clears it: keep it short in tests.
const DEFAULTS: FirebaseRemoteConfigOptions = { minimumFetchIntervalMillis: 0, fetchTimeoutMillis: 1_000 }
/**
 * Even with minimumFetchIntervalMillis 0 the SDK answers from its cache when the last successful
 * fetch is 0 ms old (its check is `age <= minimumFetchIntervalMillis`); against a local server two
 * fetches can land in one millisecond, so tests that count requests wait a little between them.
 */
const SAME_MS = 5

let server: RemoteConfigServer
let restore: (() => void) | undefined
const clients: PortabaseClient[] = []

function adapter(options: FirebaseRemoteConfigOptions = {}) {
  return firebase({
    config: { apiKey: 'demo-key', projectId: PROJECT_ID, appId: '1:1234567890:web:abcdef' },
    services: { config: firebaseRemoteConfig({ ...DEFAULTS, ...options }) },
  })
}

function client(options: FirebaseRemoteConfigOptions = {}): PortabaseClient {
  const app = createClient({ adapter: adapter(options) })
  clients.push(app)
  return app
}

beforeAll(async () => {
  server = await startRemoteConfigServer(SERVED)
  // The SDKs log the failures these tests provoke, and heartbeat writes racing deleteApp().
  setLogLevel('silent')
})

afterAll(async () => {
  await server.close()
  setLogLevel('info')
})

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()))
  server.fail('fetch', null)
  server.fail('installations', null)
  server.setState(null)
  server.setValues(SERVED)
})

describe('firebase remote config (real SDK, local server)', () => {
  beforeAll(() => {
    restore = installRemoteConfigGlobals(server)
  })
  afterAll(async () => {
    await sleep(50) // let the SDKs' pending IndexedDB callbacks (which read `self`) finish first
    restore?.()
    restore = undefined
  })
  beforeEach(() => server.resetRecords())

  it('fetch returns the served values as strings (Remote Config has no types)', async () => {
    const rc = adapter()
    try {
      expect(await rc.config.fetch()).toEqual({ welcome: 'hello', maxItems: '20', featureX: 'true', ratio: '0.5' })
    } finally {
      await rc.dispose()
    }
  })

  it('the typed getters read the string values: asNumber, asBoolean, asString', async () => {
    const app = client()
    server.setValues({ ...SERVED, off: false, zero: 0, yes: 'yes', negative: -3.25, notANumber: 'abc' })
    expect(await app.config.fetchAndActivate()).toBe(true)
    expect(app.config.get('maxItems').asNumber()).toBe(20)
    expect(app.config.get('ratio').asNumber()).toBe(0.5)
    expect(app.config.get('negative').asNumber()).toBe(-3.25)
    expect(app.config.get('notANumber').asNumber()).toBe(0)
    expect(app.config.get('featureX').asBoolean()).toBe(true)
    expect(app.config.get('off').asBoolean()).toBe(false)
    expect(app.config.get('zero').asBoolean()).toBe(false)
    expect(app.config.get('yes').asBoolean()).toBe(true)
    expect(app.config.get('maxItems').asString()).toBe('20')
    expect(app.config.get('maxItems').source).toBe('remote')
  })

  it('talks only to the local server: one installation, then one fetch per call (minimumFetchIntervalMillis 0)', async () => {
    const app = client()
    await app.config.fetchAndActivate()
    await sleep(SAME_MS)
    await app.config.fetchAndActivate()
    await sleep(SAME_MS)
    await app.config.fetch()
    expect(server.count('installations')).toBe(1)
    expect(server.count('fetch')).toBe(3)
    expect(server.count('unknown')).toBe(0)
    expect(server.blocked).toEqual([])
    const install = server.requests.find((r) => r.endpoint === 'installations')!
    const fid = (install.body as { fid: string }).fid
    expect(install.path).toBe(`/v1/projects/${PROJECT_ID}/installations`)
    expect(install.headers['x-goog-api-key']).toBe('demo-key')
    const fetch = server.requests.find((r) => r.endpoint === 'fetch')!
    expect(fetch.path).toBe(`/v1/projects/${PROJECT_ID}/namespaces/firebase:fetch`)
    expect(fetch.body).toMatchObject({ app_instance_id: fid, app_instance_id_token: `auth-token-${fid}`, app_id: '1:1234567890:web:abcdef', language_code: 'en-US' })
  })

  it('a new template on the server is picked up by the next fetch (and an unchanged one answers 304)', async () => {
    const app = client()
    const version = server.templateVersion
    expect(await app.config.fetchAndActivate()).toBe(true)
    expect(server.requests.filter((r) => r.endpoint === 'fetch').map((r) => r.headers['if-none-match'])).toEqual(['*'])
    await sleep(SAME_MS)
    expect(await app.config.fetchAndActivate()).toBe(false)
    expect(server.requests.filter((r) => r.endpoint === 'fetch').map((r) => r.headers['if-none-match'])).toEqual(['*', `"etag-${version}"`])
    server.setValues({ welcome: 'bonjour', maxItems: 30 })
    await sleep(SAME_MS)
    expect(await app.config.fetchAndActivate()).toBe(true)
    expect(app.config.get('welcome').asString()).toBe('bonjour')
    expect(app.config.get('maxItems').asNumber()).toBe(30)
    // featureX left the template: it is gone from the remote set.
    expect(app.config.get('featureX').source).toBe('static')
    expect(Object.keys(app.config.getAll()).sort()).toEqual(['maxItems', 'welcome'])
  })

  it('an empty template (EMPTY_CONFIG) gives no remote values', async () => {
    server.setState('EMPTY_CONFIG')
    const rc = adapter()
    try {
      expect(await rc.config.fetch()).toEqual({})
    } finally {
      await rc.dispose()
    }
  })

  it.each([
    [400, 'invalid-argument'],
    [401, 'unauthenticated'],
    [403, 'permission-denied'],
    [404, 'not-found'],
  ] as const)('a fetch answered %i fails with %s', async (status, code) => {
    server.fail('fetch', { status })
    const app = client()
    const error = await expectError(() => app.config.fetch(), code)
    expect(error.provider).toBe('firebase')
    expect(error.details).toMatchObject({ vendorCode: 'remoteconfig/fetch-status', httpStatus: status })
  })

  it('a fetch answered 503 (the SDK backs off and retries) fails with unavailable when fetchTimeoutMillis runs out', async () => {
    server.fail('fetch', { status: 503 })
    const app = client({ fetchTimeoutMillis: 400 })
    const error = await expectError(() => app.config.fetch(), 'unavailable')
    expect(error.details).toMatchObject({ vendorCode: 'remoteconfig/fetch-throttle' })
    expect(error.retryable).toBe(true)
  })

  it('a server slower than fetchTimeoutMillis fails with deadline-exceeded', async () => {
    server.fail('fetch', { delayMs: 800 })
    const app = client({ fetchTimeoutMillis: 300 })
    const error = await expectError(() => app.config.fetch(), 'deadline-exceeded')
    expect(error.details).toMatchObject({ vendorCode: 'remoteconfig/fetch-timeout' })
  })

  it('a response that is not JSON fails with internal', async () => {
    server.fail('fetch', { malformed: true })
    const error = await expectError(() => client().config.fetch(), 'internal')
    expect(error.details).toMatchObject({ vendorCode: 'remoteconfig/fetch-client-parse' })
  })

  it.each([
    [403, 'permission-denied'],
    [429, 'resource-exhausted'],
    [500, 'unavailable'],
  ] as const)('an Installations registration answered %i fails with %s', async (status, code) => {
    server.fail('installations', { status })
    const error = await expectError(() => client().config.fetch(), code)
    expect(error.details).toMatchObject({ vendorCode: 'installations/request-failed', httpStatus: status })
    expect(server.count('fetch')).toBe(0)
  })

  it('an unreachable server fails with unavailable', async () => {
    const down = await startRemoteConfigServer(SERVED)
    await down.close()
    const saved = globalThis.FIREBASE_REMOTE_CONFIG_URL_BASE
    // Installations still answers (the real server); the config fetch hits a closed port.
    const app = client()
    globalThis.FIREBASE_REMOTE_CONFIG_URL_BASE = down.url
    try {
      const error = await expectError(() => app.config.fetch(), 'unavailable')
      expect(error.details).toMatchObject({ vendorCode: 'remoteconfig/fetch-client-network' })
    } finally {
      globalThis.FIREBASE_REMOTE_CONFIG_URL_BASE = saved
    }
  })

  it('aborting the call rejects it with cancelled', async () => {
    server.fail('fetch', { delayMs: 500 })
    const rc = adapter()
    try {
      const controller = new AbortController()
      const pending = rc.config.fetch({ signal: controller.signal })
      controller.abort()
      await expectError(() => pending, 'cancelled')
    } finally {
      await rc.dispose()
    }
  })

  it('two clients in one process keep separate SDK instances and installations', async () => {
    const [a, b] = [client(), client()]
    await Promise.all([a.config.fetchAndActivate(), b.config.fetchAndActivate()])
    expect(a.config.get('welcome').asString()).toBe('hello')
    expect(b.config.get('welcome').asString()).toBe('hello')
    const fids = new Set(server.requests.filter((r) => r.endpoint === 'installations').map((r) => (r.body as { fid: string }).fid))
    expect(fids.size).toBe(2)
  })
})

describe('firebase remote config where the SDK cannot run', () => {
  it.each([['indexedDB'], ['window'], ['navigator'], ['self']] as const)('without %s, fetch fails with unsupported (and keeps failing the same way)', async (name) => {
    const undo = installRemoteConfigGlobals(server, { omit: [name] })
    try {
      server.resetRecords()
      const app = client()
      const first = await expectError(() => app.config.fetchAndActivate(), 'unsupported')
      expect(first.message).toContain(name)
      expect(first.message).toMatch(/browser/)
      await expectError(() => app.config.fetch(), 'unsupported')
      expect(app.config.get('welcome').source).toBe('static')
      expect(server.requests).toEqual([])
    } finally {
      undo()
    }
  })

  it('in plain Node (none of the globals), fetch fails with unsupported, not a crash', async () => {
    expect(typeof (globalThis as Record<string, unknown>).window).toBe('undefined')
    expect(typeof (globalThis as Record<string, unknown>).indexedDB).toBe('undefined')
    const app = client()
    await expectError(() => app.config.fetchAndActivate(), 'unsupported')
  })

  it('restoring the globals leaves nothing behind', () => {
    const scope = globalThis as Record<string, unknown>
    const before = ['window', 'self', 'indexedDB', 'FIREBASE_REMOTE_CONFIG_URL_BASE', 'IDBKeyRange'].map((n) => Object.hasOwn(scope, n))
    const fetchBefore = globalThis.fetch
    installRemoteConfigGlobals(server)()
    expect(['window', 'self', 'indexedDB', 'FIREBASE_REMOTE_CONFIG_URL_BASE', 'IDBKeyRange'].map((n) => Object.hasOwn(scope, n))).toEqual(before)
    expect(globalThis.fetch).toBe(fetchBefore)
  })
})

declare global {
  var FIREBASE_REMOTE_CONFIG_URL_BASE: string | undefined
}

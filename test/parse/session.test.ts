/** Session persistence (`createClient({ session })`) against a real Parse Server: restart, sign-out, revocation. */
import { createClient, memorySessionStore, type PortabaseClient, type SessionStore } from '../../src/index.js'
import { parse } from '../../adapters/parse/index.js'
import { startParseServer, type ParseTestServer } from '../backends/parse/server.js'
import { sleep, uniqueEmail, uniquePassword } from '../contract/helpers.js'

jest.setTimeout(60_000)

const KEY = 'portabase.session.parse'
let server: ParseTestServer
const apps: PortabaseClient[] = []

beforeAll(async () => {
  try {
    server = await startParseServer()
  } catch (error) {
    throw new Error(`The Parse test backend did not start, so the Parse session tests cannot run: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
})

afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.dispose()))
})

afterAll(async () => {
  await server?.stop()
})

function start(store: SessionStore): PortabaseClient {
  const app = createClient({
    adapter: parse({ serverURL: server.serverURL, appId: server.appId, javascriptKey: server.javascriptKey, liveQueryServerURL: server.liveQueryServerURL, transactions: false }),
    session: { store },
  })
  apps.push(app)
  return app
}

describe('session persistence on Parse', () => {
  it('restart: a second client restores the session token, and getIdToken and reads work', async () => {
    const store = memorySessionStore()
    const first = start(store)
    await first.auth.ready
    const email = uniqueEmail()
    const user = await first.auth.signUp({ email, password: uniquePassword() })
    const token = await first.auth.getIdToken()
    await first.dispose()
    expect(store.get(KEY)).toBe(token)

    const second = start(store)
    await second.auth.ready
    expect(second.auth.currentUser).toMatchObject({ uid: user.uid, email, isAnonymous: false })
    expect(await second.auth.getIdToken()).toBe(token)
    expect(await second.auth.getIdToken({ forceRefresh: true })).toBe(token)
    await second.db.collection('sessions_t').doc('d').set({ by: user.uid })
    expect((await second.db.collection('sessions_t').doc('d').get())?.data).toEqual({ by: user.uid })
  })

  it('an anonymous session restores as anonymous', async () => {
    const store = memorySessionStore()
    const first = start(store)
    const user = await first.auth.signInAnonymously()
    await first.dispose()

    const second = start(store)
    await second.auth.ready
    expect(second.auth.currentUser).toMatchObject({ uid: user.uid, isAnonymous: true, email: null })
  })

  it('sign-out removes the stored session', async () => {
    const store = memorySessionStore()
    const app = start(store)
    await app.auth.signUp({ email: uniqueEmail(), password: uniquePassword() })
    await sleep(10)
    expect(store.get(KEY)).not.toBeNull()
    await app.auth.signOut()
    await app.dispose()
    expect(store.get(KEY)).toBeNull()

    const next = start(store)
    await next.auth.ready
    expect(next.auth.currentUser).toBeNull()
  })

  it('a revoked session token restores as signed out and the entry is removed', async () => {
    const store = memorySessionStore()
    const first = start(store)
    await first.auth.signUp({ email: uniqueEmail(), password: uniquePassword() })
    const token = (await first.auth.getIdToken()) as string
    await first.dispose()
    // Revoke it on the server, outside the adapter.
    const response = await fetch(`${server.serverURL}/logout`, {
      method: 'POST',
      headers: { 'X-Parse-Application-Id': server.appId, 'X-Parse-Javascript-Key': server.javascriptKey, 'X-Parse-Session-Token': token, 'Content-Type': 'application/json' },
      body: '{}',
    })
    expect(response.status).toBe(200)

    const second = start(store)
    await second.auth.ready
    await sleep(10)
    expect(second.auth.currentUser).toBeNull()
    expect(await second.auth.getIdToken()).toBeNull()
    expect(store.get(KEY)).toBeNull()
  })
})

/**
 * The Amplify adapter's auth on the local Amplify test backend (cognito-local; refresh answered as
 * Cognito's REFRESH_TOKEN_AUTH, see test/backends/amplify/cognito.ts): what the contract's auth
 * section does not reach — two adapters signed in as two users at once in one process (one
 * aws-amplify context each), refresh under load through the client's single-flight getIdToken,
 * and session export/restore. Tokens live 2 s here, so expiry is real, not simulated.
 */
import { createServer, type AddressInfo } from 'node:net'
import { amplify, type AmplifyAdapter } from '../../adapters/amplify/index.js'
import { createClient, type PortabaseClient } from '../../src/index.js'
import { startAmplifyBackend, type AmplifyTestBackend } from '../backends/amplify/server.js'
import { expectError, sleep, uniqueEmail, uniquePassword } from '../contract/helpers.js'

jest.setTimeout(60_000)

const TOKEN_SECONDS = 2
let backend: AmplifyTestBackend
beforeAll(async () => {
  // One collection as the adapter models it (portabaseModels), which the backend serves too.
  backend = await startAmplifyBackend({ tokenValiditySeconds: TOKEN_SECONDS, collections: [{ name: 'todos', access: 'owner', fields: { title: 'string' } }] })
})
afterAll(async () => {
  await backend?.stop()
})

const open: Array<{ dispose(): Promise<void> }> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.dispose()))
})

function adapter(): AmplifyAdapter {
  const created = amplify({ outputs: backend.outputs, userPoolEndpoint: backend.cognitoEndpoint, authFlowType: 'USER_PASSWORD_AUTH' })
  open.push(created)
  return created
}
function client(withAdapter = adapter()): PortabaseClient {
  // The proactive refresher off: these tests decide when tokens are asked for.
  const app = createClient({ adapter: withAdapter, auth: { tokenRefresh: false } })
  open.push(app)
  return app
}

/** Counts the Cognito calls aws-amplify makes through fetch, by X-Amz-Target. */
function countCognitoCalls(): { count(target: string): number; restore(): void } {
  const original = globalThis.fetch
  const seen: string[] = []
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined))
    const target = headers.get('x-amz-target')
    if (target) seen.push(target.split('.').pop()!)
    return original(input, init)
  }) as typeof fetch
  return { count: (target) => seen.filter((t) => t === target).length, restore: () => void (globalThis.fetch = original) }
}

describe('amplify auth on cognito-local', () => {
  it('the backend serves the collection as portabaseModels builds it (a table with its pbPart indexes)', () => {
    expect(Object.keys(backend.tableNames)).toEqual(['Todos'])
  })

  it('Cognito unreachable: sign-in and sign-up fail with unavailable (retryable), the password nowhere in the error', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo
        probe.close(() => resolve(port))
      })
    })
    const unreachable = amplify({ outputs: backend.outputs, userPoolEndpoint: `http://127.0.0.1:${closed}`, authFlowType: 'USER_PASSWORD_AUTH' })
    open.push(unreachable)
    const app = client(unreachable)
    const password = uniquePassword()
    for (const attempt of [() => app.auth.signIn({ email: uniqueEmail(), password }), () => app.auth.signUp({ email: uniqueEmail(), password })]) {
      const error = await expectError(attempt, 'unavailable')
      expect(error.retryable).toBe(true)
      expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(password)
    }
  })

  it('two adapters in one process are two sessions: both signed in as different users, signing one out leaves the other', async () => {
    const [alice, bob] = [client(), client()]
    const [a, b] = [{ email: uniqueEmail(), password: uniquePassword() }, { email: uniqueEmail(), password: uniquePassword() }]
    // Concurrently: sign-ins are serialised inside the adapter (aws-amplify's sign-in state is process-wide).
    const [userA, userB] = await Promise.all([alice.auth.signUp(a), bob.auth.signUp(b)])
    expect(userA.uid).not.toBe(userB.uid)
    expect(alice.auth.currentUser?.email).toBe(a.email)
    expect(bob.auth.currentUser?.email).toBe(b.email)
    const [tokenA, tokenB] = await Promise.all([alice.auth.getIdToken(), bob.auth.getIdToken()])
    const subOf = (token: string | null) => JSON.parse(Buffer.from(token!.split('.')[1]!, 'base64url').toString()).sub as string
    expect(subOf(tokenA)).toBe(userA.uid)
    expect(subOf(tokenB)).toBe(userB.uid)

    await alice.auth.signOut()
    expect(alice.auth.currentUser).toBeNull()
    expect(bob.auth.currentUser?.uid).toBe(userB.uid)
    expect(subOf(await bob.auth.getIdToken({ forceRefresh: true }))).toBe(userB.uid)
  })

  it('1,000 concurrent getIdToken() calls after the token expired cause exactly one refresh, and all get the new token', async () => {
    const app = client()
    await app.auth.signUp({ email: uniqueEmail(), password: uniquePassword() })
    const first = await app.auth.getIdToken()
    await sleep(TOKEN_SECONDS * 1000 + 500)
    const calls = countCognitoCalls()
    try {
      const tokens = await Promise.all(Array.from({ length: 1000 }, () => app.auth.getIdToken()))
      expect(calls.count('GetTokensFromRefreshToken')).toBe(1)
      expect(new Set(tokens).size).toBe(1)
      expect(tokens[0]).not.toBe(first)
    } finally {
      calls.restore()
    }
  })

  it('exportSession / restoreSession: another adapter resumes the session, also once its tokens expired; garbage restores nobody', async () => {
    const first = adapter()
    const credentials = { email: uniqueEmail(), password: uniquePassword() }
    const user = await client(first).auth.signUp(credentials)
    const exported = first.auth.exportSession!()!
    expect(exported).toContain('refreshToken')

    const second = adapter()
    expect((await second.auth.restoreSession!(exported))?.uid).toBe(user.uid)
    expect(second.auth.currentUser()?.email).toBe(credentials.email)
    expect(await second.auth.getIdToken({ forceRefresh: true })).toEqual(expect.any(String))

    // Expired access and id tokens in the stored copy are refreshed on restore.
    await sleep(TOKEN_SECONDS * 1000 + 500)
    const third = adapter()
    expect((await third.auth.restoreSession!(exported))?.uid).toBe(user.uid)

    expect(await adapter().auth.restoreSession!('not json')).toBeNull()
    expect(await adapter().auth.restoreSession!(JSON.stringify({ 'CognitoIdentityServiceProvider.x.LastAuthUser': 'nobody' }))).toBeNull()
  })

  it('updateProfile writes the name and picture attributes; a fresh sign-in elsewhere reads them back from the id token', async () => {
    const credentials = { email: uniqueEmail(), password: uniquePassword() }
    const app = client()
    await app.auth.signUp(credentials)
    await app.auth.updateProfile({ displayName: 'Ada', photoURL: 'https://example.com/ada.png' })
    const elsewhere = client()
    const user = await elsewhere.auth.signIn(credentials)
    expect(user).toMatchObject({ displayName: 'Ada', photoURL: 'https://example.com/ada.png', providerId: 'password', isAnonymous: false })
  })
})

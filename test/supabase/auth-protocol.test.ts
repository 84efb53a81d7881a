/**
 * Auth on Supabase, at the HTTP level: the requests the real supabase-js (auth-js) sends for each
 * SPI call, answered by msw with GoTrue's documented responses — session and user JSON as
 * supabase/auth's `internal/api/token.go` and `internal/models/user.go` serialise them, errors in
 * its API-version-2024-01-01 shape `{ code, message }` (internal/api/errors.go) with the
 * `X-Supabase-Api-Version` header auth-js reads. These tests prove the adapter's requests and its
 * handling of GoTrue's answers; they are not a GoTrue server (none runs here: the live target does).
 */
import { http, HttpResponse, type JsonBodyType } from 'msw'
import WebSocket from 'ws'
import { recordingServer } from './recording-server.js'
import { supabase, type SupabaseAdapter } from '../../adapters/supabase/index.js'
import { createClient, PortabaseError, type PortabaseClient } from '../../src/index.js'

const URL_ = 'http://project.supabase.test'
const AUTH = `${URL_}/auth/v1`
const ANON_KEY = 'anon-key-for-tests'
const API_VERSION = { 'X-Supabase-Api-Version': '2024-01-01' }

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
/** A JWT shaped like GoTrue's access tokens (auth-js decodes it; nobody verifies the signature here). */
function accessToken(sub: string, expiresAt: number, serial: number): string {
  return `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub, exp: expiresAt, role: 'authenticated', aud: 'authenticated', session_id: `s-${serial}` })}.${b64url(`sig-${serial}`)}`
}

interface GoTrueUser {
  id: string
  email?: string
  is_anonymous?: boolean
  provider?: string
  user_metadata?: Record<string, unknown>
}

function userJson(user: GoTrueUser): Record<string, JsonBodyType> {
  const provider = user.provider ?? (user.is_anonymous ? 'anonymous' : 'email')
  return {
    id: user.id,
    aud: 'authenticated',
    role: 'authenticated',
    email: user.email ?? '',
    phone: '',
    app_metadata: { provider, providers: [provider] },
    user_metadata: (user.user_metadata ?? {}) as JsonBodyType,
    identities: [],
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    is_anonymous: user.is_anonymous ?? false,
  }
}

let serial = 0
/** GoTrue's session answer (token.go AccessTokenResponse). */
function sessionJson(user: GoTrueUser, expiresInSeconds = 3600): Record<string, JsonBodyType> {
  serial++
  const expiresAt = Math.floor(Date.now() / 1000) + expiresInSeconds
  return {
    access_token: accessToken(user.id, expiresAt, serial),
    token_type: 'bearer',
    expires_in: expiresInSeconds,
    expires_at: expiresAt,
    refresh_token: `refresh-${serial}`,
    user: userJson(user),
  }
}

const ok = (body: JsonBodyType, status = 200) => HttpResponse.json(body, { status, headers: API_VERSION })
const failure = (status: number, code: string, message: string) => HttpResponse.json({ code, message }, { status, headers: API_VERSION })

const { server, calls } = recordingServer()

const open: Array<{ dispose(): Promise<void> }> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.dispose()))
})

function adapter(options: Partial<Parameters<typeof supabase>[0]> = {}): SupabaseAdapter {
  const created = supabase({ url: URL_, anonKey: ANON_KEY, WebSocket, realtime: false, ...options })
  open.push(created)
  return created
}
function app(options: Partial<Parameters<typeof supabase>[0]> = {}): PortabaseClient {
  const client = createClient({ adapter: adapter(options) })
  open.push(client)
  return client
}

const ALICE: GoTrueUser = { id: '6b1c7d2e-0000-4000-8000-00000000a11c', email: 'alice@example.com' }

describe('supabase auth over GoTrue (requests and documented responses, msw)', () => {
  it('signUp posts email and password to /signup and starts the session it answers', async () => {
    server.use(http.post(`${AUTH}/signup`, () => ok(sessionJson(ALICE))))
    const client = app()
    const seen: Array<string | null> = []
    client.auth.user$.subscribe((u) => seen.push(u?.uid ?? null))
    const user = await client.auth.signUp({ email: 'alice@example.com', password: 'correct horse' })
    expect(user).toEqual({ uid: ALICE.id, email: 'alice@example.com', displayName: null, photoURL: null, isAnonymous: false, providerId: 'password' })
    const [signup] = calls('POST', '/auth/v1/signup')
    expect(signup!.body).toMatchObject({ email: 'alice@example.com', password: 'correct horse' })
    expect(signup!.headers.get('apikey')).toBe(ANON_KEY)
    expect(seen).toEqual([null, ALICE.id])
    expect(client.auth.currentUser?.uid).toBe(ALICE.id)
  })

  it('signUp on a project that confirms emails fails with failed-precondition and stays signed out', async () => {
    // GoTrue answers the user alone (no session) until the address is confirmed.
    server.use(http.post(`${AUTH}/signup`, () => ok(userJson(ALICE))))
    const client = app()
    const error = (await client.auth.signUp({ email: 'alice@example.com', password: 'correct horse' }).catch((e: unknown) => e)) as PortabaseError
    expect(error).toBeInstanceOf(PortabaseError)
    expect(error).toMatchObject({ code: 'failed-precondition', provider: 'supabase', details: { reason: 'email-confirmation-required' } })
    expect(client.auth.currentUser).toBeNull()
  })

  it('signIn uses the password grant; a wrong password reads like an unknown account and never shows the password', async () => {
    server.use(
      http.post(`${AUTH}/token`, ({ request }) =>
        new URL(request.url).searchParams.get('grant_type') === 'password' ? failure(400, 'invalid_credentials', 'Invalid login credentials') : failure(400, 'validation_failed', 'unexpected grant'),
      ),
    )
    const client = app()
    const error = (await client.auth.signIn({ email: 'alice@example.com', password: 'wrong-secret-42' }).catch((e: unknown) => e)) as PortabaseError
    expect(error).toMatchObject({ code: 'unauthenticated', provider: 'supabase' })
    expect(error.message).toContain('wrong email or password')
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain('wrong-secret-42')
    const [token] = calls('POST', '/auth/v1/token')
    expect(token!.url.searchParams.get('grant_type')).toBe('password')
    expect(token!.body).toMatchObject({ email: 'alice@example.com', password: 'wrong-secret-42' })
  })

  it('anonymous sign-in posts an empty sign-up and gives an anonymous user', async () => {
    const guest: GoTrueUser = { id: '0f9e8d7c-0000-4000-8000-0000000a0a0a', is_anonymous: true }
    server.use(http.post(`${AUTH}/signup`, () => ok(sessionJson(guest))))
    const user = await app().auth.signInAnonymously()
    expect(user).toEqual({ uid: guest.id, email: null, displayName: null, photoURL: null, isAnonymous: true, providerId: 'anonymous' })
    const [signup] = calls('POST', '/auth/v1/signup')
    expect(signup!.body).not.toHaveProperty('email')
    expect(signup!.body).not.toHaveProperty('password')
  })

  it('anonymous sign-in disabled on the project → unsupported', async () => {
    server.use(http.post(`${AUTH}/signup`, () => failure(422, 'anonymous_provider_disabled', 'Anonymous sign-ins are disabled')))
    await expect(app().auth.signInAnonymously()).rejects.toMatchObject({ code: 'unsupported', provider: 'supabase' })
  })

  it('the ID token is the access token; a forced refresh spends the refresh token and returns the new access token', async () => {
    const first = sessionJson(ALICE)
    const second = sessionJson(ALICE)
    server.use(
      http.post(`${AUTH}/token`, ({ request }) => (new URL(request.url).searchParams.get('grant_type') === 'password' ? ok(first) : ok(second))),
    )
    const client = app()
    await client.auth.signIn({ email: 'alice@example.com', password: 'correct horse' })
    expect(await client.auth.getIdToken()).toBe(first.access_token)
    expect(await client.auth.getIdToken({ forceRefresh: true })).toBe(second.access_token)
    const refresh = calls('POST', '/auth/v1/token').filter((r) => r.url.searchParams.get('grant_type') === 'refresh_token')
    expect(refresh.map((r) => r.body)).toEqual([{ refresh_token: first.refresh_token }])
  })

  it('1,000 concurrent getIdToken() callers during expiry cause exactly one refresh, and all get the new token', async () => {
    // Signed in with a token that is already expired (expires_at in the past).
    const expired = sessionJson(ALICE, -10)
    const fresh = sessionJson(ALICE)
    let refreshes = 0
    server.use(
      http.post(`${AUTH}/token`, async ({ request }) => {
        if (new URL(request.url).searchParams.get('grant_type') === 'password') return ok(expired)
        refreshes++
        await new Promise((r) => setTimeout(r, 50)) // a slow refresh keeps every caller waiting on it
        return ok(fresh)
      }),
    )
    const client = app()
    await client.auth.signIn({ email: 'alice@example.com', password: 'correct horse' })
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => client.auth.getIdToken()))
    expect(refreshes).toBe(1)
    expect(new Set(tokens)).toEqual(new Set([fresh.access_token]))
  })

  it('a refresh token the server no longer knows ends the session: unauthenticated, user$ → null', async () => {
    server.use(
      http.post(`${AUTH}/token`, ({ request }) =>
        new URL(request.url).searchParams.get('grant_type') === 'password' ? ok(sessionJson(ALICE)) : failure(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found'),
      ),
    )
    const client = app({})
    await client.auth.signIn({ email: 'alice@example.com', password: 'correct horse' })
    await expect(client.auth.getIdToken({ forceRefresh: true })).rejects.toMatchObject({ code: 'unauthenticated', provider: 'supabase' })
    expect(client.auth.currentUser).toBeNull()
  })

  it('updateProfile PUTs user metadata (display_name, avatar_url) and returns the updated user', async () => {
    server.use(
      http.post(`${AUTH}/token`, () => ok(sessionJson(ALICE))),
      http.put(`${AUTH}/user`, async ({ request }) => {
        const body = (await request.json()) as { data: Record<string, unknown> }
        return ok(userJson({ ...ALICE, user_metadata: body.data }))
      }),
    )
    const client = app()
    await client.auth.signIn({ email: 'alice@example.com', password: 'correct horse' })
    const user = await client.auth.updateProfile({ displayName: 'Alice', photoURL: 'https://example.com/a.png' })
    expect(user).toMatchObject({ uid: ALICE.id, displayName: 'Alice', photoURL: 'https://example.com/a.png' })
    const [put] = calls('PUT', '/auth/v1/user')
    expect((put!.body as { data: unknown }).data).toEqual({ display_name: 'Alice', full_name: null, name: null, avatar_url: 'https://example.com/a.png', picture: null })
    expect(put!.headers.get('authorization')).toMatch(/^Bearer /)
    expect(client.auth.currentUser?.displayName).toBe('Alice')
    // Clearing: null reads as null again.
    expect((await client.auth.updateProfile({ displayName: null })).displayName).toBeNull()
  })

  it('sendPasswordReset posts the email to /recover', async () => {
    server.use(http.post(`${AUTH}/recover`, () => ok({})))
    await app({ passwordResetRedirectTo: 'https://app.example.com/reset' }).auth.sendPasswordReset('alice@example.com')
    const [recover] = calls('POST', '/auth/v1/recover')
    expect(recover!.body).toMatchObject({ email: 'alice@example.com' })
    expect(recover!.url.searchParams.get('redirect_to')).toBe('https://app.example.com/reset')
  })

  it('signOut revokes this session only (scope=local) and ends it even when the server cannot be reached', async () => {
    server.use(
      http.post(`${AUTH}/token`, () => ok(sessionJson(ALICE))),
      http.post(`${AUTH}/logout`, () => HttpResponse.error()),
    )
    const client = app()
    await client.auth.signIn({ email: 'alice@example.com', password: 'correct horse' })
    await client.auth.signOut()
    expect(client.auth.currentUser).toBeNull()
    expect(await client.auth.getIdToken()).toBeNull()
    const [logout] = calls('POST', '/auth/v1/logout')
    expect(logout!.url.searchParams.get('scope')).toBe('local')
  })

  it('exportSession/restoreSession: a live token is checked with GET /user; an expired one is refreshed; a revoked one restores nobody', async () => {
    const live = sessionJson(ALICE)
    server.use(
      http.post(`${AUTH}/token`, ({ request }) => (new URL(request.url).searchParams.get('grant_type') === 'password' ? ok(live) : failure(400, 'refresh_token_not_found', 'Invalid Refresh Token'))),
      http.get(`${AUTH}/user`, ({ request }) => (request.headers.get('authorization') === `Bearer ${live.access_token}` ? ok(userJson(ALICE)) : failure(403, 'bad_jwt', 'invalid JWT'))),
    )
    const first = adapter()
    await first.auth.signIn({ email: 'alice@example.com', password: 'correct horse' })
    const exported = first.auth.exportSession!()!
    expect(JSON.parse(exported)).toEqual({ access_token: live.access_token, refresh_token: live.refresh_token })

    const second = adapter()
    expect((await second.auth.restoreSession!(exported))?.uid).toBe(ALICE.id)
    expect(second.auth.currentUser()?.uid).toBe(ALICE.id)

    const expired = sessionJson(ALICE, -10)
    const third = adapter()
    expect(await third.auth.restoreSession!(JSON.stringify({ access_token: expired.access_token, refresh_token: expired.refresh_token }))).toBeNull()
    expect(third.auth.currentUser()).toBeNull()
    expect(calls('POST', '/auth/v1/token').some((r) => r.url.searchParams.get('grant_type') === 'refresh_token')).toBe(true)

    expect(await adapter().auth.restoreSession!('not json')).toBeNull()
    expect(await adapter().auth.restoreSession!(JSON.stringify({ access_token: 'not.a.jwt', refresh_token: 'x' }))).toBeNull()
  })

  it('restoreSession rejects with unavailable when GoTrue cannot be reached (the stored session is kept for later)', async () => {
    server.use(http.get(`${AUTH}/user`, () => HttpResponse.error()))
    const live = sessionJson(ALICE)
    await expect(adapter().auth.restoreSession!(JSON.stringify({ access_token: live.access_token, refresh_token: live.refresh_token }))).rejects.toMatchObject({
      code: 'unavailable',
      provider: 'supabase',
    })
  })

  it('OAuth outside a browser: PKCE authorize URL → openUrl → the returned code is exchanged for a session', async () => {
    const octo: GoTrueUser = { id: '1a2b3c4d-0000-4000-8000-0000000c0c0c', email: 'octo@example.com', provider: 'github', user_metadata: { full_name: 'Octo Cat', avatar_url: 'https://example.com/o.png' } }
    server.use(http.post(`${AUTH}/token`, ({ request }) => (new URL(request.url).searchParams.get('grant_type') === 'pkce' ? ok(sessionJson(octo)) : failure(400, 'validation_failed', 'unexpected grant'))))
    let opened: URL | undefined
    const options = {
      oauth: {
        providers: ['github'],
        redirectTo: 'myapp://auth-callback',
        openUrl: async (url: string) => {
          opened = new URL(url)
          return 'myapp://auth-callback?code=the-auth-code'
        },
      },
    }
    expect(adapter(options).capabilities.oauthProviders).toEqual(['github'])
    const client = app(options)
    const user = await client.auth.signInWithOAuth({ provider: 'github' })
    expect(user).toMatchObject({ uid: octo.id, providerId: 'github', displayName: 'Octo Cat', photoURL: 'https://example.com/o.png' })
    expect(opened!.pathname).toBe('/auth/v1/authorize')
    expect(opened!.searchParams.get('provider')).toBe('github')
    expect(opened!.searchParams.get('redirect_to')).toBe('myapp://auth-callback')
    expect(opened!.searchParams.get('code_challenge_method')).toBe('s256')
    const [exchange] = calls('POST', '/auth/v1/token')
    expect(exchange!.body).toMatchObject({ auth_code: 'the-auth-code' })
    expect(typeof (exchange!.body as { code_verifier?: unknown }).code_verifier).toBe('string')
  })

  it('OAuth: an unconfigured provider is unsupported; a cancelled flow is cancelled; a provider error is unauthenticated', async () => {
    // Refused by capability before any request (the client throws at once).
    expect(() => app().auth.signInWithOAuth({ provider: 'github' })).toThrow(expect.objectContaining({ code: 'unsupported' }))
    const cancelled = app({ oauth: { providers: ['github'], openUrl: async () => null } })
    await expect(cancelled.auth.signInWithOAuth({ provider: 'github' })).rejects.toMatchObject({ code: 'cancelled' })
    const refused = app({ oauth: { providers: ['github'], openUrl: async () => 'myapp://cb?error=access_denied&error_description=The+user+denied' } })
    await expect(refused.auth.signInWithOAuth({ provider: 'github' })).rejects.toMatchObject({ code: 'unauthenticated' })
  })

  it('GoTrue unreachable → unavailable; rate limited → resource-exhausted', async () => {
    server.use(http.post(`${AUTH}/token`, () => HttpResponse.error()))
    await expect(app().auth.signIn({ email: 'alice@example.com', password: 'correct horse' })).rejects.toMatchObject({ code: 'unavailable', provider: 'supabase' })
    server.use(http.post(`${AUTH}/token`, () => failure(429, 'over_request_rate_limit', 'Request rate limit reached')))
    await expect(app().auth.signIn({ email: 'alice@example.com', password: 'correct horse' })).rejects.toMatchObject({ code: 'resource-exhausted', provider: 'supabase' })
  })
})

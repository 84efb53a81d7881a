/**
 * The Supabase admin driver's users and files: wire format, not a server. The real supabase-js
 * sends its requests to msw handlers that answer in GoTrue's and Storage's shapes (supabase/auth
 * `internal/api/admin.go`; supabase/storage `src/http/routes/object/*`). What this proves: the
 * requests the driver makes (headers, bodies, the `password_hash` per hash kind) and how it reads
 * the answers — not that GoTrue or Storage accept them (the live target does that). The fbscrypt
 * string is checked against GoTrue's own test vector (internal/crypto/password_test.go) and the
 * vector's password with Firebase's scrypt computed here.
 */
import { createCipheriv, scryptSync } from 'node:crypto'
import { http, HttpResponse } from 'msw'
import { collect, oneChunk } from '../../src/migrate/chunks.js'
import type { MigratedUser } from '../../src/migrate/endpoint.js'
import { fbscryptHash, passwordHashFor } from '../../src/migrate/endpoints/supabase-users.js'
import { supabaseEndpoint } from '../../src/migrate/endpoints/supabase.js'
import { recordingServer } from '../supabase/recording-server.js'

const URL_ = 'http://wire.supabase.test'
const KEY = 'service-role-secret-xyz'
const { server, requests, calls } = recordingServer()
const endpoint = () => supabaseEndpoint({ url: URL_, serviceRoleKey: KEY, firebaseScrypt: GOTRUE_VECTOR.params })

// GoTrue's TestFirebaseScrypt vector ("mytestpassword").
const GOTRUE_VECTOR = {
  hash: '$fbscrypt$v=1,n=14,r=8,p=1,ss=Bw==,sk=ou9tdYTGyYm8kuR6Dt0Bp0kDuAYoXrK16mbZO4yGwAn3oLspjnN0/c41v8xZnO1n14J3MjKj1b2g6AUCAlFwMw==$C0sHCg9ek77hsg==$zKVTMvnWVw5BBOZNUdnsalx4c4c7y/w7IS5p6Ut2+CfEFFlz37J9huyQfov4iizN8dbjvEJlM5tQaJP84+hfTw==',
  params: { signerKey: 'ou9tdYTGyYm8kuR6Dt0Bp0kDuAYoXrK16mbZO4yGwAn3oLspjnN0/c41v8xZnO1n14J3MjKj1b2g6AUCAlFwMw==', saltSeparator: 'Bw==', rounds: 8, memCost: 14 },
  salt: 'C0sHCg9ek77hsg==',
  derived: 'zKVTMvnWVw5BBOZNUdnsalx4c4c7y/w7IS5p6Ut2+CfEFFlz37J9huyQfov4iizN8dbjvEJlM5tQaJP84+hfTw==',
}

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const gotrueUser = (id: string, email: string, extra: Record<string, unknown> = {}) => ({ id, aud: 'authenticated', role: 'authenticated', email, app_metadata: { provider: 'email', providers: ['email'] }, user_metadata: {}, identities: [], created_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:00Z', is_anonymous: false, ...extra })
const user = (uid: string, email: string | null, password?: MigratedUser['password'], extra: Partial<MigratedUser> = {}): MigratedUser => ({ uid, email, displayName: null, photoURL: null, isAnonymous: false, providerId: 'password', ...(password ? { password } : {}), ...extra })

describe('Supabase admin driver, users (GoTrue admin API wire format, not a server)', () => {
  it('Firebase scrypt hashes become GoTrue’s $fbscrypt$ string, which GoTrue’s vector and Firebase’s algorithm confirm', () => {
    expect(fbscryptHash({ hash: GOTRUE_VECTOR.derived, salt: GOTRUE_VECTOR.salt }, GOTRUE_VECTOR.params)).toBe(GOTRUE_VECTOR.hash)
    // Firebase's scrypt (as GoTrue's firebaseScrypt): key = scrypt(password, salt ‖ separator), AES-256-CTR(zero IV) of the signer key.
    const b = (s: string) => Buffer.from(s, 'base64')
    const key = scryptSync('mytestpassword', Buffer.concat([b(GOTRUE_VECTOR.salt), b('Bw==')]), 32, { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 })
    const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16))
    expect(Buffer.concat([cipher.update(b(GOTRUE_VECTOR.params.signerKey)), cipher.final()]).toString('base64')).toBe(GOTRUE_VECTOR.derived)
    expect(passwordHashFor({ algorithm: 'firebase-scrypt', hash: GOTRUE_VECTOR.derived, salt: GOTRUE_VECTOR.salt }, undefined)).toEqual({ reason: expect.stringContaining('options.firebaseScrypt') })
    expect(passwordHashFor({ algorithm: 'pbkdf2-sha256', iterations: 1000, salt: 'AA==', hash: 'AA==' }, undefined)).toEqual({ reason: expect.stringContaining('does not accept') })
  })

  it('imports: bcrypt and fbscrypt hashes sent as password_hash with the uid; PBKDF2 without one (must reset); a non-UUID uid sent no id, GoTrue’s id in the id map; anonymous accounts not imported; an existing account updated', async () => {
    server.use(
      http.get(`${URL_}/auth/v1/admin/users/:id`, ({ params }) => (params.id === uuid(4) ? HttpResponse.json(gotrueUser(uuid(4), 'old@example.com')) : HttpResponse.json({ code: 'user_not_found', msg: 'User not found', error_code: 'user_not_found' }, { status: 404 }))),
      http.post(`${URL_}/auth/v1/admin/users`, async ({ request }) => {
        const body = (await request.json()) as { id?: string; email: string }
        // GoTrue assigns a v4 UUID when no id is sent.
        return HttpResponse.json(gotrueUser(body.id ?? uuid(99), body.email))
      }),
      http.put(`${URL_}/auth/v1/admin/users/:id`, async ({ params, request }) => HttpResponse.json(gotrueUser(String(params.id), ((await request.json()) as { email: string }).email))),
    )
    const bcrypt = '$2a$10$abcdefghijklmnopqrstuu5Jj3tQdP0lXwE6yQmSx5tDL5tD0WbGq'
    const result = await endpoint().users!.import!([
      user(uuid(1), 'a@example.com', { algorithm: 'bcrypt', hash: bcrypt }, { displayName: 'A', photoURL: 'https://x/a.png' }),
      user(uuid(2), 'b@example.com', { algorithm: 'firebase-scrypt', hash: GOTRUE_VECTOR.derived, salt: GOTRUE_VECTOR.salt }),
      user(uuid(3), 'c@example.com', { algorithm: 'pbkdf2-sha256', iterations: 100_000, salt: 'AA==', hash: 'AA==' }),
      user(uuid(4), 'd@example.com', { algorithm: 'bcrypt', hash: bcrypt }),
      user('abcdefabcdefabcdefabcdefabcd', 'e@example.com'),
      user(uuid(6), null, undefined, { isAnonymous: true, providerId: 'anonymous' }),
    ])
    const created = calls('POST', '/auth/v1/admin/users').map((r) => r.body)
    expect(created).toEqual([
      { id: uuid(1), email: 'a@example.com', email_confirm: true, user_metadata: { display_name: 'A', avatar_url: 'https://x/a.png' }, password_hash: bcrypt },
      { id: uuid(2), email: 'b@example.com', email_confirm: true, user_metadata: {}, password_hash: GOTRUE_VECTOR.hash },
      { id: uuid(3), email: 'c@example.com', email_confirm: true, user_metadata: {} },
      { email: 'e@example.com', email_confirm: true, user_metadata: {} },
    ])
    expect(calls('PUT', `/auth/v1/admin/users/${uuid(4)}`).map((r) => r.body)).toEqual([{ email: 'd@example.com', email_confirm: true, user_metadata: {} }])
    expect(result.imported).toBe(5)
    expect(result.idMap).toEqual({ abcdefabcdefabcdefabcdefabcd: uuid(99) })
    expect(result.mustReset.map((m) => [m.uid, m.reason])).toEqual([
      [uuid(3), 'a pbkdf2-sha256 hash, which GoTrue does not accept (bcrypt, argon2 and Firebase scrypt only)'],
      ['abcdefabcdefabcdefabcdefabcd', 'the source exported no password hash'],
    ])
    expect(result.notImported).toEqual([{ uid: uuid(6), email: null, reason: "an anonymous account: GoTrue's admin API creates accounts with an email or a phone only" }])
    for (const r of requests) {
      expect(r.headers.get('apikey')).toBe(KEY)
      expect(r.headers.get('authorization')).toBe(`Bearer ${KEY}`)
    }
  })

  it('a repeated import of a non-UUID account: email_exists, found with ?filter=<email>, updated, mapped to its id', async () => {
    server.use(
      http.post(`${URL_}/auth/v1/admin/users`, () => HttpResponse.json({ code: 422, error_code: 'email_exists', msg: 'A user with this email address has already been registered' }, { status: 422 })),
      http.get(`${URL_}/auth/v1/admin/users`, ({ request }) => {
        // GoTrue's filter is `email LIKE %filter%`: other accounts may match too.
        expect(new URL(request.url).searchParams.get('filter')).toBe('e@example.com')
        return HttpResponse.json({ users: [gotrueUser(uuid(7), 'xe@example.com'), gotrueUser(uuid(8), 'e@example.com')], aud: 'authenticated' })
      }),
      http.put(`${URL_}/auth/v1/admin/users/:id`, async ({ params, request }) => HttpResponse.json(gotrueUser(String(params.id), ((await request.json()) as { email: string }).email))),
    )
    const result = await endpoint().users!.import!([user('abcdefabcdefabcdefabcdefabcd', 'E@example.com', undefined, { displayName: 'E' })])
    expect(result).toEqual({ imported: 1, mustReset: [], notImported: [], idMap: { abcdefabcdefabcdefabcdefabcd: uuid(8) } })
    expect(calls('GET', '/auth/v1/admin/users').map((r) => r.url.search)).toEqual(['?filter=e%40example.com&page=1&per_page=50'])
    expect(calls('PUT', `/auth/v1/admin/users/${uuid(8)}`).map((r) => r.body)).toEqual([{ email: 'E@example.com', email_confirm: true, user_metadata: { display_name: 'E' } }])
    for (const r of requests) expect(r.headers.get('apikey')).toBe(KEY)
  })

  it('lists users page by page (page, per_page) without hashes; a refusal is a PortabaseError without the key', async () => {
    server.use(
      http.get(`${URL_}/auth/v1/admin/users`, ({ request }) => {
        const page = Number(new URL(request.url).searchParams.get('page'))
        const users = page === 1 ? [gotrueUser(uuid(1), 'a@example.com', { user_metadata: { display_name: 'A' } }), gotrueUser(uuid(2), 'b@example.com')] : [gotrueUser(uuid(3), 'c@example.com')]
        return HttpResponse.json({ users, aud: 'authenticated' })
      }),
    )
    const users = endpoint().users!
    const first = await users.list!(null, 2)
    expect(first).toEqual({ users: [user(uuid(1), 'a@example.com', undefined, { displayName: 'A' }), user(uuid(2), 'b@example.com')], cursor: '2' })
    expect(await users.list!('2', 2)).toEqual({ users: [user(uuid(3), 'c@example.com')], cursor: null })
    expect(calls('GET', '/auth/v1/admin/users').map((r) => r.url.search)).toEqual(['?page=1&per_page=2', '?page=2&per_page=2'])
    server.use(http.get(`${URL_}/auth/v1/admin/users`, () => HttpResponse.json({ code: 403, error_code: 'not_admin', msg: 'User not allowed' }, { status: 403 })))
    const failure = await users.list!(null, 2).catch((e: unknown) => e)
    expect(failure).toMatchObject({ name: 'PortabaseError' })
    expect(String(failure) + JSON.stringify(failure)).not.toContain(KEY)
  })
})

describe('Supabase admin driver, files (Storage wire format, not a server)', () => {
  it('lists by prefix (list-v2, flat) with each file’s custom metadata from its info; downloads; uploads with upsert and metadata', async () => {
    server.use(
      http.post(`${URL_}/storage/v1/object/list-v2/portabase`, () =>
        HttpResponse.json({ hasNext: false, folders: [], objects: [{ name: 'avatars/a/b.png', id: 'x', updated_at: '2024-02-02T00:00:00Z', created_at: '2024-02-02T00:00:00Z', metadata: { size: 3, mimetype: 'image/png' } }] }),
      ),
      http.get(`${URL_}/storage/v1/object/info/portabase/avatars/a/b.png`, () => HttpResponse.json({ size: 3, content_type: 'image/png', last_modified: '2024-02-02T00:00:00Z', metadata: { origin: 'fixture' } })),
      http.get(`${URL_}/storage/v1/object/portabase/avatars/a/b.png`, () => new HttpResponse(Uint8Array.of(1, 2, 3), { headers: { 'content-type': 'image/png' } })),
      http.post(`${URL_}/storage/v1/object/portabase/avatars/a/b.png`, () => HttpResponse.json({ Id: 'x', Key: 'portabase/avatars/a/b.png' })),
    )
    const files = endpoint().files!
    const page = await files.list!('avatars/', null, 20)
    expect(page).toEqual({ items: [{ path: 'avatars/a/b.png', size: 3, contentType: 'image/png', updated: new Date('2024-02-02T00:00:00Z'), metadata: { origin: 'fixture' } }], cursor: null })
    expect(calls('POST', '/storage/v1/object/list-v2/portabase')[0]!.body).toMatchObject({ prefix: 'avatars/', limit: 20, with_delimiter: false })
    expect([...(await collect(await files.download!('avatars/a/b.png')))]).toEqual([1, 2, 3])
    await files.upload!(page.items[0]!, oneChunk(Uint8Array.of(1, 2, 3)))
    const upload = calls('POST', '/storage/v1/object/portabase/avatars/a/b.png')[0]!
    expect(upload.headers.get('x-upsert')).toBe('true')
    expect(JSON.parse(Buffer.from(upload.headers.get('x-metadata')!, 'base64').toString())).toEqual({ origin: 'fixture' })
  })
})

/**
 * The Supabase storage service through the real supabase-js (storage-js builds every request),
 * answered by msw with what the Storage server sends. What this proves: the HTTP requests the
 * adapter's calls turn into (method, path, query, headers, body), and the adapter's handling of
 * Storage's documented answers and errors. What it does not: a Storage server (none runs on these
 * machines) — the answers are written from supabase/storage's source (commit 4fa61fb), cited
 * where each is built.
 *
 * Storage's error bodies (src/internal/errors/storage-error.ts `render`, src/http/error-handler.ts):
 * `{ statusCode: '<real status>', code, error, message }`, sent with HTTP 400 for every 4xx (500
 * stays 500).
 */
import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { http, HttpResponse, type JsonBodyType } from 'msw'
import { setupServer } from 'msw/node'
import WebSocket from 'ws'
import { memory } from '../../adapters/memory/index.js'
import { SupabaseStorage } from '../../adapters/supabase/storage.js'
import { createClient as createPortabase, isPortabaseError, PortabaseError, type PortabaseClient, type StoredFile } from '../../src/index.js'
import { testJwt } from '../backends/supabase/postgrest-model.js'

const PROJECT = 'http://supabase.test'
const STORAGE = `${PROJECT}/storage/v1`
const BUCKET = 'portabase'
const ANON_KEY = testJwt({ role: 'anon' })

/** One request as it reached the network. */
interface Sent {
  method: string
  path: string
  query: string
  headers: Record<string, string>
  /** Bytes for uploads, parsed JSON for JSON bodies, null without a body. */
  body: Uint8Array | JsonBodyType | null
}

/** A row of storage.objects as the fake keeps it. */
interface StoredObject {
  id: string
  name: string
  bytes: Uint8Array
  mimetype: string
  cacheControl: string
  userMetadata: Record<string, unknown> | null
  createdAt: string
  updatedAt: string
  version: string
}

let sent: Sent[] = []
const objects = new Map<string, StoredObject>()
let clock = Date.parse('2025-03-01T10:00:00.000Z')
const now = (): string => new Date((clock += 1000)).toISOString()

async function record(request: Request, body: 'bytes' | 'json' | 'none'): Promise<Sent> {
  const url = new URL(request.url)
  const copy = request.clone()
  const entry: Sent = {
    method: request.method,
    path: url.pathname,
    query: url.search,
    headers: Object.fromEntries(request.headers),
    body: body === 'bytes' ? new Uint8Array(await copy.arrayBuffer()) : body === 'json' ? ((await copy.json()) as JsonBodyType) : null,
  }
  sent.push(entry)
  return entry
}

/** The object name after `/storage/v1/<route>/<bucket>/` (Fastify's `*` parameter, decoded). */
function objectName(request: Request, route: string): string {
  const path = new URL(request.url).pathname
  const prefix = `/storage/v1/${route}/${BUCKET}/`
  return path.startsWith(prefix) ? path.slice(prefix.length).split('/').map(decodeURIComponent).join('/') : ''
}

/** Storage's rendered error (storage-error.ts render + error-handler.ts status rule). */
function storageError(statusCode: string, code: string, message: string, error?: string): Response {
  return HttpResponse.json({ statusCode, code, error: error ?? code, message }, { status: statusCode === '500' ? 500 : 400 })
}
// src/internal/errors/codes.ts
const noSuchKey = (): Response => storageError('404', 'NoSuchKey', 'Object not found', 'not_found')
const noSuchBucket = (): Response => storageError('404', 'NoSuchBucket', 'Bucket not found', 'Bucket not found')
const rlsRefusal = (): Response => storageError('403', 'AccessDenied', 'new row violates row-level security policy', 'Unauthorized')

/** src/storage/limits.ts VALID_OBJECT_KEY (note: no '~'). */
const VALID_OBJECT_KEY = /^[A-Za-z0-9_/!.*'() &$=@;:+,?-]*$/

/** src/storage/object.ts encodeContinuationToken: `l:<last name>` (plus sort parts when given), base64. */
const continuationToken = (startAfter: string): string => Buffer.from(`l:${startAfter}`).toString('base64')
const decodeContinuationToken = (token: string): string => Buffer.from(token, 'base64').toString().replace(/^l:/, '')

/** The row columns Storage's flat list-v2 selects (src/storage/database/pg.ts listObjectsV2). */
const systemMetadata = (o: StoredObject) => ({
  eTag: `"${o.version.slice(0, 8)}"`,
  size: o.bytes.byteLength,
  mimetype: o.mimetype,
  cacheControl: o.cacheControl,
  lastModified: o.updatedAt,
  contentLength: o.bytes.byteLength,
  httpStatusCode: 200,
})

const bytewise = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

const handlers = [
  // src/http/routes/object/listObjectsV2.ts → object.ts listObjectsV2 → pg.ts (no delimiter):
  // `name LIKE prefix%`, `name COLLATE "C" > cursor`, `ORDER BY name COLLATE "C"`, limit + 1 rows.
  http.post(`${STORAGE}/object/list-v2/:bucket`, async ({ request, params }) => {
    const { body } = await record(request, 'json')
    if (params.bucket !== BUCKET) return noSuchBucket()
    const { prefix = '', limit, cursor } = body as { prefix?: string; limit?: number; cursor?: string }
    const max = Math.min(limit || 1000, 1000)
    const after = cursor ? decodeContinuationToken(cursor) : undefined
    const rows = [...objects.values()]
      .filter((o) => o.name.startsWith(prefix) && (after === undefined || bytewise(o.name, after) > 0))
      .sort((a, b) => bytewise(a.name, b.name))
      .slice(0, max + 1)
    const truncated = rows.length > max
    const page = rows.slice(0, max)
    return HttpResponse.json({
      hasNext: truncated,
      ...(truncated ? { nextCursor: continuationToken(page[page.length - 1]!.name), nextCursorKey: page[page.length - 1]!.name } : {}),
      folders: [],
      objects: page.map((o) => ({ id: o.id, name: o.name, metadata: systemMetadata(o), updated_at: o.updatedAt, created_at: o.createdAt, last_accessed_at: o.updatedAt })),
    })
  }),
  // src/http/routes/object/getSignedURL.ts → object.ts signObjectUrl (findObject first: NoSuchKey).
  http.post(`${STORAGE}/object/sign/:bucket/*`, async ({ request, params }) => {
    const { body } = await record(request, 'json')
    if (params.bucket !== BUCKET) return noSuchBucket()
    const name = objectName(request, 'object/sign')
    const { expiresIn } = body as { expiresIn: number }
    if (!Number.isSafeInteger(expiresIn) || expiresIn < 1) return storageError('400', 'InvalidParameter', 'Invalid Parameter expiresIn')
    if (!objects.has(name)) return noSuchKey()
    const iat = Math.floor(clock / 1000)
    const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
    const token = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ url: `${BUCKET}/${name}`, scope: 'download', iat, exp: iat + expiresIn })}.signature`
    return HttpResponse.json({ signedURL: `/object/sign/${BUCKET}/${name}?token=${token}` })
  }),
  // src/http/routes/object/createObject.ts → uploader.ts (binary body: content-type, cache-control,
  // x-metadata base64 JSON → user_metadata; x-upsert: 'true' → upsertObject) → `{ Id, Key }`.
  http.post(`${STORAGE}/object/:bucket/*`, async ({ request, params }) => {
    const entry = await record(request, 'bytes')
    if (params.bucket !== BUCKET) return noSuchBucket()
    const name = objectName(request, 'object')
    if (!name || !VALID_OBJECT_KEY.test(name)) return storageError('400', 'InvalidKey', `Invalid key: ${name}`)
    const existing = objects.get(name)
    if (existing && entry.headers['x-upsert'] !== 'true') return storageError('409', 'KeyAlreadyExists', 'The resource already exists', 'Duplicate')
    const header = entry.headers['x-metadata']
    const stamp = now()
    const stored: StoredObject = {
      id: existing?.id ?? crypto.randomUUID(),
      name,
      bytes: entry.body as Uint8Array,
      mimetype: entry.headers['content-type'] ?? 'application/octet-stream',
      cacheControl: entry.headers['cache-control'] ?? 'no-cache',
      userMetadata: header ? (JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as Record<string, unknown>) : null,
      createdAt: existing?.createdAt ?? stamp,
      updatedAt: stamp,
      version: crypto.randomUUID(),
    }
    objects.set(name, stored)
    return HttpResponse.json({ Id: stored.id, Key: `${BUCKET}/${name}` })
  }),
  // src/http/routes/object/getObjectInfo.ts (`/info/:bucketName/*`) → renderer/info.ts body.
  http.get(`${STORAGE}/object/info/:bucket/*`, async ({ request, params }) => {
    await record(request, 'none')
    if (params.bucket !== BUCKET) return noSuchBucket()
    const o = objects.get(objectName(request, 'object/info'))
    if (!o) return noSuchKey()
    return HttpResponse.json({
      id: o.id,
      name: o.name,
      version: o.version,
      bucket_id: BUCKET,
      size: o.bytes.byteLength,
      content_type: o.mimetype,
      cache_control: o.cacheControl,
      etag: `"${o.version.slice(0, 8)}"`,
      metadata: o.userMetadata,
      last_modified: o.updatedAt,
      created_at: o.createdAt,
    })
  }),
  // src/http/routes/object/getObject.ts (`/:bucketName/*`) → renderer/asset.ts: the bytes.
  http.get(`${STORAGE}/object/:bucket/*`, async ({ request, params }) => {
    await record(request, 'none')
    if (params.bucket !== BUCKET) return noSuchBucket()
    const o = objects.get(objectName(request, 'object'))
    if (!o) return noSuchKey()
    return new HttpResponse(o.bytes.slice().buffer as ArrayBuffer, {
      status: 200,
      headers: { 'Content-Type': o.mimetype, 'Content-Length': String(o.bytes.byteLength), ETag: `"${o.version.slice(0, 8)}"`, 'Cache-Control': o.cacheControl, 'Accept-Ranges': 'bytes' },
    })
  }),
  // src/http/routes/object/deleteObjects.ts → object.ts deleteObjects: the deleted rows (none for a
  // missing object, or one RLS hides), as objectSchema lets them out.
  http.delete(`${STORAGE}/object/:bucket`, async ({ request, params }) => {
    const { body } = await record(request, 'json')
    if (params.bucket !== BUCKET) return noSuchBucket()
    const deleted = (body as { prefixes: string[] }).prefixes.flatMap((name) => {
      const o = objects.get(name)
      if (!o) return []
      objects.delete(name)
      return [{ bucket_id: BUCKET, name: o.name, owner: null, owner_id: null, version: o.version, id: o.id, updated_at: o.updatedAt, created_at: o.createdAt, last_accessed_at: o.updatedAt, metadata: systemMetadata(o), user_metadata: o.userMetadata }]
    })
    return HttpResponse.json(deleted)
  }),
]

const server = setupServer(...handlers)
let client: SupabaseClient
let storage: SupabaseStorage

function newClient(): SupabaseClient {
  return createClient(PROJECT, ANON_KEY, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } })
}

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
beforeEach(() => {
  sent = []
  objects.clear()
  client = newClient()
  storage = new SupabaseStorage(client, BUCKET)
})
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

/** Bytes 0..255 repeating, so corruption anywhere (and of 0x00/0xFF) shows. */
function pattern(size: number): Uint8Array {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + 3) % 256
  return bytes
}

const base64Json = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64')

async function upload(path: string, bytes: Uint8Array, contentType = 'application/octet-stream', metadata: Record<string, string> = {}): Promise<StoredFile> {
  return storage.upload({ path, bytes, contentType, metadata, onProgress: () => undefined })
}

async function failure(work: () => Promise<unknown>): Promise<PortabaseError> {
  try {
    await work()
  } catch (error) {
    if (!isPortabaseError(error)) throw new Error(`expected a PortabaseError, got ${String(error)}`)
    return error
  }
  throw new Error('expected a failure')
}

describe('Supabase storage over supabase-js: the requests it sends, and its handling of Storage answers written from the server source (msw; no Storage server runs here)', () => {
  it('upload: POST /object/{bucket}/{path} with the bytes, content-type, x-upsert: true and the metadata in x-metadata; resolves the stored file; progress 0 then the size', async () => {
    const bytes = pattern(1000)
    const progress: number[] = []
    const file = await storage.upload({ path: 't/avatar.png', bytes, contentType: 'image/png', metadata: { owner: 'u1', kind: 'avatar' }, onProgress: (n) => progress.push(n) })
    expect(sent).toHaveLength(1)
    const [request] = sent
    expect(request).toMatchObject({ method: 'POST', path: '/storage/v1/object/portabase/t/avatar.png', query: '' })
    expect(request!.headers).toMatchObject({
      authorization: `Bearer ${ANON_KEY}`,
      apikey: ANON_KEY,
      'content-type': 'image/png',
      'x-upsert': 'true',
      'cache-control': 'max-age=3600',
      'x-metadata': base64Json({ owner: 'u1', kind: 'avatar' }),
    })
    expect(Buffer.from(request!.body as Uint8Array).equals(Buffer.from(bytes))).toBe(true)
    expect(file).toEqual({ path: 't/avatar.png', size: 1000, contentType: 'image/png', updated: expect.any(Date), metadata: { owner: 'u1', kind: 'avatar' } })
    expect(progress).toEqual([0, 1000])
  })

  it('a second upload to the same path replaces bytes, content type and metadata (x-upsert: true, x-metadata always sent)', async () => {
    await upload('t/replace.txt', new TextEncoder().encode('first version'), 'text/plain', { old: 'yes' })
    await upload('t/replace.txt', new TextEncoder().encode('v2'), 'application/json')
    expect(sent.map((s) => [s.method, s.path, s.headers['x-upsert'], s.headers['x-metadata']])).toEqual([
      ['POST', '/storage/v1/object/portabase/t/replace.txt', 'true', base64Json({ old: 'yes' })],
      ['POST', '/storage/v1/object/portabase/t/replace.txt', 'true', base64Json({})],
    ])
    expect(new TextDecoder().decode(await storage.download('t/replace.txt'))).toBe('v2')
    expect(await storage.getMetadata('t/replace.txt')).toMatchObject({ size: 2, contentType: 'application/json', metadata: {} })
  })

  it('download: GET /object/{bucket}/{path}, no body; resolves exactly the bytes as a Uint8Array', async () => {
    const bytes = pattern(70_001)
    await upload('t/data bin+1.bin', bytes)
    sent = []
    const downloaded = await storage.download('t/data bin+1.bin')
    expect(sent).toEqual([{ method: 'GET', path: '/storage/v1/object/portabase/t/data%20bin+1.bin', query: '', headers: expect.objectContaining({ authorization: `Bearer ${ANON_KEY}` }), body: null }])
    expect(downloaded).toBeInstanceOf(Uint8Array)
    expect(Buffer.from(downloaded).equals(Buffer.from(bytes))).toBe(true)
  })

  it('getMetadata: GET /object/info/{bucket}/{path}; size, content type, last_modified and the custom metadata keys exactly as uploaded', async () => {
    const metadata = { user_id: 'u1', 'x-trace': 't', camelCase: 'c', plain: 'p' }
    await upload('t/meta.json', new TextEncoder().encode('{"a":1}'), 'application/json', metadata)
    sent = []
    const meta = await storage.getMetadata('t/meta.json')
    expect(sent).toEqual([{ method: 'GET', path: '/storage/v1/object/info/portabase/t/meta.json', query: '', headers: expect.objectContaining({ authorization: `Bearer ${ANON_KEY}`, apikey: ANON_KEY }), body: null }])
    expect(meta).toEqual({ path: 't/meta.json', size: 7, contentType: 'application/json', updated: new Date(objects.get('t/meta.json')!.updatedAt), metadata })
  })

  it("why getMetadata does not use storage-js's info(): the same request, but info() camelCases the custom metadata keys", async () => {
    await upload('t/keys.txt', pattern(1), 'text/plain', { user_id: 'u1', 'x-trace': 't' })
    sent = []
    const { data } = await client.storage.from(BUCKET).info('t/keys.txt')
    expect(sent.map((s) => [s.method, s.path])).toEqual([['GET', '/storage/v1/object/info/portabase/t/keys.txt']])
    expect(data?.metadata).toEqual({ userId: 'u1', xTrace: 't' })
    expect((await storage.getMetadata('t/keys.txt')).metadata).toEqual({ user_id: 'u1', 'x-trace': 't' })
  })

  it('getMetadata falls back to info() when the storage client does not expose its fetch, URL and headers (then keys come back as info() gives them)', async () => {
    await upload('t/fallback.txt', pattern(3), 'text/plain', { kind: 'k', user_id: 'u1' })
    const real = client.storage.from(BUCKET)
    // The real file API, with its methods bound to it, minus the fields the adapter reads.
    const hidden = new Proxy(real, {
      get(target, property) {
        if (property === 'fetch' || property === 'url' || property === 'headers') return undefined
        const value = Reflect.get(target, property, target) as unknown
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
      },
    })
    const fallback = new SupabaseStorage({ storage: { from: () => hidden } } as unknown as SupabaseClient, BUCKET)
    sent = []
    expect(await fallback.getMetadata('t/fallback.txt')).toEqual({ path: 't/fallback.txt', size: 3, contentType: 'text/plain', updated: expect.any(Date), metadata: { kind: 'k', userId: 'u1' } })
    expect(sent.map((s) => [s.method, s.path])).toEqual([['GET', '/storage/v1/object/info/portabase/t/fallback.txt']])
    await expect(fallback.getMetadata('t/none.txt')).rejects.toMatchObject({ code: 'not-found', provider: 'supabase' })
  })

  it('getUrl: POST /object/sign/{bucket}/{path} with { expiresIn } in seconds; the signed URL is the storage URL plus the answer, its token expiring then', async () => {
    await upload('t/u.txt', pattern(4))
    sent = []
    const short = await storage.getUrl('t/u.txt', { expiresIn: 60 })
    const long = await storage.getUrl('t/u.txt', { expiresIn: 7 * 24 * 3600 })
    expect(sent.map((s) => [s.method, s.path, s.headers['content-type'], s.body])).toEqual([
      ['POST', '/storage/v1/object/sign/portabase/t/u.txt', 'application/json', { expiresIn: 60 }],
      ['POST', '/storage/v1/object/sign/portabase/t/u.txt', 'application/json', { expiresIn: 604800 }],
    ])
    expect(short.startsWith(`${STORAGE}/object/sign/portabase/t/u.txt?token=`)).toBe(true)
    const claims = (url: string) => JSON.parse(Buffer.from(new URL(url).searchParams.get('token')!.split('.')[1]!, 'base64url').toString()) as { exp: number; iat: number }
    expect(claims(short).exp - claims(short).iat).toBe(60)
    expect(claims(long).exp - claims(long).iat).toBe(604800)
    expect(short).not.toBe(long)
  })

  it('list: POST /object/list-v2/{bucket} { prefix, limit, with_delimiter: false }, then the continuation token; every file once, in path order, sub-folders included', async () => {
    const base = 't/p'
    const names = ['sub/deeper/c.txt', 'f1.bin', 'B.bin', 'f0.bin', 'sub/a.bin', 'f2.bin', 'f3.bin']
    for (const name of names) await upload(`${base}/${name}`, pattern(2), 'text/plain')
    await upload('t/px/not-me.txt', pattern(1))
    sent = []
    const pages: StoredFile[][] = []
    let cursor: string | null = null
    do {
      const page: Awaited<ReturnType<SupabaseStorage['list']>> = await storage.list(`${base}/`, { limit: 3, cursor })
      pages.push(page.items)
      cursor = page.nextCursor
    } while (cursor !== null && pages.length < 10)
    // Bytewise ('B' < 'f' < 's'), as Storage orders by name COLLATE "C".
    expect(pages.map((p) => p.map((i) => i.path))).toEqual([
      ['t/p/B.bin', 't/p/f0.bin', 't/p/f1.bin'],
      ['t/p/f2.bin', 't/p/f3.bin', 't/p/sub/a.bin'],
      ['t/p/sub/deeper/c.txt'],
    ])
    expect(pages[0]![0]).toEqual({ path: 't/p/B.bin', size: 2, contentType: 'text/plain', updated: new Date(objects.get('t/p/B.bin')!.updatedAt), metadata: {} })
    expect(sent.map((s) => [s.method, s.path, s.headers['content-type']])).toEqual(Array(3).fill(['POST', '/storage/v1/object/list-v2/portabase', 'application/json']))
    expect(sent.map((s) => s.body)).toEqual([
      { prefix: 't/p/', limit: 3, with_delimiter: false },
      { prefix: 't/p/', limit: 3, with_delimiter: false, cursor: continuationToken('t/p/f1.bin') },
      { prefix: 't/p/', limit: 3, with_delimiter: false, cursor: continuationToken('t/p/sub/a.bin') },
    ])
  })

  it('list: a partial name is a prefix over the whole tree; an empty prefix lists the bucket; nothing under a prefix is { items: [], nextCursor: null }', async () => {
    for (const name of ['p/sub/deeper/c.txt', 'q.txt', 'p/a.txt', 'px/not-me.txt', 'p/sub/b.txt']) await upload(`b/${name}`, pattern(1))
    expect((await storage.list('b/p/s', { limit: 10, cursor: null })).items.map((i) => i.path)).toEqual(['b/p/sub/b.txt', 'b/p/sub/deeper/c.txt'])
    expect((await storage.list('', { limit: 1000, cursor: null })).items.map((i) => i.path)).toEqual(['b/p/a.txt', 'b/p/sub/b.txt', 'b/p/sub/deeper/c.txt', 'b/px/not-me.txt', 'b/q.txt'])
    expect(await storage.list('b/nothing/', { limit: 100, cursor: null })).toEqual({ items: [], nextCursor: null })
    expect(sent.slice(-3).map((s) => s.body)).toEqual([
      { prefix: 'b/p/s', limit: 10, with_delimiter: false },
      { prefix: '', limit: 1000, with_delimiter: false },
      { prefix: 'b/nothing/', limit: 100, with_delimiter: false },
    ])
  })

  it('list: a cursor this adapter did not make fails with invalid-argument before any request', async () => {
    sent = []
    for (const cursor of ['p:t/x', 's:', 'garbage']) {
      expect(await failure(() => storage.list('t/', { limit: 10, cursor }))).toMatchObject({ code: 'invalid-argument', provider: 'supabase' })
    }
    expect(sent).toEqual([])
  })

  it('delete: DELETE /object/{bucket} { prefixes: [path] }; then the object is gone (download and getMetadata: not-found)', async () => {
    await upload('t/gone.bin', pattern(5))
    sent = []
    await storage.delete('t/gone.bin')
    expect(sent).toEqual([{ method: 'DELETE', path: '/storage/v1/object/portabase', query: '', headers: expect.objectContaining({ 'content-type': 'application/json', authorization: `Bearer ${ANON_KEY}` }), body: { prefixes: ['t/gone.bin'] } }])
    expect(await failure(() => storage.download('t/gone.bin'))).toMatchObject({ code: 'not-found', provider: 'supabase' })
    expect(await failure(() => storage.getMetadata('t/gone.bin'))).toMatchObject({ code: 'not-found' })
    expect((await storage.list('t/', { limit: 10, cursor: null })).items).toEqual([])
  })

  it('delete of a missing object: Storage deletes nothing ([]), the info probe says NoSuchKey → not-found', async () => {
    const error = await failure(() => storage.delete('t/never.bin'))
    expect(error).toMatchObject({ code: 'not-found', provider: 'supabase' })
    expect(sent.map((s) => [s.method, s.path])).toEqual([
      ['DELETE', '/storage/v1/object/portabase'],
      ['GET', '/storage/v1/object/info/portabase/t/never.bin'],
    ])
  })

  it('delete refused by RLS: Storage deletes nothing ([]) but the object is visible → permission-denied', async () => {
    await upload('t/kept.bin', pattern(5))
    // The policies let this caller select but not delete: the DELETE … RETURNING finds no row.
    server.use(http.delete(`${STORAGE}/object/:bucket`, async ({ request }) => {
      await record(request, 'json')
      return HttpResponse.json([])
    }))
    sent = []
    expect(await failure(() => storage.delete('t/kept.bin'))).toMatchObject({ code: 'permission-denied', provider: 'supabase' })
    expect(sent.map((s) => [s.method, s.path])).toEqual([
      ['DELETE', '/storage/v1/object/portabase'],
      ['GET', '/storage/v1/object/info/portabase/t/kept.bin'],
    ])
    expect(objects.has('t/kept.bin')).toBe(true)
  })

  it('a signed-in user: every storage request carries the session access token, not the anon key', async () => {
    const accessToken = testJwt({ role: 'authenticated', sub: '00000000-0000-4000-8000-00000000000a', email: 'a@example.com' })
    server.use(http.post(`${PROJECT}/auth/v1/token`, ({ request }) => {
      expect(new URL(request.url).searchParams.get('grant_type')).toBe('password')
      return HttpResponse.json({
        access_token: accessToken,
        token_type: 'bearer',
        expires_in: 3600,
        expires_at: Math.floor(Date.now() / 1000) + 3600,
        refresh_token: 'refresh-1',
        user: { id: '00000000-0000-4000-8000-00000000000a', aud: 'authenticated', role: 'authenticated', email: 'a@example.com', app_metadata: { provider: 'email' }, user_metadata: {}, created_at: '2025-01-01T00:00:00Z' },
      })
    }))
    const { error } = await client.auth.signInWithPassword({ email: 'a@example.com', password: 'pw-123456' })
    expect(error).toBeNull()
    await upload('t/mine.txt', pattern(2))
    await storage.download('t/mine.txt')
    await storage.getMetadata('t/mine.txt')
    await storage.list('t/', { limit: 5, cursor: null })
    await storage.getUrl('t/mine.txt', { expiresIn: 60 })
    await storage.delete('t/mine.txt')
    expect(sent).toHaveLength(6)
    for (const request of sent) {
      expect(request.headers.authorization).toBe(`Bearer ${accessToken}`)
      expect(request.headers.apikey).toBe(ANON_KEY)
    }
  })

  describe('errors: Storage error bodies → PortabaseError (errors.ts mapStorageError), never raw', () => {
    it('download and getUrl of a missing object: HTTP 400 { statusCode: "404", code: "NoSuchKey" } → not-found', async () => {
      const download = await failure(() => storage.download('t/never.bin'))
      expect(download).toBeInstanceOf(PortabaseError)
      expect(download).toMatchObject({ code: 'not-found', provider: 'supabase', retryable: false, details: { vendorCode: 'NoSuchKey' } })
      expect(await failure(() => storage.getUrl('t/never.bin', { expiresIn: 60 }))).toMatchObject({ code: 'not-found' })
    })

    it('an upload RLS refuses: { statusCode: "403", code: "AccessDenied" } → permission-denied, no progress beyond 0', async () => {
      server.use(http.post(`${STORAGE}/object/:bucket/*`, async ({ request }) => {
        await record(request, 'bytes')
        return rlsRefusal()
      }))
      const progress: number[] = []
      const error = await failure(() => storage.upload({ path: 't/x.bin', bytes: pattern(3), contentType: 'application/octet-stream', metadata: {}, onProgress: (n) => progress.push(n) }))
      expect(error).toMatchObject({ code: 'permission-denied', provider: 'supabase', details: { vendorCode: 'AccessDenied' } })
      expect(error.message).toContain('row-level security')
      expect(progress).toEqual([0])
    })

    it("bad input: a path Storage's keys refuse ('~' is portabase-valid, not Storage-valid) → invalid-argument; expiresIn below 1 → invalid-argument", async () => {
      expect(await failure(() => upload('t/a~b.txt', pattern(1)))).toMatchObject({ code: 'invalid-argument', details: { vendorCode: 'InvalidKey' } })
      await upload('t/ok.txt', pattern(1))
      expect(await failure(() => storage.getUrl('t/ok.txt', { expiresIn: 0 }))).toMatchObject({ code: 'invalid-argument' })
    })

    it('a bucket that does not exist (setup SQL not run): NoSuchBucket → failed-precondition, for every method', async () => {
      const other = new SupabaseStorage(client, 'missing-bucket')
      const calls: Array<() => Promise<unknown>> = [
        () => other.upload({ path: 't/x', bytes: pattern(1), contentType: 'text/plain', metadata: {}, onProgress: () => undefined }),
        () => other.download('t/x'),
        () => other.getUrl('t/x', { expiresIn: 60 }),
        () => other.list('t/', { limit: 10, cursor: null }),
        () => other.delete('t/x'),
        () => other.getMetadata('t/x'),
      ]
      for (const call of calls) expect(await failure(call)).toMatchObject({ code: 'failed-precondition', details: { vendorCode: 'NoSuchBucket' } })
    })

    it('list-v2 on a tenant without the search-v2 migration: FeatureNotEnabled → failed-precondition', async () => {
      // src/http/routes/object/listObjectsV2.ts answers this itself.
      server.use(http.post(`${STORAGE}/object/list-v2/:bucket`, () => HttpResponse.json({ statusCode: '400', error: 'FeatureNotEnabled', message: 'This feature is not available for your tenant', code: 'FeatureNotEnabled' }, { status: 400 })))
      expect(await failure(() => storage.list('t/', { limit: 10, cursor: null }))).toMatchObject({ code: 'failed-precondition', details: { vendorCode: 'FeatureNotEnabled' } })
    })

    it('an invalid or expired JWT (AccessDenied with the verifier message) and a server failure (500): permission-denied and unavailable; no token in messages', async () => {
      // src/http/plugins/jwt.ts: ERRORS.AccessDenied(err.message); a message quoting a token must not leak it.
      server.use(http.get(`${STORAGE}/object/info/:bucket/*`, () => storageError('403', 'AccessDenied', `jwt expired: ${ANON_KEY}`, 'Unauthorized')))
      const denied = await failure(() => storage.getMetadata('t/x'))
      expect(denied).toMatchObject({ code: 'permission-denied' })
      expect(denied.message).not.toContain(ANON_KEY)
      expect(JSON.stringify(denied)).not.toContain(ANON_KEY)
      server.use(http.get(`${STORAGE}/object/:bucket/*`, () => storageError('500', 'InternalError', 'Internal Server Error', 'Internal')))
      expect(await failure(() => storage.download('t/x'))).toMatchObject({ code: 'unavailable', retryable: true })
    })

    it('the network failing: unavailable (storage-js StorageUnknownError, and the info request)', async () => {
      server.use(
        http.post(`${STORAGE}/object/list-v2/:bucket`, () => HttpResponse.error()),
        http.get(`${STORAGE}/object/info/:bucket/*`, () => HttpResponse.error()),
        http.post(`${STORAGE}/object/:bucket/*`, () => HttpResponse.error()),
      )
      expect(await failure(() => storage.list('t/', { limit: 10, cursor: null }))).toMatchObject({ code: 'unavailable', retryable: true })
      expect(await failure(() => storage.getMetadata('t/x'))).toMatchObject({ code: 'unavailable', retryable: true })
      expect(await failure(() => upload('t/x', pattern(1)))).toMatchObject({ code: 'unavailable' })
    })
  })

  describe('cancelling', () => {
    it('download honours the signal: an abort mid-request rejects with cancelled', async () => {
      await upload('t/slow.bin', pattern(10))
      let reached!: () => void
      const arrived = new Promise<void>((resolve) => (reached = resolve))
      server.use(http.get(`${STORAGE}/object/:bucket/*`, async ({ request }) => {
        await record(request, 'none')
        reached()
        // Longer than the test waits; unref'd so an unanswered request does not hold the process.
        await new Promise((resolve) => setTimeout(resolve, 2_000).unref())
        return new HttpResponse(new Uint8Array(10).buffer as ArrayBuffer)
      }))
      const controller = new AbortController()
      const started = Date.now()
      const download = storage.download('t/slow.bin', { signal: controller.signal })
      await arrived
      controller.abort()
      expect(await failure(() => download)).toMatchObject({ code: 'cancelled' })
      expect(Date.now() - started).toBeLessThan(1_500)
    })

    it('upload aborted before the request is sent: cancelled, and no request goes out', async () => {
      const controller = new AbortController()
      const progress: number[] = []
      const task = storage.upload({ path: 't/never-sent.bin', bytes: pattern(10), contentType: 'application/octet-stream', metadata: {}, onProgress: (n) => progress.push(n), signal: controller.signal })
      controller.abort()
      expect(await failure(() => task)).toMatchObject({ code: 'cancelled' })
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(sent).toEqual([])
      expect(progress).toEqual([])
    })

    it('upload aborted in flight: rejects with cancelled at once, but storage-js cannot stop the request, which may still store the file (declared)', async () => {
      let reached!: () => void
      const arrived = new Promise<void>((resolve) => (reached = resolve))
      let answered!: () => void
      const done = new Promise<void>((resolve) => (answered = resolve))
      server.use(http.post(`${STORAGE}/object/:bucket/*`, async ({ request }) => {
        await record(request, 'bytes')
        reached()
        await new Promise((resolve) => setTimeout(resolve, 300))
        objects.set('t/late.bin', { id: 'id-late', name: 't/late.bin', bytes: pattern(10), mimetype: 'application/octet-stream', cacheControl: 'max-age=3600', userMetadata: {}, createdAt: now(), updatedAt: now(), version: 'v-late' })
        answered()
        return HttpResponse.json({ Id: 'id-late', Key: `${BUCKET}/t/late.bin` })
      }))
      const controller = new AbortController()
      const task = storage.upload({ path: 't/late.bin', bytes: pattern(10), contentType: 'application/octet-stream', metadata: {}, onProgress: () => undefined, signal: controller.signal })
      await arrived
      const abortedAt = Date.now()
      controller.abort()
      expect(await failure(() => task)).toMatchObject({ code: 'cancelled' })
      expect(Date.now() - abortedAt).toBeLessThan(200)
      await done
      expect(objects.has('t/late.bin')).toBe(true)
    })
  })

  describe('through the portabase client (the supabase storage service in an adapter)', () => {
    let app: PortabaseClient
    beforeEach(() => {
      app = createPortabase({ adapter: { ...memory(), name: 'supabase', storage } })
    })
    afterEach(async () => {
      await app.dispose()
    })

    it('upload progress ends at fraction 1 with state success; the task resolves the stored file', async () => {
      const task = app.storage.upload('t/big.bin', pattern(300 * 1024), { metadata: { a: 'b' } })
      const events: Array<{ bytesTransferred: number; state: string }> = []
      const subscription = task.subscribe((e) => events.push(e))
      const file = await task
      subscription.unsubscribe()
      expect(file).toMatchObject({ path: 't/big.bin', size: 300 * 1024, contentType: 'application/octet-stream', metadata: { a: 'b' } })
      expect(events[events.length - 1]).toEqual({ bytesTransferred: 300 * 1024, totalBytes: 300 * 1024, fraction: 1, state: 'success' })
      expect(sent.map((s) => [s.method, s.path, s.headers['content-type']])).toEqual([['POST', '/storage/v1/object/portabase/t/big.bin', 'application/octet-stream']])
    })

    it("cancel() right after upload() rejects with cancelled and sends nothing (the contract's cancel case)", async () => {
      const task = app.storage.upload('t/cancelled.bin', pattern(1024 * 1024))
      task.cancel()
      await expect(Promise.resolve(task)).rejects.toMatchObject({ code: 'cancelled' })
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(sent).toEqual([])
    })

    it('list pages and getUrl through the client', async () => {
      for (let i = 0; i < 5; i++) await app.storage.upload(`t/c/f${i}.txt`, pattern(1))
      const first = await app.storage.list('t/c/', { limit: 2 })
      const second = await app.storage.list('t/c/', { limit: 2, cursor: first.nextCursor })
      const third = await app.storage.list('t/c/', { limit: 2, cursor: second.nextCursor })
      expect([first, second, third].map((p) => p.items.map((i) => i.path))).toEqual([['t/c/f0.txt', 't/c/f1.txt'], ['t/c/f2.txt', 't/c/f3.txt'], ['t/c/f4.txt']])
      expect(third.nextCursor).toBeNull()
      expect(await app.storage.getUrl('t/c/f0.txt', { expiresIn: 120 })).toMatch(/^http:\/\/supabase\.test\/storage\/v1\/object\/sign\/portabase\/t\/c\/f0\.txt\?token=/)
    })
  })
})

/**
 * The Amplify adapter's storage (adapters/amplify/storage.ts) on the local Amplify test backend:
 * the real aws-amplify/storage over s3rver, signed with the harness's fixed credentials
 * (`localCredentialsProvider`, passed as the adapter option `credentialsProvider`), S3 hosts sent to
 * s3rver by the fetch rewrite (test side only). Expected values come from the neutral semantics and
 * the memory reference (the same calls on `memory().storage`), never from the adapter.
 * The service-level cases use `AmplifyStorage` on a context made by `createAdapterContext` (what
 * `amplify()` calls); the client-level cases and the contract section use `amplify({ storage })`.
 */
import { amplify, type AmplifyAdapter } from '../../adapters/amplify/index.js'
import { createAdapterContext, SessionStore } from '../../adapters/amplify/context.js'
import { mapStorageError } from '../../adapters/amplify/errors.js'
import { AmplifyStorage, type AmplifyStorageOptions } from '../../adapters/amplify/storage.js'
import { memory } from '../../adapters/memory/index.js'
import { PortabaseError } from '../../src/errors.js'
import { createClient, type PortabaseClient } from '../../src/index.js'
import type { StorageService } from '../../src/spi.js'
import type { UploadProgress } from '../../src/types.js'
import { startAmplifyBackend, type AmplifyTestBackend } from '../backends/amplify/server.js'
import { installFileReaderShim, installS3FetchRewrite, localCredentialsProvider } from '../backends/amplify/shims.js'
import { expectError, randomSuffix } from '../contract/helpers.js'
import { runContractSuite } from '../contract/suite.js'

jest.setTimeout(60_000)

/** The harness outputs grant `public/*` (storage.buckets[0].paths): every key goes under it. */
const PREFIX = 'public/'

let backend: AmplifyTestBackend
const undo: Array<() => void> = []
beforeAll(async () => {
  backend = await startAmplifyBackend()
  undo.push(installS3FetchRewrite(backend.s3Endpoint), installFileReaderShim())
}, 120_000)
afterAll(async () => {
  undo.splice(0).reverse().forEach((step) => step())
  await backend?.stop()
})

function contextOptions() {
  return { outputs: backend.outputs, userPoolEndpoint: backend.cognitoEndpoint, credentialsProvider: localCredentialsProvider(backend.outputs.auth.aws_region) }
}

/** The adapter's storage on a context of its own (see the header). */
function storageService(options: AmplifyStorageOptions = { prefix: PREFIX }): AmplifyStorage {
  return new AmplifyStorage(createAdapterContext(contextOptions(), new SessionStore()).ctx, options)
}

function adapterWithStorage(): AmplifyAdapter {
  return amplify({ ...contextOptions(), authFlowType: 'USER_PASSWORD_AUTH', storage: { prefix: PREFIX } })
}

const opened: Array<{ dispose(): Promise<void> }> = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.dispose()))
})
function client(): PortabaseClient {
  const adapter = adapterWithStorage()
  const app = createClient({ adapter })
  opened.push(app, adapter)
  return app
}

function pattern(size: number, seed = 0): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + 3 + seed) % 256
  return bytes
}
const text = (s: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(s)
const upload = (storage: StorageService, path: string, bytes: Uint8Array, contentType = 'application/octet-stream', metadata: Record<string, string> = {}) =>
  storage.upload({ path, bytes, contentType, metadata, onProgress: () => undefined })
async function rejection(promise: Promise<unknown>): Promise<PortabaseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(PortabaseError)
  return error as PortabaseError
}

/** Every page of a list, with the page sizes. */
async function listAll(storage: StorageService, prefix: string, limit: number): Promise<{ paths: string[]; sizes: number[] }> {
  const paths: string[] = []
  const sizes: number[] = []
  let cursor: string | null = null
  for (let pages = 0; pages < 50; pages++) {
    const page: Awaited<ReturnType<StorageService['list']>> = await storage.list(prefix, { limit, cursor })
    expect(page.items.length).toBeLessThanOrEqual(limit)
    paths.push(...page.items.map((i) => i.path))
    sizes.push(page.items.length)
    cursor = page.nextCursor
    if (cursor === null) return { paths, sizes }
  }
  throw new Error('list never ended')
}

describe('amplify storage on s3rver (aws-amplify/storage)', () => {
  it('upload → download round trip: bytes, contentType and metadata (keys with capitals, non-ASCII and spaced values) as written; the S3 key is the prefix + the path', async () => {
    const storage = storageService()
    const path = `t_${randomSuffix()}/docs/report v1.json`
    const bytes = text('{"ünïcode": true}')
    const metadata = { owner: 'u1', userId: 'Ada-42', note: 'héllo wörld ✓', padded: '  x  ', empty: '', word: '=?UTF-8?B?eA==?=' }
    const stored = await upload(storage, path, bytes, 'application/json', metadata)
    const expected = await upload(memory().storage, path, bytes, 'application/json', metadata)
    expect({ ...stored, updated: null }).toEqual({ ...expected, updated: null })
    expect(stored.updated).toBeInstanceOf(Date)

    expect(await storage.download(path)).toEqual(bytes)
    const meta = await storage.getMetadata(path)
    expect(meta).toMatchObject({ path, size: bytes.byteLength, contentType: 'application/json', metadata })
    expect(Math.abs(meta.updated.getTime() - Date.now())).toBeLessThan(60_000)

    // The same object, seen without the prefix: S3 key = 'public/' + path.
    const bare = storageService({ prefix: '' })
    expect(await bare.download(`${PREFIX}${path}`)).toEqual(bytes)
    await expectError(() => bare.download(path), 'not-found')
  })

  it('uploading to a path again replaces the bytes, the content type and the metadata', async () => {
    const storage = storageService()
    const path = `t_${randomSuffix()}/replace.txt`
    await upload(storage, path, text('first version'), 'text/plain', { a: '1', b: '2' })
    await upload(storage, path, text('v2'), 'application/json', { c: '3' })
    expect(new TextDecoder().decode(await storage.download(path))).toBe('v2')
    expect(await storage.getMetadata(path)).toMatchObject({ size: 2, contentType: 'application/json', metadata: { c: '3' } })
    await upload(storage, path, text('v3'))
    expect((await storage.getMetadata(path)).metadata).toEqual({})
  })

  it('progress: 0 first, the size last with state success, monotonic; a multipart upload (> 5 MiB) arrives whole', async () => {
    const app = client()
    const size = 5 * 1024 * 1024 + 4321
    const path = `t_${randomSuffix()}/big.bin`
    const events: UploadProgress[] = []
    const task = app.storage.upload(path, pattern(size))
    task.subscribe((e) => events.push(e))
    await task
    expect(events[0]).toEqual({ bytesTransferred: 0, totalBytes: size, fraction: 0, state: 'running' })
    expect(events[events.length - 1]).toEqual({ bytesTransferred: size, totalBytes: size, fraction: 1, state: 'success' })
    for (let i = 1; i < events.length; i++) expect(events[i]!.bytesTransferred).toBeGreaterThanOrEqual(events[i - 1]!.bytesTransferred)
    const bytes = await app.storage.download(path)
    expect(bytes.byteLength).toBe(size)
    expect(Buffer.from(bytes).equals(Buffer.from(pattern(size)))).toBe(true)
  })

  it('cancel() right after upload() rejects with cancelled and stores nothing', async () => {
    const app = client()
    const path = `t_${randomSuffix()}/cancelled.bin`
    const task = app.storage.upload(path, pattern(64 * 1024))
    task.cancel()
    await expectError(() => task, 'cancelled')
    await expectError(() => app.storage.getMetadata(path), 'not-found')
  })

  it('aborting a multipart upload in flight (after its first request) rejects with cancelled and stores nothing', async () => {
    const app = client()
    const path = `t_${randomSuffix()}/aborted.bin`
    const controller = new AbortController()
    const original = globalThis.fetch
    let requests = 0
    globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
      if (++requests === 1) setTimeout(() => controller.abort(), 0)
      return original(input, init)
    }) as typeof fetch
    try {
      const task = app.storage.upload(path, pattern(6 * 1024 * 1024), { signal: controller.signal })
      await expectError(() => task, 'cancelled')
    } finally {
      globalThis.fetch = original
    }
    expect(requests).toBeGreaterThan(0)
    await expectError(() => app.storage.getMetadata(path), 'not-found')
  })

  it('download() with an aborted signal, or aborted in flight, fails with cancelled', async () => {
    const storage = storageService()
    const path = `t_${randomSuffix()}/d.bin`
    await upload(storage, path, pattern(1024))
    await expect(rejection(storage.download(path, { signal: AbortSignal.abort() }))).resolves.toMatchObject({ code: 'cancelled' })
    const controller = new AbortController()
    const pending = storage.download(path, { signal: controller.signal })
    controller.abort()
    await expect(rejection(pending)).resolves.toMatchObject({ code: 'cancelled' })
  })

  it('getUrl(): a presigned GET URL for the key that returns the bytes, with the expiry asked for; a missing file → not-found', async () => {
    const storage = storageService()
    const path = `t_${randomSuffix()}/u.txt`
    await upload(storage, path, text('served'), 'text/plain')
    const url = new URL(await storage.getUrl(path, { expiresIn: 60 }))
    expect(url.pathname.endsWith(`/${PREFIX}${path}`)).toBe(true)
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60')
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/)
    const response = await fetch(url) // through the rewrite, like any S3 URL here
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('served')
    expect(response.headers.get('content-type')).toBe('text/plain')
    const longer = new URL(await storage.getUrl(path, { expiresIn: 600 }))
    expect(longer.searchParams.get('X-Amz-Expires')).toBe('600')
    await expectError(() => storage.getUrl(`t_${randomSuffix()}/missing.txt`, { expiresIn: 60 }), 'not-found')
  })

  describe('list()', () => {
    // Names chosen so that path order is not creation order nor folder-first order: '.' (0x2E) <
    // '/' (0x2F) < digits < capitals < '_' < lower case, and allowed punctuation.
    const NAMES = ['p/sub/deeper/c.txt', 'q.txt', 'p/a.txt', 'px/not-me.txt', 'p/sub/b.txt', 'p.txt', 'p/B.txt', 'p/_u.txt', 'p/9 n.txt', 'p/a+b=c,d@e~f.txt', 'p/a.txt.bak', 'p-/x']
    let base: string
    let storage: AmplifyStorage
    let reference: StorageService
    beforeAll(async () => {
      base = `t_${randomSuffix()}`
      storage = storageService()
      reference = memory().storage
      let i = 0
      for (const name of NAMES) {
        const metadata = { n: String(i) }
        await upload(storage, `${base}/${name}`, pattern(i + 1), i % 2 ? 'text/plain' : 'application/octet-stream', metadata)
        await upload(reference, `${base}/${name}`, pattern(i + 1), i % 2 ? 'text/plain' : 'application/octet-stream', metadata)
        i++
      }
    })

    it.each([
      ['the base folder', '/', 3],
      ['a folder', '/p/', 2],
      ['a folder, one per page', '/p/', 1],
      ['a partial name', '/p', 4],
      ['a partial name inside a folder', '/p/a', 10],
      ['a sub-folder', '/p/sub/', 5],
      ['nothing', '/nothing/', 3],
    ])('%s: every path that starts with the prefix, sub-folders included, in path order, a page at a time, as memory lists them', async (_what, suffix, limit) => {
      const prefix = `${base}${suffix}`
      const got = await listAll(storage, prefix, limit)
      const want = await listAll(reference, prefix, limit)
      expect(got.paths).toEqual(want.paths)
      expect(got.sizes).toEqual(want.sizes)
    })

    it('listed items carry size, contentType and metadata as getMetadata gives them', async () => {
      const page = await storage.list(`${base}/p/sub/`, { limit: 10, cursor: null })
      const want = await reference.list(`${base}/p/sub/`, { limit: 10, cursor: null })
      expect(page.items.map((i) => ({ ...i, updated: null }))).toEqual(want.items.map((i) => ({ ...i, updated: null })))
      for (const item of page.items) expect(item).toEqual(await storage.getMetadata(item.path))
    })

    it('the cursor round-trips as an opaque string; a foreign cursor → invalid-argument', async () => {
      const first = await storage.list(`${base}/`, { limit: 4, cursor: null })
      expect(typeof first.nextCursor).toBe('string')
      const again = await storage.list(`${base}/`, { limit: 4, cursor: first.nextCursor })
      const wanted = await listAll(reference, `${base}/`, 100)
      expect(again.items.map((i) => i.path)).toEqual(wanted.paths.slice(4, 8))
      await expect(rejection(storage.list(`${base}/`, { limit: 4, cursor: 'p:abc' }))).resolves.toMatchObject({ code: 'invalid-argument' })
    })
  })

  it('delete(): the file goes (download, getMetadata → not-found, not listed); a missing path → not-found', async () => {
    const storage = storageService()
    const dir = `t_${randomSuffix()}`
    await upload(storage, `${dir}/gone.bin`, pattern(5))
    await upload(storage, `${dir}/gone.bin2`, pattern(5))
    await storage.delete(`${dir}/gone.bin`)
    await expectError(() => storage.download(`${dir}/gone.bin`), 'not-found')
    await expectError(() => storage.getMetadata(`${dir}/gone.bin`), 'not-found')
    expect((await listAll(storage, `${dir}/`, 10)).paths).toEqual([`${dir}/gone.bin2`])
    const missing = await rejection(storage.delete(`${dir}/never.bin`))
    expect(missing).toMatchObject({ code: 'not-found', provider: 'amplify' })
    await expect(rejection(storage.delete(`${dir}/gone.bin`))).resolves.toMatchObject({ code: 'not-found' })
  })

  it('delete() of a file that is also a folder is refused with failed-precondition and deletes nothing (aws-amplify would empty the folder instead)', async () => {
    const storage = storageService()
    const dir = `t_${randomSuffix()}`
    await upload(storage, `${dir}/p`, pattern(1))
    await upload(storage, `${dir}/p/child.txt`, pattern(2))
    await expect(rejection(storage.delete(`${dir}/p`))).resolves.toMatchObject({ code: 'failed-precondition' })
    expect((await listAll(storage, `${dir}/`, 10)).paths).toEqual([`${dir}/p`, `${dir}/p/child.txt`])
    await storage.delete(`${dir}/p/child.txt`)
    await storage.delete(`${dir}/p`)
    expect((await listAll(storage, `${dir}/`, 10)).paths).toEqual([])
  })

  it('getMetadata(): size, contentType, S3 Last-Modified and metadata; contentType defaults to application/octet-stream', async () => {
    const storage = storageService()
    const path = `t_${randomSuffix()}/meta.json`
    const before = Date.now()
    await upload(storage, path, text('{"a":1}'), 'application/json', { source: 'test' })
    const meta = await storage.getMetadata(path)
    expect(meta).toEqual({ path, size: 7, contentType: 'application/json', updated: expect.any(Date), metadata: { source: 'test' } })
    expect(meta.updated.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 2000) // S3 dates have whole seconds
    expect(meta.updated.getTime()).toBeLessThanOrEqual(Date.now() + 2000)
    await upload(storage, `${path}.bin`, pattern(3))
    expect((await storage.getMetadata(`${path}.bin`)).contentType).toBe('application/octet-stream')
  })

  describe('errors', () => {
    it('a path never written: download, getMetadata, getUrl and delete → not-found (provider amplify)', async () => {
      const storage = storageService()
      const path = `t_${randomSuffix()}/never.bin`
      for (const call of [() => storage.download(path), () => storage.getMetadata(path), () => storage.getUrl(path, { expiresIn: 60 }), () => storage.delete(path)]) {
        await expect(rejection(call())).resolves.toMatchObject({ code: 'not-found', provider: 'amplify' })
      }
    })

    it('S3 AccessDenied (GET with an XML body, HEAD with none) → permission-denied', async () => {
      const storage = storageService()
      const path = `t_${randomSuffix()}/secret.bin`
      await upload(storage, path, pattern(3))
      const original = globalThis.fetch
      globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
        const method = init?.method ?? (input instanceof Request ? input.method : 'GET')
        const body = method === 'HEAD' ? null : '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'
        return new Response(body, { status: 403, headers: { 'content-type': 'application/xml' } })
      }) as typeof fetch
      try {
        const download = await rejection(storage.download(path))
        expect(download).toMatchObject({ code: 'permission-denied', details: { vendorCode: 'AccessDenied' } })
        await expect(rejection(storage.getMetadata(path))).resolves.toMatchObject({ code: 'permission-denied' })
        await expect(rejection(storage.list(`${path}/`, { limit: 1, cursor: null }))).resolves.toMatchObject({ code: 'permission-denied' })
      } finally {
        globalThis.fetch = original
      }
    })

    it('S3 unreachable → unavailable (retryable)', async () => {
      const storage = storageService()
      const undoDead = installS3FetchRewrite('http://127.0.0.1:9') // nothing listens there
      try {
        const error = await rejection(storage.getMetadata(`t_${randomSuffix()}/x`))
        expect(error).toMatchObject({ code: 'unavailable', retryable: true })
        // aws-amplify wraps fetch's TypeError as NetworkError, but under jest its `instanceof TypeError`
        // fails (fetch's TypeError is from another realm) and the TypeError arrives as is.
        expect(['NetworkError', 'TypeError']).toContain(error.details?.vendorCode)
      } finally {
        undoDead()
      }
    })

    it('credentials the provider cannot give → unauthenticated', async () => {
      const { ctx } = createAdapterContext(
        { ...contextOptions(), credentialsProvider: { getCredentialsAndIdentityId: async () => undefined, clearCredentialsAndIdentityId: () => undefined } },
        new SessionStore(),
      )
      const storage = new AmplifyStorage(ctx, { prefix: PREFIX })
      await expect(rejection(storage.getMetadata(`t_${randomSuffix()}/x`))).resolves.toMatchObject({ code: 'unauthenticated' })
    })

    it('mapStorageError: S3 codes and bare statuses', () => {
      const cases: Array<[object, string]> = [
        [{ name: 'NoSuchKey' }, 'not-found'],
        [{ name: 'NotFound' }, 'not-found'],
        [{ name: 'AccessDenied' }, 'permission-denied'],
        [{ name: '403', metadata: { httpStatusCode: 403 } }, 'permission-denied'],
        [{ name: 'ExpiredToken' }, 'unauthenticated'],
        [{ name: 'SlowDown' }, 'resource-exhausted'],
        [{ name: 'MetadataTooLarge' }, 'invalid-argument'],
        [{ name: 'NoSuchBucket' }, 'failed-precondition'],
        [{ name: 'CanceledError' }, 'cancelled'],
        [{ name: '503', metadata: { httpStatusCode: 503 } }, 'unavailable'],
        [{ name: 'Weird' }, 'internal'],
      ]
      for (const [error, code] of cases) expect(mapStorageError(error).code).toBe(code)
    })

    it('metadata keys that differ only in case → invalid-argument, before any request', async () => {
      const storage = storageService()
      await expect(rejection(upload(storage, `t_${randomSuffix()}/m`, pattern(1), 'application/octet-stream', { Tag: 'a', tag: 'b' }))).resolves.toMatchObject({
        code: 'invalid-argument',
      })
    })
  })
})

// The contract's storage section, on the same backend (started above).
runContractSuite(
  {
    name: 'amplify (storage on s3rver)',
    setup: async () => undefined,
    teardown: async () => undefined,
    createAdapter: async () => adapterWithStorage(),
    freshCollection: () => `unused_${randomSuffix()}`,
    ownedCollection: () => 'unused',
  },
  { sections: ['storage'] },
)

import type { PortabaseClient } from '../index.js'
import type { SuiteEnv } from './env.js'
import { expectError, randomSuffix } from './helpers.js'
import { describe, expect, it } from './runner.js'

/** Bytes 0..255 repeating, so corruption anywhere (and of 0x00/0xFF) shows. */
/** Byte-for-byte equality (no Node Buffer: the kit runs wherever the suite does). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i])
}

function pattern(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + 3) % 256
  return bytes
}

export function storageTests(env: SuiteEnv): void {
  /** A client and a prefix no other test uses; null (after checking `unsupported`) without storage. */
  async function storage(): Promise<{ app: PortabaseClient; prefix: string } | null> {
    const app = await env.client()
    const prefix = `t_${randomSuffix()}`
    if (!env.caps.storage) {
      await expectError(() => app.storage.upload(`${prefix}/x.bin`, pattern(4)), 'unsupported', 'upload')
      await expectError(() => app.storage.download(`${prefix}/x.bin`), 'unsupported', 'download')
      await expectError(() => app.storage.list(`${prefix}/`), 'unsupported', 'list')
      await expectError(() => app.storage.getUrl(`${prefix}/x.bin`, { expiresIn: 60 }), 'unsupported', 'getUrl')
      await expectError(() => app.storage.delete(`${prefix}/x.bin`), 'unsupported', 'delete')
      await expectError(() => app.storage.getMetadata(`${prefix}/x.bin`), 'unsupported', 'getMetadata')
      return null
    }
    return { app, prefix }
  }

  describe('storage', () => {
    it('upload() resolves the stored file: path, size, contentType, metadata', async () => {
      const s = await storage()
      if (!s) return
      const path = `${s.prefix}/avatar.png`
      const file = await s.app.storage.upload(path, pattern(1000), { contentType: 'image/png', metadata: { owner: 'u1', kind: 'avatar' } })
      expect(file.path).toBe(path)
      expect(file.size).toBe(1000)
      expect(file.contentType).toBe('image/png')
      expect(file.metadata).toEqual({ owner: 'u1', kind: 'avatar' })
      expect(file.updated).toBeInstanceOf(Date)
    })

    it('upload progress rises monotonically and ends at fraction 1 with state success', async () => {
      const s = await storage()
      if (!s) return
      const size = 300 * 1024
      const task = s.app.storage.upload(`${s.prefix}/big.bin`, pattern(size))
      const events = env.record(task)
      await task
      await events.waitForComplete('the progress stream to complete')
      const last = events.latest!
      expect(last).toEqual({ bytesTransferred: size, totalBytes: size, fraction: 1, state: 'success' })
      expect(events.values.filter((e) => e.state === 'success')).toHaveLength(1)
      for (let i = 1; i < events.values.length; i++) {
        expect(events.values[i]!.bytesTransferred).toBeGreaterThanOrEqual(events.values[i - 1]!.bytesTransferred)
        expect(events.values[i]!.fraction).toBeGreaterThanOrEqual(events.values[i - 1]!.fraction)
      }
      for (const e of events.values) {
        expect(e.totalBytes).toBe(size)
        expect(e.fraction).toBeCloseTo(e.bytesTransferred / size, 10)
      }
    })

    it('a late subscriber to a finished upload gets the final progress event', async () => {
      const s = await storage()
      if (!s) return
      const task = s.app.storage.upload(`${s.prefix}/late.bin`, pattern(10))
      await task
      const events = env.record(task)
      await events.waitForComplete('the replayed progress to complete')
      expect(events.latest).toMatchObject({ fraction: 1, state: 'success' })
    })

    it('download() returns exactly the uploaded bytes', async () => {
      const s = await storage()
      if (!s) return
      const bytes = pattern(70_001)
      await s.app.storage.upload(`${s.prefix}/data.bin`, bytes)
      const downloaded = await s.app.storage.download(`${s.prefix}/data.bin`)
      expect(downloaded).toBeInstanceOf(Uint8Array)
      expect(downloaded.byteLength).toBe(bytes.byteLength)
      expect(sameBytes(downloaded, bytes)).toBe(true)
    })

    it('another client downloads what one client uploaded', async () => {
      const s = await storage()
      if (!s) return
      await s.app.storage.upload(`${s.prefix}/shared.txt`, new TextEncoder().encode('héllo'), { contentType: 'text/plain' })
      const other = await env.client()
      expect(new TextDecoder().decode(await other.storage.download(`${s.prefix}/shared.txt`))).toBe('héllo')
    })

    it('upload() accepts an ArrayBuffer and typed-array views', async () => {
      const s = await storage()
      if (!s) return
      const words = new Uint16Array([1, 2, 65535])
      await s.app.storage.upload(`${s.prefix}/words.bin`, words)
      await s.app.storage.upload(`${s.prefix}/buffer.bin`, pattern(8).buffer)
      const slice = new Uint8Array(pattern(16).buffer, 4, 8)
      await s.app.storage.upload(`${s.prefix}/slice.bin`, slice)
      expect(sameBytes(await s.app.storage.download(`${s.prefix}/words.bin`), new Uint8Array(words.buffer))).toBe(true)
      expect(await s.app.storage.download(`${s.prefix}/buffer.bin`)).toEqual(pattern(8))
      expect(await s.app.storage.download(`${s.prefix}/slice.bin`)).toEqual(pattern(16).subarray(4, 12))
    })

    it('uploading to an existing path replaces the file', async () => {
      const s = await storage()
      if (!s) return
      const path = `${s.prefix}/replace.txt`
      await s.app.storage.upload(path, new TextEncoder().encode('first version'), { contentType: 'text/plain' })
      await s.app.storage.upload(path, new TextEncoder().encode('v2'), { contentType: 'application/json' })
      expect(new TextDecoder().decode(await s.app.storage.download(path))).toBe('v2')
      expect(await s.app.storage.getMetadata(path)).toMatchObject({ size: 2, contentType: 'application/json' })
    })

    it('getMetadata() returns size, contentType and custom metadata', async () => {
      const s = await storage()
      if (!s) return
      const path = `${s.prefix}/meta.json`
      await s.app.storage.upload(path, new TextEncoder().encode('{"a":1}'), { contentType: 'application/json', metadata: { source: 'test' } })
      const meta = await s.app.storage.getMetadata(path)
      expect(meta).toMatchObject({ path, size: 7, contentType: 'application/json', metadata: { source: 'test' } })
      expect(meta.updated).toBeInstanceOf(Date)
    })

    it('contentType defaults to application/octet-stream', async () => {
      const s = await storage()
      if (!s) return
      await s.app.storage.upload(`${s.prefix}/blob`, pattern(3))
      expect((await s.app.storage.getMetadata(`${s.prefix}/blob`)).contentType).toBe('application/octet-stream')
    })

    it('list() returns only files under the prefix, in path order', async () => {
      const s = await storage()
      if (!s) return
      for (const name of ['c.txt', 'a.txt', 'b.txt']) await s.app.storage.upload(`${s.prefix}/docs/${name}`, pattern(1))
      await s.app.storage.upload(`${s.prefix}/docsx/not-me.txt`, pattern(1))
      await s.app.storage.upload(`${s.prefix}/other/not-me.txt`, pattern(1))
      const result = await s.app.storage.list(`${s.prefix}/docs/`)
      expect(result.items.map((i) => i.path)).toEqual([`${s.prefix}/docs/a.txt`, `${s.prefix}/docs/b.txt`, `${s.prefix}/docs/c.txt`])
      expect(result.items[0]).toMatchObject({ size: 1, contentType: 'application/octet-stream' })
      expect(result.nextCursor).toBeNull()
    })

    it('list() pages with nextCursor and visits every file exactly once', async () => {
      const s = await storage()
      if (!s) return
      const names = Array.from({ length: 7 }, (_, i) => `${s.prefix}/p/f${i}.bin`)
      for (const name of names) await s.app.storage.upload(name, pattern(2))
      const seen: string[] = []
      let cursor: string | null = null
      for (let pages = 0; pages < 10; pages++) {
        const page: Awaited<ReturnType<PortabaseClient['storage']['list']>> = await s.app.storage.list(`${s.prefix}/p/`, { limit: 3, cursor })
        expect(page.items.length).toBeLessThanOrEqual(3)
        seen.push(...page.items.map((i) => i.path))
        cursor = page.nextCursor
        if (cursor === null) break
      }
      expect(cursor).toBeNull()
      expect(seen).toEqual(names)
    })

    it('list(prefix) is a prefix match over the whole tree (sub-folders included), in path order, a page at a time', async () => {
      const s = await storage()
      if (!s) return
      const base = s.prefix
      for (const name of ['p/sub/deeper/c.txt', 'q.txt', 'p/a.txt', 'px/not-me.txt', 'p/sub/b.txt']) await s.app.storage.upload(`${base}/${name}`, pattern(1))
      const listAll = async (prefix: string, limit: number): Promise<{ paths: string[]; pages: number }> => {
        const paths: string[] = []
        let cursor: string | null = null
        let pages = 0
        do {
          const page: Awaited<ReturnType<PortabaseClient['storage']['list']>> = await s.app.storage.list(prefix, { limit, cursor })
          expect(page.items.length).toBeLessThanOrEqual(limit)
          paths.push(...page.items.map((i) => i.path))
          cursor = page.nextCursor
        } while (cursor !== null && ++pages < 10)
        return { paths, pages: pages + 1 }
      }
      // A folder prefix: the folder and every sub-folder, across pages of 2.
      const folder = await listAll(`${base}/p/`, 2)
      expect(folder.paths).toEqual([`${base}/p/a.txt`, `${base}/p/sub/b.txt`, `${base}/p/sub/deeper/c.txt`])
      expect(folder.pages).toBe(2)
      // A partial name: every path that starts with it, whatever the folder depth.
      expect((await listAll(`${base}/p/s`, 10)).paths).toEqual([`${base}/p/sub/b.txt`, `${base}/p/sub/deeper/c.txt`])
      expect((await listAll(`${base}/p/s`, 1)).paths).toEqual([`${base}/p/sub/b.txt`, `${base}/p/sub/deeper/c.txt`])
      // The parent: everything, folders and files alike ordered by path.
      expect((await listAll(`${base}/`, 2)).paths).toEqual([
        `${base}/p/a.txt`,
        `${base}/p/sub/b.txt`,
        `${base}/p/sub/deeper/c.txt`,
        `${base}/px/not-me.txt`,
        `${base}/q.txt`,
      ])
    })

    it('list() of an empty prefix returns no items and nextCursor null', async () => {
      const s = await storage()
      if (!s) return
      expect(await s.app.storage.list(`${s.prefix}/nothing/`)).toEqual({ items: [], nextCursor: null })
    })

    it('delete() removes the file: download and getMetadata then fail with not-found', async () => {
      const s = await storage()
      if (!s) return
      const path = `${s.prefix}/gone.bin`
      await s.app.storage.upload(path, pattern(5))
      await s.app.storage.delete(path)
      const error = await expectError(() => s.app.storage.download(path), 'not-found')
      expect(error.provider).toBe(env.adapterName)
      await expectError(() => s.app.storage.getMetadata(path), 'not-found')
      expect((await s.app.storage.list(`${s.prefix}/`)).items).toEqual([])
    })

    it('download() of a path never written fails with not-found', async () => {
      const s = await storage()
      if (!s) return
      await expectError(() => s.app.storage.download(`${s.prefix}/never.bin`), 'not-found')
    })

    it('getUrl() returns a non-empty URL string', async () => {
      const s = await storage()
      if (!s) return
      await s.app.storage.upload(`${s.prefix}/u.txt`, pattern(4))
      const url = await s.app.storage.getUrl(`${s.prefix}/u.txt`, { expiresIn: 60 })
      expect(typeof url).toBe('string')
      expect(url).toMatch(/^[a-z][a-z0-9+.-]*:/)
    })

    it('getUrl() honours the declared signedUrls: a signed URL carries its expiry (differs per expiresIn); an unsigned one does not', async () => {
      const s = await storage()
      if (!s) return
      await s.app.storage.upload(`${s.prefix}/signed.txt`, pattern(4))
      const short = await s.app.storage.getUrl(`${s.prefix}/signed.txt`, { expiresIn: 60 })
      const long = await s.app.storage.getUrl(`${s.prefix}/signed.txt`, { expiresIn: 3600 })
      if (env.caps.signedUrls) expect(short).not.toBe(long)
      else expect(short).toBe(long)
    })

    it('cancel() rejects the task and errors the progress stream with cancelled', async () => {
      const s = await storage()
      if (!s) return
      const task = s.app.storage.upload(`${s.prefix}/cancelled.bin`, pattern(1024 * 1024))
      const events = env.record(task)
      task.cancel()
      await expectError(() => task, 'cancelled', 'the cancelled upload')
      const streamError = await events.waitForError('the progress stream to fail')
      await expectError(() => Promise.reject(streamError), 'cancelled', 'the progress stream')
    })

    it("aborting the upload's signal rejects it with cancelled", async () => {
      const s = await storage()
      if (!s) return
      const controller = new AbortController()
      const task = s.app.storage.upload(`${s.prefix}/aborted.bin`, pattern(1024 * 1024), { signal: controller.signal })
      controller.abort()
      await expectError(() => task, 'cancelled')
    })
  })
}

/**
 * Storage input the client refuses before any adapter call (paths, options, expiresIn): run once,
 * in the core run (test/contract/core.test.ts), not once per adapter.
 */
export function coreStorageTests(env: SuiteEnv): void {
  async function storage(): Promise<{ app: PortabaseClient; prefix: string }> {
    return { app: await env.client(), prefix: `t_${randomSuffix()}` }
  }

  describe('core: storage input', () => {
    it('getUrl() with an out-of-range expiresIn fails with invalid-argument', async () => {
      const s = await storage()
      await expectError(() => s.app.storage.getUrl(`${s.prefix}/u.txt`, { expiresIn: 0 }), 'invalid-argument')
      await expectError(() => s.app.storage.getUrl(`${s.prefix}/u.txt`, { expiresIn: 8 * 24 * 3600 }), 'invalid-argument')
    })

    it.each(['', '/leading-slash.txt', 'a//b.txt', 'a/../b.txt', './a.txt', 'trailing/', 'bad\\slash', 'new\nline', 'x'.repeat(513)])(
      'a bad path %p fails with invalid-argument',
      async (path) => {
        const s = await storage()
        await expectError(() => s.app.storage.upload(path, pattern(1)), 'invalid-argument', 'upload')
        await expectError(() => s.app.storage.download(path), 'invalid-argument', 'download')
      },
    )

    it('invalid upload options (metadata, contentType) fail with invalid-argument', async () => {
      const s = await storage()
      const metadata = { ok: 'x', nested: { no: 1 } } as unknown as Record<string, string>
      await expectError(() => s.app.storage.upload(`${s.prefix}/m.bin`, pattern(1), { metadata }), 'invalid-argument')
      await expectError(() => s.app.storage.upload(`${s.prefix}/m.bin`, pattern(1), { contentType: 'not a type' }), 'invalid-argument')
      await expectError(() => s.app.storage.upload(`${s.prefix}/m.bin`, 'text' as unknown as Uint8Array), 'invalid-argument')
    })

  })
}

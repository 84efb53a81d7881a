import { arrayRemove, arrayUnion, deleteField, increment, serverTimestamp, type DocumentData, type StandardSchemaV1 } from '../index.js'
import { seed } from './data.js'
import type { SuiteEnv } from './env.js'
import { expectError } from './helpers.js'
import { describe, expect, it } from './runner.js'

/** Server clocks may differ from the test machine's; serverTimestamp is checked within this skew. */
const CLOCK_SKEW_MS = 60_000

export function documentTests(env: SuiteEnv): void {
  async function freshCollection() {
    const app = await env.client()
    return { app, col: app.db.collection(env.target.freshCollection()) }
  }

  describe('documents: create, read, write, delete', () => {
    it('add() generates a 20-character alphanumeric id and stores the data', async () => {
      const { col } = await freshCollection()
      const ref = await col.add({ title: 'first', done: false })
      expect(ref.id).toMatch(/^[A-Za-z0-9]{20}$/)
      const doc = await ref.get()
      expect(doc?.id).toBe(ref.id)
      expect(doc?.data).toEqual({ title: 'first', done: false })
    })

    it('add() twice gives two distinct documents', async () => {
      const { col } = await freshCollection()
      const [a, b] = await Promise.all([col.add({ n: 1 }), col.add({ n: 2 })])
      expect(a.id).not.toBe(b.id)
      expect((await a.get())?.data).toEqual({ n: 1 })
      expect((await b.get())?.data).toEqual({ n: 2 })
    })

    it('doc() without an id makes a new id; ref.path is collection/id', async () => {
      const { col } = await freshCollection()
      const ref = col.doc()
      expect(ref.id).toMatch(/^[A-Za-z0-9]{20}$/)
      expect(ref.path).toBe(`${col.collection}/${ref.id}`)
      expect(await ref.get()).toBeNull()
    })

    it('set() then get() returns the data under the chosen id', async () => {
      const { col } = await freshCollection()
      await col.doc('alpha').set({ name: 'Alpha', n: 1 })
      const doc = await col.doc('alpha').get()
      expect(doc?.id).toBe('alpha')
      expect(doc?.data).toEqual({ name: 'Alpha', n: 1 })
    })

    it('get() of a missing document resolves null', async () => {
      const { col } = await freshCollection()
      expect(await col.doc('missing').get()).toBeNull()
    })

    it('another client on the same backend reads what one client wrote', async () => {
      const { col } = await freshCollection()
      await col.doc('shared').set({ from: 'device 1' })
      const other = await env.client()
      expect((await other.db.collection(col.collection).doc('shared').get())?.data).toEqual({ from: 'device 1' })
    })

    it('set() replaces the whole document', async () => {
      const { col } = await freshCollection()
      await col.doc('d').set({ a: 1, c: 2 })
      await col.doc('d').set({ w: 3 })
      expect((await col.doc('d').get())?.data).toEqual({ w: 3 })
    })

    it('update() changes only the given fields', async () => {
      const { col } = await freshCollection()
      await col.doc('d').set({ a: 1, w: 2, nested: { x: 1 } })
      await col.doc('d').update({ w: 20, c: 30 })
      expect((await col.doc('d').get())?.data).toEqual({ a: 1, w: 20, c: 30, nested: { x: 1 } })
    })

    it('update() replaces a nested object as a whole value', async () => {
      const { col } = await freshCollection()
      await col.doc('d').set({ nested: { x: 1, y: 2 } })
      await col.doc('d').update({ nested: { x: 5 } })
      expect((await col.doc('d').get())?.data).toEqual({ nested: { x: 5 } })
    })

    it('update() of a missing document fails with not-found and creates nothing', async () => {
      const { col } = await freshCollection()
      const error = await expectError(() => col.doc('ghost').update({ a: 1 }), 'not-found')
      expect(error.provider).toBe(env.adapterName)
      expect(await col.doc('ghost').get()).toBeNull()
    })

    it('create() of an existing id fails with already-exists and leaves the document unchanged', async () => {
      const { col } = await freshCollection()
      await col.doc('taken').set({ v: 1 })
      const error = await expectError(() => col.doc('taken').create({ v: 2 }), 'already-exists')
      expect(error.provider).toBe(env.adapterName)
      expect((await col.doc('taken').get())?.data).toEqual({ v: 1 })
    })

    it('create() of a new id stores the document', async () => {
      const { col } = await freshCollection()
      await col.doc('new1').create({ v: 1 })
      expect((await col.doc('new1').get())?.data).toEqual({ v: 1 })
    })

    it('delete() removes the document', async () => {
      const { col } = await freshCollection()
      await col.doc('d').set({ v: 1 })
      await col.doc('d').delete()
      expect(await col.doc('d').get()).toBeNull()
    })

    it('delete() of a missing document succeeds', async () => {
      const { col } = await freshCollection()
      await expect(col.doc('never-existed').delete()).resolves.toBeUndefined()
    })

    it('a deleted id can be created again', async () => {
      const { col } = await freshCollection()
      await col.doc('d').create({ v: 1 })
      await col.doc('d').delete()
      await col.doc('d').create({ v: 2 })
      expect((await col.doc('d').get())?.data).toEqual({ v: 2 })
    })

    it('the same id in two collections names two documents', async () => {
      const { app, col } = await freshCollection()
      const other = app.db.collection(env.target.freshCollection())
      await col.doc('same').set({ from: 'first' })
      await other.doc('same').set({ from: 'second' })
      expect((await col.doc('same').get())?.data).toEqual({ from: 'first' })
      expect((await other.doc('same').get())?.data).toEqual({ from: 'second' })
    })

    it('the stored document does not change when the written object is mutated afterwards', async () => {
      const { col } = await freshCollection()
      const data = { list: [1, 2], nested: { x: 1 } }
      await col.doc('d').set(data)
      data.list.push(3)
      data.nested.x = 99
      expect((await col.doc('d').get())?.data).toEqual({ list: [1, 2], nested: { x: 1 } })
    })
  })

  describe('documents: values round trip', () => {
    async function roundTrip(data: DocumentData): Promise<DocumentData | undefined> {
      const { col } = await freshCollection()
      await col.doc('v').set(data)
      return (await col.doc('v').get())?.data
    }

    it('Dates come back as Date objects with the same millisecond time', async () => {
      const at = new Date('2024-02-29T12:34:56.789Z')
      const data = await roundTrip({ at, nested: { at }, list: [at] })
      expect(data?.at).toBeInstanceOf(Date)
      expect((data?.at as Date).getTime()).toBe(at.getTime())
      expect(data).toEqual({ at, nested: { at }, list: [at] })
    })

    it('nested objects keep their shape at every depth', async () => {
      const nested = { a: { b: { c: { d: { e: 'deep' } } }, sibling: 1 }, empty: {} }
      expect(await roundTrip({ nested })).toEqual({ nested })
    })

    it('arrays keep order and mixed element types (including objects and empty arrays)', async () => {
      const data = { list: [3, 'two', true, null, { k: 'v' }, 1.5], empty: [], objects: [{ a: 1 }, { a: 2 }] }
      expect(await roundTrip(data)).toEqual(data)
    })

    it('null values are stored as null, not dropped', async () => {
      const data = { nothing: null, nested: { alsoNothing: null } }
      const stored = await roundTrip(data)
      expect(stored).toEqual(data)
      expect(Object.keys(stored ?? {})).toContain('nothing')
    })

    it('numbers: integers, negatives, fractions, zero and large safe integers', async () => {
      const data = { zero: 0, neg: -42, frac: 0.1 + 0.2, big: Number.MAX_SAFE_INTEGER, small: -1e-7, exp: 6.02e23 }
      expect(await roundTrip(data)).toEqual(data)
    })

    it('-0 is stored as 0 at every depth, as JSON and the vendors store it', async () => {
      const { col } = await freshCollection()
      await col.doc('z').set({ n: -0, nested: { n: -0 }, list: [-0, 1] })
      await col.doc('z').update({ zero: -0 })
      const data = (await col.doc('z').get())?.data
      // toEqual tells -0 from 0, so this fails if any sign survives.
      expect(data).toEqual({ n: 0, nested: { n: 0 }, list: [0, 1], zero: 0 })
    })

    it('strings: empty, unicode, emoji and 10k characters', async () => {
      const data = { blank: '', unicode: 'héllo wörld ñ 中文 العربية', emoji: '😀👍🏽', long: 'x'.repeat(10_000), quotes: `'"\\\n\t` }
      expect(await roundTrip(data)).toEqual(data)
    })

    it('fields named id, createdAt and updatedAt are ordinary fields (adapters map vendor names)', async () => {
      const createdAt = new Date('2001-01-01T00:00:00Z')
      const data = { id: 'not-the-doc-id', createdAt, updatedAt: 'app value' }
      expect(await roundTrip(data)).toEqual(data)
    })

    it('booleans keep their type', async () => {
      const data = await roundTrip({ yes: true, no: false })
      expect(data?.yes).toBe(true)
      expect(data?.no).toBe(false)
    })
  })

  describe('documents: meta', () => {
    it('a document carries meta.updateTime (Date), a version string, fromCache and hasPendingWrites false', async () => {
      const { col } = await freshCollection()
      const before = Date.now()
      await col.doc('m').set({ v: 1 })
      const doc = await col.doc('m').get()
      expect(doc?.meta.updateTime).toBeInstanceOf(Date)
      expect(Math.abs(doc!.meta.updateTime.getTime() - before)).toBeLessThan(CLOCK_SKEW_MS)
      expect(typeof doc?.meta.version).toBe('string')
      expect(doc!.meta.version.length).toBeGreaterThan(0)
      expect(doc?.meta.fromCache).toBe(false)
      expect(doc?.meta.hasPendingWrites).toBe(false)
    })

    it('meta.version changes and meta.updateTime never goes back on every write', async () => {
      const { col } = await freshCollection()
      const ref = col.doc('m')
      const metas = []
      await ref.set({ v: 1 })
      metas.push((await ref.get())!.meta)
      await ref.update({ v: 2 })
      metas.push((await ref.get())!.meta)
      await ref.set({ v: 3 })
      metas.push((await ref.get())!.meta)
      await ref.update({ w: 1 })
      metas.push((await ref.get())!.meta)
      expect(new Set(metas.map((m) => m.version)).size).toBe(metas.length)
      for (let i = 1; i < metas.length; i++) expect(metas[i]!.updateTime.getTime()).toBeGreaterThanOrEqual(metas[i - 1]!.updateTime.getTime())
    })

    it('a read without a write in between returns the same version', async () => {
      const { col } = await freshCollection()
      await col.doc('m').set({ v: 1 })
      const a = await col.doc('m').get()
      const b = await col.doc('m').get()
      expect(b?.meta.version).toBe(a?.meta.version)
    })
  })

  describe('documents: sentinels', () => {
    it('increment() adds to a number (or refuses with unsupported)', async () => {
      const { col } = await freshCollection()
      await col.doc('c').set({ count: 5 })
      if (!env.caps.increment) {
        await expectError(() => col.doc('c').update({ count: increment(2) }), 'unsupported')
        expect((await col.doc('c').get())?.data).toEqual({ count: 5 })
        return
      }
      await col.doc('c').update({ count: increment(2) })
      await col.doc('c').update({ count: increment(-0.5) })
      expect((await col.doc('c').get())?.data).toEqual({ count: 6.5 })
    })

    it('increment() on a missing field starts from 0 (or refuses with unsupported)', async () => {
      const { col } = await freshCollection()
      await col.doc('c').set({ done: true })
      if (!env.caps.increment) {
        await expectError(() => col.doc('c').update({ count: increment(3) }), 'unsupported')
        return
      }
      await col.doc('c').update({ count: increment(3) })
      expect((await col.doc('c').get())?.data).toEqual({ done: true, count: 3 })
    })

    it('concurrent increments are not lost (or refuse with unsupported)', async () => {
      const { col } = await freshCollection()
      await col.doc('c').set({ count: 0 })
      if (!env.caps.increment) {
        await expectError(() => col.doc('c').update({ count: increment(1) }), 'unsupported')
        return
      }
      await Promise.all(Array.from({ length: 5 }, () => col.doc('c').update({ count: increment(1) })))
      expect((await col.doc('c').get())?.data.count).toBe(5)
    })

    it('serverTimestamp() stores the server time as a Date (or refuses with unsupported)', async () => {
      const { col } = await freshCollection()
      if (!env.caps.serverTimestamp) {
        await expectError(() => col.doc('t').set({ at: serverTimestamp() }), 'unsupported')
        expect(await col.doc('t').get()).toBeNull()
        return
      }
      const before = Date.now()
      await col.doc('t').set({ at: serverTimestamp(), label: 'x' })
      const after = Date.now()
      const at = (await col.doc('t').get())?.data.at
      expect(at).toBeInstanceOf(Date)
      expect((at as Date).getTime()).toBeGreaterThanOrEqual(before - CLOCK_SKEW_MS)
      expect((at as Date).getTime()).toBeLessThanOrEqual(after + CLOCK_SKEW_MS)
    })

    it('arrayUnion() appends only values not already present (or refuses with unsupported)', async () => {
      const { col } = await freshCollection()
      await col.doc('a').set({ tags: ['a', 'b'] })
      if (!env.caps.arrayOps) {
        await expectError(() => col.doc('a').update({ tags: arrayUnion('c') }), 'unsupported')
        return
      }
      await col.doc('a').update({ tags: arrayUnion('b', 'c', 'd') })
      expect((await col.doc('a').get())?.data.tags).toEqual(['a', 'b', 'c', 'd'])
    })

    it('arrayRemove() removes every occurrence of each value (or refuses with unsupported)', async () => {
      const { col } = await freshCollection()
      await col.doc('a').set({ tags: ['a', 'b', 'a', 'c'] })
      if (!env.caps.arrayOps) {
        await expectError(() => col.doc('a').update({ tags: arrayRemove('a') }), 'unsupported')
        return
      }
      await col.doc('a').update({ tags: arrayRemove('a', 'zzz') })
      expect((await col.doc('a').get())?.data.tags).toEqual(['b', 'c'])
    })

    it('arrayUnion() on a missing field creates the array (or refuses with unsupported)', async () => {
      const { col } = await freshCollection()
      await col.doc('a').set({ other: 1 })
      if (!env.caps.arrayOps) {
        await expectError(() => col.doc('a').update({ tags: arrayUnion('x') }), 'unsupported')
        return
      }
      await col.doc('a').update({ tags: arrayUnion('x', 'y') })
      expect((await col.doc('a').get())?.data.tags).toEqual(['x', 'y'])
    })

    it('deleteField() in update() removes the field', async () => {
      const { col } = await freshCollection()
      await col.doc('d').set({ keep: 1, drop: 2 })
      await col.doc('d').update({ drop: deleteField() })
      const data = (await col.doc('d').get())?.data
      expect(data).toEqual({ keep: 1 })
      expect(Object.keys(data ?? {})).not.toContain('drop')
    })

    it('deleteField() in set() fails with invalid-argument', async () => {
      const { col } = await freshCollection()
      await expectError(() => col.doc('d').set({ drop: deleteField() }), 'invalid-argument')
      expect(await col.doc('d').get()).toBeNull()
    })

    it('a sentinel inside a nested object fails with invalid-argument', async () => {
      const { col } = await freshCollection()
      const data = { nested: { at: serverTimestamp() } } as unknown as DocumentData
      await expectError(() => col.doc('d').set(data), 'invalid-argument')
    })
  })

  describe('documents: batch', () => {
    it('batch() applies set, update and delete together', async () => {
      const { app, col } = await freshCollection()
      await seed(col, { keep: { v: 1 }, bump: { v: 1 }, gone: { v: 1 } })
      await app.db.batch((b) => {
        b.set(col.doc('added'), { v: 3 })
        b.update(col.doc('bump'), { v: 2 })
        b.delete(col.doc('gone'))
      })
      expect((await col.doc('added').get())?.data).toEqual({ v: 3 })
      expect((await col.doc('bump').get())?.data).toEqual({ v: 2 })
      expect(await col.doc('gone').get()).toBeNull()
      expect((await col.doc('keep').get())?.data).toEqual({ v: 1 })
    })

    it('batch() writes to several collections', async () => {
      const { app, col } = await freshCollection()
      const other = app.db.collection(env.target.freshCollection())
      await app.db.batch((b) => {
        b.set(col.doc('x'), { in: 'first' })
        b.set(other.doc('x'), { in: 'second' })
      })
      expect((await col.doc('x').get())?.data).toEqual({ in: 'first' })
      expect((await other.doc('x').get())?.data).toEqual({ in: 'second' })
    })

    it('a failing batch is all-or-nothing with transactions, else stops at the failure', async () => {
      const { app, col } = await freshCollection()
      const error = await expectError(
        () =>
          app.db.batch((b) => {
            b.set(col.doc('before'), { v: 1 })
            b.update(col.doc('missing'), { v: 1 })
            b.set(col.doc('after'), { v: 1 })
          }),
        'not-found',
      )
      expect(error.provider).toBe(env.adapterName)
      expect(await col.doc('after').get()).toBeNull()
      if (env.caps.transactions) expect(await col.doc('before').get()).toBeNull()
      else expect((await col.doc('before').get())?.data).toEqual({ v: 1 })
    })

    it('batch create() of an existing id fails with already-exists', async () => {
      const { app, col } = await freshCollection()
      await col.doc('taken').set({ v: 1 })
      await expectError(() => app.db.batch((b) => void b.create(col.doc('taken'), { v: 2 })), 'already-exists')
      expect((await col.doc('taken').get())?.data).toEqual({ v: 1 })
    })

    it('an empty batch resolves', async () => {
      const { app } = await freshCollection()
      await expect(app.db.batch(() => undefined)).resolves.toBeUndefined()
    })

    it('a batch with invalid data fails with invalid-argument and writes nothing', async () => {
      const { app, col } = await freshCollection()
      await expectError(
        () =>
          app.db.batch((b) => {
            b.set(col.doc('ok'), { v: 1 })
            b.set(col.doc('bad'), { v: Number.NaN })
          }),
        'invalid-argument',
      )
      expect(await col.doc('ok').get()).toBeNull()
    })
  })

  describe('documents: schema', () => {
    const Todo = todoSchema()

    it('a collection schema rejects invalid data with invalid-argument and writes nothing', async () => {
      const app = await env.client()
      const todos = app.db.collection(env.target.freshCollection(), { schema: Todo })
      await expectError(() => todos.doc('t').set({ title: '   ', done: false }), 'invalid-argument')
      expect(await todos.doc('t').get()).toBeNull()
    })

    it('a collection schema stores its output (transforms applied)', async () => {
      const app = await env.client()
      const todos = app.db.collection(env.target.freshCollection(), { schema: Todo })
      const ref = await todos.add({ title: '  Buy milk  ', done: false })
      expect((await ref.get())?.data).toEqual({ title: 'Buy milk', done: false })
    })
  })
}

interface TodoData {
  title: string
  done: boolean
}

/** A Standard Schema (what zod, valibot, arktype implement): a non-blank title, trimmed, and a boolean `done`. */
function todoSchema(): StandardSchemaV1<unknown, TodoData> {
  return {
    '~standard': {
      version: 1,
      vendor: 'portabase-conformance',
      validate(value) {
        const { title, done } = (value ?? {}) as Record<string, unknown>
        const issues = [
          ...(typeof title === 'string' && title.trim().length > 0 ? [] : [{ message: 'a non-blank string', path: ['title'] }]),
          ...(typeof done === 'boolean' ? [] : [{ message: 'a boolean', path: ['done'] }]),
        ]
        return issues.length > 0 ? { issues } : { value: { title: (title as string).trim(), done: done as boolean } }
      },
    },
  }
}

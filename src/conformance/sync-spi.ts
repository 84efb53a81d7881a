/**
 * The SyncService conformance suite (src/spi.ts: fetch / changes / write), the part of the adapter
 * SPI the offline engine uses. One set of cases, run against every adapter that has `sync`
 * (test/contract/sync-spi-*.test.ts in the portabase repository), on the raw adapter, as the engine calls it.
 */
import { firstValueFrom } from 'rxjs'
import { PortabaseError, arrayRemove, arrayUnion, createClient, deleteField, increment, serverTimestamp } from '../index.js'
import { emptyQuery } from '../query/model.js'
import type { Adapter, SyncCheckpoint, SyncRecord, SyncService, SyncWrite, SyncWriteOutcome, WriteOp } from '../spi.js'
import type { QuerySnapshot } from '../types.js'
import { expectError, preview, randomSuffix, Recorder, uniqueEmail, uniquePassword } from './helpers.js'
import { afterAll, afterEach, beforeAll, describe, expect, it, useTestApi, type TestApi } from './runner.js'

export interface SyncSpiTarget {
  /** Shown in test names. */
  name: string
  setup(): Promise<void>
  teardown(): Promise<void>
  /** A new adapter on the shared backend, signed out (a second device). `tombstoneTtlMs`: the tombstone lifetime it works with. */
  createAdapter(options?: { tombstoneTtlMs?: number }): Promise<Adapter>
  /** An empty collection no other test uses, watchable. */
  freshCollection(): string
  /** The fixtures' owned collection (docs/conformance.md): owner-only read and write. */
  ownedCollection(): string
  /** Lets backend time move on, so the next write gets a later updateTime (memory: its ManualClock; real backends: a few ms). */
  tick(adapter: Adapter): Promise<void>
  /**
   * A checkpoint as the backend will judge it once `ms` have passed: memory advances the backend's
   * clock and returns it unchanged; real backends (whose clock we cannot move) move it back.
   */
  age(adapter: Adapter, checkpoint: SyncCheckpoint, ms: number): Promise<SyncCheckpoint>
  /**
   * What fetch/changes do with documents the access rules hide from the caller: leave them out
   * ('absent': memory rules, Parse ACLs), or fail the call (Parse triggers that refuse the read,
   * as the `owned` fixture's afterFind does).
   */
  hiddenReads: 'absent' | 'permission-denied'
}

export function runSyncSpiSuite(target: SyncSpiTarget, options: { testApi?: TestApi } = {}): void {
  useTestApi(options.testApi)
  describe(`sync SPI: ${target.name}`, () => {
    beforeAll(() => target.setup())
    afterAll(() => target.teardown())

    const adapters: Adapter[] = []
    const recorders: Recorder<unknown>[] = []
    afterEach(async () => {
      recorders.splice(0).forEach((r) => r.stop())
      await Promise.all(adapters.splice(0).map((a) => a.dispose()))
    })

    async function device(options?: { tombstoneTtlMs?: number }): Promise<{ adapter: Adapter; sync: SyncService }> {
      const adapter = await target.createAdapter(options)
      adapters.push(adapter)
      if (!adapter.sync) throw new Error(`${target.name}: the adapter has no sync service`)
      return { adapter, sync: adapter.sync }
    }

    async function signedIn(): Promise<{ adapter: Adapter; sync: SyncService; uid: string }> {
      const d = await device()
      const user = await d.adapter.auth.signUp({ email: uniqueEmail(), password: uniquePassword() })
      return { ...d, uid: user.uid }
    }

    const plain = (adapter: Adapter, ops: WriteOp[]): Promise<void> => adapter.documents.write(ops, { atomic: false })

    /** sync.write that must succeed op by op. */
    async function pushAll(sync: SyncService, ops: SyncWrite[]): Promise<void> {
      const outcomes = await sync.write(ops)
      const failed = outcomes.flatMap((o, i) => (o.ok ? [] : [`#${i} ${ops[i]!.type} ${ops[i]!.id}: ${o.error.message}`]))
      if (failed.length > 0) throw new Error(`sync.write failed: ${failed.join('; ')}`)
    }

    async function one(sync: SyncService, collection: string, id: string): Promise<SyncRecord | undefined> {
      const records = await sync.fetch(collection, [id])
      expect(records.length).toBeLessThanOrEqual(1)
      return records[0]
    }

    function expectFailure(outcome: SyncWriteOutcome | undefined, code: PortabaseError['code'], what: string): void {
      if (!outcome) throw new Error(`${what}: no outcome`)
      if (outcome.ok) throw new Error(`${what}: expected a '${code}' outcome, but it succeeded`)
      expect(outcome.error).toBeInstanceOf(PortabaseError)
      const error = outcome.error as PortabaseError
      if (error.code !== code) throw new Error(`${what}: expected '${code}', got '${error.code}': ${error.message}`)
    }

    /** Every page of the change feed from `after`, `limit` at a time. */
    async function allPages(sync: SyncService, collection: string, limit: number, after: SyncCheckpoint | null = null): Promise<SyncRecord[][]> {
      const pages: SyncRecord[][] = []
      let checkpoint = after
      for (;;) {
        const page = await sync.changes(collection, checkpoint, limit)
        expect(page.length).toBeLessThanOrEqual(limit)
        if (page.length === 0) return pages
        pages.push(page)
        const last = page[page.length - 1]!
        checkpoint = { updateTime: last.updateTime, id: last.id }
        if (pages.length > 100) throw new Error('more than 100 pages: the checkpoint does not advance')
      }
    }

    function expectFeedOrder(records: readonly SyncRecord[]): void {
      for (let i = 1; i < records.length; i++) {
        const a = records[i - 1]!
        const b = records[i]!
        const ordered = a.updateTime.getTime() < b.updateTime.getTime() || (a.updateTime.getTime() === b.updateTime.getTime() && a.id < b.id)
        if (!ordered) throw new Error(`records ${i - 1} and ${i} out of (updateTime, id) order: ${preview(records.map((r) => [r.updateTime.toISOString(), r.id]))}`)
      }
    }

    const summary = (records: readonly SyncRecord[]): [string, unknown][] => records.map((r) => [r.id, r.data === null ? null : r.data])

    describe('writeId', () => {
      it('sync writes record their writeId, plain writes record null (clearing the last one); versions change on every write', async () => {
        const { adapter, sync } = await device()
        const col = target.freshCollection()
        await plain(adapter, [{ type: 'set', collection: col, id: 'x', data: { v: 1 } }])
        const first = await one(sync, col, 'x')
        expect(first).toMatchObject({ id: 'x', data: { v: 1 }, writeId: null })
        expect(first?.updateTime).toBeInstanceOf(Date)
        expect(first?.version).toBe((await adapter.documents.get(col, 'x'))?.meta.version)

        await pushAll(sync, [{ type: 'set', collection: col, id: 'x', data: { v: 2 }, writeId: 'w-set' }])
        const second = await one(sync, col, 'x')
        expect(second).toMatchObject({ data: { v: 2 }, writeId: 'w-set' })
        expect(second?.version).not.toBe(first?.version)

        await pushAll(sync, [{ type: 'update', collection: col, id: 'x', data: { done: true }, writeId: 'w-update' }])
        expect(await one(sync, col, 'x')).toMatchObject({ data: { v: 2, done: true }, writeId: 'w-update' })

        await plain(adapter, [{ type: 'update', collection: col, id: 'x', data: { v: 3 } }])
        const cleared = await one(sync, col, 'x')
        expect(cleared).toMatchObject({ data: { v: 3, done: true }, writeId: null })
        expect(cleared?.version).toBe((await adapter.documents.get(col, 'x'))?.meta.version)

        await pushAll(sync, [{ type: 'create', collection: col, id: 'y', data: { n: 1 }, writeId: 'w-create' }])
        expect(await one(sync, col, 'y')).toMatchObject({ id: 'y', data: { n: 1 }, writeId: 'w-create' })
      })

      it('writes of another device are seen with their writeId (the engine matches replays by it)', async () => {
        const a = await device()
        const b = await device()
        const col = target.freshCollection()
        await pushAll(a.sync, [{ type: 'create', collection: col, id: 'd', data: { v: 1 }, writeId: 'from-a' }])
        expect(await one(b.sync, col, 'd')).toMatchObject({ data: { v: 1 }, writeId: 'from-a' })
        await plain(b.adapter, [{ type: 'set', collection: col, id: 'd', data: { v: 2 } }])
        expect(await one(a.sync, col, 'd')).toMatchObject({ data: { v: 2 }, writeId: null })
      })
    })

    describe('tombstones', () => {
      it('a deletion leaves a tombstone (data null, new version, deletion time, the delete’s writeId); re-creating supersedes it', async () => {
        const { adapter, sync } = await device()
        const col = target.freshCollection()
        await plain(adapter, [
          { type: 'set', collection: col, id: 'x', data: { v: 1 } },
          { type: 'set', collection: col, id: 'y', data: { v: 1 } },
        ])
        const before = await sync.fetch(col, ['x', 'y'])
        await target.tick(adapter)
        await pushAll(sync, [{ type: 'delete', collection: col, id: 'x', writeId: 'w-del' }])
        await plain(adapter, [{ type: 'delete', collection: col, id: 'y' }])

        const [x, y] = await sync.fetch(col, ['x', 'y'])
        expect(x).toMatchObject({ id: 'x', data: null, writeId: 'w-del' })
        expect(y).toMatchObject({ id: 'y', data: null, writeId: null })
        expect(x?.version).not.toBe(before[0]?.version)
        expect(x!.updateTime.getTime()).toBeGreaterThan(before[0]!.updateTime.getTime())
        expect(await adapter.documents.get(col, 'x')).toBeNull()
        expect(summary(await sync.changes(col, null, 10))).toEqual([
          ['x', null],
          ['y', null],
        ])

        await target.tick(adapter)
        await pushAll(sync, [{ type: 'create', collection: col, id: 'x', data: { v: 2 }, writeId: 'w-again' }])
        expect(await one(sync, col, 'x')).toMatchObject({ data: { v: 2 }, writeId: 'w-again' })
        const feed = await sync.changes(col, null, 10)
        expect(summary(feed)).toEqual([
          ['y', null],
          ['x', { v: 2 }],
        ])

        // Deleted again: one record, the newest tombstone.
        await target.tick(adapter)
        await plain(adapter, [{ type: 'delete', collection: col, id: 'x' }])
        const again = await sync.changes(col, null, 10)
        expect(summary(again)).toEqual([
          ['y', null],
          ['x', null],
        ])
        expect(again[1]?.writeId).toBeNull()
        expect(await one(sync, col, 'x')).toMatchObject({ data: null, version: again[1]?.version })
      })

      it('a batch (atomic where the adapter has transactions) leaves tombstones for its deletes and clears writeIds', async () => {
        const { adapter, sync } = await device()
        const col = target.freshCollection()
        await pushAll(sync, [
          { type: 'create', collection: col, id: 'a', data: { v: 1 }, writeId: 'w-a' },
          { type: 'create', collection: col, id: 'b', data: { v: 1 }, writeId: 'w-b' },
        ])
        await target.tick(adapter)
        await adapter.documents.write(
          [
            { type: 'delete', collection: col, id: 'a' },
            { type: 'update', collection: col, id: 'b', data: { v: 2 } },
            { type: 'create', collection: col, id: 'c', data: { v: 1 } },
          ],
          { atomic: adapter.capabilities.transactions },
        )
        expect(summary(await sync.changes(col, null, 10)).sort((x, y) => x[0].localeCompare(y[0]))).toEqual([
          ['a', null],
          ['b', { v: 2 }],
          ['c', { v: 1 }],
        ])
        expect((await sync.fetch(col, ['a', 'b', 'c'])).map((r) => r.writeId)).toEqual([null, null, null])
      })

      it('deleting a document that does not exist succeeds and leaves no tombstone', async () => {
        const { adapter, sync } = await device()
        const col = target.freshCollection()
        expect(await sync.write([{ type: 'delete', collection: col, id: 'ghost', writeId: 'w1' }])).toEqual([{ ok: true }])
        await plain(adapter, [{ type: 'delete', collection: col, id: 'ghost2' }])
        expect(await sync.fetch(col, ['ghost', 'ghost2'])).toEqual([])
        expect(await sync.changes(col, null, 10)).toEqual([])
      })
    })

    describe('fetch', () => {
      it('returns existing documents and tombstones; unknown ids are absent', async () => {
        const { adapter, sync } = await device()
        const col = target.freshCollection()
        await plain(adapter, [
          { type: 'set', collection: col, id: 'a', data: { n: 1 } },
          { type: 'set', collection: col, id: 'b', data: { n: 2 } },
          { type: 'set', collection: col, id: 'gone', data: { n: 3 } },
        ])
        await plain(adapter, [{ type: 'delete', collection: col, id: 'gone' }])
        const records = await sync.fetch(col, ['b', 'nope', 'gone', 'a', 'b'])
        expect(records.map((r) => r.id).sort()).toEqual(['a', 'b', 'gone'])
        const byId = new Map(records.map((r) => [r.id, r]))
        expect(byId.get('a')?.data).toEqual({ n: 1 })
        expect(byId.get('gone')?.data).toBeNull()
        expect(await sync.fetch(col, [])).toEqual([])
        expect(await sync.fetch(target.freshCollection(), ['a'])).toEqual([])
      })
    })

    describe('changes', () => {
      it('orders by (updateTime, id), includes tombstones, and starts strictly after the checkpoint', async () => {
        const { adapter, sync } = await device()
        const other = await device()
        const col = target.freshCollection()
        await plain(adapter, [
          { type: 'set', collection: col, id: 'b', data: { n: 1 } },
          { type: 'set', collection: col, id: 'a', data: { n: 1 } },
          { type: 'set', collection: col, id: 'c', data: { n: 1 } },
        ])
        await target.tick(adapter)
        await pushAll(sync, [{ type: 'update', collection: col, id: 'a', data: { n: 2 }, writeId: 'w-a' }])
        await target.tick(adapter)
        // A plain delete by another device is in the feed too.
        await plain(other.adapter, [{ type: 'delete', collection: col, id: 'b' }])

        const feed = await sync.changes(col, null, 100)
        expectFeedOrder(feed)
        expect(summary(feed)).toEqual([
          ['c', { n: 1 }],
          ['a', { n: 2 }],
          ['b', null],
        ])
        expect(feed[1]?.writeId).toBe('w-a')
        const after = (r: SyncRecord): SyncCheckpoint => ({ updateTime: r.updateTime, id: r.id })
        expect(summary(await sync.changes(col, after(feed[0]!), 100))).toEqual(summary(feed.slice(1)))
        expect(summary(await sync.changes(col, after(feed[1]!), 100))).toEqual(summary(feed.slice(2)))
        expect(await sync.changes(col, after(feed[2]!), 100)).toEqual([])
        expect(summary(await sync.changes(col, null, 2))).toEqual(summary(feed.slice(0, 2)))
        // Same updateTime, smaller id: still before the checkpoint.
        expect(summary(await sync.changes(col, { updateTime: feed[2]!.updateTime, id: 'a' }, 100))).toEqual(summary(feed.slice(2)))
        await expectError(() => sync.changes(col, null, 0), 'invalid-argument', 'changes with limit 0')
      })

      it('pages through the feed with checkpoints: no gaps, no duplicates, over 3+ pages, with deletes by other clients', async () => {
        const { adapter, sync } = await device()
        const other = await device()
        const col = target.freshCollection()
        const ids = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8']
        for (const [i, id] of ids.entries()) {
          await pushAll(sync, [{ type: 'create', collection: col, id, data: { i }, writeId: `w-${id}` }])
          if (i % 3 === 2) await target.tick(adapter)
        }
        await plain(other.adapter, [
          { type: 'delete', collection: col, id: 'd1' },
          { type: 'delete', collection: col, id: 'd5' },
          { type: 'update', collection: col, id: 'd3', data: { i: 33 } },
        ])
        const all = await sync.changes(col, null, 100)
        expectFeedOrder(all)
        expect(all.map((r) => r.id).sort()).toEqual(ids)

        const pages = await allPages(sync, col, 3)
        expect(pages.length).toBeGreaterThanOrEqual(3)
        const paged = pages.flat()
        expect(summary(paged)).toEqual(summary(all))
        expect(new Set(paged.map((r) => r.id)).size).toBe(paged.length)
        const byId = new Map(paged.map((r) => [r.id, r]))
        expect(byId.get('d1')?.data).toBeNull()
        expect(byId.get('d5')?.data).toBeNull()
        expect(byId.get('d3')).toMatchObject({ data: { i: 33 }, writeId: null })
        expect(byId.get('d8')).toMatchObject({ data: { i: 8 }, writeId: 'w-d8' })

        // Writes after a checkpoint come after it, whatever they touch.
        const last = paged[paged.length - 1]!
        await target.tick(adapter)
        await plain(other.adapter, [
          { type: 'delete', collection: col, id: 'd0' },
          { type: 'set', collection: col, id: 'd1', data: { back: true } },
        ])
        const more = (await allPages(sync, col, 1, { updateTime: last.updateTime, id: last.id })).flat()
        expect(summary(more).sort((a, b) => a[0].localeCompare(b[0]))).toEqual([
          ['d0', null],
          ['d1', { back: true }],
        ])
      })

      it('superseded tombstones never make a page short: a short page means the end of the feed', async () => {
        const { adapter, sync } = await device()
        const col = target.freshCollection()
        const ids = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']
        await plain(
          adapter,
          ids.map((id) => ({ type: 'set', collection: col, id, data: { v: 1 } })),
        )
        await target.tick(adapter)
        await plain(
          adapter,
          ids.map((id) => ({ type: 'delete', collection: col, id })),
        )
        await target.tick(adapter)
        // Re-created (supersedes the first tombstones), and r6 deleted twice (only the newest counts).
        await pushAll(
          sync,
          ids.slice(0, 6).map((id) => ({ type: 'create', collection: col, id, data: { v: 2 }, writeId: `again-${id}` })),
        )
        await pushAll(sync, [
          { type: 'create', collection: col, id: 'r6', data: { v: 3 }, writeId: 'r6-again' },
          { type: 'delete', collection: col, id: 'r6', writeId: 'r6-gone' },
        ])
        const pages = await allPages(sync, col, 2)
        expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 1])
        const records = pages.flat()
        expectFeedOrder(records)
        expect(records.map((r) => r.id).sort()).toEqual(ids)
        expect(records.filter((r) => r.data === null)).toMatchObject([{ id: 'r6', writeId: 'r6-gone' }])
      })

      it('a checkpoint older than the tombstone lifetime fails with failed-precondition (checkpoint-expired)', async () => {
        const { adapter, sync } = await device({ tombstoneTtlMs: 60_000 })
        const col = target.freshCollection()
        await plain(adapter, [
          { type: 'set', collection: col, id: 'a', data: { n: 1 } },
          { type: 'set', collection: col, id: 'b', data: { n: 1 } },
        ])
        await plain(adapter, [{ type: 'delete', collection: col, id: 'b' }])
        const feed = await sync.changes(col, null, 10)
        const last = feed[feed.length - 1]!
        const checkpoint = { updateTime: last.updateTime, id: last.id }
        expect(await sync.changes(col, checkpoint, 10)).toEqual([])

        const aged = await target.age(adapter, checkpoint, 120_000)
        const error = await expectError(() => sync.changes(col, aged, 10), 'failed-precondition', 'changes after an expired checkpoint')
        expect(error.details?.reason).toBe('checkpoint-expired')
        // A full resync (no checkpoint) still works.
        expect((await sync.changes(col, null, 10)).map((r) => r.id)).toContain('a')
      })
    })

    describe('write', () => {
      it('applies each write on its own, in order: one outcome per write, failures do not hold back the rest', async () => {
        const { adapter, sync } = await device()
        const col = target.freshCollection()
        await plain(adapter, [{ type: 'set', collection: col, id: 'e', data: { v: 1 } }])
        const outcomes = await sync.write([
          { type: 'create', collection: col, id: 'e', data: { v: 2 }, writeId: 'w0' },
          { type: 'create', collection: col, id: 'n1', data: { v: 1 }, writeId: 'w1' },
          { type: 'update', collection: col, id: 'missing', data: { v: 1 }, writeId: 'w2' },
          { type: 'set', collection: col, id: 'n2', data: { v: 2 }, writeId: 'w3' },
          { type: 'set', collection: col, id: 'bad', data: { 'not a field': 1 }, writeId: 'w4' },
          { type: 'set', collection: col, id: 'bad2', data: { v: Number.NaN }, writeId: 'w5' },
          { type: 'delete', collection: col, id: 'e', writeId: 'w6' },
          { type: 'create', collection: col, id: 'n3', data: { v: 3 }, writeId: 'w7' },
        ])
        expect(outcomes).toHaveLength(8)
        expectFailure(outcomes[0], 'already-exists', 'create of an existing document')
        expect(outcomes[1]).toEqual({ ok: true })
        expectFailure(outcomes[2], 'not-found', 'update of a missing document')
        expect(outcomes[3]).toEqual({ ok: true })
        expectFailure(outcomes[4], 'invalid-argument', 'an invalid field name')
        expectFailure(outcomes[5], 'invalid-argument', 'NaN')
        expect(outcomes[6]).toEqual({ ok: true })
        expect(outcomes[7]).toEqual({ ok: true })

        const records = new Map((await sync.fetch(col, ['e', 'n1', 'missing', 'n2', 'bad', 'bad2', 'n3'])).map((r) => [r.id, r]))
        expect([...records.keys()].sort()).toEqual(['e', 'n1', 'n2', 'n3'])
        expect(records.get('e')).toMatchObject({ data: null, writeId: 'w6' })
        expect(records.get('n1')).toMatchObject({ data: { v: 1 }, writeId: 'w1' })
        expect(records.get('n2')).toMatchObject({ data: { v: 2 }, writeId: 'w3' })
        expect(records.get('n3')).toMatchObject({ data: { v: 3 }, writeId: 'w7' })
      })

      it('several writes to one document apply in order', async () => {
        const { adapter, sync } = await device()
        const inc = adapter.capabilities.increment
        const col = target.freshCollection()
        const outcomes = await sync.write([
          { type: 'create', collection: col, id: 'z', data: { v: 1 }, writeId: 'z1' },
          { type: 'update', collection: col, id: 'z', data: { v: increment(1) }, writeId: 'z2' },
          { type: 'create', collection: col, id: 'z', data: { v: 100 }, writeId: 'z3' },
          { type: 'set', collection: col, id: 'z', data: { v: 10, s: 'set' }, writeId: 'z4' },
          { type: 'update', collection: col, id: 'z', data: { v: increment(5) }, writeId: 'z5' },
          { type: 'delete', collection: col, id: 'y', writeId: 'y0' },
          { type: 'create', collection: col, id: 'y', data: { v: 1 }, writeId: 'y1' },
          { type: 'delete', collection: col, id: 'y', writeId: 'y2' },
        ])
        // Without the capability, increment() is refused (unsupported) and the others still apply.
        const refused = inc ? 'ok' : 'unsupported'
        expect(outcomes.map((o) => (o.ok ? 'ok' : (o.error as PortabaseError).code))).toEqual(['ok', refused, 'already-exists', 'ok', refused, 'ok', 'ok', 'ok'])
        expect(await one(sync, col, 'z')).toMatchObject(inc ? { data: { v: 15, s: 'set' }, writeId: 'z5' } : { data: { v: 10, s: 'set' }, writeId: 'z4' })
        expect(await one(sync, col, 'y')).toMatchObject({ data: null, writeId: 'y2' })
      })

      it('write data may hold sentinels, as documents.write accepts them', async () => {
        const { adapter, sync } = await device()
        const col = target.freshCollection()
        const caps = adapter.capabilities
        await pushAll(sync, [{ type: 'create', collection: col, id: 's', data: { n: 1, tags: ['a', 'b'], gone: 'x' }, writeId: 's1' }])
        const update: SyncWrite = { type: 'update', collection: col, id: 's', data: { n: increment(2), tags: arrayUnion('c', 'a'), gone: deleteField() }, writeId: 's2' }
        const remove: SyncWrite = { type: 'update', collection: col, id: 's', data: { tags: arrayRemove('a') }, writeId: 's3' }
        const set: SyncWrite = { type: 'set', collection: col, id: 't', data: { n: increment(5), list: arrayUnion(1) }, writeId: 't1' }
        let last = 's3'
        if (caps.increment && caps.arrayOps) {
          await pushAll(sync, [update, remove])
          expect(await one(sync, col, 's')).toMatchObject({ data: { n: 3, tags: ['b', 'c'] }, writeId: 's3' })
          await pushAll(sync, [set])
          expect(await one(sync, col, 't')).toMatchObject({ data: { n: 5, list: [1] }, writeId: 't1' })
        } else {
          // Each write holding a sentinel the adapter lacks is refused on its own; nothing of it is applied.
          const outcomes = await sync.write([update, remove, set])
          expectFailure(outcomes[0], 'unsupported', 'increment()/arrayUnion() without the capability')
          if (caps.arrayOps) expect(outcomes[1]).toEqual({ ok: true })
          else expectFailure(outcomes[1], 'unsupported', 'arrayRemove() without the capability')
          expectFailure(outcomes[2], 'unsupported', 'increment()/arrayUnion() in a set without the capability')
          last = caps.arrayOps ? 's3' : 's1'
          expect(await one(sync, col, 's')).toMatchObject({ data: caps.arrayOps ? { n: 1, tags: ['b'], gone: 'x' } : { n: 1, tags: ['a', 'b'], gone: 'x' }, writeId: last })
          expect(await sync.fetch(col, ['t'])).toEqual([])
        }

        const [stamped] = await sync.write([{ type: 'update', collection: col, id: 's', data: { at: serverTimestamp() }, writeId: 's4' }])
        if (caps.serverTimestamp) {
          expect(stamped).toEqual({ ok: true })
          const record = await one(sync, col, 's')
          expect(record?.data?.at).toBeInstanceOf(Date)
          expect(record?.writeId).toBe('s4')
        } else {
          expectFailure(stamped, 'unsupported', 'serverTimestamp() without the capability')
          expect(await one(sync, col, 's')).toMatchObject({ writeId: last })
        }
      })

      it('access rules apply: refused writes fail with permission-denied, the others are applied', async () => {
        const owner = await signedIn()
        const stranger = await signedIn()
        const signedOut = await device()
        const col = target.ownedCollection()
        const id = (): string => `s_${randomSuffix()}`
        const mine = id()
        await pushAll(owner.sync, [{ type: 'create', collection: col, id: mine, data: { owner: owner.uid, secret: 'mine' }, writeId: 'o1' }])

        const theirs = id()
        const outcomes = await stranger.sync.write([
          { type: 'update', collection: col, id: mine, data: { secret: 'stolen' }, writeId: 'x1' },
          { type: 'create', collection: col, id: id(), data: { owner: owner.uid }, writeId: 'x2' },
          { type: 'create', collection: col, id: theirs, data: { owner: stranger.uid }, writeId: 'x3' },
          { type: 'delete', collection: col, id: mine, writeId: 'x4' },
          { type: 'set', collection: col, id: mine, data: { owner: stranger.uid }, writeId: 'x5' },
        ])
        expectFailure(outcomes[0], 'permission-denied', "update of another user's document")
        expectFailure(outcomes[1], 'permission-denied', 'create for another owner')
        expect(outcomes[2]).toEqual({ ok: true })
        expectFailure(outcomes[3], 'permission-denied', "delete of another user's document")
        expectFailure(outcomes[4], 'permission-denied', "set of another user's document")
        const [denied] = await signedOut.sync.write([{ type: 'create', collection: col, id: id(), data: { owner: 'nobody' }, writeId: 'y1' }])
        expectFailure(denied, 'permission-denied', 'a signed-out create')

        expect(await one(owner.sync, col, mine)).toMatchObject({ data: { owner: owner.uid, secret: 'mine' }, writeId: 'o1' })
        expect(await one(stranger.sync, col, theirs)).toMatchObject({ data: { owner: stranger.uid }, writeId: 'x3' })
        // Reading the other user's document: left out, or refused, as the backend's reads are.
        if (target.hiddenReads === 'absent') expect(await stranger.sync.fetch(col, [mine])).toEqual([])
        else await expectError(() => stranger.sync.fetch(col, [mine]), 'permission-denied', "fetch of another user's document")
      })
    })

    describe('realtime', () => {
      it('watchers see writes made through sync.write', async () => {
        const watcher = await device()
        const writer = await device()
        const col = target.freshCollection()
        if (!watcher.adapter.capabilities.realtime) {
          // Without realtime the client refuses watch() of a collection the server serves.
          await expect(firstValueFrom(createClient({ adapter: watcher.adapter }).db.collection(col).watch())).rejects.toMatchObject({ code: 'unsupported' })
          return
        }
        const recorder = new Recorder<QuerySnapshot>(watcher.adapter.documents.watch(col, emptyQuery()))
        recorders.push(recorder as Recorder<unknown>)
        const ids = (s: QuerySnapshot): string => s.docs.map((d) => `${d.id}:${String(d.data.v)}`).join(',')
        await recorder.waitFor((s) => s.docs.length === 0, 'the first, empty snapshot')
        await pushAll(writer.sync, [
          { type: 'create', collection: col, id: 'a', data: { v: 1 }, writeId: 'r1' },
          { type: 'create', collection: col, id: 'b', data: { v: 1 }, writeId: 'r2' },
        ])
        await recorder.waitFor((s) => ids(s) === 'a:1,b:1', 'both created docs', 20_000)
        await pushAll(writer.sync, [
          { type: 'update', collection: col, id: 'a', data: { v: 2 }, writeId: 'r3' },
          { type: 'delete', collection: col, id: 'b', writeId: 'r4' },
        ])
        await recorder.waitFor((s) => ids(s) === 'a:2', 'the update and the delete', 20_000)
      })
    })
  })
}

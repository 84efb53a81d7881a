/**
 * The offline suite: the same cases on every adapter with a SyncService (memory, Parse, Amplify).
 * Each "device" is a client with its own adapter instance and local store on the shared backend,
 * with a switch for its network; a plain online client plays the server's view.
 *
 * Cases gated on a capability run everywhere: where the adapter lacks it (increment(), anonymous
 * sign-in), they assert the refusal and go on with what the adapter has (a plain update, a
 * signed-up user), so the rest of the case still runs.
 */
import fc from 'fast-check'
import { firstValueFrom, filter, take, toArray } from 'rxjs'
import { createClient, deleteField, increment, retry, timeout, type Adapter, type Capabilities, type ConflictStrategy, type Link, type PortabaseError, type OfflineOptions, type DocumentData, type LocalStore, type OfflineCollectionOptions, type PortabaseClient, type RejectedWrite, type SyncConflict, type SyncOutcome } from '../../src/index.js'
import { offline, memoryStore } from '../../src/offline/index.js'
import { queryProbe } from '../../src/query/evaluate.js'
import { expectError } from '../contract/helpers.js'
import { countingChanges } from './counting.js'
import { breakableWatches } from './faulty-watch.js'

export interface OfflineTarget {
  name: string
  setup(): Promise<void>
  teardown(): Promise<void>
  /**
   * A new device on the shared backend: its own adapter, a switch for its network, and a fault:
   * the next `n` SyncService write requests of this device fail with the server's `internal` error.
   */
  device(): Promise<{ adapter: Adapter; goOffline(): Promise<void>; goOnline(): Promise<void>; failNextWrites(n: number): void }>
  freshCollection(): string
  /** Documents need `owner` = the signed-in uid to be written (test/contract/FIXTURES.md). */
  ownedCollection(): string
  /** Runs of the convergence property (each run is many round trips on a real server). */
  propertyRuns: number
}

interface Device {
  app: PortabaseClient
  store: LocalStore
  goOffline(): Promise<void>
  goOnline(): Promise<void>
  failNextWrites(n: number): void
  /** Errors the device's live watches, as a dropped realtime connection does. */
  breakWatches(): number
  /** Records received from `changes` so far. */
  fetched(): number
  /** Non-empty pages received so far (`changes` pages and `fetch`es of ids live events named). */
  pages(): number
  /** Documents received from `documents.query` (`{ query }` pulls) so far. */
  queried(): number
}

interface DeviceExtras {
  links?: Link[]
  offline?: Partial<OfflineOptions>
  /** Changes what the device's adapter declares (e.g. no realtime). */
  capabilities?: Partial<Capabilities>
}

const RETRY = { initial: 10, max: 100 }

export function runOfflineSuite(target: OfflineTarget): void {
  describe(`offline suite: ${target.name}`, () => {
    const clients: PortabaseClient[] = []
    let server: PortabaseClient

    beforeAll(async () => {
      await target.setup()
      server = createClient({ adapter: (await target.device()).adapter })
      clients.push(server)
    })
    afterAll(async () => {
      await Promise.allSettled(clients.map((c) => c.dispose()))
      await target.teardown()
    })

    async function device(collections: Record<string, OfflineCollectionOptions>, store: LocalStore = memoryStore(), extras: DeviceExtras = {}): Promise<Device> {
      const { adapter, goOffline, goOnline, failNextWrites } = await target.device()
      const { adapter: counted, fetched, pages, queried } = countingChanges(adapter)
      const { adapter: breakable, breakWatches } = breakableWatches(counted)
      const declared = extras.capabilities ? Object.create(breakable, { capabilities: { value: { ...adapter.capabilities, ...extras.capabilities } } }) : breakable
      const app = createClient({ adapter: declared, links: extras.links ?? [], offline: offline({ store, collections, retryDelayMs: RETRY, ...extras.offline }) })
      clients.push(app)
      return { app, store, goOffline, goOnline, failNextWrites, breakWatches, fetched, pages, queried }
    }

    const serverDocs = async (collection: string): Promise<Record<string, DocumentData>> =>
      Object.fromEntries((await server.db.collection(collection).get()).docs.map((d) => [d.id, d.data]))
    const localDocs = async (app: PortabaseClient, collection: string): Promise<Record<string, DocumentData>> =>
      Object.fromEntries((await app.db.collection(collection).get()).docs.map((d) => [d.id, d.data]))
    const pending = async (app: PortabaseClient): Promise<number> => (await firstValueFrom(app.sync.status$)).pending

    /**
     * Adds `by` to `field`, which holds `current`: increment() where the adapter has it; elsewhere
     * the refusal is asserted (nothing is queued for it) and the sum is written as a plain update.
     */
    async function addTo(app: PortabaseClient, collection: string, id: string, field: string, by: number, current: number): Promise<void> {
      const ref = app.db.collection(collection).doc(id)
      if (app.adapter.capabilities.increment) return ref.update({ [field]: increment(by) })
      const before = await pending(app)
      await expectError(() => ref.update({ [field]: increment(by) }), 'unsupported', 'increment()')
      expect(await pending(app)).toBe(before)
      await ref.update({ [field]: current + by })
    }

    let signUps = 0
    /** A signed-in user: anonymous where the adapter has it; elsewhere the refusal is asserted and a user signs up. */
    async function someUser(app: PortabaseClient): Promise<{ uid: string }> {
      if (app.adapter.capabilities.anonymousAuth) return app.auth.signInAnonymously()
      await expectError(() => app.auth.signInAnonymously(), 'unsupported', 'signInAnonymously()')
      return app.auth.signUp({ email: `someone-${++signUps}-${Math.random().toString(36).slice(2, 10)}@example.com`, password: 'correct horse battery 1' })
    }

    describe('local reads and writes while offline', () => {
      it('create, update and delete are served locally, counted as pending, then applied on the server exactly once', async () => {
        const col = target.freshCollection()
        await server.db.collection(col).doc('gone').set({ v: 0 })
        const d = await device({ [col]: {} })
        await d.app.sync.waitForSync()
        await d.goOffline()
        const todos = d.app.db.collection(col)
        await todos.doc('a').set({ title: 'a', n: 0 })
        await addTo(d.app, col, 'a', 'n', 1, 0)
        await addTo(d.app, col, 'a', 'n', 1, 1)
        await todos.doc('b').create({ title: 'b' })
        await todos.doc('gone').delete()
        expect(await pending(d.app)).toBe(5)
        const local = await todos.doc('a').get()
        expect(local?.data).toEqual({ title: 'a', n: 2 })
        expect(local?.meta).toMatchObject({ hasPendingWrites: true, fromCache: true })
        expect(await todos.doc('gone').get()).toBeNull()
        expect(await serverDocs(col)).toEqual({ gone: { v: 0 } })

        await d.goOnline()
        await d.app.sync.waitForSync()
        expect(await serverDocs(col)).toEqual({ a: { title: 'a', n: 2 }, b: { title: 'b' } })
        expect(await pending(d.app)).toBe(0)
        expect((await todos.doc('a').get())?.meta.hasPendingWrites).toBe(false)
      })

      it('answers queries from the cache with the one evaluator (filters, order, limit) while offline', async () => {
        const col = target.freshCollection()
        const d = await device({ [col]: {} })
        await d.app.sync.waitForSync()
        await d.goOffline()
        const c = d.app.db.collection<{ n: number; done: boolean }>(col)
        for (let n = 0; n < 6; n++) await c.doc(`d${n}`).set({ n, done: n % 2 === 0 })
        const page = await c.where('done', '==', true).orderBy('n', 'desc').limit(2).get()
        expect(page.docs.map((x) => x.id)).toEqual(['d4', 'd2'])
        expect(await c.where('n', '>=', 3).count()).toBe(3)
        await d.goOnline()
      })

      it('a limited query on the device reads its page from an ordered index (documents examined counted), kept up to date by writes', async () => {
        const col = target.freshCollection()
        const d = await device({ [col]: {} })
        await d.app.sync.waitForSync()
        await d.goOffline()
        const c = d.app.db.collection<{ n: number; done: boolean }>(col)
        const total = 1_200
        for (let at = 0; at < total; at += 400) {
          await d.app.db.batch((b) => {
            for (let i = at; i < at + 400; i++) b.set(c.doc(`d${String(i).padStart(4, '0')}`), { n: i % 100, done: i % 2 === 0 })
          })
        }
        const run = async (query: ReturnType<typeof c.limit>): Promise<{ ids: string[]; examined: number }> => {
          const before = queryProbe.examined
          const { docs } = await query.get()
          return { ids: docs.map((x) => x.id), examined: queryProbe.examined - before }
        }
        const open = c.where('done', '==', false).orderBy('n', 'desc').limit(10)
        // The first query of an ordering scans; the second builds its index and reads only its page.
        const scanned = await run(open)
        expect(scanned.examined).toBeGreaterThanOrEqual(total)
        const indexed = await run(open)
        expect(indexed.ids).toEqual(scanned.ids)
        expect(indexed.examined).toBeLessThanOrEqual(20)
        await c.doc('d0001').update({ n: 1_000 })
        await c.doc(scanned.ids[0]!).delete()
        const after = await run(open)
        expect(after.ids).toEqual(['d0001', ...scanned.ids.slice(1)])
        expect(after.examined).toBeLessThanOrEqual(20)
        // A cursor page starts at the cursor.
        const { nextCursor } = await open.get()
        const next = await run(open.startAfter(nextCursor!))
        expect(next.examined).toBeLessThanOrEqual(30)
        expect(next.ids).toHaveLength(10)
        // Nothing of this is meant for the server.
        await d.app.sync.discardQueue(null)
        await d.goOnline()
      })

      it('watch() on an offline collection emits local writes at once, with hasPendingWrites', async () => {
        const col = target.freshCollection()
        const d = await device({ [col]: {} })
        await d.app.sync.waitForSync()
        await d.goOffline()
        const snapshots = firstValueFrom(d.app.db.collection(col).watch().pipe(take(2), toArray()))
        await new Promise((r) => setTimeout(r, 10))
        await d.app.db.collection(col).doc('x').set({ v: 1 })
        const [first, second] = await snapshots
        expect(first!.docs).toHaveLength(0)
        expect(second!.docs.map((x) => x.data)).toEqual([{ v: 1 }])
        expect(second!.hasPendingWrites).toBe(true)
        expect(second!.changes.map((c) => c.type)).toEqual(['added'])
        await d.goOnline()
      })

      it('an offline batch is queued all-or-nothing; a batch mixing offline and online collections is refused', async () => {
        const col = target.freshCollection()
        const other = target.freshCollection()
        const d = await device({ [col]: {} })
        await d.app.sync.waitForSync()
        await d.goOffline()
        const c = d.app.db.collection(col)
        await c.doc('exists').set({ v: 0 })
        await expectError(
          () =>
            d.app.db.batch((b) => {
              b.set(c.doc('p'), { v: 1 })
              b.create(c.doc('exists'), { v: 2 })
            }),
          'already-exists',
        )
        expect(await c.doc('p').get()).toBeNull()
        expect(await pending(d.app)).toBe(1)
        await expectError(
          () =>
            d.app.db.batch((b) => {
              b.set(c.doc('q'), { v: 1 })
              b.set(d.app.db.collection(other).doc('q'), { v: 1 })
            }),
          'invalid-argument',
        )
        await expectError(() => c.doc('missing').update({ v: 1 }), 'not-found')
        await d.goOnline()
        await d.app.sync.waitForSync()
        expect(await serverDocs(col)).toEqual({ exists: { v: 0 } })
      })

      it('status$ reports pending, uploading and lastSyncedAt', async () => {
        const col = target.freshCollection()
        const d = await device({ [col]: {} })
        await d.app.sync.waitForSync()
        const before = await firstValueFrom(d.app.sync.status$)
        expect(before).toMatchObject({ pending: 0, uploading: false, downloading: false, conflicts: 0 })
        expect(before.lastSyncedAt).toBeInstanceOf(Date)
        await d.goOffline()
        await d.app.db.collection(col).doc('a').set({ v: 1 })
        await d.app.db.collection(col).doc('b').set({ v: 1 })
        expect(await pending(d.app)).toBe(2)
        const uploading = firstValueFrom(d.app.sync.status$.pipe(filter((s) => s.uploading)))
        await d.goOnline()
        await d.app.sync.flush()
        expect((await uploading).pending).toBeGreaterThan(0)
        expect(await pending(d.app)).toBe(0)
      })
    })

    describe('restarts and exactly-once', () => {
      it('writes queued offline survive a restart of the client and are applied once', async () => {
        const col = target.freshCollection()
        const store = memoryStore()
        const first = await device({ [col]: {} }, store)
        await first.app.sync.waitForSync()
        await first.goOffline()
        await first.app.db.collection(col).doc('a').set({ n: 0 })
        await addTo(first.app, col, 'a', 'n', 5, 0)
        await first.app.db.collection(col).doc('b').set({ keep: true })
        await first.app.db.collection(col).doc('b').update({ keep: deleteField(), other: 1 })
        await first.app.dispose()

        const second = await device({ [col]: {} }, store)
        expect(await pending(second.app)).toBe(4)
        expect(await localDocs(second.app, col)).toEqual({ a: { n: 5 }, b: { other: 1 } })
        await second.app.sync.waitForSync()
        expect(await serverDocs(col)).toEqual({ a: { n: 5 }, b: { other: 1 } })
      })

      it('a flush whose acknowledgement was lost (crash after the server applied it) is not applied again after restart', async () => {
        const col = target.freshCollection()
        const inner = memoryStore()
        let crashed = false
        // The process "dies" at the first commit that settles outbox entries: the server has the
        // writes, the outbox still lists them, and nothing this client does afterwards is stored.
        const crashing: LocalStore = {
          name: 'crashing',
          open: () => inner.open(),
          entries: (t) => inner.entries(t),
          close: async () => undefined,
          commit: async (changes) => {
            if (crashed || changes.some((c) => c.table === 'outbox' && 'delete' in c)) {
              crashed = true
              throw new Error('simulated crash before the outbox was updated')
            }
            return inner.commit(changes)
          },
        }
        const first = await device({ [col]: {} }, crashing)
        await first.app.sync.waitForSync()
        await first.goOffline()
        await first.app.db.collection(col).doc('n').set({ n: 0 })
        for (let i = 0; i < 3; i++) await addTo(first.app, col, 'n', 'n', 1, i)
        await first.app.db.collection(col).doc('gone').set({ x: 1 })
        await first.app.db.collection(col).doc('gone').delete()
        await first.goOnline()
        await expect(first.app.sync.flush()).rejects.toThrow(/simulated crash/)
        expect(await serverDocs(col)).toEqual({ n: { n: 3 } })
        expect(crashed).toBe(true)
        await first.app.dispose()

        const second = await device({ [col]: {} }, inner)
        expect(await pending(second.app)).toBe(6)
        const result = await second.app.sync.flush()
        expect(result).toEqual({ sent: 6, merged: 0, overridden: 0, rejected: 0, conflicts: 0 })
        expect(await serverDocs(col)).toEqual({ n: { n: 3 } })
      })

      it('a write the server refuses for good is rolled back locally and reported, not retried', async () => {
        // Push only: on Parse, pulls of `owned` fail once it holds other users' documents (its read
        // rule is an afterFind trigger, docs/offline.md#limits), so this test never waits for a pull.
        const col = target.ownedCollection()
        const id = `theirs-${Math.random().toString(36).slice(2)}`
        const other = createClient({ adapter: (await target.device()).adapter })
        clients.push(other)
        const them = await someUser(other)
        await other.db.collection(col).doc(`${id}-existing`).set({ owner: them.uid, v: 0 })
        const d = await device({ [col]: {} })
        const me = await someUser(d.app)
        const rejected = firstValueFrom(d.app.sync.rejected$)
        await d.app.db.collection(col).doc(id).set({ owner: 'someone-else', v: 1 })
        await d.app.db.collection(col).doc(`mine-${id}`).set({ owner: me.uid, v: 1 })
        // The flush, or a background round before it, sends both.
        await d.app.sync.flush()
        await firstValueFrom(d.app.sync.status$.pipe(filter((s) => s.pending === 0)))
        const onServer = await d.app.adapter.sync!.fetch(col, [id, `mine-${id}`])
        expect(onServer.map((r) => [r.id, r.data])).toEqual([[`mine-${id}`, { owner: me.uid, v: 1 }]])
        const rejection: RejectedWrite = await rejected
        expect(rejection).toMatchObject({ collection: col, id, type: 'set' })
        expect((rejection.error as { code?: string }).code).toBe('permission-denied')
        expect(await d.app.db.collection(col).doc(id).get()).toBeNull()
        expect((await d.app.db.collection(col).doc(`mine-${id}`).get())?.data).toEqual({ owner: me.uid, v: 1 })
        expect(await pending(d.app)).toBe(0)
      })
    })

    describe('nothing lost: retries, users, healing', () => {
      const unique = () => Math.random().toString(36).slice(2, 10)
      const password = 'correct horse battery 1'
      const outcomeCounts = async (d: Device) => (await firstValueFrom(d.app.sync.status$)).outcomes
      const drained = (d: Device) => firstValueFrom(d.app.sync.status$.pipe(filter((s) => s.pending === 0 && !s.uploading)))

      it('a write whose request fails with internal stays queued, is retried with backoff and lands once; the failure shows on status$', async () => {
        const col = target.freshCollection()
        const d = await device({ [col]: {} })
        await d.app.sync.waitForSync()
        const errors: string[] = []
        d.app.sync.status$.subscribe((s) => {
          if (s.error) errors.push((s.error as PortabaseError).code)
        })
        const rejected: RejectedWrite[] = []
        d.app.sync.rejected$.subscribe((r) => rejected.push(r))
        d.failNextWrites(2)
        await d.app.db.collection(col).doc('a').set({ n: 0 })
        await addTo(d.app, col, 'a', 'n', 1, 0)
        await d.app.sync.waitForSync()
        expect(await serverDocs(col)).toEqual({ a: { n: 1 } })
        expect(errors).toContain('internal')
        expect(rejected).toEqual([])
        expect(await outcomeCounts(d)).toEqual({ applied: 2, merged: 0, overridden: 0, rejected: 0 })
        expect((await firstValueFrom(d.app.sync.status$)).error).toBeNull()
      })

      it('one user per queue: a write queued by one user is sent only under that user\'s session; the next user neither sends nor reads it', async () => {
        const col = target.ownedCollection()
        const d = await device({ [col]: {} })
        const rejected: RejectedWrite[] = []
        d.app.sync.rejected$.subscribe((r) => rejected.push(r))
        const tag = unique()
        const a = await d.app.auth.signUp({ email: `a-${tag}@example.com`, password })
        await d.goOffline()
        await d.app.db.collection(col).doc(`a-${tag}`).set({ owner: a.uid, v: 1 })
        expect(await pending(d.app)).toBe(1)
        await d.app.auth.signOut()
        expect(await d.app.db.collection(col).doc(`a-${tag}`).get()).toBeNull()
        await d.goOnline()

        const b = await d.app.auth.signUp({ email: `b-${tag}@example.com`, password })
        expect(await d.app.db.collection(col).doc(`a-${tag}`).get()).toBeNull()
        expect(await pending(d.app)).toBe(0)
        await d.app.db.collection(col).doc(`b-${tag}`).set({ owner: b.uid, v: 2 })
        await d.app.sync.flush()
        await drained(d)
        expect((await d.app.adapter.sync!.fetch(col, [`b-${tag}`])).map((r) => r.data)).toEqual([{ owner: b.uid, v: 2 }])
        // Had A's write gone out under B's session, the owner rule would have refused it.
        expect(rejected).toEqual([])
        expect(await d.app.sync.queues()).toEqual([{ uid: a.uid, pending: 1 }])

        await d.app.auth.signOut()
        await d.app.auth.signIn({ email: `a-${tag}@example.com`, password })
        expect((await d.app.db.collection(col).doc(`a-${tag}`).get())?.data).toEqual({ owner: a.uid, v: 1 })
        expect(await d.app.db.collection(col).doc(`b-${tag}`).get()).toBeNull()
        await d.app.sync.flush()
        await drained(d)
        expect((await d.app.adapter.sync!.fetch(col, [`a-${tag}`])).map((r) => r.data)).toEqual([{ owner: a.uid, v: 1 }])
        expect(rejected).toEqual([])
        expect(await d.app.sync.queues()).toEqual([])
        await d.app.auth.signOut()
      })

      it('an anonymous user who signs up keeps the queue (where the adapter has anonymous sign-in)', async () => {
        const col = target.freshCollection()
        // One failed push, then a long backoff: the queue is still there when the user signs up.
        const d = await device({ [col]: {} }, memoryStore(), { offline: { retryDelayMs: { initial: 60_000, max: 60_000 } } })
        if (!d.app.adapter.capabilities.anonymousAuth) {
          await expectError(() => d.app.auth.signInAnonymously(), 'unsupported', 'signInAnonymously()')
          expect(await d.app.sync.queues()).toEqual([])
          return
        }
        const anonymous = await d.app.auth.signInAnonymously()
        await d.goOffline()
        await d.app.db.collection(col).doc('draft').set({ v: 1 })
        d.failNextWrites(1)
        const failed = firstValueFrom(d.app.sync.status$.pipe(filter((s) => s.error !== null)))
        await d.goOnline()
        await failed
        expect(await d.app.sync.queues()).toEqual([{ uid: anonymous.uid, pending: 1 }])
        const upgraded = await d.app.auth.signUp({ email: `up-${unique()}@example.com`, password })
        expect(upgraded.uid).not.toBe(anonymous.uid)
        await d.app.sync.waitForSync()
        expect(await serverDocs(col)).toEqual({ draft: { v: 1 } })
        expect(await d.app.sync.queues()).toEqual([])
        await d.app.auth.signOut()
      })

      it('discardQueue() gives up another user\'s queue and returns its writes; that user finds nothing pending on signing in again', async () => {
        const col = target.freshCollection()
        const d = await device({ [col]: {} })
        const email = `dq-${unique()}@example.com`
        const user = await d.app.auth.signUp({ email, password })
        await d.app.db.collection(col).doc('draft').set({ v: 1 })
        await d.app.sync.waitForSync()
        expect(await serverDocs(col)).toEqual({ draft: { v: 1 } })

        await d.goOffline()
        await d.app.db.collection(col).doc('given-up').set({ v: 2 })
        await d.app.auth.signOut()
        expect(await d.app.sync.queues()).toEqual([{ uid: user.uid, pending: 1 }])
        const discarded = await d.app.sync.discardQueue(user.uid)
        expect(discarded.uid).toBe(user.uid)
        expect(discarded.writes.map((w) => [w.collection, w.id, w.type, w.data])).toEqual([[col, 'given-up', 'set', { v: 2 }]])
        expect(await d.app.sync.queues()).toEqual([])
        await d.goOnline()
        await d.app.auth.signIn({ email, password })
        expect(await pending(d.app)).toBe(0)
        await d.app.sync.waitForSync()
        expect(await serverDocs(col)).toEqual({ draft: { v: 1 } })
        expect(await localDocs(d.app, col)).toEqual({ draft: { v: 1 } })
        await d.app.auth.signOut()
      })

      it('a live watch that fails shows on status$.error, is started again, and the pull after it brings what changed while it was down', async () => {
        const col = target.freshCollection()
        const d = await device({ [col]: {} })
        expect(d.app.adapter.capabilities.realtime).toBe(true)
        await d.app.sync.waitForSync()
        const errored = firstValueFrom(d.app.sync.status$.pipe(filter((s) => (s.error as PortabaseError | null)?.code === 'unavailable')))
        expect(d.breakWatches()).toBeGreaterThan(0)
        await errored
        await server.db.collection(col).doc('while-down').set({ v: 1 })
        const seen = await firstValueFrom(d.app.db.collection(col).watch().pipe(filter((s) => s.docs.some((x) => x.id === 'while-down'))))
        expect(seen.docs.map((x) => x.data)).toEqual([{ v: 1 }])
        // Healed: the watch is live again (a later change arrives with no pull asked for) and the error clears.
        const later = firstValueFrom(d.app.db.collection(col).watch().pipe(filter((s) => s.docs.some((x) => x.id === 'later'))))
        await server.db.collection(col).doc('later').set({ v: 2 })
        await later
        await firstValueFrom(d.app.sync.status$.pipe(filter((s) => s.error === null)))
      })

      it('watch() on an offline collection works on an adapter without realtime; remote changes arrive through polling pulls', async () => {
        const col = target.freshCollection()
        const online = target.freshCollection()
        const d = await device({ [col]: {} }, memoryStore(), { capabilities: { realtime: false }, offline: { pollIntervalMs: 50 } })
        await d.app.sync.waitForSync()
        const seen = firstValueFrom(d.app.db.collection(col).watch().pipe(filter((s) => s.docs.some((x) => x.id === 'remote'))))
        await server.db.collection(col).doc('remote').set({ from: 'server' })
        expect((await seen).docs.map((x) => x.data)).toEqual([{ from: 'server' }])
        // A collection served by the server still needs the vendor's realtime.
        await expect(firstValueFrom(d.app.db.collection(online).watch())).rejects.toMatchObject({ code: 'unsupported' })
      })

      it('waitForSync() rejects with deadline-exceeded after timeoutMs and cancelled on abort; the writes stay queued', async () => {
        const col = target.freshCollection()
        const d = await device({ [col]: {} })
        await d.app.sync.waitForSync()
        await d.goOffline()
        await d.app.db.collection(col).doc('a').set({ v: 1 })
        await expect(d.app.sync.waitForSync({ timeoutMs: 50 })).rejects.toMatchObject({ code: 'deadline-exceeded' })
        const abort = new AbortController()
        const waiting = d.app.sync.waitForSync({ signal: abort.signal, timeoutMs: Infinity })
        abort.abort()
        await expect(waiting).rejects.toMatchObject({ code: 'cancelled' })
        await expect(d.app.sync.waitForSync({ timeoutMs: -1 })).rejects.toMatchObject({ code: 'invalid-argument' })
        expect(await pending(d.app)).toBe(1)
        await d.goOnline()
        await d.app.sync.waitForSync()
        expect(await serverDocs(col)).toEqual({ a: { v: 1 } })
      })

      it('dispose() waits for a local write still being committed; it is queued at the next start', async () => {
        const col = target.freshCollection()
        const inner = memoryStore()
        let committing: (() => void) | undefined
        const slow: LocalStore = {
          name: 'slow',
          open: () => inner.open(),
          entries: (t) => inner.entries(t),
          close: () => inner.close(),
          commit: async (changes) => {
            if (changes.some((c) => c.table === 'outbox' && !('delete' in c))) {
              committing?.()
              await new Promise((r) => setTimeout(r, 50))
            }
            return inner.commit(changes)
          },
        }
        const first = await device({ [col]: {} }, slow)
        await first.app.sync.waitForSync()
        await first.goOffline()
        const started = new Promise<void>((resolve) => (committing = resolve))
        const writing = first.app.db.collection(col).doc('late').set({ v: 1 })
        await started
        await first.app.dispose()
        await writing
        const second = await device({ [col]: {} }, inner)
        expect((await second.app.db.collection(col).doc('late').get())?.data).toEqual({ v: 1 })
        await second.app.sync.waitForSync()
        expect(await serverDocs(col)).toEqual({ late: { v: 1 } })
      })

      it('a local write retried by the client\'s links (its first attempt timed out while committing) is queued once', async () => {
        const col = target.freshCollection()
        const inner = memoryStore()
        let slowCommits = false
        const slow: LocalStore = {
          name: 'slow',
          open: () => inner.open(),
          entries: (t) => inner.entries(t),
          close: () => inner.close(),
          commit: async (changes) => {
            if (slowCommits && changes.some((c) => c.table === 'outbox' && !('delete' in c))) await new Promise((r) => setTimeout(r, 40))
            return inner.commit(changes)
          },
        }
        let writeAttempts = 0
        const countWrites: Link = (op, next) => {
          if (op.service === 'documents' && op.method === 'write') writeAttempts += 1
          return next(op)
        }
        const d = await device({ [col]: {} }, slow, { links: [retry({ maxAttempts: 6, baseDelayMs: 5 }), timeout(25), countWrites] })
        await d.app.sync.waitForSync()
        await d.goOffline()
        await d.app.db.collection(col).doc('a').set({ n: 0 })
        slowCommits = true
        writeAttempts = 0
        await addTo(d.app, col, 'a', 'n', 1, 0)
        await d.app.db.collection(col).doc('b').set({ v: 1 })
        slowCommits = false
        // Each call's first attempt timed out while its commit went on; a retry found it queued.
        expect(writeAttempts).toBeGreaterThanOrEqual(4)
        expect(await pending(d.app)).toBe(3)
        expect(await localDocs(d.app, col)).toEqual({ a: { n: 1 }, b: { v: 1 } })
        await d.goOnline()
        await d.app.sync.waitForSync()
        expect(await serverDocs(col)).toEqual({ a: { n: 1 }, b: { v: 1 } })
        expect(await outcomeCounts(d)).toEqual({ applied: 3, merged: 0, overridden: 0, rejected: 0 })
      })
    })

    describe('conflicts: two devices edit the same document offline', () => {
      /**
       * Both devices start from { title: 'x', done: false, note: '' } and go offline; `other`
       * edits and syncs first (its change is the "server change"), then `me` comes online with its
       * own queued edit. `meLater`: me edits only after other's change reached the server.
       */
      async function conflict(strategy: ConflictStrategy, edits: { other: DocumentData | null; me: DocumentData | null; meSets?: boolean }, meLater = false) {
        const col = target.freshCollection()
        await server.db.collection(col).doc('doc').set({ title: 'x', done: false, note: '' })
        const other = await device({ [col]: { conflict: strategy } })
        const me = await device({ [col]: { conflict: strategy } })
        await other.app.sync.waitForSync()
        await me.app.sync.waitForSync()
        await other.goOffline()
        await me.goOffline()
        const outcomes: SyncOutcome[] = []
        me.app.sync.outcomes$.subscribe((o) => outcomes.push(o))
        const edit = async (d: Device, data: DocumentData | null, asSet = false) => {
          const ref = d.app.db.collection(col).doc('doc')
          if (data === null) await ref.delete()
          else if (asSet) await ref.set(data)
          else await ref.update(data)
        }
        if (!meLater) await edit(me, edits.me, edits.meSets)
        await edit(other, edits.other)
        await other.goOnline()
        await other.app.sync.waitForSync()
        if (meLater) {
          await new Promise((r) => setTimeout(r, 30))
          await edit(me, edits.me, edits.meSets)
        }
        await me.goOnline()
        return { col, other, me, outcomes }
      }
      const settle = async (d: Device) => {
        await d.app.sync.waitForSync()
        await d.app.sync.pull()
      }
      const status = async (d: Device) => (await firstValueFrom(d.app.sync.status$)).outcomes
      const strategies: ConflictStrategy[] = ['server-wins', 'client-wins', 'last-write-wins', 'merge', 'manual']

      describe('different fields: every strategy applies both edits, with no conflict and no event', () => {
        for (const strategy of [...strategies, (() => ({ never: 'called' })) as ConflictStrategy]) {
          const name = typeof strategy === 'string' ? strategy : 'a function'
          it(`${name}: my title edit and the other device's done edit are both kept`, async () => {
            const { col, me, outcomes } = await conflict(strategy, { other: { done: true }, me: { title: 'mine' } })
            await settle(me)
            expect(await serverDocs(col)).toEqual({ doc: { title: 'mine', done: true, note: '' } })
            expect(await localDocs(me.app, col)).toEqual(await serverDocs(col))
            expect(outcomes).toEqual([])
            expect(await status(me)).toEqual({ applied: 1, merged: 0, overridden: 0, rejected: 0 })
            expect((await firstValueFrom(me.app.sync.status$)).conflicts).toBe(0)
          })
        }
      })

      describe('the same field: each strategy decides that field only; my other fields are applied', () => {
        const edits = { other: { title: 'theirs', done: true }, me: { title: 'mine', note: 'my note' } }
        const theirsKept = { title: 'theirs', done: true, note: 'my note' }
        const mineKept = { title: 'mine', done: true, note: 'my note' }
        const expectOutcome = (outcomes: SyncOutcome[], kind: SyncOutcome['kind'], col: string) => {
          expect(outcomes).toHaveLength(1)
          expect(outcomes[0]).toMatchObject({ kind, collection: col, id: 'doc', level: 'field', fields: ['title'], local: { title: 'mine', done: false, note: 'my note' } })
          expect(outcomes[0]!.writes.map((w) => [w.type, w.data])).toEqual([['update', { title: 'mine', note: 'my note' }]])
        }

        it('server-wins: the server keeps its title, my note is applied; outcome overridden [title]', async () => {
          const { col, me, outcomes } = await conflict('server-wins', edits)
          await settle(me)
          expect(await serverDocs(col)).toEqual({ doc: theirsKept })
          expect(await localDocs(me.app, col)).toEqual({ doc: theirsKept })
          expectOutcome(outcomes, 'overridden', col)
          expect(await status(me)).toEqual({ applied: 0, merged: 0, overridden: 1, rejected: 0 })
        })

        it('client-wins: my title is written, their done is not reverted; outcome merged [title]', async () => {
          const { col, me, outcomes } = await conflict('client-wins', edits)
          await settle(me)
          expect(await serverDocs(col)).toEqual({ doc: mineKept })
          expect(await localDocs(me.app, col)).toEqual({ doc: mineKept })
          expectOutcome(outcomes, 'merged', col)
          expect(await status(me)).toEqual({ applied: 0, merged: 1, overridden: 0, rejected: 0 })
        })

        it('merge: both sides\' fields kept, the field both changed takes mine; outcome merged [title]', async () => {
          const { col, me, outcomes } = await conflict('merge', edits)
          await settle(me)
          expect(await serverDocs(col)).toEqual({ doc: mineKept })
          expect(await localDocs(me.app, col)).toEqual({ doc: mineKept })
          expectOutcome(outcomes, 'merged', col)
        })

        it('last-write-wins: my older title edit loses (overridden), a newer one wins (merged)', async () => {
          const older = await conflict('last-write-wins', edits)
          await settle(older.me)
          expect(await serverDocs(older.col)).toEqual({ doc: theirsKept })
          expect(await localDocs(older.me.app, older.col)).toEqual({ doc: theirsKept })
          expect(older.outcomes.map((o) => [o.kind, o.fields])).toEqual([['overridden', ['title']]])
          const newer = await conflict('last-write-wins', edits, true)
          await settle(newer.me)
          expect(await serverDocs(newer.col)).toEqual({ doc: mineKept })
          expect(await localDocs(newer.me.app, newer.col)).toEqual({ doc: mineKept })
          expect(newer.outcomes.map((o) => [o.kind, o.fields])).toEqual([['merged', ['title']]])
        })

        it('a function decides with the conflicting fields, local, server and base in hand; outcome merged', async () => {
          const seen: unknown[] = []
          const { col, me, outcomes } = await conflict((c) => {
            seen.push({ fields: c.fields, level: c.level, local: c.local, server: c.server, base: c.base })
            return { ...c.server, title: `${String(c.server?.title)}|${String(c.local?.title)}`, note: c.local?.note ?? null }
          }, edits)
          await settle(me)
          expect(seen).toEqual([{ fields: ['title'], level: 'field', local: { title: 'mine', done: false, note: 'my note' }, server: { title: 'theirs', done: true, note: '' }, base: { title: 'x', done: false, note: '' } }])
          expect(await serverDocs(col)).toEqual({ doc: { title: 'theirs|mine', done: true, note: 'my note' } })
          expect(outcomes.map((o) => [o.kind, o.fields])).toEqual([['merged', ['title']]])
        })

        it('manual: conflicts$ names the field; the writes wait until resolved, then the outcome follows the decision', async () => {
          const { col, me, outcomes } = await conflict('manual', edits)
          const held: SyncConflict = await firstValueFrom(me.app.sync.conflicts$)
          expect(held).toMatchObject({ collection: col, id: 'doc', fields: ['title'], level: 'field', local: { title: 'mine', done: false, note: 'my note' }, server: { title: 'theirs', done: true, note: '' }, base: { title: 'x', done: false, note: '' } })
          await me.app.sync.waitForSync()
          expect((await firstValueFrom(me.app.sync.status$)).conflicts).toBe(1)
          expect(await serverDocs(col)).toEqual({ doc: { title: 'theirs', done: true, note: '' } })
          // A late subscriber still sees the open conflict.
          expect((await firstValueFrom(me.app.sync.conflicts$)).id).toBe('doc')
          expect(outcomes).toEqual([])
          await held.resolve({ title: 'resolved', done: true, note: 'my note' })
          await settle(me)
          expect(await serverDocs(col)).toEqual({ doc: { title: 'resolved', done: true, note: 'my note' } })
          expect((await firstValueFrom(me.app.sync.status$)).conflicts).toBe(0)
          expect(outcomes.map((o) => [o.kind, o.fields, o.writes.length])).toEqual([['merged', ['title'], 1]])
          await expect(held.keepServer()).rejects.toMatchObject({ code: 'failed-precondition' })
        })
      })

      describe('document level: a queued set or delete against a server change', () => {
        it('server-wins: my set is dropped (overridden, document level); client-wins: it replaces the server\'s (merged)', async () => {
          const lost = await conflict('server-wins', { other: { done: true }, me: { title: 'replaced' }, meSets: true })
          await settle(lost.me)
          expect(await serverDocs(lost.col)).toEqual({ doc: { title: 'x', done: true, note: '' } })
          expect(await localDocs(lost.me.app, lost.col)).toEqual(await serverDocs(lost.col))
          expect(lost.outcomes.map((o) => [o.kind, o.level, o.fields])).toEqual([['overridden', 'document', ['done', 'note', 'title']]])
          const won = await conflict('client-wins', { other: { done: true }, me: { title: 'replaced' }, meSets: true })
          await settle(won.me)
          expect(await serverDocs(won.col)).toEqual({ doc: { title: 'replaced' } })
          expect(won.outcomes.map((o) => [o.kind, o.level])).toEqual([['merged', 'document']])
        })

        it('merge: an edit beats a delete on either side', async () => {
          const deletedThere = await conflict('merge', { other: null, me: { done: true } })
          await settle(deletedThere.me)
          expect(await serverDocs(deletedThere.col)).toEqual({ doc: { title: 'x', done: true, note: '' } })
          expect(deletedThere.outcomes.map((o) => [o.kind, o.level])).toEqual([['merged', 'document']])
          const deletedHere = await conflict('merge', { other: { done: true }, me: null })
          await settle(deletedHere.me)
          expect(await serverDocs(deletedHere.col)).toEqual({ doc: { title: 'x', done: true, note: '' } })
          expect(deletedHere.outcomes.map((o) => [o.kind, o.level])).toEqual([['overridden', 'document']])
        })
      })
    })

    describe('pull', () => {
      it('delta sync fetches only what changed (deletions as tombstones); a full sync reads everything once per session, then only what changed', async () => {
        const col = target.freshCollection()
        await server.db.batch((b) => {
          for (let i = 0; i < 40; i++) b.set(server.db.collection(col).doc(`d${String(i).padStart(2, '0')}`), { i })
        })
        const delta = await device({ [col]: { sync: 'delta' } })
        const full = await device({ [col]: { sync: 'full' } })
        await delta.app.sync.waitForSync()
        await full.app.sync.waitForSync()
        expect(delta.fetched()).toBe(40)
        // The first pull of the session reads the whole feed; later ones follow it from the checkpoint.
        expect(full.fetched()).toBe(40)
        const fullBefore = full.fetched()

        await server.db.collection(col).doc('d01').update({ i: 100 })
        await server.db.collection(col).doc('d02').update({ i: 200 })
        await server.db.collection(col).doc('d03').delete()
        await delta.app.sync.pull()
        await full.app.sync.pull()
        expect(delta.fetched() - 40).toBe(3)
        expect(full.fetched() - fullBefore).toBe(3)
        for (const d of [delta, full]) {
          const docs = await localDocs(d.app, col)
          expect(Object.keys(docs)).toHaveLength(39)
          expect(docs.d01).toEqual({ i: 100 })
          expect(docs.d03).toBeUndefined()
        }
      })

      it('selective sync keeps only the documents matching the query', async () => {
        const col = target.freshCollection()
        for (let i = 0; i < 6; i++) await server.db.collection(col).doc(`s${i}`).set({ i, mine: i % 2 === 0 })
        const d = await device({ [col]: { sync: { query: { filters: [{ kind: 'field', field: 'mine', op: '==', value: true }], orderBy: [] } } } })
        await d.app.sync.waitForSync()
        expect(Object.keys(await localDocs(d.app, col)).sort()).toEqual(['s0', 's2', 's4'])
        await server.db.collection(col).doc('s2').update({ mine: false })
        await d.app.sync.pull()
        expect(Object.keys(await localDocs(d.app, col)).sort()).toEqual(['s0', 's4'])
      })

      it('selective sync follows the change feed after its first read: unchanged documents are not downloaded again', async () => {
        const col = target.freshCollection()
        for (let i = 0; i < 6; i++) await server.db.collection(col).doc(`s${i}`).set({ i, mine: i % 2 === 0 })
        const d = await device({ [col]: { sync: { query: { filters: [{ kind: 'field', field: 'mine', op: '==', value: true }], orderBy: [] } } } })
        await d.app.sync.waitForSync()
        expect(d.queried()).toBe(3)
        await server.db.collection(col).doc('s2').update({ mine: false })
        await server.db.collection(col).doc('s4').update({ i: 40 })
        await server.db.collection(col).doc('s5').update({ mine: true })
        await server.db.collection(col).doc('s0').delete()
        await d.app.sync.pull()
        await d.app.sync.waitForSync()
        expect(await localDocs(d.app, col)).toEqual({ s4: { i: 40, mine: true }, s5: { i: 5, mine: true } })
        // No second read of the selection: the feed brought the four changes (and at most the
        // documents written after the newest one of the first read).
        expect(d.queried()).toBe(3)
        expect(d.fetched()).toBeLessThanOrEqual(6)
      })

      it('a live view on the device emits once per pull page, not once per document', async () => {
        const col = target.freshCollection()
        const d = await device({ [col]: {} }, memoryStore(), { offline: { pageSize: 10 } })
        await d.app.sync.waitForSync()
        const snapshots: Array<{ docs: number; changes: string[] }> = []
        const sub = d.app.db.collection(col).watch().subscribe((s) => snapshots.push({ docs: s.docs.length, changes: s.changes.map((c) => c.type) }))
        await new Promise((r) => setTimeout(r, 10))
        const pagesBefore = d.pages()
        await server.db.batch((b) => {
          for (let i = 0; i < 30; i++) b.set(server.db.collection(col).doc(`p${String(i).padStart(2, '0')}`), { i })
        })
        await d.app.sync.waitForSync()
        sub.unsubscribe()
        const later = snapshots.slice(1)
        expect(later.at(-1)?.docs).toBe(30)
        expect(later.flatMap((s) => s.changes)).toEqual(Array(30).fill('added'))
        // One emission per page that brought documents (30 in pages of 10: at least 3; on Parse a
        // live event can also bring a page of ids the feed's checkpoint skipped).
        expect(later.length).toBeGreaterThanOrEqual(3)
        expect(later.length).toBeLessThanOrEqual(d.pages() - pagesBefore)
        for (const s of later) expect(s.changes.length).toBeLessThanOrEqual(10)
      })

      it('remote changes reach an offline collection\'s watch() while online', async () => {
        const col = target.freshCollection()
        const d = await device({ [col]: {} })
        await d.app.sync.waitForSync()
        const seen = firstValueFrom(d.app.db.collection(col).watch().pipe(filter((s) => s.docs.some((x) => x.id === 'remote'))))
        await server.db.collection(col).doc('remote').set({ from: 'server' })
        // Realtime triggers a pull where the adapter has it; a pull does it everywhere.
        if (!d.app.adapter.capabilities.realtime) await d.app.sync.pull()
        const snapshot = await seen
        expect(snapshot.docs.find((x) => x.id === 'remote')?.data).toEqual({ from: 'server' })
      })
    })

    it('property: random field edits, remote writes, connectivity flips, transient errors and account switches converge, and every queued write ends in exactly one outcome', async () => {
      const ids = ['a', 'b', 'c']
      const writeOp = fc.oneof(
        fc.record({ type: fc.constant('set' as const), v: fc.integer({ min: 0, max: 9 }) }),
        fc.record({ type: fc.constant('update' as const), field: fc.constantFrom('x', 'y'), v: fc.integer({ min: 0, max: 9 }) }),
        fc.record({ type: fc.constant('increment' as const), v: fc.integer({ min: 1, max: 3 }) }),
        fc.record({ type: fc.constant('delete' as const) }),
      )
      const command = fc.oneof(
        fc.record({ kind: fc.constant('local' as const), device: fc.integer({ min: 0, max: 1 }), id: fc.constantFrom(...ids), op: writeOp }),
        fc.record({ kind: fc.constant('remote' as const), id: fc.constantFrom(...ids), op: writeOp }),
        fc.record({ kind: fc.constant('flip' as const), device: fc.integer({ min: 0, max: 1 }) }),
        fc.record({ kind: fc.constant('sync' as const), device: fc.integer({ min: 0, max: 1 }) }),
        fc.record({ kind: fc.constant('fault' as const), device: fc.integer({ min: 0, max: 1 }) }),
        // Device 0 switches between its two users (when online: signing in needs the server).
        fc.record({ kind: fc.constant('switch' as const) }),
      )
      const strategy = fc.constantFrom<ConflictStrategy>('server-wins', 'client-wins', 'merge', 'last-write-wins')
      const password = 'correct horse battery 1'
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 4, maxLength: 16 }), strategy, async (commands, conflict) => {
          const col = target.freshCollection()
          const devices = [await device({ [col]: { conflict } }), await device({ [col]: { conflict } })]
          // Disposed however the run ends: a failing run (and fast-check's shrinking after it) must not
          // leave engines and their realtime clients reconnecting, which would keep Jest from exiting.
          try {
            const online = [true, true]
            const tag = Math.random().toString(36).slice(2, 10)
            const users = [`x-${tag}@example.com`, `y-${tag}@example.com`]
            for (const email of users) {
              await devices[0]!.app.auth.signUp({ email, password })
              await devices[0]!.app.auth.signOut()
            }
            let signedIn = 0
            await devices[0]!.app.auth.signIn({ email: users[0]!, password })
            for (const d of devices) await d.app.sync.waitForSync()
            const accepted = [0, 0]
            const reported = devices.map(() => new Map<string, number>())
            devices.forEach((d, i) => d.app.sync.outcomes$.subscribe((o) => o.writes.forEach((w) => reported[i]!.set(w.writeId, (reported[i]!.get(w.writeId) ?? 0) + 1))))
            const apply = async (app: PortabaseClient, id: string, op: { type: string; v?: number; field?: string }): Promise<boolean> => {
              const ref = app.db.collection(col).doc(id)
              try {
                if (op.type === 'set') await ref.set({ x: op.v!, y: op.v! })
                else if (op.type === 'update') await ref.update({ [op.field!]: op.v! })
                // Where increment() is refused (asserted in the cases above), a plain update of x stands in.
                else if (op.type === 'increment') await ref.update({ x: app.adapter.capabilities.increment ? increment(op.v!) : op.v! + 10 })
                else await ref.delete()
                return true
              } catch (error) {
                if ((error as { code?: string }).code !== 'not-found') throw error
                return false
              }
            }
            for (const c of commands) {
              if (c.kind === 'local') {
                if (await apply(devices[c.device]!.app, c.id, c.op)) accepted[c.device]! += 1
              } else if (c.kind === 'remote') await apply(server, c.id, c.op)
              else if (c.kind === 'flip') {
                online[c.device] = !online[c.device]
                await (online[c.device] ? devices[c.device]!.goOnline() : devices[c.device]!.goOffline())
              } else if (c.kind === 'fault') devices[c.device]!.failNextWrites(1)
              else if (c.kind === 'switch') {
                if (!online[0]) continue
                signedIn = 1 - signedIn
                await devices[0]!.app.auth.signOut()
                await devices[0]!.app.auth.signIn({ email: users[signedIn]!, password })
              } else if (online[c.device]) await devices[c.device]!.app.sync.waitForSync()
            }
            for (const [i, d] of devices.entries()) if (!online[i]) await d.goOnline()
            // Each of device 0's users flushes their own queue, under their own session.
            for (const next of [1 - signedIn, signedIn]) {
              await devices[0]!.app.auth.signOut()
              await devices[0]!.app.auth.signIn({ email: users[next]!, password })
              await devices[0]!.app.sync.waitForSync()
            }
            for (let round = 0; round < 2; round++) for (const d of devices) await d.app.sync.waitForSync()
            for (const d of devices) await d.app.sync.pull()
            const truth = await serverDocs(col)
            for (const d of devices) expect(await localDocs(d.app, col)).toEqual(truth)
            for (const [i, d] of devices.entries()) {
              expect(await d.app.sync.queues()).toEqual([])
              const { applied, merged, overridden, rejected } = (await firstValueFrom(d.app.sync.status$)).outcomes
              expect({ outcomes: applied + merged + overridden + rejected, rejected }).toEqual({ outcomes: accepted[i], rejected: 0 })
              expect([...reported[i]!.values()].every((n) => n === 1)).toBe(true)
              expect(reported[i]!.size).toBe(merged + overridden)
            }
          } finally {
            for (const d of devices) await d.app.dispose().catch(() => undefined)
          }
        }),
        // A run that hangs fails after 30 s with its seed and path, instead of at the test's timeout.
        { numRuns: Number(process.env.OFFLINE_PROPERTY_RUNS ?? target.propertyRuns), timeout: 30_000, endOnFailure: true },
      )
    })
  })
}

/**
 * The Amplify adapter's watch() (adapters/amplify/realtime.ts) against the local Amplify test
 * backend: AppSync subscriptions over the simulator's WebSocket as triggers, the query re-run
 * through the documents service. Writes come from OTHER adapters (other devices, other users).
 * Expected results come from the memory reference (runQuery of src/query/evaluate.ts over the
 * documents this file wrote), never from the adapter.
 */
import { amplify, type AmplifyAdapter } from '../../adapters/amplify/index.js'
import { mapDataError } from '../../adapters/amplify/errors.js'
import type { AmplifyCollection } from '../../adapters/amplify/schema.js'
import { PortabaseError } from '../../src/errors.js'
import { runQuery } from '../../src/query/evaluate.js'
import { DOC_ID, type Filter, type Query } from '../../src/query/model.js'
import type { WriteOp } from '../../src/spi.js'
import type { DocumentData, QuerySnapshot } from '../../src/types.js'
import { startAmplifyBackend, type AmplifyTestBackend } from '../backends/amplify/server.js'
import { installAdapterTestShims } from '../backends/amplify/shims.js'
import { uniqueEmail, uniquePassword } from '../contract/helpers.js'

jest.setTimeout(60_000)

const COLLECTIONS: AmplifyCollection[] = [
  { name: 'feed', access: 'public', fields: { s: 'string', n: 'number' } },
  { name: 'burst', access: 'public', fields: { n: 'number' } },
  { name: 'notes', access: 'owner', fields: { title: 'string', n: 'number' } },
]

let backend: AmplifyTestBackend
let restoreWebSocket: (() => void) | undefined
const open: AmplifyAdapter[] = []
function adapter(): AmplifyAdapter {
  const created = amplify({ outputs: backend.outputs, userPoolEndpoint: backend.cognitoEndpoint, authFlowType: 'USER_PASSWORD_AUTH', collections: COLLECTIONS })
  open.push(created)
  return created
}

beforeAll(async () => {
  restoreWebSocket = installAdapterTestShims()
  backend = await startAmplifyBackend({ collections: COLLECTIONS })
})
afterAll(async () => {
  await Promise.all(open.map((a) => a.dispose()))
  restoreWebSocket?.()
  await backend?.stop()
})

const q = (filters: Filter[], extra: Partial<Query> = {}): Query => ({ filters, orderBy: [{ field: DOC_ID, direction: 'asc' }], ...extra })
const where = (field: string, op: '==' | '>=' | '<', value: unknown): Filter => ({ kind: 'field', field, op, value }) as Filter
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** What this file wrote, per collection (and per owner): the reference the results are compared with. */
class Reference {
  private readonly docs = new Map<string, DocumentData>()
  apply(op: WriteOp): void {
    if (op.type === 'delete') this.docs.delete(op.id)
    else if (op.type === 'update') this.docs.set(op.id, { ...this.docs.get(op.id), ...(op.data as DocumentData) })
    else this.docs.set(op.id, op.data as DocumentData)
  }
  result(query: Query): { id: string; data: DocumentData }[] {
    return runQuery([...this.docs].map(([id, data]) => ({ id, data })), query).map((d) => ({ id: d.id, data: d.data }))
  }
}

/** Writes through an adapter and records them in the reference. */
const writer = (a: AmplifyAdapter, ref: Reference) => async (...ops: WriteOp[]): Promise<void> => {
  await a.documents.write(ops, { atomic: false })
  ops.forEach((op) => ref.apply(op))
}

/** A watch and what it received. */
function watching(a: AmplifyAdapter, collection: string, query: Query) {
  const snapshots: QuerySnapshot[] = []
  let error: unknown
  let waiters: Array<() => void> = []
  const subscription = a.documents.watch(collection, query).subscribe({
    next: (s) => {
      snapshots.push(s)
      waiters.forEach((w) => w())
    },
    error: (e: unknown) => {
      error = e
      waiters.forEach((w) => w())
    },
  })
  /** Resolves with the first snapshot (from `from` on) that satisfies `accept`. */
  const until = async (accept: (s: QuerySnapshot) => boolean, from = 0, ms = 10_000): Promise<QuerySnapshot> => {
    const deadline = Date.now() + ms
    for (;;) {
      if (error) throw error
      const found = snapshots.slice(from).find(accept)
      if (found) return found
      if (Date.now() > deadline) throw new Error(`no matching snapshot within ${ms} ms (${snapshots.length} received; last: ${JSON.stringify(snapshots.at(-1)?.docs.map((d) => d.id))})`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200)
        waiters.push(() => (clearTimeout(timer), resolve()))
      })
      waiters = []
    }
  }
  return { snapshots, subscription, until, error: () => error }
}

const shape = (s: QuerySnapshot) => s.docs.map((d) => ({ id: d.id, data: d.data }))
const ids = (s: QuerySnapshot) => s.docs.map((d) => d.id)

/** Counts the documents service's queries (each watch re-run goes through query()). */
function countQueries(a: AmplifyAdapter): { count(): number } {
  const documents = a.documents as AmplifyAdapter['documents'] & { query: AmplifyAdapter['documents']['query'] }
  const original = documents.query.bind(documents)
  let n = 0
  documents.query = (...args) => {
    n++
    return original(...args)
  }
  return { count: () => n }
}

describe('amplify watch()', () => {
  it('first snapshot, then create / update / delete by another device arrive as added / modified / removed', async () => {
    const ref = new Reference()
    const other = adapter() // another device, signed out (API key)
    const write = writer(other, ref)
    await write(
      { type: 'create', collection: 'feed', id: 'f1', data: { s: 'one', n: 10 } },
      { type: 'create', collection: 'feed', id: 'f2', data: { s: 'two', n: 20 } },
      { type: 'create', collection: 'feed', id: 'f3', data: { s: 'low', n: 1 } },
    )
    const query = q([where('n', '>=', 10)])
    const w = watching(adapter(), 'feed', query)
    try {
      const first = await w.until(() => true)
      expect(shape(first)).toEqual(ref.result(query))
      expect(first.changes.map((c) => [c.type, c.doc.id, c.oldIndex, c.newIndex])).toEqual([
        ['added', 'f1', -1, 0],
        ['added', 'f2', -1, 1],
      ])
      expect(first.fromCache).toBe(false)

      let from = w.snapshots.length
      await write({ type: 'create', collection: 'feed', id: 'f0', data: { s: 'zero', n: 30 } })
      let s = await w.until((x) => ids(x).includes('f0'), from)
      expect(shape(s)).toEqual(ref.result(query))
      expect(s.changes.map((c) => [c.type, c.doc.id, c.newIndex])).toEqual([['added', 'f0', 0]])

      from = w.snapshots.length
      await write({ type: 'update', collection: 'feed', id: 'f2', data: { s: 'two!' } })
      s = await w.until((x) => x.docs.some((d) => d.id === 'f2' && d.data.s === 'two!'), from)
      expect(shape(s)).toEqual(ref.result(query))
      expect(s.changes.map((c) => [c.type, c.doc.id, c.oldIndex, c.newIndex])).toEqual([['modified', 'f2', 2, 2]])

      // Leaving the filter reads as removed, entering it as added.
      from = w.snapshots.length
      await write({ type: 'update', collection: 'feed', id: 'f1', data: { n: 5 } }, { type: 'update', collection: 'feed', id: 'f3', data: { n: 50 } })
      s = await w.until((x) => ids(x).includes('f3') && !ids(x).includes('f1'), from)
      expect(shape(s)).toEqual(ref.result(query))

      // A delete is a tombstone update here (onUpdate): removed.
      from = w.snapshots.length
      await write({ type: 'delete', collection: 'feed', id: 'f0' })
      s = await w.until((x) => !ids(x).includes('f0'), from)
      expect(shape(s)).toEqual(ref.result(query))
      expect(s.changes.map((c) => [c.type, c.doc.id, c.oldIndex])).toEqual([['removed', 'f0', 0]])
      // Every snapshot told a change (none emitted for an unchanged result).
      expect(w.snapshots.every((x) => x.changes.length > 0)).toBe(true)
    } finally {
      w.subscription.unsubscribe()
    }
  })

  it('a burst of writes is coalesced into a few re-queries; unsubscribe stops re-querying', async () => {
    const ref = new Reference()
    const write = writer(adapter(), ref)
    const watcher = adapter()
    const queries = countQueries(watcher)
    const query = q([])
    const w = watching(watcher, 'burst', query)
    await w.until(() => true)
    await sleep(300) // the three subscriptions' acknowledgements settle
    const before = queries.count()

    const BURST = 30
    await Promise.all(Array.from({ length: BURST }, (_, i) => write({ type: 'create', collection: 'burst', id: `b${String(i).padStart(2, '0')}`, data: { n: i } })))
    const last = await w.until((x) => x.docs.length === BURST)
    expect(shape(last)).toEqual(ref.result(query))
    await sleep(300)
    const requeries = queries.count() - before
    console.log(`amplify watch: ${BURST} concurrent creates → ${requeries} re-queries, ${w.snapshots.length - 1} snapshots after the first`)
    expect(requeries).toBeGreaterThanOrEqual(1)
    expect(requeries).toBeLessThanOrEqual(BURST / 3) // 30 events, at most 10 queries (measured: 4–5)

    // Unsubscribed: further writes cost nothing.
    w.subscription.unsubscribe()
    const stopped = queries.count()
    const received = w.snapshots.length
    await write({ type: 'update', collection: 'burst', id: 'b00', data: { n: 100 } }, { type: 'delete', collection: 'burst', id: 'b01' })
    await sleep(500)
    expect(queries.count()).toBe(stopped)
    expect(w.snapshots.length).toBe(received)
  })

  it("an owner collection's watcher sees its own documents (from its other device), never another user's", async () => {
    const email = uniqueEmail()
    const password = uniquePassword()
    const aliceWatcher = adapter()
    await aliceWatcher.auth.signUp({ email, password })
    const aliceOther = adapter() // alice's second device
    await aliceOther.auth.signIn({ email, password })
    const bob = adapter()
    await bob.auth.signUp({ email: uniqueEmail(), password: uniquePassword() })

    // Documents name their owner (uid), as the contract's owned collection does.
    const alice = aliceOther.auth.currentUser()!.uid
    const bobUid = bob.auth.currentUser()!.uid
    const aliceRef = new Reference()
    const bobRef = new Reference()
    const asAlice = writer(aliceOther, aliceRef)
    const asBob = writer(bob, bobRef)
    await asAlice({ type: 'create', collection: 'notes', id: 'a1', data: { title: 'alice 1', n: 1, owner: alice } })
    await asBob({ type: 'create', collection: 'notes', id: 'b1', data: { title: 'bob 1', n: 1, owner: bobUid } })

    const queries = countQueries(aliceWatcher)
    const query = q([])
    const w = watching(aliceWatcher, 'notes', query)
    try {
      const first = await w.until(() => true)
      expect(shape(first)).toEqual(aliceRef.result(query))
      await sleep(300)

      // Bob's writes: nothing for alice (the re-run query is filtered by the owner rule).
      const beforeBob = queries.count()
      const received = w.snapshots.length
      await asBob({ type: 'create', collection: 'notes', id: 'b2', data: { title: 'bob 2', owner: bobUid } }, { type: 'update', collection: 'notes', id: 'b1', data: { n: 2 } })
      await sleep(600)
      expect(w.snapshots.length).toBe(received)
      console.log(`amplify watch (owner): bob's 2 writes → ${queries.count() - beforeBob} re-queries of alice's watch`)

      // Alice's other device: added, modified, removed.
      let from = w.snapshots.length
      await asAlice({ type: 'create', collection: 'notes', id: 'a2', data: { title: 'alice 2', n: 2, owner: alice } })
      let s = await w.until((x) => ids(x).includes('a2'), from)
      expect(shape(s)).toEqual(aliceRef.result(query))
      expect(s.changes.map((c) => [c.type, c.doc.id])).toEqual([['added', 'a2']])
      from = w.snapshots.length
      await asAlice({ type: 'update', collection: 'notes', id: 'a1', data: { title: 'alice 1!' } })
      s = await w.until((x) => x.docs.some((d) => d.data.title === 'alice 1!'), from)
      expect(s.changes.map((c) => [c.type, c.doc.id])).toEqual([['modified', 'a1']])
      from = w.snapshots.length
      await asAlice({ type: 'delete', collection: 'notes', id: 'a2' })
      s = await w.until((x) => !ids(x).includes('a2'), from)
      expect(shape(s)).toEqual(aliceRef.result(query))
      expect(s.changes.map((c) => [c.type, c.doc.id])).toEqual([['removed', 'a2']])
      expect(w.snapshots.flatMap((x) => x.docs.map((d) => d.id)).some((id) => id.startsWith('b'))).toBe(false)
    } finally {
      w.subscription.unsubscribe()
    }
  })

  it('signing in re-subscribes as the user: a public watch keeps working; an owner watch signed out is refused (permission-denied)', async () => {
    const ref = new Reference()
    const write = writer(adapter(), ref)
    const watcher = adapter()
    const query = q([where('s', '==', 'auth')])
    const w = watching(watcher, 'feed', query)
    try {
      await w.until(() => true)
      await watcher.auth.signUp({ email: uniqueEmail(), password: uniquePassword() })
      await sleep(300)
      const from = w.snapshots.length
      await write({ type: 'create', collection: 'feed', id: 'auth1', data: { s: 'auth', n: 0 } })
      const s = await w.until((x) => ids(x).includes('auth1'), from)
      expect(shape(s)).toEqual(ref.result(query))
    } finally {
      w.subscription.unsubscribe()
    }

    const refusal = async (w: ReturnType<typeof watching>): Promise<PortabaseError> => {
      const error = await w.until(() => false, w.snapshots.length, 10_000).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(PortabaseError)
      return error as PortabaseError
    }
    // Signed out from the start.
    expect((await refusal(watching(adapter(), 'notes', q([])))).code).toBe('permission-denied')
    // Signed in, then out: the watch re-subscribes and is refused.
    const owner = adapter()
    await owner.auth.signUp({ email: uniqueEmail(), password: uniquePassword() })
    const live = watching(owner, 'notes', q([]))
    expect(shape(await live.until(() => true))).toEqual([])
    await owner.auth.signOut()
    expect((await refusal(live)).code).toBe('permission-denied')
  })

  it('a refused subscription, as aws-amplify 6.22 reports it (measured here), maps to permission-denied', () => {
    // What the observable of a subscription AppSync refused errors with (the simulator's wording;
    // the AppSync error is embedded in the message).
    const refused = {
      errors: [
        {
          message:
            'Connection failed: {"errors":[{"message":"Not Authorized to access onCreateNotes on type Subscription","errorType":"Unauthorized","data":{},"errorInfo":{},"path":["onCreateNotes"]}],"data":{"onCreateNotes":null}}',
        },
      ],
    }
    const mapped = mapDataError(refused, { what: 'watch notes' })
    expect([mapped.code, mapped.message]).toEqual(['permission-denied', '[permission-denied] Amplify: watch notes: not authorized'])
    expect(mapDataError({ errors: [{ message: 'Connection failed: not json' }] }).code).toBe('internal')
  })

  it('an unknown collection or an unsupported query fails on the observable', async () => {
    const a = adapter()
    const failure = (collection: string, query: Query): Promise<PortabaseError> =>
      new Promise((resolve) => a.documents.watch(collection, query).subscribe({ error: (e: PortabaseError) => resolve(e) }))
    expect((await failure('nowhere', q([]))).code).toBe('failed-precondition')
    expect((await failure('feed', { filters: [], orderBy: [{ field: 'n', direction: 'asc' }] })).code).toBe('unsupported')
  })
})

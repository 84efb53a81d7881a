/**
 * Firestore translation: with `firebase/firestore` mocked, checks exactly what the adapter asks of
 * the SDK for each query and write, and how snapshots and errors come back. (No Firestore emulator
 * can run here; test/live/firebase.test.ts runs the full contract suite where one can.)
 */
import { arrayRemove, arrayUnion, deleteField, increment, serverTimestamp } from '../../src/sentinels.js'
import { DOC_ID, type Query } from '../../src/query/model.js'
import type { Doc } from '../../src/types.js'

type Call = { $: string; args: unknown[] }

jest.mock('firebase/firestore', () => {
  class Timestamp {
    constructor(
      readonly seconds: number,
      readonly nanoseconds: number,
    ) {}
    toDate(): Date {
      return new Date(this.seconds * 1000 + Math.floor(this.nanoseconds / 1e6))
    }
  }
  const tag =
    ($: string) =>
    (...args: unknown[]) => ({ $, args })
  const state = {
    docs: [] as unknown[],
    count: 0,
    error: undefined as unknown,
    batches: [] as Call[][],
    tx: [] as Call[],
    existing: new Set<string>(),
    listeners: [] as ((snapshot: unknown) => void)[],
  }
  const fail = () => {
    if (state.error) throw state.error
  }
  return {
    __state: state,
    Timestamp,
    collection: tag('collection'),
    doc: (_db: unknown, col: string, id: string) => ({ $: 'doc', path: `${col}/${id}` }),
    documentId: () => '__name__',
    where: tag('where'),
    and: tag('and'),
    or: tag('or'),
    orderBy: tag('orderBy'),
    limit: tag('limit'),
    startAfter: tag('startAfter'),
    query: jest.fn((...args: unknown[]) => ({ $: 'query', args })),
    serverTimestamp: tag('serverTimestamp'),
    increment: tag('increment'),
    arrayUnion: tag('arrayUnion'),
    arrayRemove: tag('arrayRemove'),
    deleteField: tag('deleteField'),
    getDocs: jest.fn(async () => (fail(), { docs: state.docs, metadata: { fromCache: false, hasPendingWrites: false } })),
    getDoc: jest.fn(async () => (fail(), state.docs[0])),
    getCountFromServer: jest.fn(async () => (fail(), { data: () => ({ count: state.count }) })),
    writeBatch: () => {
      const ops: Call[] = []
      state.batches.push(ops)
      return {
        set: (...args: unknown[]) => ops.push({ $: 'set', args }),
        update: (...args: unknown[]) => ops.push({ $: 'update', args }),
        delete: (...args: unknown[]) => ops.push({ $: 'delete', args }),
        commit: async () => fail(),
      }
    },
    runTransaction: jest.fn(async (_db: unknown, fn: (tx: unknown) => Promise<void>) => {
      const tx = {
        get: async (ref: { path: string }) => ({ exists: () => state.existing.has(ref.path) }),
        set: (...args: unknown[]) => state.tx.push({ $: 'set', args }),
        update: (...args: unknown[]) => state.tx.push({ $: 'update', args }),
        delete: (...args: unknown[]) => state.tx.push({ $: 'delete', args }),
      }
      await fn(tx)
      fail()
    }),
    onSnapshot: jest.fn((_q: unknown, _o: unknown, next: (s: unknown) => void) => {
      state.listeners.push(next)
      return () => undefined
    }),
  }
})

// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdk = require('firebase/firestore') as {
  __state: { docs: unknown[]; count: number; error: unknown; batches: Call[][]; tx: Call[]; existing: Set<string>; listeners: ((s: unknown) => void)[] }
  Timestamp: new (s: number, n: number) => { toDate(): Date }
  query: jest.Mock
  getDocs: jest.Mock
  getCountFromServer: jest.Mock
  runTransaction: jest.Mock
  onSnapshot: jest.Mock
}
import { FirestoreDocuments } from '../../adapters/firebase/firestore.js'
import { planQuery } from '../../adapters/firebase/firestore-query.js'

const state = sdk.__state
const db = {} as ConstructorParameters<typeof FirestoreDocuments>[0]
const docs = new FirestoreDocuments(db)
const byId: Query['orderBy'] = [{ field: DOC_ID, direction: 'asc' }]

function snap(id: string, data: Record<string, unknown>, meta = { fromCache: false, hasPendingWrites: false }) {
  return { id, exists: () => true, data: () => ({ ...data }), metadata: meta }
}

/** The last query() the adapter built, as tagged calls. */
function lastQuery(): unknown[] {
  const calls = sdk.query.mock.calls
  return calls[calls.length - 1]!.slice(1)
}

beforeEach(() => {
  state.docs = []
  state.error = undefined
  state.batches = []
  state.tx = []
  state.existing = new Set()
  state.listeners = []
  jest.clearAllMocks()
})

describe('query translation', () => {
  it('sends == / in / array-contains natively with orderBy(documentId) and limit', async () => {
    await docs.query('todos', { filters: [{ kind: 'field', field: 'done', op: '==', value: false }], orderBy: byId, limit: 5 })
    expect(lastQuery()).toEqual([
      { $: 'where', args: ['done', '==', false] },
      { $: 'orderBy', args: ['__name__', 'asc'] },
      { $: 'limit', args: [5] },
    ])
  })

  it('maps or()/and() trees and array operators', async () => {
    await docs.query('t', {
      filters: [
        {
          kind: 'or',
          filters: [
            { kind: 'field', field: 'tags', op: 'array-contains', value: 'a' },
            { kind: 'and', filters: [{ kind: 'field', field: 'n', op: 'in', value: [1, 2] }, { kind: 'field', field: 'tags', op: 'array-contains-any', value: ['b'] }] },
          ],
        },
      ],
      orderBy: byId,
    })
    expect(lastQuery()).toEqual([
      {
        $: 'or',
        args: [
          { $: 'where', args: ['tags', 'array-contains', 'a'] },
          { $: 'and', args: [{ $: 'where', args: ['n', 'in', [1, 2]] }, { $: 'where', args: ['tags', 'array-contains-any', ['b']] }] },
        ],
      },
      { $: 'orderBy', args: ['__name__', 'asc'] },
    ])
  })

  it('a range on the leading orderBy field is native; the cursor is startAfter(values…, id)', async () => {
    await docs.query('t', {
      filters: [{ kind: 'field', field: 'n', op: '>', value: 3 }],
      orderBy: [{ field: 'n', direction: 'desc' }, ...byId],
      startAfter: { values: [7], id: 'k' },
      limit: 2,
    })
    expect(lastQuery()).toEqual([
      { $: 'where', args: ['n', '>', 3] },
      { $: 'orderBy', args: ['n', 'desc'] },
      { $: 'orderBy', args: ['__name__', 'asc'] },
      { $: 'startAfter', args: [7, 'k'] },
      { $: 'limit', args: [2] },
    ])
  })

  it.each<[string, Query]>([
    ["'!=' (Firestore drops missing fields)", { filters: [{ kind: 'field', field: 'n', op: '!=', value: 1 }], orderBy: byId }],
    ["'not-in'", { filters: [{ kind: 'field', field: 'n', op: 'not-in', value: [1] }], orderBy: byId }],
    ["'== null' (missing must match)", { filters: [{ kind: 'field', field: 'n', op: '==', value: null }], orderBy: byId }],
    ['orderBy on a field that may be missing or null', { filters: [], orderBy: [{ field: 'n', direction: 'asc' }, ...byId] }],
    ['a range not on the first orderBy field', { filters: [{ kind: 'field', field: 'n', op: '<', value: 3 }], orderBy: byId }],
    ['ranges on two fields', { filters: [{ kind: 'field', field: 'a', op: '<', value: 3 }, { kind: 'field', field: 'b', op: '>', value: 1 }], orderBy: [{ field: 'a', direction: 'asc' }, ...byId] }],
  ])('%s runs locally', (_label, q) => {
    expect(planQuery(q).mode).toBe('local')
  })

  it('a local plan sends only the non-null == filters, then filters, orders and limits with the evaluator', async () => {
    state.docs = [snap('a', { g: 1, n: null }), snap('b', { g: 1, n: 2 }), snap('c', { g: 1 }), snap('d', { g: 1, n: 1 })]
    const result = await docs.query('t', {
      filters: [
        { kind: 'field', field: 'g', op: '==', value: 1 },
        { kind: 'field', field: 'n', op: '!=', value: 1 },
      ],
      orderBy: [{ field: 'n', direction: 'asc' }, ...byId],
      limit: 2,
    })
    expect(lastQuery()).toEqual([{ $: 'where', args: ['g', '==', 1] }])
    // Missing and null match '!=' and sort last ascending.
    expect(result.map((d) => d.id)).toEqual(['b', 'a'])
  })

  it('count uses getCountFromServer natively and counts locally otherwise', async () => {
    state.count = 42
    expect(await docs.count('t', { filters: [{ kind: 'field', field: 'a', op: '==', value: 1 }], orderBy: byId, limit: 1 })).toBe(42)
    expect(sdk.getCountFromServer).toHaveBeenCalledTimes(1)
    // Limit and cursor are not sent to count.
    expect(lastQuery()).toEqual([{ $: 'where', args: ['a', '==', 1] }, { $: 'orderBy', args: ['__name__', 'asc'] }])
    state.docs = [snap('a', {}), snap('b', { n: 1 }), snap('c', { n: 2 })]
    expect(await docs.count('t', { filters: [{ kind: 'field', field: 'n', op: '!=', value: 1 }], orderBy: byId })).toBe(2)
    expect(sdk.getCountFromServer).toHaveBeenCalledTimes(1)
  })
})

describe('writes', () => {
  it('set/update/delete go in one writeBatch with sentinels mapped and _updatedAt added', async () => {
    await docs.write(
      [
        { type: 'set', collection: 't', id: 'a', data: { n: 1, at: serverTimestamp(), when: new Date(5) } },
        { type: 'update', collection: 't', id: 'b', data: { n: increment(2), tags: arrayUnion('x'), old: arrayRemove('y'), gone: deleteField() } },
        { type: 'delete', collection: 't', id: 'c' },
      ],
      { atomic: true },
    )
    expect(state.batches).toHaveLength(1)
    const stamp = { $: 'serverTimestamp', args: [] }
    expect(state.batches[0]).toEqual([
      { $: 'set', args: [{ $: 'doc', path: 't/a' }, { n: 1, at: stamp, when: new Date(5), _updatedAt: stamp }] },
      {
        $: 'update',
        args: [
          { $: 'doc', path: 't/b' },
          { n: { $: 'increment', args: [2] }, tags: { $: 'arrayUnion', args: ['x'] }, old: { $: 'arrayRemove', args: ['y'] }, gone: { $: 'deleteField', args: [] }, _updatedAt: stamp },
        ],
      },
      { $: 'delete', args: [{ $: 'doc', path: 't/c' }] },
    ])
    expect(sdk.runTransaction).not.toHaveBeenCalled()
  })

  it('create runs in a transaction that refuses an existing document with already-exists', async () => {
    await docs.write([{ type: 'create', collection: 't', id: 'new', data: { v: 1 } }], { atomic: true })
    expect(state.tx.map((c) => c.$)).toEqual(['set'])
    state.tx = []
    state.existing.add('t/old')
    await expect(docs.write([{ type: 'create', collection: 't', id: 'old', data: { v: 1 } }], { atomic: true })).rejects.toMatchObject({ code: 'already-exists', provider: 'firebase' })
    expect(state.tx).toEqual([])
  })

  it.each([
    ['not-found', 'not-found'],
    ['permission-denied', 'permission-denied'],
    ['aborted', 'conflict'],
    ['unavailable', 'unavailable'],
    ['failed-precondition', 'failed-precondition'],
    ['unimplemented', 'unsupported'],
  ])('Firestore error %s maps to %s', async (vendor, neutral) => {
    state.error = Object.assign(new Error(`Firebase: ${vendor}`), { code: vendor })
    await expect(docs.write([{ type: 'update', collection: 't', id: 'x', data: { v: 1 } }], { atomic: true })).rejects.toMatchObject({ code: neutral, provider: 'firebase' })
  })
})

describe('snapshots', () => {
  it('maps data, Timestamps, _updatedAt → meta.updateTime/version, and drops _updatedAt from data', async () => {
    const at = new sdk.Timestamp(100, 5_000_000)
    state.docs = [snap('a', { n: 1, when: new sdk.Timestamp(1, 0), nested: { t: new sdk.Timestamp(2, 0) }, _updatedAt: at })]
    const [doc] = await docs.query('t', { filters: [], orderBy: byId })
    expect(doc).toEqual<Doc>({
      id: 'a',
      data: { n: 1, when: new Date(1000), nested: { t: new Date(2000) } },
      meta: { updateTime: new Date(100_005), version: '100.005000000', fromCache: false, hasPendingWrites: false },
    })
  })

  it('watch: first snapshot adds everything, later ones carry changes with previous/new indices and metadata', () => {
    const seen: unknown[] = []
    const sub = docs.watch('t', { filters: [], orderBy: byId }).subscribe((s) => seen.push(s))
    expect(sdk.onSnapshot.mock.calls[0]![1]).toEqual({ includeMetadataChanges: true })
    const emit = (list: unknown[], meta = { fromCache: false, hasPendingWrites: false }) => state.listeners[0]!({ docs: list, metadata: meta })
    const t1 = new sdk.Timestamp(1, 0)
    emit([snap('a', { _updatedAt: t1 }), snap('b', { _updatedAt: t1 })], { fromCache: true, hasPendingWrites: false })
    emit([snap('b', { _updatedAt: t1 })])
    expect(seen).toEqual([
      expect.objectContaining({ fromCache: true, changes: [expect.objectContaining({ type: 'added', newIndex: 0 }), expect.objectContaining({ type: 'added', newIndex: 1 })] }),
      expect.objectContaining({ fromCache: false, changes: [expect.objectContaining({ type: 'removed', oldIndex: 0, newIndex: -1 })] }),
    ])
    // A snapshot with nothing new (same docs, same metadata) is not emitted.
    emit([snap('b', { _updatedAt: t1 })])
    expect(seen).toHaveLength(2)
    docs.close()
    expect(sub.closed).toBe(true)
  })

  it('watch errors arrive mapped', () => {
    const errors: unknown[] = []
    docs.watch('t', { filters: [], orderBy: byId }).subscribe({ error: (e: unknown) => errors.push(e) })
    const onError = sdk.onSnapshot.mock.calls[0]![3] as (e: unknown) => void
    onError(Object.assign(new Error('denied'), { code: 'permission-denied' }))
    expect(errors).toEqual([expect.objectContaining({ code: 'permission-denied', provider: 'firebase' })])
  })
})

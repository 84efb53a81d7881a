/**
 * Firestore translation: with `firebase/firestore` mocked, checks exactly what the adapter asks of
 * the SDK for each query and write, and how snapshots and errors come back. (No Firestore emulator
 * can run here; test/live/firebase.test.ts runs the full contract suite where one can.)
 */
import { arrayRemove, arrayUnion, deleteField, increment, serverTimestamp } from '../../src/sentinels.js'
import { DOC_ID, type FieldFilter, type Query } from '../../src/query/model.js'
import type { Doc } from '../../src/types.js'

import type { Call } from './recording-batch.js'

jest.mock('firebase/firestore', () => {
  const { recordingBatch } = jest.requireActual<typeof import('./recording-batch.js')>('./recording-batch')
  class Timestamp {
    constructor(
      readonly seconds: number,
      readonly nanoseconds: number,
    ) {}
    toDate(): Date {
      return new Date(this.seconds * 1000 + Math.floor(this.nanoseconds / 1e6))
    }
  }
  // The value classes the codec tells apart; no test here builds one.
  class GeoPoint {}
  class Bytes {}
  class DocumentReference {}
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
    GeoPoint,
    Bytes,
    DocumentReference,
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
    writeBatch: recordingBatch(() => state.batches, async () => fail()),
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

  const leaf = (field: string, op: FieldFilter['op'], value: FieldFilter['value']): FieldFilter => ({ kind: 'field', field, op, value })
  const ordered = (...fields: string[]): Query['orderBy'] => [...fields.map((field) => ({ field, direction: 'asc' as const })), ...byId]

  it.each<[string, Query]>([
    ["'!=' (ordered by its field, as the client sends it)", { filters: [leaf('n', '!=', 1)], orderBy: ordered('n') }],
    ["'not-in'", { filters: [leaf('n', 'not-in', [1])], orderBy: ordered('n') }],
    ["'== null' (explicit nulls: declared missingFields 'excluded')", { filters: [leaf('n', '==', null)], orderBy: byId }],
    ['orderBy on a field that may be missing or null (declared)', { filters: [], orderBy: ordered('n') }],
    ['ranges on two fields', { filters: [leaf('a', '<', 3), leaf('b', '>', 1)], orderBy: ordered('a', 'b') }],
    ["'!=' inside or()", { filters: [{ kind: 'or', filters: [leaf('a', '!=', 1), leaf('b', '==', 2)] }], orderBy: ordered('a') }],
  ])('%s runs natively', (_label, q) => {
    expect(planQuery(q).mode).toBe('native')
  })

  it.each<[string, Query, RegExp]>([
    ["two '!=' filters", { filters: [leaf('a', '!=', 1), leaf('b', '!=', 2)], orderBy: ordered('a', 'b') }, /more than one '!=' filter/],
    ["'not-in' with 'in'", { filters: [leaf('a', 'not-in', [1]), leaf('b', 'in', [2])], orderBy: ordered('a') }, /'not-in' combined with 'in'/],
    ["'not-in' with or()", { filters: [leaf('a', 'not-in', [1]), { kind: 'or', filters: [leaf('b', '==', 1), leaf('c', '==', 2)] }], orderBy: ordered('a') }, /'not-in' in a query with or\(\)/],
    ['two array-contains', { filters: [leaf('t', 'array-contains', 'x'), leaf('u', 'array-contains', 'y')], orderBy: byId }, /more than one 'array-contains' \/ 'array-contains-any' in one disjunction/],
    ['in × in over 30 disjunctions', { filters: [leaf('a', 'in', [1, 2, 3, 4, 5, 6]), leaf('b', 'in', [1, 2, 3, 4, 5, 6])], orderBy: byId }, /more than 30 disjunctions/],
    ['DOC_ID == with a range on a field', { filters: [leaf(DOC_ID, '==', 'k'), leaf('n', '>', 1)], orderBy: ordered('n') }, /equality on DOC_ID with an inequality on 'n'/],
    ['orderBy after orderBy(DOC_ID)', { filters: [], orderBy: [...byId, { field: 'n', direction: 'asc' }] }, /after orderBy\(DOC_ID\)/],
    ['an inequality field the ordering leaves out', { filters: [leaf('n', '>', 1)], orderBy: byId }, /inequality on 'n' that the ordering does not name/],
  ])('%s is refused with unsupported naming the cause, before any read', async (_label, q, cause) => {
    const error = await docs.query('t', q).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'unsupported', provider: 'firebase', details: { reason: expect.stringMatching(cause) } })
    expect((error as Error).message).toMatch(cause)
    expect((error as Error).message).toMatch(/allowClientPlan/)
    await expect(docs.count('t', q)).rejects.toMatchObject({ code: 'unsupported' })
    expect(sdk.getDocs).not.toHaveBeenCalled()
    expect(sdk.getCountFromServer).not.toHaveBeenCalled()
  })

  it('with allowClientPlan, sends the native part limited to maxReads + 1 and evaluates the rest with the declared semantics', async () => {
    state.docs = [snap('a', { g: 1, x: 1, y: 5 }), snap('b', { g: 1, x: 2, y: 1 }), snap('c', { g: 1, x: null, y: 3 }), snap('d', { g: 1, y: 4 }), snap('e', { g: 1, x: 3, y: null })]
    const q: Query = {
      filters: [leaf('g', '==', 1), leaf('x', '!=', 2), leaf('y', '!=', 4)],
      orderBy: ordered('x', 'y'),
      limit: 2,
      clientPlan: { maxReads: 10 },
    }
    const result = await docs.query('t', q)
    // The second '!=' cannot go to Firestore: the first one (and its implicit ordering) does.
    expect(lastQuery()).toEqual([
      { $: 'and', args: [{ $: 'where', args: ['g', '==', 1] }, { $: 'where', args: ['x', '!=', 2] }] },
      { $: 'orderBy', args: ['x', 'asc'] },
      { $: 'orderBy', args: ['__name__', 'asc'] },
      { $: 'limit', args: [11] },
    ])
    // Declared: '!=' skips null and missing (c, d, and e for y); ordered by x then y.
    expect(result.map((d) => d.id)).toEqual(['a'])
    expect(await docs.count('t', q)).toBe(1)
  })

  it('a client plan that meets more than maxReads documents fails with resource-exhausted', async () => {
    state.docs = [snap('a', { x: 1, y: 1 }), snap('b', { x: 2, y: 2 }), snap('c', { x: 3, y: 3 })]
    const q: Query = { filters: [leaf('x', '!=', 0), leaf('y', '!=', 0)], orderBy: ordered('x', 'y'), clientPlan: { maxReads: 2 } }
    await expect(docs.query('t', q)).rejects.toMatchObject({ code: 'resource-exhausted', provider: 'firebase', details: { maxReads: 2 } })
    await expect(docs.count('t', q)).rejects.toMatchObject({ code: 'resource-exhausted' })
    const errors: unknown[] = []
    docs.watch('t', q).subscribe({ error: (e: unknown) => errors.push(e) })
    expect(sdk.onSnapshot.mock.calls[0]![0]).toEqual(expect.objectContaining({ args: expect.arrayContaining([{ $: 'limit', args: [3] }]) }))
    state.listeners[0]!({ docs: state.docs, metadata: { fromCache: false, hasPendingWrites: false } })
    expect(errors).toEqual([expect.objectContaining({ code: 'resource-exhausted' })])
  })

  it('count uses getCountFromServer with the filters and the ordering, without limit or cursor', async () => {
    state.count = 42
    expect(await docs.count('t', { filters: [leaf('a', '>', 1)], orderBy: ordered('a'), limit: 1, startAfter: { values: [3], id: 'k' } })).toBe(42)
    expect(sdk.getCountFromServer).toHaveBeenCalledTimes(1)
    // The ordering stays: Firestore counts only documents holding every ordered field.
    expect(lastQuery()).toEqual([{ $: 'where', args: ['a', '>', 1] }, { $: 'orderBy', args: ['a', 'asc'] }, { $: 'orderBy', args: ['__name__', 'asc'] }])
    expect(sdk.getDocs).not.toHaveBeenCalled()
  })

  it('a missing composite index maps to failed-precondition with the console link in the message and details', async () => {
    const url = 'https://console.firebase.google.com/v1/r/project/demo/firestore/indexes?create_composite=ClBwcm9qZWN0cy9kZW1vL2RhdGFiYXNlcy8oZGVmYXVsdCkvY29sbGVjdGlvbkdyb3Vwcy90L2luZGV4ZXMvXxABGgUKAWcQARoFCgFuEAIaDAoIX19uYW1lX18QAQ'
    state.error = Object.assign(new Error(`The query requires an index. You can create it here: ${url}`), { code: 'failed-precondition' })
    const error = await docs.query('t', { filters: [leaf('g', '==', 1)], orderBy: [{ field: 'n', direction: 'desc' }, ...byId] }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'failed-precondition', provider: 'firebase', details: { indexUrl: url } })
    expect((error as Error).message).toContain(url)
    // Another failed-precondition keeps the plain mapping.
    state.error = Object.assign(new Error('Firebase: failed-precondition'), { code: 'failed-precondition' })
    await expect(docs.count('t', { filters: [], orderBy: byId })).rejects.toMatchObject({ code: 'failed-precondition', details: { vendorCode: 'failed-precondition' } })
  })
})

describe('writes', () => {
  it('set/update/delete go in one writeBatch with sentinels mapped and no metadata field (writeMetadata is off by default)', async () => {
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
      { $: 'set', args: [{ $: 'doc', path: 't/a' }, { n: 1, at: stamp, when: new Date(5) }] },
      {
        $: 'update',
        args: [
          { $: 'doc', path: 't/b' },
          { n: { $: 'increment', args: [2] }, tags: { $: 'arrayUnion', args: ['x'] }, old: { $: 'arrayRemove', args: ['y'] }, gone: { $: 'deleteField', args: [] } },
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
  /** A server document as the SDK hands it out: its update time in `_document.version` (firestore-codec.ts). */
  const stored = (id: string, data: Record<string, unknown>, updated: { toDate(): Date }) => ({ ...snap(id, data), _document: { version: { toTimestamp: () => updated } } })

  it('maps data and Timestamps; meta.updateTime/version are the snapshot’s update time; the `_portabase` field is left out', async () => {
    const at = new sdk.Timestamp(100, 5_000_000)
    state.docs = [stored('a', { n: 1, when: new sdk.Timestamp(1, 0), nested: { t: new sdk.Timestamp(2, 0) }, _portabase: { updatedAt: new sdk.Timestamp(50, 0) } }, at)]
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
    emit([stored('a', {}, t1), stored('b', {}, t1)], { fromCache: true, hasPendingWrites: false })
    emit([stored('b', {}, t1)])
    expect(seen).toEqual([
      expect.objectContaining({ fromCache: true, changes: [expect.objectContaining({ type: 'added', newIndex: 0 }), expect.objectContaining({ type: 'added', newIndex: 1 })] }),
      expect.objectContaining({ fromCache: false, changes: [expect.objectContaining({ type: 'removed', oldIndex: 0, newIndex: -1 })] }),
    ])
    // A snapshot with nothing new (same docs, same metadata) is not emitted.
    emit([stored('b', {}, t1)])
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

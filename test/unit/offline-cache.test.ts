/**
 * The offline cache's one-object-per-document layout (src/offline/cache.ts), on its own: server
 * states read from store rows, overlays for queued writes, Docs made on first read, and the ordered
 * indexes kept in step. What the engine does with it is covered by the offline suite.
 */
import fc from 'fast-check'
import { LocalCache, type LocalChange, type Prepared, type QueuedWrite } from '../../src/offline/cache.js'
import type { StoredValue } from '../../src/offline/store.js'
import type { Query } from '../../src/query/model.js'

const row = (key: string, data: Record<string, StoredValue> | null, v = '1'): [string, StoredValue] => [key, { d: data, v, w: null, t: 1_000 }]
const top: Query = { filters: [], orderBy: [{ field: 'n', direction: 'desc' }], limit: 3 }

function write(seq: number, id: string, n: number | null): QueuedWrite {
  const op = n === null ? { type: 'delete' as const, collection: 'c', id } : { type: 'update' as const, collection: 'c', id, data: { n } }
  return { seq, writeId: `w${seq}`, op, base: { data: null, version: null, writeId: null, updateTime: null }, createdAt: new Date(2_000) }
}

/** 1,200 documents (indexes start at 1,000), n = their number. */
function loaded(): LocalCache {
  const cache = new LocalCache()
  const docs = Array.from({ length: 1_200 }, (_, i) => row(`p/c/${String(i).padStart(4, '0')}`, { n: i }))
  cache.load([row('o/c/x', { n: 5_000 }), ...docs, row('p/c/zz', null)], [], 'p/')
  return cache
}

const ids = (cache: LocalCache): string[] => cache.query('c', top).map((d) => d.id)

describe('offline cache: one object per document', () => {
  it('loads one partition of prefixed rows; a stored state without data is held but not seen', () => {
    const cache = loaded()
    expect(cache.doc('c', 'x')).toBeUndefined() // another partition's row
    expect(cache.holds('c', 'zz')).toBe(true)
    expect(cache.doc('c', 'zz')).toBeUndefined()
    expect(cache.query('c', { filters: [], orderBy: [] })).toHaveLength(1_200)
    expect(cache.serverState('c', '0007')).toEqual({ data: { n: 7 }, version: '1', writeId: null, updateTime: new Date(1_000) })
  })

  it('reads document rows of schema 4 ({ d, m, w? }) and of schema 3 and before ({ d, v, w, t }) alike, and writes schema 4', () => {
    const cache = new LocalCache()
    const states = [
      { data: { n: 1 }, version: 'a,b', writeId: null, updateTime: new Date(5) },
      { data: { n: 2 }, version: '', writeId: 'w9', updateTime: null },
      { data: null, version: null, writeId: null, updateTime: new Date(0) },
      { data: { n: 4 }, version: null, writeId: 'w1', updateTime: null },
    ]
    const schema3 = states.map((s, i): [string, StoredValue] => [`c/old${i}`, { d: s.data, v: s.version, w: s.writeId, t: s.updateTime?.getTime() ?? null }])
    // What the cache writes for the same states (a settlement's changes to the docs table).
    const prepared = cache.prepareSettle({ states: new Map(states.map((s, i) => [`c/new${i}`, s])) })
    const schema4 = prepared.changes.map((c): [string, StoredValue] => [c.key, (c as { value: StoredValue }).value])
    expect(schema4.map(([, value]) => value)).toEqual([
      { d: { n: 1 }, m: '5,a,b' },
      { d: { n: 2 }, m: ',', w: 'w9' },
      { d: null, m: '0' },
      { d: { n: 4 }, m: '', w: 'w1' },
    ])
    const reopened = new LocalCache()
    reopened.load([...schema4, ...schema3].sort(([a], [b]) => a.localeCompare(b)), [])
    states.forEach((state, i) => {
      expect(reopened.serverState('c', `old${i}`)).toEqual(state)
      expect(reopened.serverState('c', `new${i}`)).toEqual(state)
    })
  })

  it('makes a frozen Doc on first read and hands out the same one after', () => {
    const cache = loaded()
    const doc = cache.doc('c', '0001')!
    expect(doc).toEqual({ id: '0001', data: { n: 1 }, meta: { updateTime: new Date(1_000), version: '1', fromCache: true, hasPendingWrites: false } })
    expect(Object.isFrozen(doc) && Object.isFrozen(doc.data) && Object.isFrozen(doc.meta)).toBe(true)
    expect(cache.doc('c', '0001')).toBe(doc)
    expect(cache.query('c', { filters: [], orderBy: [{ field: 'n', direction: 'asc' }], limit: 2 })[1]).toBe(doc)
  })

  it('overlays queued writes, then falls back to the server state; indexes follow every step', () => {
    const cache = loaded()
    const changes: LocalChange[][] = []
    cache.changes$.subscribe((c) => changes.push(c))
    ids(cache) // first use scans
    expect(ids(cache)).toEqual(['1199', '1198', '1197']) // second builds the index
    const queued = [write(1, '0003', 9_999), write(2, '1199', null)]
    cache.prepareQueue(queued).apply()
    expect(changes.at(-1)!.map((c) => [c.id, c.doc?.data.n])).toEqual([['0003', 9_999], ['1199', undefined]])
    expect(ids(cache)).toEqual(['0003', '1198', '1197'])
    expect(cache.doc('c', '0003')!.meta.hasPendingWrites).toBe(true)
    expect(cache.query('c', { ...top, limit: undefined })).toHaveLength(1_199)

    // The server took both writes: the states replace the overlays.
    const states = new Map([
      ['c/0003', { data: { n: 9_999 }, version: '2', writeId: 'w1', updateTime: new Date(3_000) }],
      ['c/1199', undefined],
    ])
    cache.prepareSettle({ removed: queued, states, rebase: true }).apply()
    expect(cache.pendingCount).toBe(0)
    expect(ids(cache)).toEqual(['0003', '1198', '1197'])
    expect(cache.doc('c', '0003')!.meta).toMatchObject({ version: '2', hasPendingWrites: false })
    expect(cache.holds('c', '1199')).toBe(false)
    const scan = cache.query('c', { ...top, limit: undefined }).slice(0, 3).map((d) => d.id)
    expect(scan).toEqual(ids(cache))
  })

  it('emits nothing for a state equal to what the view shows, and clear() removes every document', () => {
    const cache = loaded()
    const changes: LocalChange[][] = []
    cache.changes$.subscribe((c) => changes.push(c))
    cache.prepareSettle({ states: new Map([['c/0001', { data: { n: 1 }, version: '1', writeId: null, updateTime: new Date(1_000) }]]) }).apply()
    expect(changes).toEqual([])
    cache.clear()
    expect(changes[0]).toHaveLength(1_200) // the seen documents (the state without data was never seen)
    expect(cache.isEmpty).toBe(true)
    expect(cache.query('c', top)).toEqual([])
  })
})

describe('offline cache: the local view size is kept, not counted; what it stores reloads the same', () => {
  const id = fc.constantFrom('a', 'b', 'c', 'd')
  const data = fc.option(fc.record({ n: fc.integer({ min: 0, max: 9 }) }), { nil: null })
  type Step =
    | { kind: 'queue'; id: string; type: 'set' | 'update' | 'delete'; n: number; staleBase: boolean }
    | { kind: 'state'; id: string; data: Record<string, StoredValue> | null | undefined; version: string | null; time: number | null }
    | { kind: 'settle'; rebase: boolean }
    | { kind: 'replace'; n: number }
    | { kind: 'clear' }
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({
      kind: fc.constant('queue' as const),
      id,
      type: fc.constantFrom('set' as const, 'update' as const, 'delete' as const),
      n: fc.integer({ min: 0, max: 9 }),
      staleBase: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('replace' as const), n: fc.integer({ min: 0, max: 9 }) }),
    fc.record({
      kind: fc.constant('state' as const),
      id,
      data: fc.option(data, { nil: undefined }),
      // Versions are any string (a row keeps version and time as one string: commas, empty ones too).
      version: fc.option(fc.constantFrom('v1', 'a,b', '', ',', '7'), { nil: null }),
      time: fc.option(fc.integer({ min: -5, max: 5_000 }), { nil: null }),
    }),
    fc.record({ kind: fc.constant('settle' as const), rebase: fc.boolean() }),
    fc.constant({ kind: 'clear' as const }),
  )

  it('after loads, queued writes, settlements and clear(): size = a full scan, and the stored rows reload to the same queue and view', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(id, data), { selector: ([key]) => key }), fc.array(step, { maxLength: 30 }), (rows, steps) => {
        const cache = new LocalCache()
        // What a store would hold: every prepared change applied. Loaded into a new cache, it must give
        // the same queue (each write with its base: stored in full, or as its document's row) and view.
        const stored = new Map<string, StoredValue>(rows.map(([key, d]) => [`docs/c/${key}`, row(`c/${key}`, d)[1]]))
        const commit = (prepared: Prepared): void => {
          for (const change of prepared.changes) {
            if ('delete' in change && change.delete) stored.delete(`${change.table}/${change.key}`)
            else stored.set(`${change.table}/${change.key}`, (change as { value: StoredValue }).value)
          }
          prepared.apply()
        }
        const tableRows = (table: string): Array<[string, StoredValue]> =>
          [...stored].filter(([key]) => key.startsWith(`${table}/`)).map(([key, value]): [string, StoredValue] => [key.slice(table.length + 1), value]).sort(([a], [b]) => a.localeCompare(b))
        const sameAsStored = (): void => {
          const reopened = new LocalCache()
          reopened.load(tableRows('docs'), tableRows('outbox'))
          expect(reopened.outbox()).toEqual(cache.outbox())
          const byId: Query = { filters: [], orderBy: [{ field: '__id__', direction: 'asc' }] }
          expect(reopened.query('c', byId)).toEqual(cache.query('c', byId))
        }
        // The scan (every document of the local view) agrees with reading each id, and with the kept size.
        const scanned = (): number => {
          const scan = cache.query('c', { filters: [], orderBy: [] })
          const read = ['a', 'b', 'c', 'd'].map((key) => cache.doc('c', key)).filter((doc) => doc !== undefined)
          expect(new Map(scan.map((doc) => [doc.id, doc]))).toEqual(new Map(read.map((doc) => [doc.id, doc])))
          return scan.length
        }
        cache.load(rows.map(([key, d]) => row(`c/${key}`, d)).sort(([a], [b]) => a.localeCompare(b)), [])
        expect(cache.size('c')).toBe(scanned())
        for (const s of steps) {
          if (s.kind === 'queue') {
            const seq = cache.nextSeq()
            const op = s.type === 'delete' ? { type: 'delete' as const, collection: 'c', id: s.id } : { type: s.type, collection: 'c', id: s.id, data: { n: s.n } }
            // A base other than the document's row (a caller's older state) is stored in full.
            const base = s.staleBase ? { data: { n: -1 }, version: 'old', writeId: null, updateTime: new Date(500) } : cache.serverState('c', s.id)
            commit(cache.prepareQueue([{ seq, writeId: `w${seq}`, op, base, createdAt: new Date(2_000) }]))
          } else if (s.kind === 'replace') {
            // A conflict decision rewrites the oldest write in place, its base kept (the row may have changed since).
            const oldest = cache.outbox()[0]
            const op = { type: 'set' as const, collection: 'c', id: oldest?.op.id ?? 'a', data: { n: s.n } }
            if (oldest !== undefined) commit(cache.prepareSettle({ replaced: [{ ...oldest, op }] }))
          } else if (s.kind === 'state') {
            const state = s.data === undefined ? undefined : { data: s.data, version: s.version, writeId: null, updateTime: s.time === null ? null : new Date(s.time) }
            commit(cache.prepareSettle({ states: new Map([[`c/${s.id}`, state]]) }))
          } else if (s.kind === 'settle') {
            // The oldest write reached the server: its document's new state, remaining writes rebased or not.
            const oldest = cache.outbox()[0]
            const key = oldest && `c/${oldest.op.id}`
            const state = oldest && { data: { n: 100 + oldest.seq }, version: `s${oldest.seq}`, writeId: oldest.writeId, updateTime: new Date(3_000) }
            if (oldest !== undefined) commit(cache.prepareSettle({ removed: [oldest], states: new Map([[key!, state]]), rebase: s.rebase }))
          } else {
            cache.clear() // the engine drops the partition's rows with it
            stored.clear()
          }
          expect(cache.size('c')).toBe(scanned())
          sameAsStored()
        }
        // Loaded again from what a store would hold: the same size.
        const reloaded = new LocalCache()
        const states = ['a', 'b', 'c', 'd'].filter((key) => cache.holds('c', key)).map((key) => row(`c/${key}`, cache.serverState('c', key).data as Record<string, StoredValue> | null))
        reloaded.load(states, cache.prepareQueue(cache.outbox()).changes.map((c) => [c.key, (c as { value: StoredValue }).value]))
        expect(reloaded.size('c')).toBe(reloaded.query('c', { filters: [], orderBy: [] }).length)
      }),
    )
  })
})

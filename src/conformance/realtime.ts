import type { Observable } from 'rxjs'
import { deleteField, type CollectionRef, type DocumentData, type QueryRef, type QuerySnapshot } from '../index.js'
import { changeProblems, declaredIds, idsOf, orderByOf, seed } from './data.js'
import type { SuiteEnv } from './env.js'
import { expectStreamError, QUIET_MS, sleep, type Recorder } from './helpers.js'
import { declaresOrdering } from './target.js'
import { describe, expect, it } from './runner.js'

const key = (s: QuerySnapshot): string => idsOf(s.docs).join(',')

/** Every recorded snapshot's changes checked against the one before it (the first against []). */
function allChangeProblems(recorder: Recorder<QuerySnapshot>): string[] {
  return recorder.values.flatMap((snapshot, i) => changeProblems(i === 0 ? [] : recorder.values[i - 1]!.docs, snapshot).map((p) => `snapshot ${i}: ${p}`))
}

export function realtimeTests(env: SuiteEnv): void {
  async function seeded(docs: Record<string, DocumentData>): Promise<CollectionRef> {
    const app = await env.client()
    const col = app.db.collection(env.target.freshCollection())
    await seed(col, docs)
    return col
  }

  /** Without the `realtime` capability, asserts the watch fails with `unsupported` and returns true. */
  async function refused(source: Observable<unknown>): Promise<boolean> {
    if (env.caps.realtime) return false
    await expectStreamError(source, 'unsupported', 'watch()')
    return true
  }

  /**
   * With `fieldOrdering: 'declared'`, when the fresh collections do not declare its ordering, asserts that a watch
   * of `query`, ordered by a field, fails with `unsupported`; true then, so the test stops there.
   */
  async function undeclared(query: QueryRef): Promise<boolean> {
    if (env.caps.fieldOrdering === 'any' || declaresOrdering(env.target.orderings, orderByOf(query))) return false
    await expectStreamError(query.watch(), 'unsupported', 'a watch with an orderBy() the collection does not declare')
    return true
  }

  describe('realtime: documents', () => {
    it('doc watch emits null, then the doc, its updates, and null after delete', async () => {
      const col = await seeded({})
      const ref = col.doc('w')
      if (await refused(ref.watch())) return
      const docs = env.record(ref.watch())
      expect(await docs.waitFor(() => true, 'the first emission')).toBeNull()
      await ref.set({ v: 1 })
      const created = await docs.waitFor((d) => d?.data.v === 1, 'the created doc')
      expect(created?.id).toBe('w')
      await ref.update({ v: 2 })
      await docs.waitFor((d) => d?.data.v === 2, 'the updated doc')
      await ref.delete()
      await docs.waitFor((d) => d === null, 'null after delete')
    })

    it('doc watch of an existing doc emits it first, with meta', async () => {
      const col = await seeded({ w: { s: 'there' } })
      const ref = col.doc('w')
      if (await refused(ref.watch())) return
      const docs = env.record(ref.watch())
      const first = await docs.waitFor(() => true, 'the first emission')
      expect(first?.data).toEqual({ s: 'there' })
      expect(first?.meta.version).toBe((await ref.get())?.meta.version)
    })

    it('doc watch sees writes made by another client', async () => {
      const col = await seeded({})
      if (await refused(col.doc('w').watch())) return
      const docs = env.record(col.doc('w').watch())
      await docs.waitFor((d) => d === null, 'the initial null')
      const other = await env.client()
      await other.db.collection(col.collection).doc('w').set({ by: 'other device' })
      await docs.waitFor((d) => d?.data.by === 'other device', "the other device's write")
    })

    it('doc watch only reports the watched document', async () => {
      const col = await seeded({ w: { v: 0 } })
      if (await refused(col.doc('w').watch())) return
      const docs = env.record(col.doc('w').watch())
      await docs.waitFor((d) => d?.data.v === 0, 'the initial doc')
      await col.doc('other').set({ v: -1 })
      await col.doc('w').update({ v: 1 })
      await docs.waitFor((d) => d?.data.v === 1, 'the update of the watched doc')
      expect(docs.values.every((d) => d === null || d.id === 'w')).toBe(true)
    })
  })

  describe('realtime: queries', () => {
    it('the first snapshot equals get() and lists every doc as added', async () => {
      const col = await seeded({ a: { n: 2 }, b: { n: 1 }, c: { n: 3 } })
      const query = col.orderBy('n')
      if ((await refused(query.watch())) || (await undeclared(query))) return
      const snaps = env.record(query.watch())
      const first = await snaps.waitFor(() => true, 'the first snapshot')
      expect(idsOf(first.docs)).toEqual(idsOf((await query.get()).docs))
      expect(first.changes.map((c) => [c.type, c.doc.id, c.oldIndex, c.newIndex])).toEqual([
        ['added', 'b', -1, 0],
        ['added', 'a', -1, 1],
        ['added', 'c', -1, 2],
      ])
      expect(typeof first.fromCache).toBe('boolean')
      expect(typeof first.hasPendingWrites).toBe('boolean')
    })

    it('an empty result gives an empty first snapshot', async () => {
      const col = await seeded({})
      if (await refused(col.watch())) return
      const first = await env.record(col.watch()).waitFor(() => true, 'the first snapshot')
      expect(first.docs).toEqual([])
      expect(first.changes).toEqual([])
    })

    it('a new doc arrives as an added change at its sorted position', async () => {
      const col = await seeded({ a: { n: 1 }, c: { n: 3 } })
      const query = col.orderBy('n')
      if ((await refused(query.watch())) || (await undeclared(query))) return
      const snaps = env.record(query.watch())
      await snaps.waitFor((s) => key(s) === 'a,c', 'the initial a,c')
      await col.doc('b').set({ n: 2 })
      const snap = await snaps.waitFor((s) => key(s) === 'a,b,c', 'a,b,c after adding b')
      expect(snap.changes).toContainEqual(expect.objectContaining({ type: 'added', oldIndex: -1, newIndex: 1, doc: expect.objectContaining({ id: 'b' }) }))
    })

    it('an update arrives as a modified change with the new data', async () => {
      const col = await seeded({ a: { n: 1, label: 'old' }, b: { n: 2 } })
      const query = col.orderBy('n')
      if ((await refused(query.watch())) || (await undeclared(query))) return
      const snaps = env.record(query.watch())
      await snaps.waitFor((s) => s.docs.length === 2, 'the initial two docs')
      await col.doc('a').update({ label: 'new' })
      const snap = await snaps.waitFor((s) => s.docs[0]?.data.label === 'new', 'the modified label')
      const change = snap.changes.find((c) => c.doc.id === 'a')
      expect(change).toMatchObject({ type: 'modified', oldIndex: 0, newIndex: 0 })
      expect(change?.doc.data).toEqual({ n: 1, label: 'new' })
    })

    it('an update that reorders moves the doc (modified with old and new index)', async () => {
      const col = await seeded({ a1: { n: 1 }, a2: { n: 2 }, a3: { n: 3 } })
      const query = col.orderBy('n')
      if ((await refused(query.watch())) || (await undeclared(query))) return
      const snaps = env.record(query.watch())
      await snaps.waitFor((s) => key(s) === 'a1,a2,a3', 'the initial order')
      await col.doc('a1').update({ n: 5 })
      const snap = await snaps.waitFor((s) => key(s) === 'a2,a3,a1', 'a1 moved to the end')
      expect(snap.changes).toContainEqual(expect.objectContaining({ type: 'modified', oldIndex: 0, newIndex: 2, doc: expect.objectContaining({ id: 'a1' }) }))
    })

    it('a delete arrives as a removed change with its old index', async () => {
      const col = await seeded({ a: { n: 1 }, b: { n: 2 }, c: { n: 3 } })
      const query = col.orderBy('n')
      if ((await refused(query.watch())) || (await undeclared(query))) return
      const snaps = env.record(query.watch())
      await snaps.waitFor((s) => key(s) === 'a,b,c', 'the initial a,b,c')
      await col.doc('b').delete()
      const snap = await snaps.waitFor((s) => key(s) === 'a,c', 'a,c after deleting b')
      expect(snap.changes).toContainEqual(expect.objectContaining({ type: 'removed', oldIndex: 1, newIndex: -1, doc: expect.objectContaining({ id: 'b' }) }))
    })

    it('null and missing values keep their declared place as they change (nullOrder, missingFields)', async () => {
      const docs: Record<string, DocumentData> = { a: { n: 1 }, b: { n: null }, c: {}, d: { n: 3 } }
      const col = await seeded(docs)
      const query = col.orderBy('n')
      if ((await refused(query.watch())) || (await undeclared(query))) return
      // Each state's expected ids from the fixtures under the declared semantics (reference answers written out).
      const expected = (state: Record<string, DocumentData>, reference: string[]): string => declaredIds(env.caps, state, query, reference).join(',')
      const snaps = env.record(query.watch())
      await snaps.waitFor((s) => key(s) === expected(docs, ['a', 'd', 'b', 'c']), 'the initial order')
      await col.doc('d').update({ n: deleteField() })
      const dropped = { ...docs, d: {} }
      await snaps.waitFor((s) => key(s) === expected(dropped, ['a', 'b', 'c', 'd']), 'd without its field')
      await col.doc('c').set({ n: 0 })
      await snaps.waitFor((s) => key(s) === expected({ ...dropped, c: { n: 0 } }, ['c', 'a', 'b', 'd']), 'c with a value')
      expect(allChangeProblems(snaps)).toEqual([])
    })

    it('docs leave and re-enter a filtered query as removed and added', async () => {
      const col = await seeded({ a: { active: true }, b: { active: true }, c: { active: false } })
      const query = col.where('active', '==', true)
      if (await refused(query.watch())) return
      const snaps = env.record(query.watch())
      await snaps.waitFor((s) => key(s) === 'a,b', 'the initial a,b')
      await col.doc('a').update({ active: false })
      const left = await snaps.waitFor((s) => key(s) === 'b', 'a leaving the filter')
      expect(left.changes).toContainEqual(expect.objectContaining({ type: 'removed', doc: expect.objectContaining({ id: 'a' }) }))
      await col.doc('c').update({ active: true })
      const entered = await snaps.waitFor((s) => key(s) === 'b,c', 'c entering the filter')
      expect(entered.changes).toContainEqual(expect.objectContaining({ type: 'added', newIndex: 1, doc: expect.objectContaining({ id: 'c' }) }))
      await col.doc('a').update({ active: true })
      await snaps.waitFor((s) => key(s) === 'a,b,c', 'a re-entering the filter')
    })

    it('a limit window refills from outside when a member is deleted', async () => {
      const col = await seeded({ k1: { n: 1 }, k2: { n: 2 }, k3: { n: 3 }, k4: { n: 4 }, k5: { n: 5 } })
      const query = col.orderBy('n').limit(3)
      if ((await refused(query.watch())) || (await undeclared(query))) return
      const snaps = env.record(query.watch())
      await snaps.waitFor((s) => key(s) === 'k1,k2,k3', 'the initial window')
      await col.doc('k2').delete()
      const snap = await snaps.waitFor((s) => key(s) === 'k1,k3,k4', 'k4 moving into the window')
      expect(snap.changes).toContainEqual(expect.objectContaining({ type: 'added', doc: expect.objectContaining({ id: 'k4' }) }))
    })

    it('a limit window refills when a member is updated to sort past its end', async () => {
      const col = await seeded({ k1: { n: 1 }, k2: { n: 2 }, k3: { n: 3 }, k4: { n: 4 }, k5: { n: 5 } })
      const query = col.orderBy('n').limit(3)
      if ((await refused(query.watch())) || (await undeclared(query))) return
      const snaps = env.record(query.watch())
      await snaps.waitFor((s) => key(s) === 'k1,k2,k3', 'the initial window')
      await col.doc('k1').update({ n: 10 })
      await snaps.waitFor((s) => key(s) === 'k2,k3,k4', 'k1 leaving the window and k4 entering')
      expect(allChangeProblems(snaps)).toEqual([])
    })

    it('a limit window refills when a member leaves the filter', async () => {
      const col = await seeded({ k1: { n: 1, on: true }, k2: { n: 2, on: true }, k3: { n: 3, on: true }, k4: { n: 4, on: true } })
      const query = col.where('on', '==', true).orderBy('n').limit(2)
      if ((await refused(query.watch())) || (await undeclared(query))) return
      const snaps = env.record(query.watch())
      await snaps.waitFor((s) => key(s) === 'k1,k2', 'the initial window')
      await col.doc('k1').update({ on: false })
      await snaps.waitFor((s) => key(s) === 'k2,k3', 'k3 moving into the window')
    })

    it('a new doc sorting into a full window pushes the last member out', async () => {
      const col = await seeded({ k1: { n: 1 }, k2: { n: 2 }, k3: { n: 3 }, k4: { n: 4 } })
      const query = col.orderBy('n').limit(3)
      if ((await refused(query.watch())) || (await undeclared(query))) return
      const snaps = env.record(query.watch())
      await snaps.waitFor((s) => key(s) === 'k1,k2,k3', 'the initial window')
      await col.doc('k0').set({ n: 0 })
      const snap = await snaps.waitFor((s) => key(s) === 'k0,k1,k2', 'k0 in, k3 out')
      expect(snap.changes).toContainEqual(expect.objectContaining({ type: 'added', newIndex: 0, doc: expect.objectContaining({ id: 'k0' }) }))
      expect(snap.changes).toContainEqual(expect.objectContaining({ type: 'removed', doc: expect.objectContaining({ id: 'k3' }) }))
      await col.doc('k9').set({ n: 9 })
      await col.doc('k1').update({ touched: true })
      await snaps.waitFor((s) => s.docs[1]?.data.touched === true, 'the later update to k1')
      expect(snaps.latest && key(snaps.latest)).toBe('k0,k1,k2')
    })

    it('every snapshot’s changes match the previous and the new result across a series of writes', async () => {
      const col = await seeded({ a: { n: 1 }, b: { n: 2 }, c: { n: 3 }, d: { n: 4 } })
      const query = col.where('n', '<', 10).orderBy('n', 'desc').limit(3)
      if ((await refused(query.watch())) || (await undeclared(query))) return
      const snaps = env.record(query.watch())
      await snaps.waitFor((s) => key(s) === 'd,c,b', 'the initial window')
      await col.doc('e').set({ n: 2.5 })
      await col.doc('c').delete()
      await col.doc('a').update({ n: 9 })
      await col.doc('d').update({ n: 20 })
      await col.doc('f').set({ n: 0 })
      await col.doc('b').update({ n: 2.7 })
      await snaps.waitFor((s) => key(s) === 'a,b,e', 'the final window a,b,e')
      expect(allChangeProblems(snaps)).toEqual([])
    })

    it('a batch write gives snapshots whose changes match the previous and the new result', async () => {
      const col = await seeded({ a: { n: 1 }, b: { n: 2 }, c: { n: 3 } })
      const query = col.orderBy('n')
      if ((await refused(query.watch())) || (await undeclared(query))) return
      const snaps = env.record(query.watch())
      await snaps.waitFor((s) => key(s) === 'a,b,c', 'the initial result')
      const app = await env.client()
      const same = app.db.collection(col.collection)
      await app.db.batch((b) => {
        b.delete(same.doc('a'))
        b.delete(same.doc('b'))
        b.set(same.doc('d'), { n: 0 })
      })
      await snaps.waitFor((s) => key(s) === 'd,c', 'd,c after the batch')
      expect(allChangeProblems(snaps)).toEqual([])
    })

    it('a query watch sees writes from another client', async () => {
      const col = await seeded({ a: { n: 1 } })
      if (await refused(col.watch())) return
      const snaps = env.record(col.watch())
      await snaps.waitFor((s) => key(s) === 'a', 'the initial a')
      const other = await env.client()
      await other.db.collection(col.collection).doc('b').set({ n: 2 })
      await snaps.waitFor((s) => key(s) === 'a,b', "the other device's doc")
    })

    it('two identical watchers both get every result', async () => {
      const col = await seeded({ a: { n: 1 } })
      const query = col.where('n', '>', 0).orderBy('n')
      if ((await refused(query.watch())) || (await undeclared(query))) return
      const first = env.record(query.watch())
      const second = env.record(query.watch())
      await first.waitFor((s) => key(s) === 'a', 'watcher 1: initial a')
      await second.waitFor((s) => key(s) === 'a', 'watcher 2: initial a')
      await col.doc('b').set({ n: 2 })
      await first.waitFor((s) => key(s) === 'a,b', 'watcher 1: a,b')
      await second.waitFor((s) => key(s) === 'a,b', 'watcher 2: a,b')
      first.stop()
      await col.doc('c').set({ n: 3 })
      await second.waitFor((s) => key(s) === 'a,b,c', 'watcher 2 still live after watcher 1 stopped')
    })

    it('a watcher subscribing later gets the current result first', async () => {
      const col = await seeded({ a: { n: 1 } })
      if (await refused(col.watch())) return
      const early = env.record(col.watch())
      await early.waitFor((s) => key(s) === 'a', 'the initial a')
      await col.doc('b').set({ n: 2 })
      await early.waitFor((s) => key(s) === 'a,b', 'a,b')
      const late = env.record(col.watch())
      const first = await late.waitFor(() => true, 'the late first snapshot')
      expect(key(first)).toBe('a,b')
      expect(first.changes.every((c) => c.type === 'added')).toBe(true)
    })

    it('unsubscribing stops emissions', async () => {
      const col = await seeded({ a: { n: 1 } })
      if (await refused(col.watch())) return
      const stopped = env.record(col.watch())
      await stopped.waitFor((s) => key(s) === 'a', 'the initial a')
      stopped.stop()
      const seen = stopped.values.length
      // A second watcher proves the write was delivered before we check the first stayed silent.
      const witness = env.record(col.watch())
      await witness.waitFor((s) => key(s) === 'a', 'witness: initial a')
      await col.doc('b').set({ n: 2 })
      await witness.waitFor((s) => key(s) === 'a,b', 'witness: a,b')
      await sleep(QUIET_MS)
      expect(stopped.values.length).toBe(seen)
      expect(stopped.completed).toBe(false)
    })
  })
}

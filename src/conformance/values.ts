/**
 * Neutral value types (GeoPoint, Reference, Bytes) through the adapter, as `capabilities.valueTypes`
 * declares them: every type the adapter stores round-trips as itself at the top level and nested in
 * maps and arrays (through get, queries, another device and realtime); `queryable` ones match `==`,
 * `!=`, `in`, `not-in`, `array-contains(-any)` by content and order within their type and in the
 * type order; what the adapter does not declare is refused with `unsupported` (writes of a `none`
 * type, queries comparing with a `stored` one) and nothing is stored. Expected values are the values
 * written, and the reference evaluator's answers for the declared semantics (data.ts).
 */
import { arrayRemove, arrayUnion, Bytes, GeoPoint, Reference, VALUE_TYPES, type DocumentData, type QueryRef, type Value, type ValueTypeName } from '../index.js'
import { valuesEqual } from '../query/compare.js'
import { declaredIds, expectedIds, idsOf, seed, sorted, specOf } from './data.js'
import type { SuiteEnv } from './env.js'
import { expectError } from './helpers.js'
import { describe, expect, it } from './runner.js'

const bytes = (...b: number[]): Bytes => Bytes.fromUint8Array(new Uint8Array(b))

/** Three values of each type, ascending in the type's own order. */
const SAMPLES: Record<ValueTypeName, readonly [Value, Value, Value]> = {
  geoPoint: [new GeoPoint(-33.8688, 151.2093), new GeoPoint(0, -0.1278), new GeoPoint(48.8584, 2.2945)],
  // One collection: a typed Pointer column (Parse) points into one class.
  reference: [new Reference('authors', 'a1'), new Reference('authors', 'b2'), new Reference('authors', 'b3')],
  bytes: [bytes(0), bytes(0, 255), bytes(1, 2, 3)],
}

/** A map with the same fields as the value: must never equal it. */
const lookalike = (value: Value): Value => JSON.parse(JSON.stringify(value)) as Value

export function valueTests(env: SuiteEnv): void {
  async function freshCollection() {
    const app = await env.client()
    return { app, col: app.db.collection(env.target.freshCollection()) }
  }
  const support = (type: ValueTypeName) => env.caps.valueTypes[type]

  /** orderBy on a field of one queryable type: ordered as the type's order says, both ways, paged by cursor. */
  async function expectOrdering(type: ValueTypeName): Promise<void> {
    const [low, mid, high] = SAMPLES[type]
    const { col } = await freshCollection()
    const docs: Record<string, DocumentData> = { x: { v: high }, y: { v: low }, z: { v: mid }, w: { v: low } }
    await seed(col, docs)
    if (env.caps.fieldOrdering !== 'any') {
      // Declared orderings never include this field: refused, never emulated.
      await expectError(() => col.orderBy('v').get(), 'unsupported', `orderBy on a ${type} field`)
      return
    }
    for (const query of [col.orderBy('v'), col.orderBy('v', 'desc')]) {
      const expected = expectedIds(docs, specOf(query), env.caps)
      expect(idsOf((await query.get()).docs)).toEqual(expected)
      const first = await query.limit(2).get()
      expect(idsOf(first.docs)).toEqual(expected.slice(0, 2))
      expect(first.nextCursor).not.toBeNull()
      expect(idsOf((await query.limit(2).startAfter(first.nextCursor!).get()).docs)).toEqual(expected.slice(2))
    }
  }

  describe('values: neutral value types', () => {
    describe.each(VALUE_TYPES.map((type) => [type]))('%s', (type) => {
      const [low, mid, high] = SAMPLES[type]

      it('round-trips at the top level and nested in maps and arrays (get, query, another device, realtime); without the capability the write is refused with unsupported', async () => {
        const { col } = await freshCollection()
        const data: DocumentData = { v: low, nested: { one: mid, deep: { list: [low, high] } }, list: [mid, high, low] }
        if (support(type) === 'none') {
          await expectError(() => col.doc('a').set({ v: low }), 'unsupported', `set() of a ${type}`)
          await expectError(() => col.doc('a').set({ nested: { deep: { list: [1, mid] } } }), 'unsupported', `set() of a nested ${type}`)
          await expectError(() => col.add({ list: [high] }), 'unsupported', `add() of a ${type} in an array`)
          await col.doc('b').set({ n: 1 })
          await expectError(() => col.doc('b').update({ n: 2, nested: { at: low } }), 'unsupported', `update() with a ${type}`)
          expect(await col.doc('a').get()).toBeNull()
          expect((await col.doc('b').get())?.data).toEqual({ n: 1 })
          return
        }
        await col.doc('a').set(data)
        expect((await col.doc('a').get())?.data).toStrictEqual(data)
        expect((await col.get()).docs.map((d) => d.data)).toStrictEqual([data])
        const other = await env.client()
        expect((await other.db.collection(col.collection).doc('a').get())?.data).toStrictEqual(data)
        await col.doc('a').update({ v: high, addr: { at: mid } })
        expect((await col.doc('a').get())?.data).toStrictEqual({ ...data, v: high, addr: { at: mid } })
        if (env.caps.realtime) {
          // A live document delivers them as themselves too (the realtime decode path).
          const live = env.record(col.doc('w').watch())
          await live.waitFor((d) => d === null, 'the initial null')
          await col.doc('w').set(data)
          const seen = await live.waitFor((d) => d !== null && valuesEqual(d.data, data), `the live document with its ${type} values`)
          expect(seen?.data).toStrictEqual(data)
        }
      })

      it('arrayUnion/arrayRemove compare by content (where the adapter stores the type and has arrayOps)', async () => {
        const { col } = await freshCollection()
        if (support(type) === 'none' || !env.caps.arrayOps) {
          await col.doc('a').set({ list: [] })
          await expectError(() => col.doc('a').update({ list: arrayUnion(low) }), 'unsupported', `arrayUnion of a ${type}`)
          expect((await col.doc('a').get())?.data).toEqual({ list: [] })
          return
        }
        await col.doc('a').set({ list: [low, mid] })
        await col.doc('a').update({ list: arrayUnion(lookalike(low) as Value, low, high) })
        expect((await col.doc('a').get())?.data).toStrictEqual({ list: [low, mid, lookalike(low), high] })
        await col.doc('a').update({ list: arrayRemove(mid) })
        expect((await col.doc('a').get())?.data).toStrictEqual({ list: [low, lookalike(low), high] })
      })

      it('queryable: ==, !=, in, not-in, array-contains(-any) match by content, orderBy orders within the type and pages with a cursor; otherwise a query comparing with it is refused with unsupported', async () => {
        if (support(type) !== 'queryable') {
          // A `none` type cannot be written, so only the query is tried.
          const { col } = await freshCollection()
          await expectError(() => col.where('v', '==', low).get(), 'unsupported', `a query comparing with a ${type}`)
          await expectError(() => col.where('list', 'array-contains', low).count(), 'unsupported', `a count comparing with a ${type}`)
          return
        }
        const { col } = await freshCollection()
        const docs: Record<string, DocumentData> = {
          a: { v: low, list: [low, 'x'], nested: { at: low } },
          b: { v: mid, list: [mid], nested: { at: high } },
          c: { v: high, list: [] },
        }
        if (env.caps.mixedFieldTypes) {
          // Values of other types, a map with the same fields, null and a missing field must not match.
          Object.assign(docs, { d: { v: lookalike(low), list: [lookalike(low)] }, e: { v: 'text', list: ['x'] }, f: { v: null }, g: { other: 1 } })
        }
        await seed(col, docs)
        const queries: [string, QueryRef][] = [
          ['==', col.where('v', '==', low)],
          ['!=', col.where('v', '!=', low)],
          ['in', col.where('v', 'in', [mid, high, 'absent'])],
          ['not-in', col.where('v', 'not-in', [low, mid])],
          ['array-contains', col.where('list', 'array-contains', low)],
          ['array-contains-any', col.where('list', 'array-contains-any', [mid, high])],
        ]
        for (const [op, query] of queries) {
          if (!env.caps.queryOperators.includes(op as never)) continue
          const expected = expectedIds(docs, specOf(query), env.caps)
          expect([op, idsOf((await query.get()).docs)]).toEqual([op, expected])
          expect([op, await query.count()]).toEqual([op, expected.length])
        }
        if (env.caps.nestedFieldQueries) {
          const nested = col.where('nested.at', '==', high)
          expect(idsOf((await nested.get()).docs)).toEqual(expectedIds(docs, specOf(nested), env.caps))
        }
        await expectOrdering(type)
      })
    })

    it('one field holding every type it can: read back as written, ordered in the type order (or the declared vendor order); typed fields refuse a second type', async () => {
      const caps = env.caps
      const { col } = await freshCollection()
      const storable = VALUE_TYPES.filter((t) => caps.valueTypes[t] !== 'none')
      if (storable.length === 0) {
        await expectError(() => col.doc('a').set({ v: SAMPLES.geoPoint[0], list: [SAMPLES.reference[0], SAMPLES.bytes[0]] }), 'unsupported', 'a write of every neutral type')
        return
      }
      if (!caps.mixedFieldTypes) {
        // A typed column (Parse): the field takes the neutral type's column type, and refuses another.
        await col.doc('a').set({ v: SAMPLES[storable[0]!][0] })
        await expectError(() => col.doc('b').set({ v: 1 }), 'invalid-argument', `a number in a ${storable[0]} field`)
        expect(await col.doc('b').get()).toBeNull()
        return
      }
      // Ids in the documented type order: boolean < number < Date < string < bytes < reference < geo point < array < map.
      const all: Record<string, DocumentData> = {
        t9: { v: { a: 1 } },
        t8: { v: [1] },
        t7: { v: SAMPLES.geoPoint[0] },
        t6: { v: SAMPLES.reference[0] },
        t5: { v: SAMPLES.bytes[0] },
        t4: { v: 'a' },
        t3: { v: new Date(0) },
        t2: { v: 1 },
        t1: { v: true },
      }
      const holds: Record<string, ValueTypeName> = { t7: 'geoPoint', t6: 'reference', t5: 'bytes' }
      const docs = Object.fromEntries(Object.entries(all).filter(([id]) => holds[id] === undefined || storable.includes(holds[id]!)))
      await seed(col, docs)
      for (const [id, data] of Object.entries(docs)) expect([id, (await col.doc(id).get())?.data]).toStrictEqual([id, data])
      if (caps.fieldOrdering !== 'any' || storable.some((t) => caps.valueTypes[t] !== 'queryable')) return
      const ascending = ['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8', 't9'].filter((id) => id in docs)
      for (const [query, reference] of [
        [col.orderBy('v'), ascending],
        [col.orderBy('v', 'desc'), [...ascending].reverse()],
      ] as const) {
        const ids = idsOf((await query.get()).docs)
        if (caps.mixedTypeOrder) expect(ids).toEqual(declaredIds(caps, docs, query, reference))
        // Declared: the vendor's own order across types (jsonb: neutral values among the maps); every document once.
        else expect(sorted(ids)).toEqual(sorted(reference))
      }
    })
  })
}

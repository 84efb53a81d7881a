/**
 * The neutral value types (src/value-types.ts) and what core does with them: validation, equality
 * and order (compare.ts), tagged JSON (cursors, the offline store), copies, request keys, and the
 * client's check of `capabilities.valueTypes` before any adapter call.
 */
import { memory } from '../../adapters/memory/index.js'
import { decodeCursor, encodeCursor } from '../../src/query/cursor.js'
import { compareValues, typeRank, TypeRank, valuesEqual } from '../../src/query/compare.js'
import { getField, runQuery, type Evaluable } from '../../src/query/evaluate.js'
import { DOC_ID, type Filter } from '../../src/query/model.js'
import { stableKey } from '../../src/links/key.js'
import { decodeData, decodeWriteData, encodeData, encodeWriteData } from '../../src/offline/codec.js'
import { arrayUnion, Bytes, createClient, GeoPoint, PortabaseError, Reference, type Capabilities, type Value } from '../../src/index.js'
import { deepFreeze } from '../../src/freeze.js'
import { assertValue, cloneValue, fromTaggedJson, toTaggedJson } from '../../src/values.js'
import { valueTypeOf } from '../../src/value-types.js'
import { expectError } from '../contract/helpers.js'

function refused(action: () => unknown, code: string): PortabaseError {
  try {
    action()
  } catch (error) {
    expect(error).toBeInstanceOf(PortabaseError)
    expect((error as PortabaseError).code).toBe(code)
    return error as PortabaseError
  }
  throw new Error(`expected ${code}, but nothing was thrown`)
}

const bytes = (...b: number[]): Bytes => Bytes.fromUint8Array(new Uint8Array(b))

describe('GeoPoint', () => {
  it('holds latitude and longitude, frozen', () => {
    const p = new GeoPoint(48.8584, 2.2945)
    expect([p.latitude, p.longitude]).toEqual([48.8584, 2.2945])
    expect(Object.isFrozen(p)).toBe(true)
    expect(valueTypeOf(p)).toBe('geoPoint')
    expect(JSON.stringify(p)).toBe('{"latitude":48.8584,"longitude":2.2945}')
  })

  it.each([
    [90.0001, 0],
    [-91, 0],
    [0, 180.5],
    [0, -181],
    [Number.NaN, 0],
    [0, Infinity],
    ['1' as unknown as number, 0],
  ])('refuses latitude %p, longitude %p with invalid-argument', (lat, lng) => {
    refused(() => new GeoPoint(lat, lng), 'invalid-argument')
  })

  it('accepts the bounds, and turns -0 into 0 (no vendor keeps the sign)', () => {
    expect(() => new GeoPoint(-90, 180)).not.toThrow()
    expect(Object.is(new GeoPoint(-0, -0).latitude, 0)).toBe(true)
  })

  it('is equal by content', () => {
    expect(new GeoPoint(1, 2).isEqual(new GeoPoint(1, 2))).toBe(true)
    expect(new GeoPoint(1, 2).isEqual(new GeoPoint(2, 1))).toBe(false)
    expect(new GeoPoint(1, 2).isEqual({ latitude: 1, longitude: 2 })).toBe(false)
  })
})

describe('Reference', () => {
  it('names a document of a collection; Reference.of takes a doc ref', () => {
    const r = new Reference('users', 'u1')
    expect([r.collection, r.id, r.path, String(r)]).toEqual(['users', 'u1', 'users/u1', 'Reference(users/u1)'])
    expect(Reference.of({ collection: 'users', id: 'u1' }).isEqual(r)).toBe(true)
    expect(Object.isFrozen(r)).toBe(true)
  })

  it.each([
    ['', 'a'],
    ['_users', 'a'],
    ['a/b', 'c'],
    ['users', ''],
    ['users', 'a/b'],
  ])('refuses collection %p, id %p with invalid-argument', (collection, id) => {
    refused(() => new Reference(collection, id), 'invalid-argument')
  })
})

describe('Bytes', () => {
  it('copies the array it is made from, and hands out copies', () => {
    const source = new Uint8Array([1, 2, 3])
    const b = Bytes.fromUint8Array(source)
    source[0] = 9
    expect([...b.toUint8Array()]).toEqual([1, 2, 3])
    b.toUint8Array()[1] = 9
    expect([...b.toUint8Array()]).toEqual([1, 2, 3])
    expect(b.length).toBe(3)
  })

  it('round-trips base64, canonically', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i)
    const b = Bytes.fromUint8Array(all)
    expect([...Bytes.fromBase64(b.toBase64()).toUint8Array()]).toEqual([...all])
    expect(Bytes.fromBase64('').length).toBe(0)
    // 'AB==' and 'AA==' spell the same single zero byte.
    expect(Bytes.fromBase64('AB==').isEqual(Bytes.fromBase64('AA=='))).toBe(true)
    expect(Bytes.fromBase64('AB==').toBase64()).toBe('AA==')
  })

  it('is compared by content by deep-equality helpers too (freezable, no hidden state)', () => {
    expect(bytes(1, 2)).toEqual(bytes(1, 2))
    expect(bytes(1, 2)).not.toEqual(bytes(1, 3))
    expect(() => deepFreeze({ b: bytes(1) })).not.toThrow()
  })

  it.each(['A', 'AAA', 'AA=A', '****', 'AA==AA=='])('refuses base64 %p with invalid-argument', (text) => {
    refused(() => Bytes.fromBase64(text), 'invalid-argument')
  })

  it('refuses what is not a Uint8Array', () => {
    refused(() => Bytes.fromUint8Array([1, 2] as unknown as Uint8Array), 'invalid-argument')
  })
})

describe('type order and equality (compare.ts)', () => {
  it('ranks boolean < number < Date < string < bytes < reference < geo point < array < object < null', () => {
    const ordered: Value[] = [true, 1, new Date(0), 'a', bytes(0), new Reference('a', 'b'), new GeoPoint(0, 0), [1], { a: 1 }, null]
    expect(ordered.map(typeRank)).toEqual([
      TypeRank.Boolean,
      TypeRank.Number,
      TypeRank.Date,
      TypeRank.String,
      TypeRank.Bytes,
      TypeRank.Reference,
      TypeRank.GeoPoint,
      TypeRank.Array,
      TypeRank.Object,
      TypeRank.Null,
    ])
    const shuffled = [...ordered].reverse()
    expect(shuffled.sort(compareValues)).toEqual(ordered)
  })

  it('orders within each type as Firestore does', () => {
    const geo = [new GeoPoint(-10, 50), new GeoPoint(0, -5), new GeoPoint(0, 3), new GeoPoint(10, -180)]
    const refs = [new Reference('a', 'z'), new Reference('b', 'a'), new Reference('b', 'b'), new Reference('ba', 'a')]
    const bins = [bytes(), bytes(0), bytes(0, 255), bytes(1), bytes(255)]
    for (const list of [geo, refs, bins]) expect([...list].reverse().sort(compareValues)).toEqual(list)
  })

  it('equal by content, never equal to a map with the same fields', () => {
    expect(valuesEqual(new GeoPoint(1, 2), new GeoPoint(1, 2))).toBe(true)
    expect(valuesEqual(new GeoPoint(1, 2), { latitude: 1, longitude: 2 })).toBe(false)
    expect(valuesEqual(new Reference('a', 'b'), { collection: 'a', id: 'b' })).toBe(false)
    expect(valuesEqual(bytes(1), bytes(1))).toBe(true)
    expect(valuesEqual([bytes(1), { at: new GeoPoint(1, 1) }], [bytes(1), { at: new GeoPoint(1, 1) }])).toBe(true)
  })

  it('field paths do not reach into a neutral value', () => {
    const doc = { id: 'a', data: { at: new GeoPoint(1, 2), ref: new Reference('u', 'x') } }
    expect(getField(doc, 'at.latitude')).toBeUndefined()
    expect(getField(doc, 'ref.id')).toBeUndefined()
  })

  it('the evaluator filters ==, in, array-contains by content', () => {
    const docs: Evaluable[] = [
      { id: 'a', data: { v: new GeoPoint(1, 2), list: [bytes(7)] } },
      { id: 'b', data: { v: { latitude: 1, longitude: 2 }, list: [{ base64: 'Bw==' }] } },
      { id: 'c', data: { v: new GeoPoint(2, 1) } },
    ]
    const ids = (filters: Filter[]) => runQuery(docs, { filters, orderBy: [{ field: DOC_ID, direction: 'asc' }] }).map((d) => d.id)
    expect(ids([{ kind: 'field', field: 'v', op: '==', value: new GeoPoint(1, 2) }])).toEqual(['a'])
    expect(ids([{ kind: 'field', field: 'v', op: 'in', value: [new GeoPoint(2, 1), new GeoPoint(9, 9)] }])).toEqual(['c'])
    expect(ids([{ kind: 'field', field: 'list', op: 'array-contains', value: bytes(7) }])).toEqual(['a'])
    expect(ids([{ kind: 'field', field: 'v', op: '!=', value: new GeoPoint(1, 2) }])).toEqual(['b', 'c'])
  })
})

describe('validation, copies, tagged JSON, keys', () => {
  const sample = { geo: new GeoPoint(45.5, -73.6), ref: new Reference('users', 'u1'), bin: bytes(0, 1, 254, 255), when: new Date(5) }
  const data = { ...sample, nested: { deep: { list: [sample.geo, sample.ref, sample.bin] } } }

  it('assertValue accepts them at any depth; raw binary is refused with a hint', () => {
    expect(() => assertValue(data, 'doc')).not.toThrow()
    const error = refused(() => assertValue({ avatar: new Uint8Array([1]) }, 'doc'), 'invalid-argument')
    expect(error.message).toContain('Bytes.fromUint8Array')
  })

  it('cloneValue shares the immutable instances', () => {
    const copy = cloneValue(data as Value)
    expect(copy).toEqual(data)
    expect((copy as typeof data).nested.deep.list[0]).toBe(sample.geo)
  })

  it('tagged JSON round-trips every type through JSON text', () => {
    const json = toTaggedJson(data as Value)
    expect((json as Record<string, unknown>).geo).toEqual({ $geo: [45.5, -73.6] })
    expect((json as Record<string, unknown>).ref).toEqual({ $ref: ['users', 'u1'] })
    expect((json as Record<string, unknown>).bin).toEqual({ $bytes: 'AAH+/w==' })
    const back = fromTaggedJson(JSON.parse(JSON.stringify(json)))
    expect(back).toStrictEqual(data)
    expect((back as typeof data).nested.deep.list[1]).toBeInstanceOf(Reference)
  })

  it('the offline store codec keeps them in documents and in queued writes (sentinel operands too)', () => {
    expect(decodeData(JSON.parse(JSON.stringify(encodeData(data))))).toStrictEqual(data)
    const write = { tags: arrayUnion(sample.geo, sample.bin), at: sample.ref }
    const decoded = decodeWriteData(JSON.parse(JSON.stringify(encodeWriteData(write))))
    expect(decoded.at).toStrictEqual(sample.ref)
    expect(decoded.tags).toEqual(arrayUnion(sample.geo, sample.bin))
  })

  it('cursors carry them', () => {
    const orderBy = [{ field: 'at', direction: 'asc' as const }, { field: DOC_ID, direction: 'asc' as const }]
    const cursor = decodeCursor(encodeCursor({ values: [sample.geo], id: 'x' }, orderBy), orderBy)
    expect(cursor.values[0]).toStrictEqual(sample.geo)
  })

  it('request keys tell values apart by content and type', () => {
    expect(stableKey({ v: new GeoPoint(1, 2) })).toBe(stableKey({ v: new GeoPoint(1, 2) }))
    expect(stableKey({ v: new GeoPoint(1, 2) })).not.toBe(stableKey({ v: new GeoPoint(2, 1) }))
    expect(stableKey({ v: new GeoPoint(1, 2) })).not.toBe(stableKey({ v: { latitude: 1, longitude: 2 } }))
    expect(stableKey(bytes(1))).not.toBe(stableKey(bytes(2)))
  })
})

describe('capabilities.valueTypes, checked by the client', () => {
  function client(valueTypes: Capabilities['valueTypes']) {
    const adapter = memory({ capabilities: { valueTypes } })
    return { adapter, app: createClient({ adapter }) }
  }

  it('none: a write holding the type at any depth, or in arrayUnion, is refused with unsupported and stores nothing', async () => {
    const { adapter, app } = client({ geoPoint: 'none', reference: 'queryable', bytes: 'queryable' })
    const col = app.db.collection('c')
    const error = await expectError(() => col.doc('a').set({ ok: 1, nested: { list: [1, new GeoPoint(1, 1)] } }), 'unsupported')
    expect(error.provider).toBe('memory')
    expect(error.details).toEqual({ field: 'nested.list[1]', valueType: 'geoPoint' })
    await expectError(() => col.add({ at: new GeoPoint(1, 1) }), 'unsupported')
    await col.doc('b').set({ tags: [] })
    await expectError(() => col.doc('b').update({ tags: arrayUnion(new GeoPoint(1, 1)) }), 'unsupported')
    await expectError(() => app.db.batch((b) => {
        b.set(col.doc('c'), { at: new GeoPoint(1, 1) })
      }), 'unsupported')
    expect(adapter.backend.collection('c').size).toBe(1)
    // Types the adapter does store pass.
    await col.doc('d').set({ ref: new Reference('c', 'b'), bin: bytes(1) })
    await app.dispose()
  })

  it('stored: round-trips, but a query comparing with it (filter or cursor) is refused with unsupported', async () => {
    const { app } = client({ geoPoint: 'stored', reference: 'stored', bytes: 'stored' })
    const col = app.db.collection('c')
    await col.doc('a').set({ at: new GeoPoint(1, 2) })
    expect((await col.doc('a').get())?.data).toStrictEqual({ at: new GeoPoint(1, 2) })
    const error = await expectError(() => col.where('at', '==', new GeoPoint(1, 2)).get(), 'unsupported')
    expect(error.message).toContain('stores them')
    await expectError(() => col.where('at', 'in', [1, { deep: new Reference('c', 'a') }]).count(), 'unsupported')
    const orderBy = [{ field: 'at', direction: 'asc' as const }, { field: DOC_ID, direction: 'asc' as const }]
    await expectError(() => col.orderBy('at').startAfter(encodeCursor({ values: [new GeoPoint(0, 0)], id: 'a' }, orderBy)).get(), 'unsupported')
    await app.dispose()
  })
})

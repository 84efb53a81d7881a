/**
 * The Parse query JSON the adapter generates (adapters/parse/query-translate.ts), operator by
 * operator, plus the codec's field-name mapping and null markers. No server: the shapes asserted
 * here are the ones the integration and differential tests run against a real Parse Server.
 */
import { and, DOC_ID, or, where, type Filter, type Query } from '../../src/index.js'
import { PortabaseError } from '../../src/errors.js'
import {
  fieldsToResolve,
  translateCursor,
  translateFilters,
  translateOrder,
  translateQuery,
  type FieldKnowledge,
  type KnowledgeOf,
} from '../../adapters/parse/query-translate.js'
import { decodeData, decodeDoc, fromColumn, toColumn } from '../../adapters/parse/codec.js'
import { verifyResults } from '../../adapters/parse/documents.js'
import type { FieldType } from '../../adapters/parse/codec.js'

const typed = (type: FieldType): FieldKnowledge => ({ state: 'typed', type })
const TYPES: Record<string, FieldKnowledge> = {
  n: typed('Number'),
  s: typed('String'),
  b: typed('Boolean'),
  d: typed('Date'),
  t: typed('Array'),
  o: typed('Object'),
  gone: { state: 'absent' },
  u: { state: 'untyped' },
  createdAt: typed('String'),
}
const known: KnowledgeOf = (field) => TYPES[field] ?? { state: 'untyped' }
const D = (iso: string) => new Date(iso)
const date = (iso: string) => ({ __type: 'Date', iso })
const filter = (f: Filter) => translateFilters([f], known)

describe('field conditions', () => {
  it("'==' uses $eq (never the bare form, which means 'contains' on arrays); Dates use Parse's Date JSON", () => {
    expect(filter(where('n', '==', 2))).toEqual({ n: { $eq: 2 } })
    expect(filter(where('s', '==', 'x'))).toEqual({ s: { $eq: 'x' } })
    expect(filter(where('b', '==', false))).toEqual({ b: { $eq: false } })
    expect(filter(where('d', '==', D('2020-01-01T00:00:00.000Z')))).toEqual({ d: date('2020-01-01T00:00:00.000Z') })
    expect(filter(where('o', '==', { k: D('2020-01-01T00:00:00.000Z') }))).toEqual({ o: { $eq: { k: date('2020-01-01T00:00:00.000Z') } } })
    expect(filter(where(DOC_ID, '==', 'abc'))).toEqual({ objectId: { $eq: 'abc' } })
  })

  it("'== null' is IS NULL (missing equals null)", () => {
    expect(filter(where('n', '==', null))).toEqual({ n: null })
  })

  it('a value of another type than the column folds to a constant instead of an SQL error', () => {
    expect(filter(where('n', '==', '2'))).toBe(false)
    expect(filter(where('s', '==', 2))).toBe(false)
    expect(filter(where('t', '==', 'red'))).toBe(false)
    expect(filter(where('n', '!=', '2'))).toBe(true)
    expect(filter(where('n', '<', 'z'))).toBe(false)
    expect(filter(where('s', '>=', D('2020-01-01T00:00:00Z')))).toBe(false)
    expect(filter(where('s', 'array-contains', 'x'))).toBe(false)
    expect(filter(where('n', 'in', ['1', '2']))).toBe(false)
    expect(filter(where('n', 'not-in', ['1']))).toBe(true)
  })

  it("'!=' also matches missing fields: $ne for scalars, IS NULL OR NOT (=) otherwise", () => {
    expect(filter(where('n', '!=', 2))).toEqual({ n: { $ne: 2 } })
    expect(filter(where('n', '!=', null))).toEqual({ n: { $exists: true } })
    expect(filter(where('d', '!=', D('2020-01-01T00:00:00.000Z')))).toEqual({ $or: [{ d: null }, { $nor: [{ d: date('2020-01-01T00:00:00.000Z') }] }] })
    expect(filter(where('o', '!=', { a: 1 }))).toEqual({ $or: [{ o: null }, { $nor: [{ o: { $eq: { a: 1 } } }] }] })
    // Type unknown: never $ne (on an array column Parse reads it as "does not contain").
    expect(filter(where('u', '!=', 1))).toEqual({ $or: [{ u: null }, { $nor: [{ u: { $eq: 1 } }] }] })
  })

  it('range operators; the empty string bound is rewritten (Parse refuses $gt: "")', () => {
    expect(filter(where('n', '<', 0))).toEqual({ n: { $lt: 0 } })
    expect(filter(where('n', '<=', 1.5))).toEqual({ n: { $lte: 1.5 } })
    expect(filter(where('s', '>', 'b'))).toEqual({ s: { $gt: 'b' } })
    expect(filter(where('d', '>=', D('2021-06-01T00:00:00.000Z')))).toEqual({ d: { $gte: date('2021-06-01T00:00:00.000Z') } })
    expect(filter(where('s', '<', ''))).toBe(false)
    expect(filter(where('s', '<=', ''))).toEqual({ s: { $eq: '' } })
    expect(filter(where('s', '>=', ''))).toEqual({ s: { $exists: true } })
    expect(filter(where('s', '>', ''))).toEqual({ $and: [{ s: { $exists: true } }, { s: { $ne: '' } }] })
  })

  it("'in' uses $in for scalars and adds IS NULL for a null in the list", () => {
    expect(filter(where('n', 'in', [1, 3, 1]))).toEqual({ n: { $in: [1, 3] } })
    expect(filter(where('n', 'in', [2]))).toEqual({ n: { $eq: 2 } })
    expect(filter(where('n', 'in', [null, 2]))).toEqual({ $or: [{ n: null }, { n: { $eq: 2 } }] })
    expect(filter(where('d', 'in', [D('2020-01-01T00:00:00.000Z'), D('2021-01-01T00:00:00.000Z')]))).toEqual({
      $or: [{ d: date('2020-01-01T00:00:00.000Z') }, { d: date('2021-01-01T00:00:00.000Z') }],
    })
    expect(filter(where(DOC_ID, 'in', ['a', 'b']))).toEqual({ objectId: { $in: ['a', 'b'] } })
  })

  it("'not-in' matches missing fields unless null is listed", () => {
    expect(filter(where('n', 'not-in', [1, 2]))).toEqual({ $or: [{ n: null }, { n: { $nin: [1, 2] } }] })
    expect(filter(where('n', 'not-in', [1, null]))).toEqual({ $and: [{ n: { $exists: true } }, { n: { $nin: [1] } }] })
    expect(filter(where('n', 'not-in', [null]))).toEqual({ n: { $exists: true } })
    expect(filter(where('o', 'not-in', [{ a: 1 }]))).toEqual({ $or: [{ o: null }, { $nor: [{ o: { $eq: { a: 1 } } }] }] })
  })

  it("array-contains(-any) use $in on the array column (exact jsonb equality), never $all", () => {
    expect(filter(where('t', 'array-contains', 'red'))).toEqual({ t: { $in: ['red'] } })
    expect(filter(where('t', 'array-contains', { k: 1 }))).toEqual({ t: { $in: [{ k: 1 }] } })
    expect(filter(where('t', 'array-contains-any', ['a', 'b', 'a']))).toEqual({ t: { $in: ['a', 'b'] } })
    expect(filter(where('t', 'array-contains', D('2020-01-01T00:00:00.000Z')))).toEqual({ t: { $in: [date('2020-01-01T00:00:00.000Z')] } })
  })

  it('a field no readable document holds folds to what a null value would give', () => {
    expect(filter(where('gone', '==', null))).toBe(true)
    expect(filter(where('gone', '==', 1))).toBe(false)
    expect(filter(where('gone', '!=', 1))).toBe(true)
    expect(filter(where('gone', '!=', null))).toBe(false)
    expect(filter(where('gone', 'not-in', [1]))).toBe(true)
    expect(filter(where('gone', 'in', [null]))).toBe(true)
    expect(filter(where('gone', 'array-contains', 'x'))).toBe(false)
    expect(translateQuery({ filters: [where('gone', '==', 1)], orderBy: [{ field: DOC_ID, direction: 'asc' }] }, known)).toBeNull()
  })

  it('refuses what Parse cannot do right with unsupported', () => {
    const refused = (f: Filter) => expect(() => filter(f)).toThrow(PortabaseError)
    refused(where('t', '==', ['a']))
    refused(where('u', 'in', [['a']]))
    refused(where('t', 'not-in', [['a']]))
    refused(where('o.k', '==', 1))
    try {
      filter(where('t', '==', ['a']))
    } catch (error) {
      expect((error as PortabaseError).code).toBe('unsupported')
    }
  })

  it('escaped field names map to their columns', () => {
    expect(filter(where('createdAt', '==', 'x'))).toEqual({ pb_createdAt: { $eq: 'x' } })
  })
})

describe('composite filters', () => {
  it('and/or nest, flatten, and fold constants', () => {
    expect(translateFilters([where('n', '>', 1), where('n', '<', 3)], known)).toEqual({ $and: [{ n: { $gt: 1 } }, { n: { $lt: 3 } }] })
    expect(filter(or(where('n', '==', 1), where('s', '==', 'c')))).toEqual({ $or: [{ n: { $eq: 1 } }, { s: { $eq: 'c' } }] })
    expect(filter(or(and(where('b', '==', true), where('n', '>', 2)), where('s', '==', 'x')))).toEqual({
      $or: [{ $and: [{ b: { $eq: true } }, { n: { $gt: 2 } }] }, { s: { $eq: 'x' } }],
    })
    expect(filter(or(where('n', '==', 'x'), where('n', '==', 1)))).toEqual({ n: { $eq: 1 } })
    expect(filter(or(where('gone', '==', null), where('n', '==', 1)))).toBe(true)
    expect(filter(and(where('gone', '==', 1), where('n', '==', 1)))).toBe(false)
    expect(translateFilters([], known)).toBe(true)
  })
})

describe('ordering and cursors', () => {
  const asc = (field: string) => ({ field, direction: 'asc' as const })
  const desc = (field: string) => ({ field, direction: 'desc' as const })

  it('order lists columns, - for descending, stops at the id, skips fields every doc reads as null', () => {
    expect(translateOrder([asc('n'), desc('s'), asc(DOC_ID)], known)).toBe('n,-s,objectId')
    expect(translateOrder([desc(DOC_ID), asc('n')], known)).toBe('-objectId')
    expect(translateOrder([asc('gone'), asc(DOC_ID)], known)).toBe('objectId')
  })

  it('refuses ordering by arrays and objects (jsonb orders them differently)', () => {
    expect(() => translateOrder([asc('t'), asc(DOC_ID)], known)).toThrow(/array field/)
    expect(() => translateOrder([asc('o'), asc(DOC_ID)], known)).toThrow(/object field/)
  })

  it('a cursor on (n asc, id asc) is "n after, or n equal and id after", with nulls last', () => {
    expect(translateCursor([asc('n'), asc(DOC_ID)], { values: [2], id: 'k' }, known)).toEqual({
      $or: [{ n: { $gt: 2 } }, { n: null }, { $and: [{ n: { $eq: 2 } }, { objectId: { $gt: 'k' } }] }],
    })
  })

  it('a null anchor ascending: only ties on null can follow', () => {
    expect(translateCursor([asc('n'), asc(DOC_ID)], { values: [null], id: 'k' }, known)).toEqual({ $and: [{ n: null }, { objectId: { $gt: 'k' } }] })
  })

  it('descending: nulls come first, so after a value only smaller values follow; after null, every value', () => {
    expect(translateCursor([desc('n'), asc(DOC_ID)], { values: [2], id: 'k' }, known)).toEqual({
      $or: [{ n: { $lt: 2 } }, { $and: [{ n: { $eq: 2 } }, { objectId: { $gt: 'k' } }] }],
    })
    expect(translateCursor([desc('n'), asc(DOC_ID)], { values: [null], id: 'k' }, known)).toEqual({
      $or: [{ n: { $exists: true } }, { $and: [{ n: null }, { objectId: { $gt: 'k' } }] }],
    })
  })

  it('booleans and empty strings in cursors avoid the bounds Parse drops or refuses', () => {
    expect(translateCursor([asc('b'), asc(DOC_ID)], { values: [false], id: 'k' }, known)).toEqual({
      $or: [{ b: { $eq: true } }, { b: null }, { $and: [{ b: { $eq: false } }, { objectId: { $gt: 'k' } }] }],
    })
    expect(translateCursor([asc('s'), asc(DOC_ID)], { values: [''], id: 'k' }, known)).toEqual({
      $or: [{ $and: [{ s: { $exists: true } }, { s: { $ne: '' } }] }, { s: null }, { $and: [{ s: { $eq: '' } }, { objectId: { $gt: 'k' } }] }],
    })
  })

  it('two sort keys and a Date', () => {
    const cursor = { values: ['x', D('2024-01-02T00:00:00.000Z')], id: 'k' }
    expect(translateCursor([desc('s'), asc('d'), asc(DOC_ID)], cursor, known)).toEqual({
      $or: [
        { s: { $lt: 'x' } },
        { $and: [{ s: { $eq: 'x' } }, { $or: [{ d: { $gt: date('2024-01-02T00:00:00.000Z') } }, { d: null }] }] },
        { $and: [{ s: { $eq: 'x' } }, { d: date('2024-01-02T00:00:00.000Z') }, { objectId: { $gt: 'k' } }] },
      ],
    })
  })

  it('the whole query: where = filters AND cursor, order, limit', () => {
    const query: Query = { filters: [where('n', '!=', 3)], orderBy: [desc('s'), asc(DOC_ID)], limit: 4, startAfter: { values: ['y'], id: 'r01' } }
    expect(translateQuery(query, known)).toEqual({
      where: { $and: [{ n: { $ne: 3 } }, { $or: [{ s: { $lt: 'y' } }, { $and: [{ s: { $eq: 'y' } }, { objectId: { $gt: 'r01' } }] }] }] },
      order: '-s,objectId',
      limit: 4,
    })
    expect(translateQuery(query, known, { cursor: false, limit: false })).toEqual({ where: { n: { $ne: 3 } }, order: '-s,objectId' })
    expect(fieldsToResolve(query)).toEqual(['n', 's'])
    expect(fieldsToResolve(query, { cursor: false })).toEqual(['n'])
  })
})

describe('codec', () => {
  it('maps the names Parse keeps or refuses, and the adapter prefix, reversibly', () => {
    for (const field of ['title', 'id', 'createdAt', 'updatedAt', 'className', 'length', 'pb_v', 'pb_x', 'v', 'nulls']) {
      expect(fromColumn(toColumn(field))).toBe(field)
    }
    expect(toColumn('createdAt')).toBe('pb_createdAt')
    expect(toColumn('pb_v')).toBe('pb_pb_v')
    expect(fromColumn('pb_v')).toBeNull()
    expect(fromColumn('pb_nulls')).toBeNull()
    expect(fromColumn('objectId')).toBeNull()
    expect(fromColumn('ACL')).toBeNull()
    expect(() => toColumn('x'.repeat(64))).toThrow(/too long/)
  })

  it('reads nulls back from the null markers, and only where the column is NULL', () => {
    const json = { objectId: 'a', updatedAt: '2024-01-01T00:00:00.000Z', kept: 1, pb_nulls: { gone: true, kept: true }, pb_v: 'nonce' }
    expect(decodeData(json)).toEqual({ kept: 1, gone: null })
    // LiveQuery objects carry nulls themselves; they are dropped unless marked.
    expect(decodeData({ objectId: 'a', n: null, m: null, pb_nulls: { m: true } })).toEqual({ m: null })
  })

  it('version = updatedAt + the write nonce; updateTime = updatedAt', () => {
    const doc = decodeDoc({ objectId: 'a', createdAt: '2024-01-01T00:00:00.000Z', updatedAt: '2024-01-02T00:00:00.000Z', pb_v: 'abc', d: date('2020-01-01T00:00:00.000Z') })
    expect(doc.meta.updateTime).toEqual(D('2024-01-02T00:00:00.000Z'))
    expect(doc.meta.version).toBe('2024-01-02T00:00:00.000Z~abc')
    expect(doc.data).toEqual({ d: D('2020-01-01T00:00:00.000Z') })
    expect(Object.isFrozen(doc.data)).toBe(true)
  })
})

describe('the safety net on results', () => {
  const docOf = (id: string, data: Record<string, unknown>) => decodeDoc({ objectId: id, updatedAt: '2024-01-01T00:00:00.000Z', ...data })
  const query: Query = { filters: [where('n', '>', 0)], orderBy: [{ field: 's', direction: 'asc' }, { field: DOC_ID, direction: 'asc' }] }

  it('accepts results that match and come in neutral order', () => {
    expect(() => verifyResults(query, [docOf('a', { n: 1, s: 'B' }), docOf('b', { n: 1, s: 'a' })])).not.toThrow()
  })

  it('refuses results in another order (e.g. a locale collation) or that do not match', () => {
    expect(() => verifyResults(query, [docOf('b', { n: 1, s: 'a' }), docOf('a', { n: 1, s: 'B' })])).toThrow(/against the requested order/)
    expect(() => verifyResults(query, [docOf('a', { n: 0, s: 'a' })])).toThrow(/does not match/)
  })
})

import { PortabaseError } from '../../src/errors.js'
import { increment } from '../../src/sentinels.js'
import type { Value } from '../../src/types.js'
import {
  assertCollectionName,
  assertDocId,
  assertDocumentData,
  assertFieldName,
  assertFieldPath,
  assertValue,
  cloneValue,
  fromTaggedJson,
  toTaggedJson,
} from '../../src/values.js'

function invalid(action: () => unknown): PortabaseError {
  try {
    action()
  } catch (error) {
    expect(error).toBeInstanceOf(PortabaseError)
    expect((error as PortabaseError).code).toBe('invalid-argument')
    expect((error as PortabaseError).provider).toBe('portabase')
    return error as PortabaseError
  }
  throw new Error('expected invalid-argument, but nothing was thrown')
}

describe('assertCollectionName', () => {
  it.each(['todos', 'A', 'user_profiles2', 'x'.repeat(64)])('accepts %p', (name) => {
    expect(() => assertCollectionName(name)).not.toThrow()
  })
  it.each(['', '_hidden', '1abc', 'a-b', 'a/b', 'a b', 'é', 'x'.repeat(65), 42, null])('refuses %p', (name) => {
    invalid(() => assertCollectionName(name))
  })
})

describe('assertDocId', () => {
  it.each(['a', 'A-z_0-9', 'x'.repeat(128), '0'])('accepts %p', (id) => {
    expect(() => assertDocId(id)).not.toThrow()
  })
  it.each(['', 'a/b', 'a.b', 'a b', 'é', 'x'.repeat(129), 7, undefined])('refuses %p', (id) => {
    invalid(() => assertDocId(id))
  })
})

describe('assertFieldName and assertFieldPath', () => {
  // Vendor-reserved names (Parse's objectId, ACL) are the adapter's to declare: capabilities.limits.
  it.each(['title', 'a1', 'snake_case', 'id', 'createdAt', 'objectId', 'ACL', 'x'.repeat(128)])('accepts the field name %p', (name) => {
    expect(() => assertFieldName(name)).not.toThrow()
  })
  it.each(['', '1a', '_a', 'a-b', 'a.b', '$a', 'é', 'x'.repeat(129)])('refuses the field name %p', (name) => {
    invalid(() => assertFieldName(name))
  })
  it('accepts dotted paths into nested objects', () => {
    expect(() => assertFieldPath('address.city')).not.toThrow()
    expect(() => assertFieldPath('a.b-c.d e')).not.toThrow()
  })
  it.each(['a..b', 'a.', 'a.$b', 'a.__b', '.a', '1a.x'])('refuses the path %p', (path) => {
    invalid(() => assertFieldPath(path))
  })
})

describe('assertValue', () => {
  it.each<[string, unknown]>([
    ['a string', 'x'],
    ['a finite number', -1.5],
    ['a boolean', false],
    ['null', null],
    ['a Date', new Date(0)],
    ['an array of scalars and objects', [1, 'a', { b: [1] }]],
    ['a nested object', { a: { b: { c: null } } }],
    ['a null-prototype object', Object.assign(Object.create(null) as object, { a: 1 })],
  ])('accepts %s', (_label, value) => {
    expect(() => assertValue(value, 'f')).not.toThrow()
  })

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['an invalid Date', new Date('x')],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a bigint', BigInt(2)],
    ['a Map', new Map()],
    ['a class instance', new (class Thing {})()],
    ['a nested array', [[1]]],
    ['undefined inside an object', { a: undefined }],
    ['a key starting with $', { $a: 1 }],
    ['a key starting with __', { __a: 1 }],
    ['a key with a dot', { 'a.b': 1 }],
    ['an empty key', { '': 1 }],
  ])('refuses %s', (_label, value) => {
    invalid(() => assertValue(value, 'f'))
  })

  it('names the offending field path in details', () => {
    const error = invalid(() => assertValue({ inner: { n: Number.NaN } }, 'outer'))
    expect(error.details).toEqual({ field: 'outer.inner.n' })
  })

  it('accepts a sentinel only where allowed', () => {
    expect(() => assertValue(increment(1), 'f', true)).not.toThrow()
    invalid(() => assertValue(increment(1), 'f'))
    invalid(() => assertValue({ n: increment(1) }, 'f', true))
  })
})

describe('assertDocumentData', () => {
  it('accepts a plain object of valid fields', () => {
    expect(() => assertDocumentData({ a: 1, b: { c: [new Date(0)] } })).not.toThrow()
  })
  it.each<[string, unknown]>([
    ['null', null],
    ['an array', []],
    ['a string', 's'],
    ['a class instance', new Date()],
  ])('refuses %s as document data', (_label, data) => {
    invalid(() => assertDocumentData(data))
  })
  it('refuses top-level sentinels unless allowed', () => {
    invalid(() => assertDocumentData({ n: increment(1) }))
    expect(() => assertDocumentData({ n: increment(1) }, true)).not.toThrow()
  })
})

describe('cloneValue', () => {
  it('deep-copies objects, arrays and Dates', () => {
    const original = { list: [1, { at: new Date(5) }], nested: { x: 'y' } }
    const copy = cloneValue(original)
    expect(copy).toEqual(original)
    expect(copy).not.toBe(original)
    expect(copy.list).not.toBe(original.list)
    expect((copy.list[1] as { at: Date }).at).not.toBe((original.list[1] as { at: Date }).at)
    ;(original.nested as { x: string }).x = 'changed'
    expect(copy.nested.x).toBe('y')
  })
  it('returns primitives as they are', () => {
    for (const v of ['s', 1, true, null] as Value[]) expect(cloneValue(v)).toBe(v)
  })
})

describe('tagged JSON', () => {
  it('round-trips Dates anywhere in a value through JSON text', () => {
    const value: Value = { at: new Date('2020-01-01T00:00:00.001Z'), list: [new Date(0), 'x'], deep: { n: 1, none: null } }
    const back = fromTaggedJson(JSON.parse(JSON.stringify(toTaggedJson(value))))
    expect(back).toEqual(value)
    expect((back as { at: unknown }).at).toBeInstanceOf(Date)
  })
  it('keeps an object with $date plus other keys as a plain object', () => {
    expect(fromTaggedJson({ $date: '2020-01-01T00:00:00.000Z', other: 1 })).toEqual({ $date: '2020-01-01T00:00:00.000Z', other: 1 })
  })
})

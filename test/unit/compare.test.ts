import fc from 'fast-check'
import { compareStrings, compareValues, typeRank, TypeRank, valuesEqual } from '../../src/query/compare.js'
import type { Value } from '../../src/types.js'

const sign = (n: number): number => Math.sign(n) || 0

const value: fc.Arbitrary<Value> = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.integer({ min: -3, max: 3 }),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('', 'a', 'B', 'é', '😀', '～'),
    fc.constantFrom(0, 1e12).map((t) => new Date(t)),
    fc.array(tie('value'), { maxLength: 2 }),
    fc.dictionary(fc.constantFrom('x', 'y'), tie('value'), { maxKeys: 2 }),
  ),
})).value

describe('typeRank', () => {
  it('ranks boolean < number < Date < string < array < object < null', () => {
    const ordered: Value[] = [true, 1, new Date(0), 'a', [1], { a: 1 }, null]
    expect(ordered.map(typeRank)).toEqual([TypeRank.Boolean, TypeRank.Number, TypeRank.Date, TypeRank.String, TypeRank.Array, TypeRank.Object, TypeRank.Null])
    for (let i = 1; i < ordered.length; i++) expect(typeRank(ordered[i - 1]!)).toBeLessThan(typeRank(ordered[i]!))
  })

  it('ranks a missing value (undefined) as null', () => {
    expect(typeRank(undefined)).toBe(TypeRank.Null)
  })
})

describe('compareStrings', () => {
  it('orders by Unicode code point: astral characters after U+FFFF', () => {
    // UTF-16 units would put '😀' (D83D DE00) before '～' (FF5E).
    expect(compareStrings('😀', '～')).toBeGreaterThan(0)
    expect(compareStrings('～', '😀')).toBeLessThan(0)
    expect('😀' < '～').toBe(true)
  })

  it('orders upper case before lower case and ASCII before accents (no locale collation)', () => {
    expect(compareStrings('Z', 'a')).toBeLessThan(0)
    expect(compareStrings('z', 'é')).toBeLessThan(0)
  })

  it('orders a prefix before the longer string, and equal strings as 0', () => {
    expect(compareStrings('ab', 'abc')).toBeLessThan(0)
    expect(compareStrings('', 'a')).toBeLessThan(0)
    expect(compareStrings('same', 'same')).toBe(0)
  })

  it('agrees with code point order for any strings (property)', () => {
    const byCodePoint = (a: string, b: string): number => {
      const ca = Array.from(a, (c) => c.codePointAt(0)!)
      const cb = Array.from(b, (c) => c.codePointAt(0)!)
      for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return sign(ca[i]! - cb[i]!)
      return sign(ca.length - cb.length)
    }
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => sign(compareStrings(a, b)) === byCodePoint(a, b)))
  })
})

describe('compareValues', () => {
  it('sorts null after every value and treats missing as null', () => {
    expect(compareValues(null, 5)).toBeGreaterThan(0)
    expect(compareValues(5, null)).toBeLessThan(0)
    expect(compareValues(undefined, null)).toBe(0)
    expect(compareValues(undefined, { a: 1 })).toBeGreaterThan(0)
  })

  it('compares numbers, booleans and Dates by value', () => {
    expect(compareValues(-1, 2)).toBeLessThan(0)
    expect(compareValues(false, true)).toBeLessThan(0)
    expect(compareValues(new Date(5), new Date(5))).toBe(0)
    expect(compareValues(new Date(4), new Date(5))).toBeLessThan(0)
  })

  it('compares arrays element by element, then by length', () => {
    expect(compareValues([1, 2], [1, 3])).toBeLessThan(0)
    expect(compareValues([1, 2], [1, 2, 0])).toBeLessThan(0)
    expect(compareValues([2], [1, 9])).toBeGreaterThan(0)
  })

  it('compares objects by sorted keys, then values, then key count', () => {
    expect(compareValues({ a: 1 }, { b: 0 })).toBeLessThan(0)
    expect(compareValues({ a: 1 }, { a: 2 })).toBeLessThan(0)
    expect(compareValues({ b: 1, a: 1 }, { a: 1, b: 1 })).toBe(0)
    expect(compareValues({ a: 1 }, { a: 1, b: 0 })).toBeLessThan(0)
  })

  it('never equates values of different types', () => {
    expect(compareValues(1, '1')).not.toBe(0)
    expect(compareValues(0, false)).not.toBe(0)
    expect(compareValues([1], 1)).not.toBe(0)
  })

  it('is a total order: antisymmetric, reflexive and transitive (property)', () => {
    fc.assert(
      fc.property(value, value, value, (a, b, c) => {
        expect(compareValues(a, a) === 0).toBe(true)
        expect(sign(compareValues(a, b)) + sign(compareValues(b, a))).toBe(0)
        if (compareValues(a, b) <= 0 && compareValues(b, c) <= 0) expect(compareValues(a, c)).toBeLessThanOrEqual(0)
      }),
      { numRuns: 500 },
    )
  })
})

describe('valuesEqual', () => {
  it('equates missing and null', () => {
    expect(valuesEqual(undefined, null)).toBe(true)
    expect(valuesEqual(null, undefined)).toBe(true)
  })

  it('compares Dates, arrays and objects structurally', () => {
    expect(valuesEqual(new Date(7), new Date(7))).toBe(true)
    expect(valuesEqual([1, { a: 'x' }], [1, { a: 'x' }])).toBe(true)
    expect(valuesEqual({ a: 1 }, { a: 2 })).toBe(false)
  })

  it('never equates values of different types', () => {
    expect(valuesEqual(1, '1')).toBe(false)
    expect(valuesEqual(null, 0)).toBe(false)
    expect(valuesEqual(null, [])).toBe(false)
    expect(valuesEqual(new Date(0), 0)).toBe(false)
  })

  it('is consistent with compareValues (property)', () => {
    fc.assert(fc.property(value, value, (a, b) => valuesEqual(a, b) === (compareValues(a, b) === 0)), { numRuns: 500 })
  })
})

import fc from 'fast-check'
import { PortabaseError } from '../../src/errors.js'
import { decodeCursor, encodeCursor } from '../../src/query/cursor.js'
import { DOC_ID, type Cursor, type OrderBy } from '../../src/query/model.js'
import type { Value } from '../../src/types.js'

function expectInvalid(action: () => unknown): void {
  let thrown: unknown
  try {
    action()
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(PortabaseError)
  expect((thrown as PortabaseError).code).toBe('invalid-argument')
}

/** Cursors are decoded against the ordering that made them; these tests use one of matching length. */
const orderOf = (n: number): OrderBy[] => [...Array.from({ length: n }, (_, i) => ({ field: `f${i}`, direction: 'asc' as const })), { field: DOC_ID, direction: 'asc' }]
const roundTrip = (cursor: Cursor): Cursor => decodeCursor(encodeCursor(cursor, orderOf(cursor.values.length)), orderOf(cursor.values.length))

describe('cursor encoding', () => {
  it('round-trips ids and values of every type, including Dates and unicode', () => {
    const cursor: Cursor = {
      id: 'doc-1_X',
      values: [1.5, 'héllo 😀', true, null, new Date('2024-02-29T12:00:00.123Z'), [1, 'a'], { nested: { at: new Date(0) } }],
    }
    const decoded = roundTrip(cursor)
    expect(decoded).toEqual(cursor)
    expect(decoded.values[4]).toBeInstanceOf(Date)
  })

  it('round-trips an empty value list (ordering by id only)', () => {
    expect(roundTrip({ id: 'abc', values: [] })).toEqual({ id: 'abc', values: [] })
  })

  it('is URL-safe base64 without padding', () => {
    const token = encodeCursor({ id: '??>>', values: ['\u00ff\u00fe', '😀'.repeat(5)] }, orderOf(2))
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/)
  })

  it('round-trips any JSON-like values (property)', () => {
    const value: fc.Arbitrary<Value> = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
      fc.boolean(),
      fc.constant(null),
      fc.date({ noInvalidDate: true }),
    )
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.array(value, { maxLength: 4 }), (id, values) => {
        expect(roundTrip({ id, values })).toEqual({ id, values })
      }),
    )
  })

  it.each(['', '!!!', 'bm90IGpzb24', btoa('{"id":1}'), btoa('[1,[]]'), btoa('["id","not-an-array"]')])('decoding %p fails with invalid-argument', (token) => {
    expectInvalid(() => decodeCursor(token, orderOf(0)))
  })

  it('refuses a cursor made for another ordering, even of the same length', () => {
    const token = encodeCursor({ id: 'a', values: [1] }, [{ field: 'n', direction: 'asc' }, { field: DOC_ID, direction: 'asc' }])
    expectInvalid(() => decodeCursor(token, [{ field: 'n', direction: 'desc' }, { field: DOC_ID, direction: 'asc' }]))
    expectInvalid(() => decodeCursor(token, [{ field: 'g', direction: 'asc' }, { field: DOC_ID, direction: 'asc' }]))
  })
})

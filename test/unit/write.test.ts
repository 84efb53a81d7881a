import { PortabaseError } from '../../src/errors.js'
import { arrayRemove, arrayUnion, deleteField, increment, serverTimestamp } from '../../src/sentinels.js'
import type { DocumentData } from '../../src/types.js'
import { applyWrite, resolveSentinel, sentinelKinds } from '../../src/write.js'

const NOW = new Date('2030-01-01T00:00:00Z')

describe('applyWrite', () => {
  it('create and set store exactly the given data', () => {
    expect(applyWrite(undefined, { type: 'create', data: { a: 1 } }, NOW)).toEqual({ a: 1 })
    expect(applyWrite({ old: true }, { type: 'set', data: { a: 1 } }, NOW)).toEqual({ a: 1 })
  })

  it('update merges into the existing fields', () => {
    expect(applyWrite({ a: 1, b: 2 }, { type: 'update', data: { b: 3, c: 4 } }, NOW)).toEqual({ a: 1, b: 3, c: 4 })
  })

  it('update of a missing document fails with not-found', () => {
    expect(() => applyWrite(undefined, { type: 'update', data: { a: 1 } }, NOW)).toThrow(PortabaseError)
    try {
      applyWrite(undefined, { type: 'update', data: { a: 1 } }, NOW)
    } catch (error) {
      expect((error as PortabaseError).code).toBe('not-found')
    }
  })

  it('does not alias the written data or mutate the existing document', () => {
    const existing: DocumentData = { list: [1] }
    const data = { nested: { x: 1 }, list: [2] }
    const result = applyWrite(existing, { type: 'update', data }, NOW)
    data.nested.x = 99
    data.list.push(3)
    expect(result).toEqual({ nested: { x: 1 }, list: [2] })
    expect(existing).toEqual({ list: [1] })
  })

  it('resolves sentinels against the current field values', () => {
    const existing: DocumentData = { n: 1, tags: ['a'], gone: 'x', keep: true }
    const result = applyWrite(existing, { type: 'update', data: { n: increment(2), tags: arrayUnion('b'), gone: deleteField(), at: serverTimestamp() } }, NOW)
    expect(result).toEqual({ n: 3, tags: ['a', 'b'], keep: true, at: NOW })
    expect(result.at).not.toBe(NOW)
  })

  it('resolves sentinels in set against nothing (a fresh document)', () => {
    expect(applyWrite({ n: 5 }, { type: 'set', data: { n: increment(1), tags: arrayUnion('a') } }, NOW)).toEqual({ n: 1, tags: ['a'] })
  })
})

describe('resolveSentinel', () => {
  it('increment counts a missing or non-number field as 0', () => {
    expect(resolveSentinel(increment(2), undefined, NOW)).toBe(2)
    expect(resolveSentinel(increment(2), 'text', NOW)).toBe(2)
    expect(resolveSentinel(increment(-1.5), 4, NOW)).toBe(2.5)
  })

  it('arrayUnion appends only values not present (deep equality), keeping order', () => {
    expect(resolveSentinel(arrayUnion('b', 'c', 'b'), ['a', 'b'], NOW)).toEqual(['a', 'b', 'c'])
    expect(resolveSentinel(arrayUnion({ k: 1 }), [{ k: 1 }], NOW)).toEqual([{ k: 1 }])
    expect(resolveSentinel(arrayUnion(new Date(1)), [new Date(1)], NOW)).toEqual([new Date(1)])
    expect(resolveSentinel(arrayUnion('x'), 'not an array', NOW)).toEqual(['x'])
  })

  it('arrayRemove removes every occurrence, and yields [] for a missing field', () => {
    expect(resolveSentinel(arrayRemove('a', { k: 1 }), ['a', 'b', 'a', { k: 1 }], NOW)).toEqual(['b'])
    expect(resolveSentinel(arrayRemove('a'), undefined, NOW)).toEqual([])
  })

  it('deleteField resolves to undefined (remove the field)', () => {
    expect(resolveSentinel(deleteField(), 'x', NOW)).toBeUndefined()
  })

  it('serverTimestamp resolves to a copy of now', () => {
    const at = resolveSentinel(serverTimestamp(), undefined, NOW)
    expect(at).toEqual(NOW)
    expect(at).not.toBe(NOW)
  })
})

describe('sentinelKinds', () => {
  it('lists the kinds of sentinel in a write', () => {
    expect(sentinelKinds({ a: increment(1), b: increment(2), c: serverTimestamp(), d: 'plain' })).toEqual(new Set(['increment', 'serverTimestamp']))
    expect(sentinelKinds({ a: 1 })).toEqual(new Set())
  })
})

/** The ordered indexes' sorted list, checked against a plain sorted array of the same keys. */
import fc from 'fast-check'
import { SortedList } from '../../src/query/sorted-list.js'

const byNumber = (a: number, b: number): number => a - b
const op = fc.oneof(fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 3000 }) }), fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 3000 }) }))

/** Reference: a sorted array of distinct keys. */
function reference(initial: readonly number[]): { keys: number[]; set(k: number): boolean; delete(k: number): boolean } {
  const keys = [...new Set(initial)].sort(byNumber)
  return {
    keys,
    set(k) {
      if (keys.includes(k)) return false
      keys.push(k)
      keys.sort(byNumber)
      return true
    },
    delete(k) {
      const at = keys.indexOf(k)
      if (at < 0) return false
      keys.splice(at, 1)
      return true
    },
  }
}

describe('SortedList', () => {
  it('through inserts and deletes (chunks split and merged) it holds the reference keys, in order, from any start', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 2500 }), fc.array(op, { maxLength: 1500 }), fc.integer({ min: -1, max: 3001 }), (initial, ops, from) => {
        const ref = reference(initial)
        const list = new SortedList(byNumber, [...initial].sort(byNumber))
        for (const { kind, key } of ops) expect(list[kind](key)).toBe(ref[kind](key))
        expect(list.size).toBe(ref.keys.length)
        expect([...list.keys()]).toEqual(ref.keys)
        expect([...list.keys(from)]).toEqual(ref.keys.filter((k) => k >= from))
      }),
      { numRuns: 60 },
    )
  })

  it('empties completely and fills again (every chunk removed, then rebuilt by single inserts)', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => i)
    const list = new SortedList(byNumber, keys)
    for (const k of keys) expect(list.delete(k)).toBe(true)
    expect(list.size).toBe(0)
    expect([...list.keys()]).toEqual([])
    expect(list.delete(1)).toBe(false)
    for (const k of [...keys].reverse()) expect(list.set(k)).toBe(true)
    expect([...list.keys(4990)]).toEqual([4990, 4991, 4992, 4993, 4994, 4995, 4996, 4997, 4998, 4999])
    expect(list.size).toBe(5000)
  })

  it('set replaces the key equal to the new one (same sort position, new object)', () => {
    const byId = (a: { id: number }, b: { id: number }): number => a.id - b.id
    const first = { id: 7, v: 'old' }
    const list = new SortedList(byId, [{ id: 1, v: 'a' }, first])
    expect(list.set({ id: 7, v: 'new' })).toBe(false)
    expect([...list.keys()].map((k) => k.v)).toEqual(['a', 'new'])
    expect(list.size).toBe(2)
  })

  it('drops keys equal to their predecessor when built from sorted input', () => {
    const list = new SortedList(byNumber, [1, 1, 2, 3, 3, 3])
    expect([...list.keys()]).toEqual([1, 2, 3])
    expect(list.size).toBe(3)
  })
})

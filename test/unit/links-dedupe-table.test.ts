/**
 * dedupe()'s table of flights: the first flight sits in a slot, the others in a Map that keeps a
 * sentinel entry (src/links/dedupe.ts). These cases cross the two: sharing, settling, detaching by a
 * write and re-adding work the same whichever place a flight is in.
 */
import { dedupe, type NextLink, type Operation } from '../../src/links/index.js'
import { op as baseOp } from './link-support.js'

const read = (collection: string, id: string): Operation => baseOp({}, [collection, id])
const write = (collection: string): Operation => baseOp({ method: 'write', idempotent: false }, [[{ type: 'delete', collection, id: 'x' }]])

interface Pending {
  op: Operation
  resolve: (value: unknown) => void
}

function controlled(): NextLink & { pending: Pending[] } {
  const pending: Pending[] = []
  const next = ((o: Operation) => new Promise((resolve) => pending.push({ op: o, resolve }))) as NextLink & { pending: Pending[] }
  next.pending = pending
  return next
}

const settle = (pending: Pending) => pending.resolve(`${String(pending.op.args[0])}/${String(pending.op.args[1])}`)

describe('dedupe() flights table', () => {
  it('shares each of several concurrent distinct reads, in the slot and in the map alike', async () => {
    const next = controlled()
    const link = dedupe()
    const keys = [['a', '1'], ['a', '2'], ['b', '1'], ['b', '2']] as const
    const firsts = keys.map(([c, id]) => link(read(c, id), next))
    const seconds = keys.map(([c, id]) => link(read(c, id), next))
    expect(next.pending).toHaveLength(keys.length)
    // Settled out of order: the slot's flight first, then the map's.
    for (const i of [0, 2, 1, 3]) settle(next.pending[i]!)
    expect(await Promise.all(firsts)).toEqual(['a/1', 'a/2', 'b/1', 'b/2'])
    expect(await Promise.all(seconds)).toEqual(['a/1', 'a/2', 'b/1', 'b/2'])
    // Nothing is left behind: each read sends a new request.
    const again = keys.map(([c, id]) => link(read(c, id), next))
    expect(next.pending).toHaveLength(keys.length * 2)
    next.pending.slice(keys.length).forEach(settle)
    expect(await Promise.all(again)).toEqual(['a/1', 'a/2', 'b/1', 'b/2'])
  })

  it('a write detaches the reads of its collection wherever they sit; a detached flight settling later removes nothing newer', async () => {
    const next = controlled()
    const link = dedupe()
    const a1 = link(read('a', '1'), next) // the slot
    const b1 = link(read('b', '1'), next) // the map
    const a2 = link(read('a', '2'), next) // the map
    const w = link(write('a'), next)
    expect(next.pending).toHaveLength(4)
    // Reads of `a` issued after the write start new requests; `b` still shares.
    const a1Late = link(read('a', '1'), next)
    const a2Late = link(read('a', '2'), next)
    const b1Late = link(read('b', '1'), next)
    expect(next.pending.map((p) => p.op.args[1] ?? 'write')).toEqual(['1', '1', '2', 'write', '1', '2'])
    // The old flights settle: the new ones stay shared by later callers.
    settle(next.pending[0]!)
    settle(next.pending[2]!)
    expect(await a1).toBe('a/1')
    expect(await a2).toBe('a/2')
    const a1Later = link(read('a', '1'), next)
    const a2Later = link(read('a', '2'), next)
    expect(next.pending).toHaveLength(6)
    settle(next.pending[1]!)
    next.pending[3]!.resolve(undefined)
    settle(next.pending[4]!)
    settle(next.pending[5]!)
    await w
    expect(await Promise.all([b1, b1Late, a1Late, a1Later, a2Late, a2Later])).toEqual(['b/1', 'b/1', 'a/1', 'a/1', 'a/2', 'a/2'])
  })
})

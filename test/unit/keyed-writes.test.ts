/**
 * unappliedWrites() against the memory adapter's real SyncService: which ops of a keyed write the
 * backend already holds, judged per document by the write id it recorded last.
 */
import { memory, type MemoryAdapter } from '../../adapters/memory/index.js'
import { unappliedWrites, withWriteIds, type KeyedWriteOp } from '../../src/client/keyed-writes.js'
import { increment } from '../../src/index.js'

let adapter: MemoryAdapter
beforeEach(() => {
  adapter = memory()
})
afterEach(() => adapter.dispose())

const ids = (ops: readonly KeyedWriteOp[]): string[] => ops.map((op) => op.writeId)
const apply = (ops: readonly KeyedWriteOp[]): Promise<void> => adapter.documents.write(ops, { atomic: false })

describe('unappliedWrites (memory SyncService)', () => {
  const plan = (): KeyedWriteOp[] =>
    withWriteIds([
      { type: 'create', collection: 't', id: 'x', data: { n: 0 } },
      { type: 'update', collection: 't', id: 'x', data: { n: increment(1) } },
      { type: 'create', collection: 'u', id: 'y', data: { n: 0 } },
    ])

  it('gives each op its own write id', () => {
    const ops = plan()
    expect(new Set(ids(ops)).size).toBe(3)
  })

  it('nothing applied: every op, in order', async () => {
    const ops = plan()
    expect(ids(await unappliedWrites(adapter.sync!, ops))).toEqual(ids(ops))
  })

  it('the first op of a document applied: its later ops and the other documents remain', async () => {
    const ops = plan()
    await apply([ops[0]!])
    expect(ids(await unappliedWrites(adapter.sync!, ops))).toEqual([ops[1]!.writeId, ops[2]!.writeId])
  })

  it('every op of one document applied: only the other document remains', async () => {
    const ops = plan()
    await apply([ops[0]!, ops[1]!])
    expect(ids(await unappliedWrites(adapter.sync!, ops))).toEqual([ops[2]!.writeId])
  })

  it('everything applied: nothing to send', async () => {
    const ops = plan()
    await apply(ops)
    expect(await unappliedWrites(adapter.sync!, ops)).toEqual([])
  })

  it('a delete is found applied by its tombstone', async () => {
    await adapter.documents.write([{ type: 'set', collection: 't', id: 'x', data: { n: 1 } }], { atomic: false })
    const ops = withWriteIds([{ type: 'delete', collection: 't', id: 'x' }])
    await apply(ops)
    expect(await unappliedWrites(adapter.sync!, ops)).toEqual([])
  })

  it('a document another write replaced since: its ops are sent again (the documented limit)', async () => {
    const ops = withWriteIds([{ type: 'update', collection: 't', id: 'x', data: { n: increment(1) } }])
    await adapter.documents.write([{ type: 'set', collection: 't', id: 'x', data: { n: 1 } }], { atomic: false })
    await apply(ops)
    await adapter.documents.write([{ type: 'set', collection: 't', id: 'x', data: { n: 5 } }], { atomic: false })
    expect(ids(await unappliedWrites(adapter.sync!, ops))).toEqual(ids(ops))
  })
})

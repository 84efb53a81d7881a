/**
 * The SyncService conformance suite (sync-spi.ts) on the memory adapter, plus what only memory can
 * show: tombstones purged after their lifetime on the backend clock, and the testing kit's network
 * (offline, injected faults) applying to sync calls.
 */
import { createMemoryBackend, ManualClock, memory, type MemoryAdapter, type MemoryBackend, type MemoryBackendOptions } from '../../adapters/memory/index.js'
import type { Adapter, Capabilities } from '../../src/spi.js'
import { expectError } from './helpers.js'
import { runSyncSpiSuite } from './sync-spi.js'

/** The owned-collection rules of FIXTURES.md. */
const rules: MemoryBackendOptions['rules'] = {
  owned: {
    read: ({ auth, doc }) => auth !== null && doc?.data.owner === auth.uid,
    write: ({ auth, doc, existing }) => auth !== null && (existing ? existing.data.owner === auth.uid : doc?.data.owner === auth.uid),
  },
}

const fixtureBackend = (options: MemoryBackendOptions = {}): MemoryBackend => createMemoryBackend({ rules, clock: new ManualClock(), ...options })

let backend: MemoryBackend
let collections = 0

const clockOf = (adapter: Adapter): ManualClock => {
  const clock = (adapter as MemoryAdapter).backend.clock
  if (!(clock instanceof ManualClock)) throw new Error('the memory sync suite runs on a ManualClock')
  return clock
}

/** The suite on memory adapters sharing one backend, declaring `capabilities` (default: all). */
function memoryTarget(name: string, prefix: string, capabilities: Partial<Capabilities> = {}): Parameters<typeof runSyncSpiSuite>[0] {
  return {
    name,
    async setup() {
      backend = fixtureBackend()
    },
    async teardown() {},
    async createAdapter(options) {
      // A tombstone lifetime is the backend's: such an adapter gets a backend of its own.
      return memory({ backend: options?.tombstoneTtlMs === undefined ? backend : fixtureBackend({ tombstoneTtlMs: options.tombstoneTtlMs }), capabilities })
    },
    freshCollection: () => `${prefix}${++collections}`,
    ownedCollection: () => 'owned',
    async tick(adapter) {
      clockOf(adapter).advance(5)
    },
    async age(adapter, checkpoint, ms) {
      clockOf(adapter).advance(ms)
      return checkpoint
    },
    hiddenReads: 'absent',
  }
}

runSyncSpiSuite(memoryTarget('memory', 'c'))
// Declaring neither realtime nor transactions: the capability-gated cases take their negative
// branches (non-atomic batches, watch() refused).
runSyncSpiSuite(memoryTarget('memory (no realtime, no transactions)', 'n', { realtime: false, transactions: false }))

describe('sync SPI: memory only', () => {
  it('purges tombstones older than tombstoneTtlMs (backend clock); a checkpoint within it still works', async () => {
    const clock = new ManualClock()
    const adapter = memory({ backend: createMemoryBackend({ clock, tombstoneTtlMs: 1_000 }) })
    await adapter.documents.write(
      [
        { type: 'set', collection: 'c', id: 'a', data: { n: 1 } },
        { type: 'set', collection: 'c', id: 'b', data: { n: 1 } },
      ],
      { atomic: false },
    )
    await adapter.documents.write([{ type: 'delete', collection: 'c', id: 'b' }], { atomic: false })
    // Commit times strictly increase (1 ms apart while the manual clock stands still).
    const deletedAt = (await adapter.sync.fetch('c', ['b']))[0]!.updateTime.getTime()
    const checkpoint = { updateTime: new Date(deletedAt), id: 'a' }
    clock.advance(deletedAt + 1_000 - clock.now())
    expect((await adapter.sync.changes('c', checkpoint, 10)).map((r) => [r.id, r.data])).toEqual([['b', null]])
    expect((await adapter.sync.fetch('c', ['b'])).map((r) => r.id)).toEqual(['b'])
    clock.advance(1)
    await expectError(() => adapter.sync.changes('c', checkpoint, 10), 'failed-precondition')
    expect(await adapter.sync.fetch('c', ['b'])).toEqual([])
    expect((await adapter.sync.changes('c', null, 10)).map((r) => r.id)).toEqual(['a'])
    await adapter.dispose()
  })

  it('sync calls pass the simulated network: offline → unavailable, failNext, call counts', async () => {
    const adapter = memory()
    await adapter.sync.write([{ type: 'create', collection: 'c', id: 'a', data: { n: 1 }, writeId: 'w1' }])
    adapter.network.goOffline()
    await expectError(() => adapter.sync.fetch('c', ['a']), 'unavailable')
    await expectError(() => adapter.sync.changes('c', null, 10), 'unavailable')
    await expectError(() => adapter.sync.write([{ type: 'update', collection: 'c', id: 'a', data: { n: 2 }, writeId: 'w2' }]), 'unavailable')
    adapter.network.goOnline()
    adapter.network.failNext(1, 'resource-exhausted', { service: 'sync', method: 'write' })
    await expectError(() => adapter.sync.write([{ type: 'update', collection: 'c', id: 'a', data: { n: 3 }, writeId: 'w3' }]), 'resource-exhausted')
    expect(await adapter.sync.fetch('c', ['a'])).toMatchObject([{ data: { n: 1 }, writeId: 'w1' }])
    expect(adapter.network.calls.get('sync.write')).toBe(3)
    await adapter.dispose()
  })

  it('reads leave out documents and tombstones the rules hide (a tombstone is judged on the deleted document)', async () => {
    const shared = fixtureBackend()
    const owner = memory({ backend: shared })
    const stranger = memory({ backend: shared })
    const me = await owner.auth.signUp({ email: 'o@example.com', password: 'pw-123456789' })
    await stranger.auth.signUp({ email: 's@example.com', password: 'pw-123456789' })
    await owner.sync.write([
      { type: 'create', collection: 'owned', id: 'kept', data: { owner: me.uid }, writeId: 'w1' },
      { type: 'create', collection: 'owned', id: 'gone', data: { owner: me.uid }, writeId: 'w2' },
      { type: 'delete', collection: 'owned', id: 'gone', writeId: 'w3' },
    ])
    // Ordered by (updateTime, id): the deletion is the later commit.
    expect((await owner.sync.changes('owned', null, 10)).map((r) => r.id)).toEqual(['kept', 'gone'])
    expect(await stranger.sync.changes('owned', null, 10)).toEqual([])
    expect(await stranger.sync.fetch('owned', ['kept', 'gone'])).toEqual([])
    await Promise.all([owner.dispose(), stranger.dispose()])
  })
})

/**
 * Offline collections on Firebase against a real Firestore emulator (firebase-live.ts): the sync SPI
 * suite and the offline suite on `firestore({ offline: firestoreOffline() })`. Each device reaches Firestore
 * through its own TCP relay (test/backends/tcp-cut.ts) and goes offline when the relay cuts it off.
 * Not `disableNetwork()`: it stops the SDK's listen and write streams, but transactions (which the
 * SyncService writes with) still reach the server (the SDK's TransactionRunner calls the datastore
 * directly). `failNextWrites(n)` fails the device's next n sync writes with `internal` before they
 * reach the SDK (the emulator has no fault injection).
 */
import { firestoreOffline } from '../../adapters/firebase/index.js'
import { generateId } from '../../src/index.js'
import type { Adapter } from '../../src/spi.js'
import { sleep } from '../contract/helpers.js'
import { runSyncSpiSuite } from '../contract/sync-spi.js'
import { runOfflineSuite } from '../offline/suite.js'
import { failingSyncWrites } from '../offline/sync-write-faults.js'
import { startTcpCut, type TcpCut } from '../backends/tcp-cut.js'
import { firestoreHost, liveFirebase } from './firebase-live.js'

jest.setTimeout(120_000)

// One emulator set per suite: each starts and stops its own.
const forSync = liveFirebase()
const forOffline = liveFirebase()
let collections = 0
const run = generateId(6)
const fresh = (): string => `o${run}_${++collections}`

runSyncSpiSuite({
  name: 'firebase (live Firestore emulator)',
  setup: forSync.setup,
  teardown: forSync.teardown,
  async createAdapter(options) {
    return forSync.adapter({ offline: firestoreOffline({ tombstoneTtlMs: options?.tombstoneTtlMs }) })
  },
  freshCollection: fresh,
  ownedCollection: () => 'owned',
  // Commit times are microseconds apart; a few ms makes the next one clearly later.
  tick: () => sleep(3),
  // The server's clock cannot be moved: the checkpoint moves back instead.
  async age(_adapter, checkpoint, ms) {
    return { updateTime: new Date(checkpoint.updateTime.getTime() - ms), id: checkpoint.id }
  },
  // Security rules are not filters: a query that could return a hidden document is refused.
  hiddenReads: 'permission-denied',
})

const relays: TcpCut[] = []

runOfflineSuite({
  name: 'firebase (live Firestore emulator)',
  setup: forOffline.setup,
  async teardown() {
    await Promise.all(relays.splice(0).map((r) => r.close()))
    await forOffline.teardown()
  },
  async device() {
    const relay = await startTcpCut(firestoreHost())
    relays.push(relay)
    const adapter = forOffline.adapter({ offline: firestoreOffline() }, { host: '127.0.0.1', port: relay.port })
    return {
      adapter: adapter as Adapter,
      goOffline: async () => relay.cut(),
      goOnline: async () => relay.restore(),
      failNextWrites: failingSyncWrites(adapter, 'firebase'),
    }
  },
  freshCollection: fresh,
  ownedCollection: () => 'owned',
  propertyRuns: 4,
})

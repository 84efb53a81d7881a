/**
 * Firestore writes, translation level (no Firestore emulator runs here; `firebase/firestore` is
 * mocked and records what the adapter asks of it): add() is a plain batched set like `addDoc`, a
 * create of a caller-chosen id keeps its already-exists guarantee through a transaction, and a
 * write abandoned by a timeout or an abort is reported as possibly still applied (the SDK keeps it).
 * What Firestore then does with those calls is the live target's part (test/live/firebase.test.ts).
 */
import type { Call } from './recording-batch.js'

jest.mock('firebase/firestore', () => {
  const { recordingBatch } = jest.requireActual<typeof import('./recording-batch.js')>('./recording-batch')
  const state = {
    batches: [] as Call[][],
    transactions: 0,
    existing: new Set<string>(),
    /** A commit that never settles: the SDK still holding the write. */
    hang: false,
  }
  const settle = () => (state.hang ? new Promise<void>(() => undefined) : Promise.resolve())
  // The real module for values (Timestamp, serverTimestamp…); the calls that reach a server are recorded.
  return {
    ...jest.requireActual<object>('firebase/firestore'),
    __state: state,
    doc: (_db: unknown, col: string, id: string) => ({ $: 'doc', path: `${col}/${id}` }),
    writeBatch: recordingBatch(() => state.batches, settle),
    runTransaction: async (_db: unknown, fn: (tx: unknown) => Promise<void>) => {
      state.transactions += 1
      await fn({
        get: async (ref: { path: string }) => ({ exists: () => state.existing.has(ref.path) }),
        set: () => undefined,
        update: () => undefined,
        delete: () => undefined,
      })
      return settle()
    },
  }
})

// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdk = require('firebase/firestore') as { __state: { batches: Call[][]; transactions: number; existing: Set<string>; hang: boolean } }
import { memory } from '../../adapters/memory/index.js'
import { FirestoreDocuments } from '../../adapters/firebase/firestore.js'
import { PortabaseError } from '../../src/errors.js'
import { createClient, timeout, type PortabaseClient } from '../../src/index.js'
import type { Adapter } from '../../src/spi.js'
import { expectError } from '../contract/helpers.js'

const state = sdk.__state
const db = {} as ConstructorParameters<typeof FirestoreDocuments>[0]

/** A client whose documents service is the Firestore one (everything else is memory's, unused). */
function client(links: Parameters<typeof createClient>[0]['links'] = []): PortabaseClient {
  const base = memory()
  const adapter: Adapter = { ...base, documents: new FirestoreDocuments(db) }
  return createClient({ adapter, links })
}

beforeEach(() => {
  state.batches = []
  state.transactions = 0
  state.existing = new Set()
  state.hang = false
})

describe('firestore writes (translation, mocked SDK)', () => {
  it('add() is one batched set of the generated id, with no transaction (no read; queued offline like any write)', async () => {
    const app = client()
    const ref = await app.db.collection('todos').add({ title: 'a' })
    expect(state.transactions).toBe(0)
    expect(state.batches).toHaveLength(1)
    expect(state.batches[0]!.map((c) => [c.$, (c.args[0] as { path: string }).path])).toEqual([['set', `todos/${ref.id}`]])
    expect(ref.id).toMatch(/^[A-Za-z0-9]{20}$/)
  })

  it('create() of a caller-chosen id reads it in a transaction: already-exists when it is there', async () => {
    const app = client()
    await app.db.collection('todos').doc('mine').create({ title: 'a' })
    expect(state.transactions).toBe(1)
    expect(state.batches).toHaveLength(0)
    state.existing.add('todos/taken')
    await expectError(() => app.db.collection('todos').doc('taken').create({ title: 'b' }), 'already-exists')
  })

  it('a batch mixing add()-style and caller-chosen creates takes the transaction for the checked one', async () => {
    const app = client()
    await app.db.batch((b) => {
      b.create(app.db.collection('todos').doc('checked'), { title: 'c' })
      b.set(app.db.collection('todos').doc('plain'), { title: 'p' })
    })
    expect(state.transactions).toBe(1)
  })

  it('a write abandoned by a timeout is deadline-exceeded, not retryable, and says it may still be applied', async () => {
    const app = client([timeout(30)])
    state.hang = true
    const error = await expectError(() => app.db.collection('todos').doc('slow').set({ title: 's' }), 'deadline-exceeded')
    expect(error).toBeInstanceOf(PortabaseError)
    expect(error.retryable).toBe(false)
    expect(error.details).toMatchObject({ writeMayStillApply: true })
    expect(error.message).toMatch(/may still be applied/)
    // The SDK was handed the write: it is still there, to be sent.
    expect(state.batches).toHaveLength(1)
  })
})

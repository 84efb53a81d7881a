/**
 * A write abandoned after it reached the adapter (a timeout link gave up on it) has an open outcome:
 * the client says so (`details.writeMayStillApply`, not retryable) instead of reporting a clean
 * failure — and here the write does land afterwards, as a slow server would apply it.
 */
import { memory } from '../../adapters/memory/index.js'
import { createClient, timeout } from '../../src/index.js'
import type { Adapter } from '../../src/spi.js'
import { expectError, sleep } from '../contract/helpers.js'

function slowWrites(ms: number): Adapter {
  const base = memory()
  const documents = Object.create(base.documents) as Adapter['documents']
  documents.write = async (ops, options) => {
    await sleep(ms)
    // Like a server that received the request: the caller leaving does not undo it.
    return base.documents.write(ops, { ...options, signal: undefined })
  }
  return { ...base, documents }
}

describe('abandoned writes', () => {
  it('a timed-out write is deadline-exceeded, flagged writeMayStillApply, not retryable — and it lands', async () => {
    const app = createClient({ adapter: slowWrites(60), links: [timeout(15)] })
    const error = await expectError(() => app.db.collection('t').doc('a').set({ v: 1 }), 'deadline-exceeded')
    expect(error.details).toMatchObject({ writeMayStillApply: true })
    expect(error.retryable).toBe(false)
    expect(error.message).toMatch(/may still be applied/)
    await sleep(100)
    expect((await app.db.collection('t').doc('a').get())?.data).toEqual({ v: 1 })
    await app.dispose()
  })

  it('a write refused before it reaches the adapter is not flagged', async () => {
    const app = createClient({ adapter: slowWrites(0), links: [timeout(15)] })
    const error = await expectError(() => app.db.collection('t').doc('a').update({}), 'invalid-argument')
    expect(error.details?.writeMayStillApply).toBeUndefined()
    await app.dispose()
  })
})

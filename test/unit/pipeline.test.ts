/** The client's pipeline: the adapter call at the end of the links, and clean-up on dispose. */
import { memory } from '../../adapters/memory/index.js'
import { Pipeline } from '../../src/client/pipeline.js'
import { Cancellation } from '../../src/links/cancel.js'
import { timeout, type Link, type Operation } from '../../src/links/index.js'

describe('Pipeline', () => {
  let adapter: ReturnType<typeof memory>
  beforeEach(() => {
    adapter = memory()
  })
  afterEach(async () => {
    await adapter.dispose()
  })

  it("hands the adapter call an operation whose signal is created only when read (built-in links' lazy cancellation)", async () => {
    const pipeline = new Pipeline(adapter, [timeout(10_000)])
    let seen: Operation | undefined
    await pipeline.invoke({
      service: 'auth',
      method: 'getIdToken',
      args: [],
      idempotent: true,
      run: async (op) => {
        seen = op
        return null
      },
    })
    const cancel = (seen as unknown as { cancel: unknown }).cancel
    expect(cancel).toBeInstanceOf(Cancellation)
    // An auth call never reads op.signal: no AbortSignal was made for it.
    expect((cancel as Cancellation).materialised).toBe(false)
    expect(seen!.signal).toBeInstanceOf(AbortSignal)
    expect((cancel as Cancellation).materialised).toBe(true)
    pipeline.close()
  })

  it("passes the caller's signal through as it is when no built-in link made a cancellation", async () => {
    const custom: Link = (op, next) => next(op)
    const pipeline = new Pipeline(adapter, [custom])
    const controller = new AbortController()
    const seen = await pipeline.invoke({ service: 'documents', method: 'get', args: ['c', 'd'], idempotent: true, signal: controller.signal, run: async (op) => op.signal })
    expect(seen).toBe(controller.signal)
    pipeline.close()
  })

  it('runs onClose callbacks when closed (a failing one does not stop the others), and at once after', () => {
    const pipeline = new Pipeline(adapter, [])
    const order: string[] = []
    pipeline.onClose(() => order.push('a'))
    pipeline.onClose(() => {
      throw new Error('boom')
    })
    pipeline.onClose(() => order.push('b'))
    expect(order).toEqual([])
    pipeline.close()
    expect(order).toEqual(['a', 'b'])
    pipeline.onClose(() => order.push('late'))
    expect(order).toEqual(['a', 'b', 'late'])
    expect(() => pipeline.assertOpen()).toThrow(expect.objectContaining({ code: 'failed-precondition' }))
  })
})

/**
 * The machinery that keeps built-in links cheap: lazy cancellation (src/links/cancel.ts), how chain()
 * materialises it for code outside the built-in links, and the shared deadline timer of timeout()
 * (src/links/deadlines.ts).
 */
import { EventEmitter } from 'node:events'
import { PortabaseError } from '../../src/errors.js'
import { Cancellation, cancelOf, markLazy, materialise, raceCancel, withCancellation } from '../../src/links/cancel.js'
import { DeadlineQueue } from '../../src/links/deadlines.js'
import { chain, dedupe, retry, timeout, type Link, type NextLink, type Operation } from '../../src/links/index.js'
import { op as baseOp, rejection } from './link-support.js'

const op = (overrides: Partial<Operation> = {}): Operation => baseOp(overrides, ['todos', 't1'])
const listener = (): { handleEvent: jest.Mock } => ({ handleEvent: jest.fn() })

describe('Cancellation', () => {
  it('creates no AbortSignal until asked, then always the same one, which follows it', () => {
    const c = new Cancellation()
    expect(c.materialised).toBe(false)
    const signal = c.signal
    expect(c.materialised).toBe(true)
    expect(c.signal).toBe(signal)
    const reason = new PortabaseError('deadline-exceeded', 'late')
    c.abort(reason)
    expect(signal.aborted).toBe(true)
    expect(signal.reason).toBe(reason)
  })

  it('a signal asked for after the abort is born aborted, with the reason', () => {
    const c = new Cancellation()
    c.abort('why')
    expect(c.signal.aborted).toBe(true)
    expect(c.signal.reason).toBe('why')
  })

  it('tells each listener once, in order; the first reason wins', () => {
    const c = new Cancellation()
    const order: string[] = []
    c.listen({ handleEvent: () => order.push('a') })
    c.listen({ handleEvent: () => order.push('b') })
    const removed = listener()
    c.listen(removed)
    c.unlisten(removed)
    c.abort('first')
    c.abort('second')
    expect(order).toEqual(['a', 'b'])
    expect(removed.handleEvent).not.toHaveBeenCalled()
    expect(c.reason).toBe('first')
  })

  it("follows a parent (a caller's AbortSignal or another cancellation); aborting the child leaves the parent alone", () => {
    const controller = new AbortController()
    const outer = new Cancellation(controller.signal)
    const inner = new Cancellation(outer)
    const heard = listener()
    inner.listen(heard)
    inner.abort('own')
    expect(outer.aborted).toBe(false)
    expect(controller.signal.aborted).toBe(false)

    const sibling = new Cancellation(outer)
    const siblingHeard = listener()
    sibling.listen(siblingHeard)
    const signal = sibling.signal
    controller.abort('caller')
    expect(outer.aborted && sibling.aborted).toBe(true)
    expect(sibling.reason).toBe('caller')
    expect(signal.reason).toBe('caller')
    expect(siblingHeard.handleEvent).toHaveBeenCalledTimes(1)
    expect(heard.handleEvent).toHaveBeenCalledTimes(1)
  })

  it("reads a parent's state without listening to it until someone listens", () => {
    const controller = new AbortController()
    const c = new Cancellation(controller.signal)
    controller.abort('gone')
    expect(c.aborted).toBe(true)
    expect(c.reason).toBe('gone')
  })

  it('release() detaches from a long-lived parent signal: one caller signal, many calls, no listeners left', () => {
    const controller = new AbortController()
    for (let i = 0; i < 100; i++) {
      const c = new Cancellation(controller.signal)
      c.listen(listener())
      void c.signal
      c.release()
    }
    expect(EventEmitter.getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('raceCancel settles with the promise, or rejects at the abort with its error', async () => {
    const c = new Cancellation()
    await expect(raceCancel(Promise.resolve(1), c)).resolves.toBe(1)
    const onAbort = jest.fn()
    const pending = rejection(raceCancel(new Promise(() => undefined), c, onAbort))
    c.abort(new PortabaseError('deadline-exceeded', 'late'))
    expect((await pending).code).toBe('deadline-exceeded')
    expect(onAbort).toHaveBeenCalledTimes(1)
    expect((await rejection(raceCancel(Promise.resolve(1), c))).code).toBe('deadline-exceeded')
  })
})

describe('lazy operations', () => {
  it('materialise() gives code outside the links a plain operation with a real signal', () => {
    const c = new Cancellation()
    const lazy = withCancellation(op({ context: { a: 1 } }), c)
    expect(lazy.signal).toBeUndefined()
    expect(cancelOf(lazy)).toBe(c)
    const plain = materialise(lazy)
    expect(plain.signal).toBe(c.signal)
    expect(cancelOf(plain)).toBe(c.signal)
    expect(plain).toEqual({ service: 'documents', method: 'get', args: ['todos', 't1'], idempotent: true, context: { a: 1 }, signal: c.signal })
    expect(Object.getOwnPropertySymbols(plain)).toEqual([])
  })

  it('between built-in links no AbortSignal is created; a custom link or terminal gets a real one that aborts at the deadline', async () => {
    jest.useFakeTimers({ now: 0 })
    try {
      let lazySeen: Operation | undefined
      const lazyTerminal = markLazy(((o: Operation) => {
        lazySeen = o
        return new Promise(() => undefined)
      }) as NextLink)
      void rejection(chain([retry(), timeout(100), dedupe()], lazyTerminal)(op()) as Promise<unknown>)
      const shared = cancelOf(lazySeen!) as Cancellation
      expect(shared).toBeInstanceOf(Cancellation)
      expect(shared.materialised).toBe(false)

      let customSeen: AbortSignal | undefined
      const custom: Link = (o, next) => {
        customSeen = o.signal
        return next({ ...o, context: { ...o.context, custom: true } })
      }
      let terminalSeen: Operation | undefined
      const result = rejection(
        chain([timeout(100), custom, dedupe()], (o) => {
          terminalSeen = o
          return new Promise(() => undefined)
        })(op()) as Promise<unknown>,
      )
      expect(customSeen).toBeInstanceOf(AbortSignal)
      expect(terminalSeen!.signal).toBeInstanceOf(AbortSignal)
      expect(terminalSeen!.context).toEqual({ custom: true })
      await jest.advanceTimersByTimeAsync(100)
      expect((await result).code).toBe('deadline-exceeded')
      expect(customSeen!.aborted).toBe(true)
      // Dedupe's shared request is aborted once its only caller left.
      expect(terminalSeen!.signal!.aborted).toBe(true)
    } finally {
      jest.useRealTimers()
    }
  })

  it("a custom link's own signal replaces the lazy one below it", async () => {
    const mine = new AbortController()
    let seen: AbortSignal | undefined
    const replace: Link = (o, next) => next({ ...o, signal: mine.signal })
    const pending = chain([timeout(10_000), replace, dedupe()], (o) => {
      seen = o.signal
      return new Promise(() => undefined)
    })(op())
    expect(seen).toBeDefined()
    mine.abort(new PortabaseError('cancelled', 'mine'))
    expect(seen!.aborted).toBe(true)
    expect((await rejection(pending as Promise<unknown>)).code).toBe('cancelled')
  })
})

describe('DeadlineQueue', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }))
  afterEach(() => jest.useRealTimers())

  it('expires entries at their deadlines, in order, with one timer', async () => {
    const expired: string[] = []
    const q = new DeadlineQueue<string>(100, (item) => expired.push(item))
    q.add('a')
    await jest.advanceTimersByTimeAsync(30)
    q.add('b')
    expect(jest.getTimerCount()).toBe(1)
    await jest.advanceTimersByTimeAsync(69)
    expect(expired).toEqual([])
    await jest.advanceTimersByTimeAsync(1)
    expect(expired).toEqual(['a'])
    await jest.advanceTimersByTimeAsync(29)
    expect(expired).toEqual(['a'])
    await jest.advanceTimersByTimeAsync(1)
    expect(expired).toEqual(['a', 'b'])
    expect(q.length).toBe(0)
    expect(jest.getTimerCount()).toBe(0)
  })

  it('a removed entry never expires; when the head goes first, the timer re-arms for the next', async () => {
    const expired: string[] = []
    const q = new DeadlineQueue<string>(100, (item) => expired.push(item))
    const a = q.add('a')
    await jest.advanceTimersByTimeAsync(50)
    const b = q.add('b')
    q.add('c')
    q.remove(a)
    q.remove(a)
    q.remove(b)
    await jest.advanceTimersByTimeAsync(100)
    expect(expired).toEqual(['c'])
  })

  it("when empty, keeps its timer unref'd (ref'd while entries wait), and the timer stops after firing", async () => {
    const q = new DeadlineQueue<string>(100, () => undefined)
    expect(q.timerState).toBe('none')
    const a = q.add('a')
    expect(q.timerState).toBe('ref')
    q.remove(a)
    expect(q.timerState).toBe('unref')
    const b = q.add('b')
    expect(q.timerState).toBe('ref')
    q.remove(b)
    await jest.advanceTimersByTimeAsync(100)
    expect(q.timerState).toBe('none')
    expect(jest.getTimerCount()).toBe(0)
  })

  it('clear() drops everything and its timer', async () => {
    const expired: string[] = []
    const q = new DeadlineQueue<string>(100, (item) => expired.push(item))
    q.add('a')
    q.clear()
    expect(jest.getTimerCount()).toBe(0)
    await jest.advanceTimersByTimeAsync(200)
    expect(expired).toEqual([])
  })

  it('an expiry that throws does not strand the others', async () => {
    const expired: string[] = []
    const q = new DeadlineQueue<string>(100, (item) => {
      expired.push(item)
      throw new Error('boom')
    })
    q.add('a')
    q.add('b')
    await jest.advanceTimersByTimeAsync(100)
    expect(expired).toEqual(['a', 'b'])
  })
})

describe('DeadlineQueue on real timers', () => {
  it("its idle timer does not keep Node running (unref'd)", () => {
    const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = timeouts()
    const q = new DeadlineQueue<string>(60_000, () => undefined)
    const a = q.add('a')
    expect(timeouts()).toBe(before + 1)
    q.remove(a)
    expect(timeouts()).toBe(before)
    q.clear()
  })
})

/**
 * Adjacent built-in links run fused, in one frame (src/links/stage.ts): outcomes pass outward by
 * plain calls, the cancellation travels beside the operation and clock readings are shared. These
 * cases pin what must not change with that: each link still sees one outcome per call, custom links
 * split a chain into runs and still get real signals, a throwing hook fails the call through the
 * outer links, and an injected clock is never mixed with the default one.
 */
import { PortabaseError } from '../../src/errors.js'
import { chain, dedupe, log, metrics, retry, timeout, type Link, type LogEntry, type NextLink, type Operation } from '../../src/links/index.js'
import { op as baseOp, rejection } from './link-support.js'

const op = (overrides: Partial<Operation> = {}): Operation => baseOp(overrides, ['todos', 't1'])

describe('fused built-in links', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }))
  afterEach(() => jest.useRealTimers())

  it("a timeout's early failure reaches every outer link once; the late outcome from below is dropped", async () => {
    const entries: LogEntry[] = []
    const m = metrics()
    let finish: (value: unknown) => void = () => undefined
    const hang: NextLink = () => new Promise((resolve) => (finish = resolve))
    const send = chain([log({ logger: (e) => entries.push(e) }), m, retry({ maxAttempts: 1 }), timeout(100), dedupe()], hang)
    const call = rejection(send(op()))
    await jest.advanceTimersByTimeAsync(100)
    expect((await call).code).toBe('deadline-exceeded')
    finish('late')
    await jest.advanceTimersByTimeAsync(0)
    expect(entries.map((e) => `${e.outcome}:${e.code}`)).toEqual(['error:deadline-exceeded'])
    expect(m.snapshot().total).toMatchObject({ count: 1, errors: 1, inFlight: 0 })
  })

  it('a custom link between two runs gets a real signal that aborts at the outer deadline; the run below it still shares reads', async () => {
    const seen: (AbortSignal | undefined)[] = []
    const custom: Link = (o, next) => {
      seen.push(o.signal)
      return next(o)
    }
    let calls = 0
    const slow: NextLink = () => {
      calls += 1
      return new Promise(() => undefined)
    }
    const send = chain([timeout(100), custom, dedupe()], slow)
    const a = rejection(send(op()))
    const b = rejection(send(op()))
    expect(calls).toBe(1)
    expect(seen.map((s) => s instanceof AbortSignal && !s.aborted)).toEqual([true, true])
    await jest.advanceTimersByTimeAsync(100)
    expect([(await a).code, (await b).code]).toEqual(['deadline-exceeded', 'deadline-exceeded'])
    expect(seen.every((s) => s!.aborted)).toBe(true)
  })

  it('a hook that throws inside a run fails the call, and the outer links record that failure', async () => {
    const entries: LogEntry[] = []
    const m = metrics()
    const boom = new PortabaseError('invalid-argument', 'bad include')
    const include = (): boolean => {
      throw boom
    }
    const send = chain([log({ logger: (e) => entries.push(e) }), m, dedupe({ include })], async () => 'never')
    await expect(send(op())).rejects.toBe(boom)
    expect(entries.map((e) => e.code)).toEqual(['invalid-argument'])
    expect(m.snapshot().total.errorsByCode).toEqual({ 'invalid-argument': 1 })
  })

  it('an injected clock is used alone: a neighbour on the default clock does not lend it readings', async () => {
    const entries: LogEntry[] = []
    let fake = 1_000
    const m = metrics()
    const send = chain([log({ logger: (e) => entries.push(e), now: () => fake }), m], () => new Promise((resolve) => setTimeout(() => resolve('ok'), 30)))
    const call = send(op())
    fake = 1_007
    await jest.advanceTimersByTimeAsync(30)
    await call
    expect(entries[0]!.durationMs).toBe(7)
    expect(m.snapshot().total.latency.sumMs).toBe(30)
  })

  it('retries run the rest of the run again, each attempt under its own deadline', async () => {
    let calls = 0
    const flaky: NextLink = () => {
      calls += 1
      return calls === 1 ? new Promise(() => undefined) : Promise.resolve('second')
    }
    const send = chain([retry({ random: () => 0, baseDelayMs: 10 }), timeout(100), dedupe()], flaky)
    const call = send(op())
    await jest.advanceTimersByTimeAsync(99)
    expect(calls).toBe(1)
    // The deadline at 100, then a backoff of 0 (a timer of 1 ms in Node).
    await jest.advanceTimersByTimeAsync(2)
    expect(calls).toBe(2)
    await expect(call).resolves.toBe('second')
  })
})

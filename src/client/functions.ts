import { PortabaseError, invalidArgument } from '../errors.js'
import { raceAbort } from '../links/abort.js'
import type { Adapter } from '../spi.js'
import { assertValue } from '../values.js'
import { requireCapability, type Pipeline } from './pipeline.js'

const FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/

export interface FunctionCallOptions {
  /** Deadline for this call; `deadline-exceeded` after it. */
  timeoutMs?: number
  signal?: AbortSignal
}

export class FunctionsClient {
  constructor(
    private readonly adapter: Adapter,
    private readonly pipeline: Pipeline,
  ) {}

  /** Calls a server function with a JSON (+Date) input; the function sees the caller's auth. */
  call<In = unknown, Out = unknown>(name: string, input?: In, options: FunctionCallOptions = {}): Promise<Out> {
    this.pipeline.assertOpen()
    requireCapability(this.adapter, this.adapter.capabilities.functions, 'Functions')
    if (typeof name !== 'string' || !FUNCTION_NAME.test(name)) throw invalidArgument(`Invalid function name ${JSON.stringify(name)}`)
    const payload = input === undefined ? null : input
    assertValue(payload, 'input')
    const { timeoutMs } = options
    if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs <= 0)) throw invalidArgument('timeoutMs must be a positive number')

    const deadline = timeoutMs === undefined ? undefined : new AbortController()
    const timer = deadline && setTimeout(() => deadline.abort(new PortabaseError('deadline-exceeded', `Function ${name} took longer than ${timeoutMs} ms`)), timeoutMs)
    const signal = [options.signal, deadline?.signal].filter((s): s is AbortSignal => s !== undefined)
    const combined = signal.length === 0 ? undefined : signal.length === 1 ? signal[0] : AbortSignal.any(signal)
    return this.pipeline
      .invoke<Out>({
        service: 'functions',
        method: 'call',
        args: [name, payload],
        // Functions may have side effects: never retried automatically.
        idempotent: false,
        signal: combined,
        run: (op) => raceAbort(this.adapter.functions.call(name, op.args[1], { signal: op.signal, timeoutMs }), op.signal) as Promise<Out>,
      })
      .finally(() => clearTimeout(timer))
  }
}

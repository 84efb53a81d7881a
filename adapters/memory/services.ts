import { filter, map, merge, pairwise, type Observable } from 'rxjs'
import { PortabaseError } from '../../src/errors.js'
import { raceAbort } from '../../src/links/abort.js'
import type { CallOptions, ConfigService, FunctionsService } from '../../src/spi.js'
import type { ConfigScalar, User, Value } from '../../src/types.js'
import { fromTaggedJson, toTaggedJson } from '../../src/values.js'
import type { MemoryBackend } from './backend.js'
import type { MemoryNetwork } from './network.js'

/** Values cross the simulated wire as JSON, so functions never share objects with callers. */
const overTheWire = (value: unknown): unknown => fromTaggedJson(JSON.parse(JSON.stringify(toTaggedJson((value ?? null) as Value))))

export class MemoryFunctions implements FunctionsService {
  constructor(
    private readonly backend: MemoryBackend,
    private readonly network: MemoryNetwork,
    private readonly caller: () => User | null,
  ) {}

  async call(name: string, input: unknown, options: CallOptions): Promise<unknown> {
    await this.network.gate('functions', 'call', options.signal)
    const handler = this.backend.functions.get(name)
    if (!handler) throw new PortabaseError('not-found', `No function named ${name}`, { provider: 'memory' })
    try {
      const result = await raceAbort(Promise.resolve(handler(overTheWire(input), { auth: this.caller(), signal: options.signal })), options.signal)
      return overTheWire(result)
    } catch (error) {
      if (error instanceof PortabaseError) {
        if (error.provider === 'memory') throw error
        throw new PortabaseError(error.code, error.message.replace(/^\[[a-z-]+\] /, ''), { provider: 'memory', details: error.details })
      }
      // Like callable functions: an unexpected error reaches the caller as `internal`, without server internals.
      throw new PortabaseError('internal', `Function ${name} failed`, { provider: 'memory', cause: error })
    }
  }
}

export class MemoryConfig implements ConfigService {
  constructor(
    private readonly backend: MemoryBackend,
    private readonly network: MemoryNetwork,
  ) {}

  async fetch(options?: CallOptions): Promise<Record<string, ConfigScalar>> {
    await this.network.gate('config', 'fetch', options?.signal)
    return { ...this.backend.config }
  }

  /** Each change while online, and one on coming back online (a change may have been missed). */
  changes(): Observable<void> {
    return merge(
      this.backend.configChanges$.pipe(filter(() => this.network.online)),
      this.network.state$.pipe(
        pairwise(),
        filter(([before, now]) => before !== 'online' && now === 'online'),
        map(() => undefined),
      ),
    )
  }
}

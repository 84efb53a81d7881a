/**
 * `portabase/testing`: a ready memory client for app unit tests, with the knobs tests need:
 * seed data, a controllable clock, offline/online, latency and injected faults. It lives with the
 * memory adapter it is built on; core (src/) imports no adapter.
 */
import { createClient, type PortabaseClient } from '../../src/client/client.js'
import type { ErrorCode } from '../../src/errors.js'
import type { Link } from '../../src/links/link.js'
import type { DocumentData } from '../../src/types.js'
import { createMemoryBackend } from './backend.js'
import { ManualClock, memory, type FaultOptions, type MemoryAdapter, type MemoryBackend, type MemoryOptions } from './index.js'

export interface TestClientOptions extends Omit<MemoryOptions, 'clock' | 'backend'> {
  /** Documents to start with: `{ todos: { t1: { title: 'x' } } }`. */
  seed?: Record<string, Record<string, DocumentData>>
  /** Start time of the manual clock. Default 2030-01-01T00:00:00Z. */
  now?: Date | number
  links?: Link[]
}

export interface TestKit {
  app: PortabaseClient
  adapter: MemoryAdapter
  backend: MemoryBackend
  /** Backend time: updateTime, serverTimestamp(), token expiry. It moves only when told to. */
  clock: ManualClock
  seed(collection: string, docs: Record<string, DocumentData>): void
  /** Calls fail with `unavailable`, `connection$` emits 'offline', live queries pause. */
  goOffline(): void
  /** Reconnects; live queries catch up with what changed meanwhile. */
  goOnline(): void
  /**
   * The next `count` calls (optionally only `{ service, method }`) fail with `code`. With
   * `lostResponse: true` a documents write is applied first, then fails, as when a response is lost.
   */
  failNext(count: number, code: ErrorCode, filter?: FaultOptions): void
  /** Delay, in real ms, before each call reaches the backend. */
  setLatency(ms: number): void
  /** Another client on the same backend: a second device or user. Disposed with the kit. */
  connect(options?: { links?: Link[] }): { app: PortabaseClient; adapter: MemoryAdapter }
  dispose(): Promise<void>
}

export function createTestClient(options: TestClientOptions = {}): TestKit {
  const { seed, now, links, ...memoryOptions } = options
  const clock = new ManualClock(now === undefined ? undefined : typeof now === 'number' ? now : now.getTime())
  const backend = createMemoryBackend({ ...memoryOptions, clock })
  const clients: PortabaseClient[] = []
  const connect = (extra: { links?: Link[] } = {}): { app: PortabaseClient; adapter: MemoryAdapter } => {
    const adapter = memory({ ...memoryOptions, backend })
    const app = createClient({ adapter, links: extra.links ?? links })
    clients.push(app)
    return { app, adapter }
  }
  for (const [collection, docs] of Object.entries(seed ?? {})) backend.seed(collection, docs)
  const { app, adapter } = connect()
  return {
    app,
    adapter,
    backend,
    clock,
    seed: (collection, docs) => backend.seed(collection, docs),
    goOffline: () => adapter.network.goOffline(),
    goOnline: () => adapter.network.goOnline(),
    failNext: (count, code, filter) => adapter.network.failNext(count, code, filter),
    setLatency: (ms) => {
      adapter.network.latencyMs = ms
    },
    connect,
    dispose: async () => {
      await Promise.all(clients.map((c) => c.dispose()))
    },
  }
}

export { ManualClock } from './clock.js'
export { createMemoryBackend, memory, type MemoryAdapter, type MemoryBackend, type MemoryOptions } from './index.js'

/**
 * Two memory backends (primary and secondary) and a mirror over adapters of each, plus what the
 * mirror tests inspect: each backend's committed events, and faults the memory network cannot
 * inject (a sync write applied whose response is lost).
 */
import { createMemoryBackend, memory, type MemoryAdapter, type MemoryBackend, type MemoryBackendOptions } from '../../adapters/memory/index.js'
import { mirror, type MirrorAdapter, type MirrorOptions } from '../../adapters/mirror/index.js'
import { createClient, type PortabaseClient } from '../../src/index.js'
import { PortabaseError } from '../../src/errors.js'
import { waitFor } from '../contract/helpers.js'
import type { Doc, DocumentData } from '../../src/types.js'

export interface Side {
  backend: MemoryBackend
  adapter: MemoryAdapter
  /** Every committed change, in commit order: `collection/id` → data after (null: deleted). */
  events: Array<{ key: string; data: DocumentData | null }>
}

export function side(options: MemoryBackendOptions = {}): Side {
  const backend = createMemoryBackend(options)
  return { backend, adapter: memory({ backend }), events: recordEvents(backend) }
}

/** A new adapter on the same backend, as after an app restart. */
export function reconnect(s: Side): Side {
  return { ...s, adapter: memory({ backend: s.backend }) }
}

/** Records a backend's commits (call once per backend). */
export function recordEvents(backend: MemoryBackend): Side['events'] {
  const events: Side['events'] = []
  backend.events$.subscribe((batch) => {
    for (const e of batch) events.push({ key: `${e.collection}/${e.id}`, data: e.after ? (e.after.data as DocumentData) : null })
  })
  return events
}

export interface MirrorSetup {
  primary: Side
  secondary: Side
  mirror: MirrorAdapter
  app: PortabaseClient
}

/** Fast retries: tests wait for results, never for the default backoff. */
export const FAST_RETRY = { initialDelayMs: 5, maxDelayMs: 20 }

export function setup(extra: Partial<MirrorOptions> = {}, sides: { primary?: Side; secondary?: Side } = {}): MirrorSetup {
  const primary = sides.primary ?? side()
  const secondary = sides.secondary ?? side()
  const m = mirror({ primary: primary.adapter, secondary: secondary.adapter, retry: FAST_RETRY, ...extra })
  const app = createClient({ adapter: m })
  return { primary, secondary, mirror: m, app }
}

/** A collection's documents on a backend, id → data, read directly (no network, no rules). */
export function contents(backend: MemoryBackend, collection: string): Record<string, DocumentData> {
  const out: Record<string, DocumentData> = {}
  for (const [id, doc] of backend.collections.get(collection) ?? new Map<string, Doc>()) out[id] = doc.data as DocumentData
  return out
}

/** The sequence of states one document went through on a backend. */
export function history(events: Side['events'], key: string): Array<DocumentData | null> {
  return events.filter((e) => e.key === key).map((e) => e.data)
}

/**
 * The next `count` sync writes of this adapter are applied, then fail with `unavailable`, as when
 * the response is lost on the way back.
 */
export function loseSyncResponses(adapter: MemoryAdapter, count: number): void {
  const sync = adapter.sync
  const original = sync.write.bind(sync)
  let left = count
  ;(sync as { write: typeof sync.write }).write = async (ops, options) => {
    const outcomes = await original(ops, options)
    if (left <= 0) return outcomes
    left--
    throw new PortabaseError('unavailable', 'sync.write: its response was lost (injected)', { provider: 'memory' })
  }
}

/** Resolves once `predicate` holds, checking after each macrotask (fails the test after `ms`). */
export const until = (predicate: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> => waitFor(predicate, ms, 2)

import type { Adapter } from '../../src/spi.js'
import type { ConfigScalar } from '../../src/types.js'

/**
 * What the one contract suite needs of a backend. Every backend provides the same fixtures
 * (see FIXTURES.md): the functions `echo`, `whoami`, `fail`, `slow`; remote config values;
 * the access rules of the `owned` collection.
 */
export interface ContractTarget {
  /** Shown in test names: `memory`, `parse`, … */
  name: string
  /** Starts the backend once for the whole suite; throws with a clear message if it cannot. */
  setup(): Promise<void>
  teardown(): Promise<void>
  /** A new adapter on the same backend, with its own signed-out session (a second device). */
  createAdapter(): Promise<Adapter>
  /** A collection name no other test uses, empty, and watchable. */
  freshCollection(): string
  /** The collection whose access rules the fixtures define (owner-only read and write). */
  ownedCollection(): string
  /** Replaces the remote config on the server; needed where the adapter declares `configUpdates`. */
  setConfig?(values: Record<string, ConfigScalar>): Promise<void>
}

/** Remote config values every backend serves. */
export const FIXTURE_CONFIG = { welcome: 'hello', maxItems: 20, featureX: true, ratio: 0.5 } as const

import type { Adapter } from '../spi.js'
import type { ConfigScalar } from '../types.js'

/**
 * What the one contract suite needs of a backend. Every backend provides the same fixtures
 * (docs/conformance.md, "The fixtures your backend provides"): the functions `echo`, `whoami`, `fail`, `slow`; remote config values;
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
  /**
   * With `fieldOrdering: 'declared'`: the orderings every fresh collection declares (lists of
   * fields, each readable all ascending or all descending). Other orderBy() must be `unsupported`.
   */
  orderings?: readonly (readonly string[])[]
  /** Replaces the remote config on the server; needed where the adapter declares `configUpdates`. */
  setConfig?(values: Record<string, ConfigScalar>): Promise<void>
}

/** Remote config values every backend serves. */
export const FIXTURE_CONFIG = { welcome: 'hello', maxItems: 20, featureX: true, ratio: 0.5 } as const

/**
 * Whether a query's orderBy (client QuerySpec: fields then an optional trailing DOC_ID) is one of
 * the declared orderings, all ascending or all descending.
 */
export function declaresOrdering(orderings: readonly (readonly string[])[] | undefined, orderBy: readonly { field: string; direction: string }[]): boolean {
  const fields = orderBy.filter((o) => o.field !== '__id__')
  if (fields.length === 0) return true
  if (fields.some((o) => o.direction !== fields[0]!.direction)) return false
  return (orderings ?? []).some((ordering) => ordering.length === fields.length && ordering.every((f, i) => fields[i]!.field === f))
}

export type FixtureFieldType = 'string' | 'number' | 'integer' | 'boolean' | 'date' | 'json' | 'string[]'

/**
 * Every top-level field the suites (contract and sync SPI) write into fresh collections, with the one
 * type it has everywhere (`number`: any finite number; `integer`: a safe integer; `json`: nested
 * objects and arrays of any values). A backend with typed collections (Amplify: one model per
 * collection) declares these fields on each fresh collection. Only cases for `mixedFieldTypes`
 * write another type (`v`, `tags`), and only where the adapter declares it; the `owned`
 * collection has `owner` and `secret`.
 */
export const FIXTURE_FIELDS: Readonly<Record<string, FixtureFieldType>> = {
  title: 'string', name: 'string', s: 'string', g: 'string', from: 'string', by: 'string', label: 'string', in: 'string',
  blank: 'string', unicode: 'string', emoji: 'string', long: 'string', quotes: 'string', gone: 'string',
  id: 'string', updatedAt: 'string', nothing: 'string',
  n: 'number', v: 'number', count: 'number', frac: 'number', small: 'number', big: 'number', exp: 'number',
  a: 'integer', c: 'integer', w: 'integer', i: 'integer', zero: 'integer', neg: 'integer', keep: 'integer', drop: 'integer', other: 'integer',
  b: 'boolean', done: 'boolean', yes: 'boolean', no: 'boolean', active: 'boolean', on: 'boolean', touched: 'boolean', back: 'boolean',
  at: 'date', createdAt: 'date',
  nested: 'json', list: 'json', empty: 'json', objects: 'json', addr: 'json',
  tags: 'string[]',
}

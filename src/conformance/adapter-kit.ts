/**
 * What a third-party adapter is built from: the SPI types, the errors it raises, the query
 * evaluator (for vendors that filter, order or watch on the client), write application, the sync
 * checks, and a capability declaration that starts from "nothing". This repository's adapters use
 * the same pieces.
 */
import type { Capabilities } from '../spi.js'

export type * from '../spi.js'
export type * from '../types.js'
export type { Cursor, Direction, FieldFilter, Filter, FilterOp, OrderBy, Query } from '../query/model.js'
export { ERROR_CODES, PortabaseError, isPortabaseError, toPortabaseError, unsupported, type ErrorCode, type PortabaseErrorOptions } from '../errors.js'
export { DOC_ID, FILTER_OPERATORS } from '../query/model.js'
export { compileQuery, countMatches, cursorOf, getField, runQuery, type CompiledQuery, type Evaluable } from '../query/evaluate.js'
export { LiveView, diffResults, type ViewChange } from '../query/live.js'
export { compareValues, valuesEqual } from '../query/compare.js'
export { applyWrite, resolveSentinel } from '../write.js'
export { valueTypeOf } from '../value-types.js'
export { assertChangesLimit, assertCheckpointFresh, assertSyncWrite } from '../sync-kit.js'

/**
 * An adapter that can do nothing: no auth, no documents query operator, no storage, no limits, and
 * the reference's query semantics. `declareCapabilities` starts from here.
 */
export const NO_CAPABILITIES: Capabilities = Object.freeze({
  emailPasswordAuth: false,
  anonymousAuth: false,
  oauthProviders: Object.freeze([]),
  passwordReset: false,
  updateProfile: false,
  queryOperators: Object.freeze([]),
  orQueries: false,
  nestedFieldQueries: false,
  mixedFieldTypes: false,
  mixedTypeOrder: true,
  valueTypes: Object.freeze({ geoPoint: 'none', reference: 'none', bytes: 'none' }),
  fieldOrdering: 'any',
  missingFields: 'null',
  nullOrder: 'last',
  notEqualNull: 'matched',
  implicitOrder: 'none',
  readRules: 'deny',
  transactions: false,
  realtime: false,
  serverTimestamp: false,
  increment: false,
  arrayOps: false,
  storage: false,
  signedUrls: false,
  functions: false,
  remoteConfig: false,
  configUpdates: false,
  limits: Object.freeze({}),
})

/**
 * The capabilities of an adapter that declares only what it can do: everything left out is
 * `NO_CAPABILITIES`' (refused by the client with `unsupported`), frozen like the adapters' own.
 */
export function declareCapabilities(declared: Partial<Capabilities>): Capabilities {
  return Object.freeze({ ...NO_CAPABILITIES, ...declared })
}

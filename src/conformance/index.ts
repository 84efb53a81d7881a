/**
 * `portabase/conformance`: the contract suite every portabase adapter passes, for third-party
 * adapters to prove themselves with the same cases (as `abstract-level`'s suite does for LevelDB
 * stores), and the adapter kit they are built from. See docs/conformance.md.
 *
 *   import { runContractSuite } from 'portabase/conformance'
 *   runContractSuite({ name: 'my-vendor', setup, teardown, createAdapter, freshCollection, ownedCollection })
 *
 * The suite registers its cases with the test framework's globals (Jest; Vitest with
 * `globals: true`) or with the functions passed as `{ testApi }`. It imports no framework and no
 * Node-only API.
 */
export { runContractSuite, SECTIONS, type DeclaredCapabilities, type SectionName, type SuiteOptions } from './suite.js'
export { runSyncSpiSuite, type SyncSpiTarget } from './sync-spi.js'
export { FIXTURE_CONFIG, FIXTURE_FIELDS, declaresOrdering, type ContractTarget, type FixtureFieldType } from './target.js'
export { UNDECLARED_BATCH_WRITES, UNDECLARED_IN_VALUES, PROBE_RESERVED_NAMES } from './limits.js'
export {
  DEFAULT_WAIT_MS,
  QUIET_MS,
  Recorder,
  expectError,
  expectStreamError,
  nextMatching,
  outcomeOf,
  preview,
  randomSuffix,
  sleep,
  uniqueEmail,
  uniquePassword,
  type Outcome,
} from './helpers.js'
export type { AsyncMatchers, Expect, Matchers, TestApi } from './runner.js'
export * from './adapter-kit.js'

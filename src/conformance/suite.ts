/**
 * THE contract suite: one set of tests every adapter runs, parameterised by a ContractTarget
 * (the shape of unstorage's shared driver suite). An adapter's test file is a few lines:
 *
 *   runContractSuite({ name: 'memory', setup, teardown, createAdapter, freshCollection, ownedCollection })
 *
 * Capability-gated behaviour is asserted both ways: with the capability the positive case must
 * pass; without it the call must fail with `unsupported`. Declared differences (mixedTypeOrder,
 * fieldOrdering, readRules, the query semantics missingFields / nullOrder / notEqualNull /
 * implicitOrder) are asserted as declared, the expected answers computed from the fixtures and the
 * declared rules (data.ts), never taken from the adapter.
 */
import { authTests } from './auth.js'
import { configTests } from './config.js'
import { documentTests } from './documents.js'
import { createEnv } from './env.js'
import { coreErrorTests, errorTests } from './errors.js'
import { functionTests } from './functions.js'
import { lifecycleTests } from './lifecycle.js'
import { limitTests } from './limits.js'
import { permissionTests } from './permissions.js'
import { queryTests } from './queries.js'
import { realtimeTests } from './realtime.js'
import { afterAll, beforeAll, describe, useTestApi, type TestApi } from './runner.js'
import { secretTests } from './secrets.js'
import { coreStorageTests, storageTests } from './storage.js'
import type { Capabilities } from '../spi.js'
import type { ContractTarget } from './target.js'
import { valueTests } from './values.js'

/** Sections, named after their files; `secrets` holds the auth-only part of the error checks. */
export const SECTIONS = {
  auth: authTests,
  documents: documentTests,
  queries: queryTests,
  realtime: realtimeTests,
  storage: storageTests,
  functions: functionTests,
  config: configTests,
  errors: errorTests,
  secrets: secretTests,
  permissions: permissionTests,
  lifecycle: lifecycleTests,
  values: valueTests,
  limits: limitTests,
} as const

export type SectionName = keyof typeof SECTIONS

/**
 * Input the client refuses before any adapter call. These cases test core, not an adapter: they run
 * once (test/contract/core.test.ts) and are counted apart from the adapter cases.
 */
export const CORE_SECTIONS = {
  errors: coreErrorTests,
  storage: coreStorageTests,
} as const

/** What the adapter under test declared, once its first instance exists (e.g. for a results report). */
export interface DeclaredCapabilities {
  target: string
  /** `adapter.name`. */
  adapter: string
  capabilities: Capabilities
}

export interface SuiteOptions {
  /** Sections to run (default: all), e.g. for a backend that has no documents service. */
  sections?: readonly SectionName[]
  /** The test framework's functions; default: its globals (Jest, or Vitest with `globals: true`). */
  testApi?: TestApi
  /** Called in a `beforeAll` with the declared capabilities (not called when the adapter could not be created). */
  onCapabilities?(declared: DeclaredCapabilities): void
}

export function runContractSuite(target: ContractTarget, options: SuiteOptions = {}): void {
  useTestApi(options.testApi)
  const names = options.sections ?? (Object.keys(SECTIONS) as SectionName[])
  describe(`contract: ${target.name}`, () => {
    beforeAll(() => target.setup())
    afterAll(() => target.teardown())

    const env = createEnv(target)
    for (const name of names) SECTIONS[name](env)

    const { onCapabilities } = options
    if (onCapabilities) beforeAll(() => {
      let declared: DeclaredCapabilities
      try {
        declared = { target: target.name, adapter: env.adapterName, capabilities: env.caps }
      } catch {
        return // no adapter (setup failed): the cases report it
      }
      onCapabilities(declared)
    })
  })
}

/** The core-validation cases (CORE_SECTIONS), on one target. */
export function runCoreSuite(target: ContractTarget, options: Pick<SuiteOptions, 'testApi'> = {}): void {
  useTestApi(options.testApi)
  describe(`contract core (client-side validation): ${target.name}`, () => {
    beforeAll(() => target.setup())
    afterAll(() => target.teardown())

    const env = createEnv(target)
    for (const section of Object.values(CORE_SECTIONS)) section(env)
  })
}

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
import { randomUUID } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { authTests } from './auth.js'
import { configTests } from './config.js'
import { documentTests } from './documents.js'
import { createEnv } from './env.js'
import { coreErrorTests, errorTests } from './errors.js'
import { functionTests } from './functions.js'
import { lifecycleTests } from './lifecycle.js'
import { permissionTests } from './permissions.js'
import { queryTests } from './queries.js'
import { realtimeTests } from './realtime.js'
import { secretTests } from './secrets.js'
import { coreStorageTests, storageTests } from './storage.js'
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

export interface SuiteOptions {
  /** Sections to run (default: all), e.g. for a backend that has no documents service. */
  sections?: readonly SectionName[]
}

export function runContractSuite(target: ContractTarget, options: SuiteOptions = {}): void {
  const names = options.sections ?? (Object.keys(SECTIONS) as SectionName[])
  describe(`contract: ${target.name}`, () => {
    beforeAll(() => target.setup())
    afterAll(() => target.teardown())

    const env = createEnv(target)
    for (const name of names) SECTIONS[name](env)

    // The declared capabilities, for docs/compatibility.md (test/reporters/contract-results.cjs).
    const dir = process.env.PORTABASE_RESULTS_CAPABILITIES
    if (dir) beforeAll(() => {
      let record
      try {
        record = { testPath: expect.getState().testPath, target: target.name, adapter: env.adapterName, capabilities: env.caps }
      } catch {
        return // no adapter (setup failed): the cases report it
      }
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, `${randomUUID()}.json`), JSON.stringify(record))
    })
  })
}

/** The core-validation cases (CORE_SECTIONS), on one target. */
export function runCoreSuite(target: ContractTarget): void {
  describe(`contract core (client-side validation): ${target.name}`, () => {
    beforeAll(() => target.setup())
    afterAll(() => target.teardown())

    const env = createEnv(target)
    for (const section of Object.values(CORE_SECTIONS)) section(env)
  })
}

/**
 * THE contract suite: one set of tests every adapter runs, parameterised by a ContractTarget
 * (the shape of unstorage's shared driver suite). An adapter's test file is a few lines:
 *
 *   runContractSuite({ name: 'memory', setup, teardown, createAdapter, freshCollection, ownedCollection })
 *
 * Capability-gated behaviour is asserted both ways: with the capability the positive case must
 * pass; without it the call must fail with `unsupported`.
 */
import { authTests } from './auth.js'
import { configTests } from './config.js'
import { documentTests } from './documents.js'
import { createEnv } from './env.js'
import { errorTests } from './errors.js'
import { functionTests } from './functions.js'
import { lifecycleTests } from './lifecycle.js'
import { permissionTests } from './permissions.js'
import { queryTests } from './queries.js'
import { realtimeTests } from './realtime.js'
import { storageTests } from './storage.js'
import type { ContractTarget } from './target.js'

export function runContractSuite(target: ContractTarget): void {
  describe(`contract: ${target.name}`, () => {
    beforeAll(() => target.setup())
    afterAll(() => target.teardown())

    const env = createEnv(target)
    authTests(env)
    documentTests(env)
    queryTests(env)
    realtimeTests(env)
    storageTests(env)
    functionTests(env)
    configTests(env)
    errorTests(env)
    permissionTests(env)
    lifecycleTests(env)
  })
}

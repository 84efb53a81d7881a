/**
 * The contract suite's target on the local Amplify test backend (test/backends/amplify: cognito-local,
 * Amplify's own GraphQL transformer on the AppSync simulator over dynalite, s3rver).
 *
 * AppSync has typed models, one per collection, built before the server starts: the backend serves
 * a pool of fresh collections, each a model declaring FIXTURE_FIELDS (the one type each field has in
 * the suites), plus the `owned` collection under an owner rule. A test file runs a few sections
 * with a pool sized for them (each model adds ~0.1 s to the start).
 */
import { amplify, type AmplifyAdapter } from '../../adapters/amplify/index.js'
import type { AmplifyCollection } from '../../adapters/amplify/schema.js'
import { startAmplifyBackend, type AmplifyTestBackend } from '../backends/amplify/server.js'
import { installAdapterTestShims } from '../backends/amplify/shims.js'
import type { ConfigScalar } from '../../src/types.js'
import { FIXTURE_CONFIG, FIXTURE_FIELDS, type ContractTarget } from './target.js'

/** The orderings every fresh collection declares (the suite runs these, and asserts the rest are refused). */
export const ORDERINGS = [['n'], ['g', 'n'], ['s'], ['at']] as const

export const OWNED: AmplifyCollection = { name: 'owned', access: 'owner', fields: { owner: 'string', secret: 'string', v: 'number' } }

/** `size` fresh collections `<prefix>1…` (public: API key signed out, user pool signed in) plus `owned`. */
export function fixtureCollections(prefix: string, size: number): AmplifyCollection[] {
  return [...Array.from({ length: size }, (_, i) => ({ name: `${prefix}${i + 1}`, fields: { ...FIXTURE_FIELDS }, orderBy: ORDERINGS })), OWNED]
}

export interface AmplifyTargetOptions {
  /** How many fresh collections the sections need; running out fails the test that asked. */
  pool: number
  prefix?: string
}

export function amplifyTarget(name: string, options: AmplifyTargetOptions): ContractTarget & { backend(): AmplifyTestBackend; adapter(): AmplifyAdapter } {
  const prefix = options.prefix ?? 'f'
  const collections = fixtureCollections(prefix, options.pool)
  let backend: AmplifyTestBackend | undefined
  let undoShim: (() => void) | undefined
  let used = 0
  const target = {
    name,
    async setup() {
      // Node 20 has no WebSocket, and the simulator reads the auth header where AppSync does not (shims.ts).
      undoShim = installAdapterTestShims()
      backend = await startAmplifyBackend({ collections, functions: true, config: { ...FIXTURE_CONFIG } })
    },
    async teardown() {
      await backend?.stop()
      undoShim?.()
    },
    backend(): AmplifyTestBackend {
      if (!backend) throw new Error('The Amplify test backend is not running (setup failed; see the error above)')
      return backend
    },
    adapter(): AmplifyAdapter {
      const running = target.backend()
      // cognito-local has no SRP: the password flow (real pools allow it when the app client does).
      return amplify({ outputs: running.outputs, userPoolEndpoint: running.cognitoEndpoint, authFlowType: 'USER_PASSWORD_AUTH', collections, storage: { prefix: 'public/' } })
    },
    async createAdapter() {
      return target.adapter()
    },
    freshCollection(): string {
      if (used >= options.pool) throw new Error(`amplifyTarget(${name}): the pool of ${options.pool} fresh collections is used up; raise \`pool\``)
      return `${prefix}${++used}`
    },
    ownedCollection: () => OWNED.name,
    orderings: ORDERINGS,
    setConfig: (values: Record<string, ConfigScalar>) => target.backend().setConfig(values),
  }
  return target
}

/**
 * The contract suite on the Amplify adapter against the local Amplify test backend (amplify-target.ts):
 * auth, secrets, access rules (the transformer's owner-rule resolvers), errors, lifecycle, functions
 * (custom queries with Lambda handlers, run in process), remote config (the config model) and the
 * neutral value types (refused: the adapter declares none).
 * Documents, queries and realtime run in their own files (each with its own backend and pool), storage
 * in test/amplify/storage.test.ts. Every adapter is its own aws-amplify context.
 */
import { amplifyTarget } from './amplify-target.js'
import { runContractSuite } from './suite.js'

jest.setTimeout(60_000)

// values: 13 fresh collections on an adapter storing every neutral type (Amplify declares none: 10).
runContractSuite(amplifyTarget('amplify (local simulators)', { pool: 25 }), { sections: ['auth', 'secrets', 'permissions', 'errors', 'lifecycle', 'functions', 'config', 'values'] })

/**
 * The contract suite on the Amplify adapter against the local Amplify test backend
 * (test/backends/amplify: cognito-local, Amplify's transformer on the AppSync simulator, s3rver).
 * The auth sections run here; documents, watch and storage have their own tests in test/amplify
 * (storage.test.ts also runs the contract's storage section). The documents sections need a pool of
 * fixture collections with the suite's fields (next). Every adapter is its own aws-amplify context.
 */
import { amplify } from '../../adapters/amplify/index.js'
import { startAmplifyBackend, type AmplifyTestBackend } from '../backends/amplify/server.js'
import { runContractSuite } from './suite.js'

jest.setTimeout(60_000)

let backend: AmplifyTestBackend | undefined
let collections = 0

runContractSuite(
  {
    name: 'amplify (local simulators)',
    async setup() {
      backend = await startAmplifyBackend()
    },
    async teardown() {
      await backend?.stop()
    },
    async createAdapter() {
      if (!backend) throw new Error('The Amplify test backend is not running (setup failed)')
      // cognito-local has no SRP: the password flow (real pools allow it when the app client does).
      return amplify({ outputs: backend.outputs, userPoolEndpoint: backend.cognitoEndpoint, authFlowType: 'USER_PASSWORD_AUTH' })
    },
    freshCollection: () => `c${++collections}`,
    ownedCollection: () => 'owned',
  },
  { sections: ['auth', 'secrets'] },
)

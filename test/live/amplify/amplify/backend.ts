/**
 * The live target's Gen 2 backend (test/live/amplify.test.ts; deploy: adapters/amplify/README.md,
 * "Live target"). Not compiled by the portabase repository's tsconfig: @aws-amplify/backend is
 * installed in test/live/amplify by its own package.json.
 */
import { defineBackend } from '@aws-amplify/backend'
import { auth } from './auth/resource'
import { data } from './data/resource'
import { fixtures } from './functions/fixtures/resource'
import { storage } from './storage/resource'

const backend = defineBackend({ auth, data, storage, fixtures })

// The contract's passwords are `Pw-` + 16 random letters and digits (not always a digit, never a
// symbol): a length-only policy. Its weak password ('x1') is still refused.
const { cfnUserPool } = backend.auth.resources.cfnResources
cfnUserPool.policies = {
  passwordPolicy: { minimumLength: 8, requireLowercase: false, requireUppercase: false, requireNumbers: false, requireSymbols: false },
}

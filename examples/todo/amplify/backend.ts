/**
 * The todo example's Amplify Gen 2 backend (deploy: adapters/amplify/README.md, "Running the
 * example"). Not compiled by the portabase repository: @aws-amplify/backend is installed in the
 * Gen 2 project this folder is copied into.
 */
import { defineBackend } from '@aws-amplify/backend'
import { auth } from './auth/resource'
import { data } from './data/resource'
import { sendInvite } from './functions/send-invite/resource'
import { storage } from './storage/resource'

const backend = defineBackend({ auth, data, storage, sendInvite })

// The example signs up with the password "correct horse battery" (long, no digits, capitals or
// symbols), which the default policy refuses: length only.
const { cfnUserPool } = backend.auth.resources.cfnResources
cfnUserPool.policies = {
  passwordPolicy: { minimumLength: 12, requireLowercase: false, requireUppercase: false, requireNumbers: false, requireSymbols: false },
}

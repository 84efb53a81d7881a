/**
 * The fixture data API: the pool of fresh collections and `owned` (test/live/amplify-fixtures.ts),
 * the contract's functions as custom queries, the remote config model. portabase's schema helpers
 * come from the repository's source (no build needed; they import nothing at run time).
 */
import { a, defineData } from '@aws-amplify/backend'
import { portabaseConfigModel, portabaseFunction, portabaseModels } from '../../../../../adapters/amplify/schema.js'
import { LIVE_FUNCTIONS, liveCollections } from '../../../amplify-fixtures.js'
import { fixtures } from '../functions/fixtures/resource'

const schema = a.schema({
  ...portabaseModels(a, liveCollections()),
  ...Object.fromEntries(LIVE_FUNCTIONS.map((name) => [name, portabaseFunction(a, fixtures)])),
  ...portabaseConfigModel(a),
})

export const data = defineData({
  schema,
  authorizationModes: { defaultAuthorizationMode: 'userPool', apiKeyAuthorizationMode: { expiresInDays: 30 } },
})

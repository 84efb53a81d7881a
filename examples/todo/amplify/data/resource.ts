/**
 * The data API: one model per portabase collection (`portabaseModels`, from the same list the client
 * passes to `amplify({ collections })`), the `sendInvite` function as a custom query
 * (`portabaseFunction`), and the remote config model (`portabaseConfigModel`: readable by everyone,
 * written by the `portabaseAdmins` group). The API key serves signed-out callers (the example reads
 * its config before signing in); signed-in users call with their user-pool token.
 */
import { a, defineData } from '@aws-amplify/backend'
import { portabaseConfigModel, portabaseFunction, portabaseModels } from 'portabase/amplify'
import { collections } from '../collections'
import { sendInvite } from '../functions/send-invite/resource'

const schema = a.schema({
  ...portabaseModels(a, collections),
  sendInvite: portabaseFunction(a, sendInvite),
  ...portabaseConfigModel(a),
})

export const data = defineData({
  schema,
  authorizationModes: { defaultAuthorizationMode: 'userPool', apiKeyAuthorizationMode: { expiresInDays: 30 } },
})

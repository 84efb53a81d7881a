import { defineFunction } from '@aws-amplify/backend'

/** The handler of the `sendInvite` query (data/resource.ts): `app.functions.call('sendInvite', { email })`. */
export const sendInvite = defineFunction({ name: 'send-invite', entry: './handler.ts' })

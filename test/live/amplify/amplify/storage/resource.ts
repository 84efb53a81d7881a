/** The storage section runs signed in and signed out: `public/` for guests (identity-pool guests) and users alike. */
import { defineStorage } from '@aws-amplify/backend'

export const storage = defineStorage({
  name: 'portabaseLive',
  access: (allow) => ({
    'public/*': [allow.guest.to(['read', 'write', 'delete']), allow.authenticated.to(['read', 'write', 'delete'])],
  }),
})

/**
 * S3: the app's files live under `public/` (the client's `storage: { prefix: STORAGE_PREFIX }`,
 * collections.ts), which signed-in users may read, write and delete.
 */
import { defineStorage } from '@aws-amplify/backend'

export const storage = defineStorage({
  name: 'portabaseTodo',
  access: (allow) => ({
    'public/*': [allow.authenticated.to(['read', 'write', 'delete'])],
  }),
})

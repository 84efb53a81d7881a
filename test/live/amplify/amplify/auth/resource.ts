/**
 * Email sign-in, the remote config's writers (`portabaseAdmins`: the run's config admin is a member,
 * see the README), and sign-ups confirmed at once (every contract test signs up new users).
 */
import { defineAuth } from '@aws-amplify/backend'
import { preSignUp } from './pre-sign-up/resource'

export const auth = defineAuth({
  loginWith: { email: true },
  groups: ['portabaseAdmins'],
  triggers: { preSignUp },
})

/**
 * Cognito: email sign-in (the adapter uses the email as the username), the group allowed to write the
 * remote config (`portabaseConfigModel`'s `portabaseAdmins`), and a pre-sign-up trigger that confirms
 * new users at once — the example signs up a fresh account on each run, and portabase's `signUp`
 * signs in straight away only when the pool does not wait for an emailed code (otherwise it fails
 * with `failed-precondition`, `details.reason: 'email-confirmation-required'`).
 */
import { defineAuth } from '@aws-amplify/backend'
import { preSignUp } from './pre-sign-up/resource'

export const auth = defineAuth({
  loginWith: { email: true },
  groups: ['portabaseAdmins'],
  triggers: { preSignUp },
})

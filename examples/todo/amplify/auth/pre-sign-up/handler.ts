/**
 * Confirms self-service sign-ups at once and marks the email verified, without sending a code: fine
 * for a demo, not for an app where an address must be proven to belong to the user. (Users an
 * admin creates keep Cognito's own flow.)
 */
import type { PreSignUpTriggerHandler } from 'aws-lambda'

export const handler: PreSignUpTriggerHandler = async (event) => {
  if (event.triggerSource === 'PreSignUp_SignUp') {
    event.response.autoConfirmUser = true
    event.response.autoVerifyEmail = true
  }
  return event
}

/** Confirms self-service sign-ups at once, without a code (a test backend: addresses are never proven). */
import type { PreSignUpTriggerHandler } from 'aws-lambda'

export const handler: PreSignUpTriggerHandler = async (event) => {
  if (event.triggerSource === 'PreSignUp_SignUp') {
    event.response.autoConfirmUser = true
    event.response.autoVerifyEmail = true
  }
  return event
}

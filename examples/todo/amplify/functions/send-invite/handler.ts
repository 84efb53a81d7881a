/**
 * `app.functions.call('sendInvite', { email })`: answers who was invited and by whom. AppSync hands
 * the Lambda the call's input, parsed, as `event.arguments.input`, and the caller as `event.identity`
 * (null with the API key; `sub` is the portabase uid). What it returns is the call's result (JSON).
 * To fail with a portabase error code, throw `functionError('invalid-argument', '…')` from
 * 'portabase/amplify' (the caller gets `code: 'invalid-argument'`), or an Error whose message is
 * `[invalid-argument] …`, which is what functionError builds.
 */
interface SendInviteEvent {
  arguments: { input?: { email?: unknown } | null }
  identity?: { sub?: string } | null
}

export const handler = async (event: SendInviteEvent) => {
  const email = event.arguments.input?.email
  if (typeof email !== 'string' || !email.includes('@')) throw new Error('[invalid-argument] sendInvite needs { email }')
  return { invited: email, by: event.identity?.sub ?? null }
}

// The contract fixtures (test/contract/FIXTURES.md) as v2 callable functions for the emulator.
// firebase-admin / firebase-functions resolve from the repository's node_modules.
const { onCall, HttpsError } = require('firebase-functions/v2/https')

exports.echo = onCall((request) => request.data)

exports.whoami = onCall((request) => ({ uid: request.auth ? request.auth.uid : null }))

exports.fail = onCall(() => {
  throw new HttpsError('invalid-argument', 'bad input')
})

exports.slow = onCall(async (request) => {
  const ms = request.data && typeof request.data.ms === 'number' ? request.data.ms : 0
  await new Promise((resolve) => setTimeout(resolve, ms))
  return { ok: true }
})

// Used by examples/todo, not by the contract suite.
exports.sendInvite = onCall((request) => ({ invited: String(request.data && request.data.email), by: request.auth ? request.auth.uid : null }))

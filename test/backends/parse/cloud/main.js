'use strict';
/**
 * Cloud code for the Parse test server (test/backends/parse/server.ts).
 *
 * Exported as a function of `Parse` instead of using the global `Parse`: the
 * helper passes it as parse-server's `cloud` option (a function), because a
 * `cloud` *path* is loaded with import() or require() depending on npm's env
 * vars, and import() fails inside jest's CommonJS sandbox.
 *
 * Functions
 *   echo    -> returns its input: `request.params.__input` when the caller
 *              wrapped a non-object input (the portabase parse adapter sends
 *              `{ __input: value }` for strings, numbers, arrays, null, Dates),
 *              else `request.params` itself (Dates/Pointers/Files round-trip
 *              in Parse's JSON encoding).
 *   sentEmails -> (master key only) the emails the test email adapter "sent".
 *   whoami  -> { uid: <calling user's objectId> | null }
 *   fail    -> throws Parse.Error 142 (VALIDATION_ERROR) 'bad input'
 *   slow    -> waits params.ms milliseconds (0..60000), returns { ok: true }
 *
 * Class `owned` (owner-only access; master key bypasses every rule)
 *   beforeSave   : 119 unless a user is logged in and
 *                  new object: owner === user.id / existing object: stored owner === user.id
 *   beforeDelete : 119 unless stored owner === user.id
 *   afterFind    : 119 if any returned object has owner !== user.id (also for get)
 *   afterLiveQueryEvent : events about other users' objects are not sent
 */

/** @param {any} Parse parse-server's Parse (with Parse.Cloud) */
module.exports = function registerCloudCode(Parse) {
  const FORBIDDEN = Parse.Error.OPERATION_FORBIDDEN; // 119

  Parse.Cloud.define('echo', (request) => ('__input' in request.params ? request.params.__input : request.params));

  Parse.Cloud.define('sentEmails', (request) => {
    if (!request.master) throw new Parse.Error(FORBIDDEN, 'sentEmails needs the master key');
    return sentEmails;
  });

  Parse.Cloud.define('whoami', (request) => ({ uid: request.user ? request.user.id : null }));

  // Used by examples/todo, not by the contract suite.
  Parse.Cloud.define('sendInvite', (request) => ({ invited: String(request.params.email), by: request.user ? request.user.id : null }));

  Parse.Cloud.define('fail', () => {
    throw new Parse.Error(Parse.Error.VALIDATION_ERROR, 'bad input'); // 142
  });

  Parse.Cloud.define('slow', async (request) => {
    const ms = Math.min(Math.max(Number(request.params.ms) || 0, 0), 60000);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { ok: true };
  });

  const uid = (request) => (request.user ? request.user.id : undefined);

  Parse.Cloud.beforeSave('owned', (request) => {
    if (request.master) return;
    const me = uid(request);
    const owner = request.original ? request.original.get('owner') : request.object.get('owner');
    if (!me || owner !== me) {
      throw new Parse.Error(FORBIDDEN, 'owned: only the owner may write this object');
    }
  });

  Parse.Cloud.beforeDelete('owned', (request) => {
    if (request.master) return;
    const me = uid(request);
    if (!me || request.object.get('owner') !== me) {
      throw new Parse.Error(FORBIDDEN, 'owned: only the owner may delete this object');
    }
  });

  Parse.Cloud.afterFind('owned', (request) => {
    if (request.master) return request.objects;
    const me = uid(request);
    if (request.objects.some((object) => !me || object.get('owner') !== me)) {
      throw new Parse.Error(FORBIDDEN, 'owned: only the owner may read this object');
    }
    return request.objects;
  });

  // LiveQuery does not run afterFind; keep realtime consistent with reads.
  Parse.Cloud.afterLiveQueryEvent('owned', (request) => {
    if (request.useMasterKey) return;
    const me = request.user ? request.user.id : undefined;
    if (!me || request.object.get('owner') !== me) request.sendEvent = false;
  });
};

/** Emails the test email adapter "sent" (password resets), newest last. */
const sentEmails = [];

/**
 * Parse Server `emailAdapter` for the test backend: records instead of sending, so
 * requestPasswordReset works (Parse Server refuses it without an email adapter).
 */
module.exports.emailAdapter = {
  sendMail: async ({ to, subject }) => {
    sentEmails.push({ to, subject, kind: 'mail' });
  },
  sendPasswordResetEmail: async ({ user }) => {
    sentEmails.push({ to: user.get('email'), kind: 'password-reset' });
  },
  sendVerificationEmail: async ({ user }) => {
    sentEmails.push({ to: user.get('email'), kind: 'verification' });
  },
};

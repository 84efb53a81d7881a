/**
 * Users in the Amplify app's Cognito user pool, with the admin API (ListUsers, AdminCreateUser…)
 * of @aws-sdk/client-cognito-identity-provider.
 *
 * Cognito neither exports nor imports password hashes, and assigns every account's id (`sub`,
 * the portabase uid) itself: AdminCreateUser refuses a `sub`. So:
 * - exported users carry no hash (a target lists them as must-reset);
 * - imported users keep their email, name and picture, get a new uid (returned in the id map,
 *   which the migration reports and rewrites documents with), and are created CONFIRMED with a
 *   random password nobody knows (AdminSetUserPassword, permanent): the app's password reset
 *   (ForgotPassword) then works for them, which it does not for FORCE_CHANGE_PASSWORD accounts.
 *   Their email is marked verified, since a reset code can only go to a verified address. Every
 *   one is listed as must-reset.
 * - Anonymous accounts and accounts without an email cannot exist in a Gen 2 (email) pool: they
 *   are listed as not imported.
 * Idempotent by email: an account already in the pool is updated, not created again, and keeps
 * its `sub` (so a resumed or repeated run yields the same id map).
 * The alternative that keeps passwords: Cognito's user-migration Lambda trigger (docs/migrate.md).
 */
import { randomBytes } from 'node:crypto'
import type { AttributeType, UserType } from '@aws-sdk/client-cognito-identity-provider'
import { PortabaseError } from '../../errors.js'
import type { MigratedUser, UserAccess, UserImportResult } from '../endpoint.js'
import { awsError, type CognitoAccess } from './amplify-aws.js'

type CognitoUser = Pick<UserType, 'Username' | 'Attributes'>

/** ListUsers' largest page. */
const PAGE_MAX = 60

export function cognitoUsers(load: () => Promise<CognitoAccess>, userPoolId: string | undefined): Required<UserAccess> {
  async function call<T>(operation: string, run: (cognito: CognitoAccess, UserPoolId: string) => Promise<T>): Promise<T> {
    if (!userPoolId) throw new PortabaseError('failed-precondition', 'Amplify migration: the outputs have no auth.user_pool_id (defineAuth)', { provider: 'amplify' })
    const cognito = await load()
    try {
      return await run(cognito, userPoolId)
    } catch (error) {
      throw awsError(error, operation)
    }
  }

  async function findByEmail(email: string): Promise<CognitoUser | undefined> {
    const { Users } = await call('ListUsers', ({ sdk, client }, UserPoolId) => client.send(new sdk.ListUsersCommand({ UserPoolId, Filter: `email = "${email.replace(/["\\]/g, '')}"`, Limit: 2 })))
    return Users?.find((u) => attribute(u, 'email')?.toLowerCase() === email.toLowerCase())
  }

  return {
    async list(cursor, limit) {
      const answer = await call('ListUsers', ({ sdk, client }, UserPoolId) => client.send(new sdk.ListUsersCommand({ UserPoolId, Limit: Math.min(limit, PAGE_MAX), PaginationToken: cursor ?? undefined })))
      return { users: (answer.Users ?? []).map(userOf), cursor: answer.PaginationToken ?? null }
    },
    async import(users) {
      const result: Required<UserImportResult> = { imported: 0, mustReset: [], notImported: [], idMap: {} }
      for (const user of users) {
        if (user.isAnonymous || !user.email) {
          result.notImported.push({ uid: user.uid, email: user.email, reason: `${user.isAnonymous ? 'an anonymous account' : 'no email'}: a Cognito email pool holds neither` })
          continue
        }
        const email = user.email
        const UserAttributes: AttributeType[] = [
          { Name: 'email', Value: email },
          { Name: 'email_verified', Value: 'true' },
          ...(user.displayName ? [{ Name: 'name', Value: user.displayName }] : []),
          ...(user.photoURL ? [{ Name: 'picture', Value: user.photoURL }] : []),
        ]
        let existing = await findByEmail(email)
        if (existing) {
          const Username = existing.Username
          await call('AdminUpdateUserAttributes', ({ sdk, client }, UserPoolId) => client.send(new sdk.AdminUpdateUserAttributesCommand({ UserPoolId, Username, UserAttributes })))
        } else {
          const created = await call('AdminCreateUser', ({ sdk, client }, UserPoolId) => client.send(new sdk.AdminCreateUserCommand({ UserPoolId, Username: email, MessageAction: 'SUPPRESS', UserAttributes })))
          existing = created.User
          const Username = existing?.Username ?? email
          await call('AdminSetUserPassword', ({ sdk, client }, UserPoolId) => client.send(new sdk.AdminSetUserPasswordCommand({ UserPoolId, Username, Password: unusablePassword(), Permanent: true })))
        }
        const sub = existing ? attribute(existing, 'sub') : undefined
        if (!sub) throw new PortabaseError('internal', `Amplify migration: Cognito answered no sub for the account of ${user.uid}`, { provider: 'amplify' })
        result.imported += 1
        if (sub !== user.uid) result.idMap[user.uid] = sub
        const hash = user.password ? `a ${user.password.algorithm} hash` : 'no password hash'
        result.mustReset.push({ uid: user.uid, email, reason: `Cognito imports no password hash (the source gave ${hash})` })
      }
      return result
    },
  }
}

const attribute = (user: CognitoUser, name: string): string | undefined => user.Attributes?.find((a) => a.Name === name)?.Value

function userOf(user: CognitoUser): MigratedUser {
  const identities = attribute(user, 'identities')
  let federated: string | undefined
  try {
    federated = identities ? (JSON.parse(identities) as { providerName?: string }[])[0]?.providerName : undefined
  } catch {
    federated = undefined
  }
  return {
    uid: attribute(user, 'sub') ?? String(user.Username),
    email: attribute(user, 'email') ?? null,
    displayName: attribute(user, 'name') || null,
    photoURL: attribute(user, 'picture') || null,
    isAnonymous: false,
    providerId: federated ? federated.toLowerCase() : 'password',
  }
}

/** Meets any Cognito password policy (upper, lower, digit, symbol); never stored or shown. */
function unusablePassword(): string {
  return `Aa1!${randomBytes(24).toString('base64url')}`
}

/**
 * The remote config's admin, test harness only: a cognito-local user in the config model's admin
 * group (`portabaseConfigModel`: only that group may write) who replaces the config with GraphQL
 * mutations on the simulator. Mutations, not DynamoDB writes: only they reach the model's
 * subscriptions, i.e. clients listening with `app.config.updates()` — as on AWS.
 */
import { randomBytes } from 'node:crypto';
import { CONFIG_ADMIN_GROUP, CONFIG_MODEL } from '../../../adapters/amplify/schema.js';
import { cognitoApi } from './cognito.js';
import { postWithRetry } from './http.js';

export interface ConfigAdmin {
  /** Makes the served config exactly `values` (any JSON per key). */
  set(values: Record<string, unknown>): Promise<void>;
}

export async function startConfigAdmin(cognito: { endpoint: string; userPoolId: string; userPoolClientId: string }, graphqlUrl: string): Promise<ConfigAdmin> {
  const email = 'config-admin@portabase.test';
  const password = `Aa1!${randomBytes(12).toString('base64url')}`;
  const { endpoint, userPoolId } = cognito;
  await cognitoApi(endpoint, 'CreateGroup', { UserPoolId: userPoolId, GroupName: CONFIG_ADMIN_GROUP });
  await cognitoApi(endpoint, 'AdminCreateUser', {
    UserPoolId: userPoolId,
    Username: email,
    MessageAction: 'SUPPRESS',
    UserAttributes: [
      { Name: 'email', Value: email },
      { Name: 'email_verified', Value: 'true' },
    ],
  });
  await cognitoApi(endpoint, 'AdminSetUserPassword', { UserPoolId: userPoolId, Username: email, Password: password, Permanent: true });
  await cognitoApi(endpoint, 'AdminAddUserToGroup', { UserPoolId: userPoolId, Username: email, GroupName: CONFIG_ADMIN_GROUP });

  /** A fresh access token each time (tokens may be short-lived: `tokenValiditySeconds`). */
  const signIn = async (): Promise<string> => {
    const answer = (await cognitoApi(endpoint, 'InitiateAuth', {
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: cognito.userPoolClientId,
      AuthParameters: { USERNAME: email, PASSWORD: password },
    })) as { AuthenticationResult?: { AccessToken?: string } };
    const token = answer.AuthenticationResult?.AccessToken;
    if (!token) throw new Error(`Amplify test backend: the config admin cannot sign in: ${JSON.stringify(answer)}`);
    return token;
  };

  const graphql = async (token: string, query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const response = await postWithRetry(graphqlUrl, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: token }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: Record<string, unknown> | null; errors?: unknown[] };
    if (body.errors?.length) throw new Error(`Amplify test backend: config admin: ${JSON.stringify(body.errors)}`);
    return body.data ?? {};
  };

  return {
    async set(values) {
      const token = await signIn();
      // Stored key → value as AWSJSON text; only what differs is written (one event per written key).
      const stored = new Map<string, string | null>();
      let nextToken: string | null = null;
      do {
        const data = await graphql(token, `query ($nextToken: String) { list${CONFIG_MODEL}s(limit: 1000, nextToken: $nextToken) { items { key value } nextToken } }`, { nextToken });
        const page = data[`list${CONFIG_MODEL}s`] as { items: { key: string; value: string | null }[]; nextToken: string | null };
        page.items.forEach((item) => stored.set(item.key, item.value));
        nextToken = page.nextToken;
      } while (nextToken);
      for (const key of stored.keys()) {
        if (!(key in values)) await graphql(token, `mutation ($input: Delete${CONFIG_MODEL}Input!) { delete${CONFIG_MODEL}(input: $input) { key } }`, { input: { key } });
      }
      for (const [key, value] of Object.entries(values)) {
        if (stored.has(key) && stored.get(key) === JSON.stringify(value ?? null)) continue;
        const op = stored.has(key) ? 'update' : 'create';
        const type = op === 'update' ? 'Update' : 'Create';
        await graphql(token, `mutation ($input: ${type}${CONFIG_MODEL}Input!) { ${op}${CONFIG_MODEL}(input: $input) { key value } }`, { input: { key, value: JSON.stringify(value) } });
      }
    },
  };
}


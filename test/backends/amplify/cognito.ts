/**
 * Cognito user pools, locally: cognito-local 5 run in this process on a free port, with its data
 * (StormDB JSON files) in a fresh temp dir, one user pool and one app client.
 *
 * cognito-local's own entry point (`createDefaultServer`) reads `./.cognito` in the cwd, prints
 * every delivered code in a box on stdout and can only reach trigger Lambdas over AWS's API, so
 * this module assembles the same services itself:
 * - tokens are issued by `https://cognito-idp.<region>.amazonaws.com/<poolId>` (TokenConfig
 *   IssuerDomain). The AppSync simulator only DECODES user-pool JWTs (no signature or issuer
 *   check) and treats a token as a user-pool token when its `iss` starts with `https://cognito-idp.`;
 * - the pool gets a real-looking id (`<region>_xxxxxxxx`, created through cognito-local's service
 *   layer; its CreateUserPool API would name it `local_…`), so aws-amplify derives the right
 *   region from it; the app client is created through the API (CreateUserPoolClient);
 * - email as the username, email auto-verified (a code is sent on sign-up), Gen 2's defaults;
 * - confirmation/reset codes are always `CONFIRMATION_CODE` and every delivered message is kept
 *   in `messages` (nothing is printed);
 * - `autoConfirm` (default true) registers a PreSignUp trigger, run in-process, answering
 *   `autoConfirmUser` + `autoVerifyEmail`: what a Gen 2 app does with a pre sign-up function.
 *   cognito-local honours it, so signUp returns `UserConfirmed: true` and signIn works at once.
 *   With `autoConfirm: false` users stay UNCONFIRMED until ConfirmSignUp with the code.
 *
 * cognito-local speaks Cognito's JSON API (POST / with X-Amz-Target), without SRP
 * (`USER_PASSWORD_AUTH` only) and without `GetTokensFromRefreshToken` (answered here as the
 * equivalent InitiateAuth REFRESH_TOKEN_AUTH: withRefreshTokenTarget).
 */
import type { DataStoreFactory } from 'cognito-local/lib/services/dataStore/factory.js';
import { StormDBDataStoreFactory } from 'cognito-local/lib/services/dataStore/stormDb.js';
import { CognitoServiceFactoryImpl } from 'cognito-local/lib/services/cognitoService.js';
import type { Context } from 'cognito-local/lib/services/context.js';
import type { CryptoService } from 'cognito-local/lib/services/crypto.js';
import { DateClock, MessagesService, TriggersService, type Lambda, type Services } from 'cognito-local/lib/services/index.js';
import { MessageDeliveryService } from 'cognito-local/lib/services/messageDelivery/messageDelivery.js';
import type { MessageSender } from 'cognito-local/lib/services/messageDelivery/messageSender.js';
import { JwtTokenGenerator } from 'cognito-local/lib/services/tokenGenerator.js';
import { UserPoolServiceFactoryImpl } from 'cognito-local/lib/services/userPoolService.js';
import { DefaultConfig, type Config } from 'cognito-local/lib/server/config.js';
import { Router } from 'cognito-local/lib/server/Router.js';
import { createServer } from 'cognito-local/lib/server/server.js';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { postWithRetry } from './http.js';

/** Every confirmation / password-reset code cognito-local sends. */
export const CONFIRMATION_CODE = '123456';

export interface CognitoOptions {
  region?: string;
  /** Confirm every sign-up at once (PreSignUp trigger). Default true. */
  autoConfirm?: boolean;
  /** Lifetime of access and id tokens. Default 3600 (Gen 2's 60 minutes). */
  tokenValiditySeconds?: number;
}

export interface DeliveredMessage {
  /** `EMAIL` or `SMS`. */
  medium: string;
  destination: string;
  /** The user's username (with email usernames, cognito-local stores the sub). */
  username: string;
  code: string | undefined;
}

export interface CognitoLocal {
  /** `http://127.0.0.1:<port>`: aws-amplify's `Auth.Cognito.userPoolEndpoint`. */
  endpoint: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  /** Codes "sent" by email/SMS, oldest first. */
  messages: DeliveredMessage[];
  stop(): Promise<void>;
}

/**
 * cognito-local 5 has no `GetTokensFromRefreshToken`, the call aws-amplify 6.22 refreshes with
 * (auth/src/providers/cognito/utils/refreshAuthTokens.ts). The request is answered as the
 * `InitiateAuth` REFRESH_TOKEN_AUTH it is equivalent to (same input fields, same
 * `AuthenticationResult`), so every aws-amplify context — each with its own token orchestrator,
 * out of reach of a client-side refresher — refreshes against the local pool as against AWS.
 */
function withRefreshTokenTarget(route: ReturnType<typeof Router>): ReturnType<typeof Router> {
  return (target) => {
    if (target !== 'GetTokensFromRefreshToken') return route(target);
    const initiateAuth = route('InitiateAuth');
    return async (ctx, req: { ClientId: string; RefreshToken: string; ClientMetadata?: Record<string, string> }) => {
      const answer = (await initiateAuth(ctx, {
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        ClientId: req.ClientId,
        AuthParameters: { REFRESH_TOKEN: req.RefreshToken },
        ClientMetadata: req.ClientMetadata,
      })) as { AuthenticationResult?: Record<string, unknown> };
      return { AuthenticationResult: answer.AuthenticationResult };
    };
  };
}

export async function startCognito(options: CognitoOptions = {}): Promise<CognitoLocal> {
  const region = options.region ?? 'us-east-1';
  const autoConfirm = options.autoConfirm ?? true;
  const dir = await mkdtemp(path.join(tmpdir(), 'portabase-cognito-'));
  let server: Server | undefined;
  try {
    const ctx = { logger: silentLogger() } as unknown as Context;
    const config: Config = {
      ...DefaultConfig,
      TriggerFunctions: autoConfirm ? { PreSignUp: 'local-auto-confirm' } : {},
      UserPoolDefaults: { UsernameAttributes: ['email'] },
      TokenConfig: { IssuerDomain: `https://cognito-idp.${region}.amazonaws.com` },
      ServerConfig: { port: 0, hostname: '127.0.0.1', development: false, https: false },
    };
    const clock = new DateClock();
    const dataStoreFactory: DataStoreFactory = new StormDBDataStoreFactory(dir);
    const cognito = await new CognitoServiceFactoryImpl(dir, dataStoreFactory, new UserPoolServiceFactoryImpl(clock, dataStoreFactory)).create(
      ctx,
      config.UserPoolDefaults,
    );
    const lambda: Lambda = {
      enabled: (trigger) => autoConfirm && trigger === 'PreSignUp',
      invoke: (async (_ctx: Context, trigger: string) => {
        if (trigger === 'PreSignUp') return { autoConfirmUser: true, autoVerifyEmail: true, autoVerifyPhone: false };
        throw new Error(`Cognito test backend: no ${trigger} trigger`);
      }) as unknown as Lambda['invoke'],
    };
    // Only the CustomEmailSender trigger decrypts codes with KMS, and none is configured.
    const triggers = new TriggersService(clock, cognito, lambda, {} as CryptoService);
    const messages: DeliveredMessage[] = [];
    const record =
      (medium: string): MessageSender['sendEmail'] =>
      async (_ctx, user, destination, message) => {
        messages.push({ medium, destination, username: user.Username, code: message.__code });
      };
    const sender: MessageSender = { sendEmail: record('EMAIL'), sendSms: record('SMS') };
    const services: Services = {
      clock,
      cognito,
      config,
      messages: new MessagesService(triggers, new MessageDeliveryService(sender)),
      otp: () => CONFIRMATION_CODE,
      tokenGenerator: new JwtTokenGenerator(clock, triggers, config.TokenConfig),
      triggers,
    };
    server = (await createServer(withRefreshTokenTarget(Router(services)), ctx.logger as never, config.ServerConfig, services).start()) as Server;
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // The pool through the service layer (for a `<region>_…` id), with Gen 2's auth defaults.
    const userPoolId = `${region}_${randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 9)}`;
    await cognito.createUserPool(ctx, {
      Id: userPoolId,
      Name: 'amplify-local',
      Arn: `arn:aws:cognito-idp:${region}:123456789012:userpool/${userPoolId}`,
      UsernameAttributes: ['email'],
      AutoVerifiedAttributes: ['email'],
      MfaConfiguration: 'OFF',
      Policies: {
        PasswordPolicy: { MinimumLength: 8, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true },
      },
    });
    const validity = options.tokenValiditySeconds ?? 3600;
    const { UserPoolClient } = (await cognitoApi(endpoint, 'CreateUserPoolClient', {
      UserPoolId: userPoolId,
      ClientName: 'amplify-local-client',
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      AccessTokenValidity: validity,
      IdTokenValidity: validity,
      RefreshTokenValidity: 30,
      TokenValidityUnits: { AccessToken: 'seconds', IdToken: 'seconds', RefreshToken: 'days' },
    })) as { UserPoolClient: { ClientId: string } };

    const running = server;
    let stopping: Promise<void> | undefined;
    return {
      endpoint,
      region,
      userPoolId,
      userPoolClientId: UserPoolClient.ClientId,
      messages,
      stop: () =>
        (stopping ??= (async () => {
          await closeServer(running);
          await rm(dir, { recursive: true, force: true });
        })()),
    };
  } catch (error) {
    if (server) await closeServer(server);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** One call of Cognito's JSON API (what the AWS SDKs send), e.g. `cognitoApi(url, 'SignUp', {...})`. */
export async function cognitoApi(endpoint: string, target: string, body: object): Promise<unknown> {
  const response = await postWithRetry(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `AWSCognitoIdentityProviderService.${target}` },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`Cognito ${target}: HTTP ${response.status} ${text}`);
  return JSON.parse(text);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** cognito-local wants a pino logger; this one is silent unless AMPLIFY_BACKEND_LOG is set. */
function silentLogger() {
  const verbose = Boolean(process.env.AMPLIFY_BACKEND_LOG);
  const log =
    (level: string) =>
    (...args: unknown[]): void => {
      if (verbose) console.error(`[cognito-local ${level}]`, ...args);
    };
  const logger: Record<string, unknown> = { level: verbose ? 'debug' : 'silent' };
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal']) logger[level] = log(level);
  logger.child = () => logger;
  return logger;
}

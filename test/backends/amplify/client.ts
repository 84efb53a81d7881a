/**
 * Configures the real aws-amplify v6 client for the local Amplify test backend: the backend's
 * `amplify_outputs.json` object, plus what real AWS does not need (all in shims.ts):
 * - `Auth.Cognito.userPoolEndpoint` → cognito-local (the outputs format has no field for it);
 * - the token refresher cognito-local can serve, and fixed S3 credentials (no identity pool);
 * - the WebSocket shim for subscriptions, the fetch rewrite for S3, a FileReader for multipart uploads.
 * `restore()` undoes the global shims (the Amplify configuration stays until reconfigured).
 */
import { Amplify, type ResourcesConfig } from 'aws-amplify';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';
import { parseAmplifyConfig } from 'aws-amplify/utils';
import type { AmplifyTestBackend } from './shared.js';
import { installFileReaderShim, installS3FetchRewrite, installWebSocketShim, localCredentialsProvider, quietCustomEndpointWarning, localTokenRefresher } from './shims.js';

export type LocalBackendEndpoints = Pick<AmplifyTestBackend, 'outputs' | 'cognitoEndpoint' | 's3Endpoint'>;

export function configureAmplifyForLocalBackend(backend: LocalBackendEndpoints): { restore: () => void } {
  const config = parseAmplifyConfig(backend.outputs as Parameters<typeof parseAmplifyConfig>[0]);
  const cognito = config.Auth?.Cognito;
  if (!cognito) throw new Error('Amplify test backend: outputs without auth');
  const auth = { Cognito: { ...cognito, userPoolEndpoint: backend.cognitoEndpoint } } as NonNullable<ResourcesConfig['Auth']>;

  // Custom Auth providers replace Amplify's defaults entirely, so the default token provider
  // is passed back in, told about the config, and given the refresher.
  cognitoUserPoolsTokenProvider.setAuthConfig(auth);
  cognitoUserPoolsTokenProvider.tokenOrchestrator.setTokenRefresher(localTokenRefresher(backend.cognitoEndpoint));
  const loud = quietCustomEndpointWarning();
  try {
    Amplify.configure(
      { ...config, Auth: auth },
      { Auth: { tokenProvider: cognitoUserPoolsTokenProvider, credentialsProvider: localCredentialsProvider(backend.outputs.auth.aws_region) } },
    );
  } finally {
    loud();
  }

  const undo = [installWebSocketShim(), installS3FetchRewrite(backend.s3Endpoint), installFileReaderShim()];
  return { restore: () => undo.splice(0).reverse().forEach((step) => step()) };
}

/**
 * Node shims the real aws-amplify v6 client needs to talk to the local simulators — test harness
 * only; an adapter must work against real AWS without them. Each install* returns its undo.
 * client.ts applies them all in one call.
 */
import { decodeJWT, type CredentialsAndIdentityIdProvider } from 'aws-amplify/auth';
import type { TokenOrchestrator } from 'aws-amplify/auth/cognito';
import { WebSocket as NodeWebSocket } from 'ws';

/**
 * Why: Node 20 has no global WebSocket (aws-amplify's subscriptions need one), and the AppSync
 * simulator reads the connection's auth header from a `header=<base64>` query parameter where
 * AppSync reads the `header-<base64url>` subprotocol. Without it, events silently never arrive.
 * Also, aws-amplify 6.22 never clears the 15 s "connection ack" timeout it arms right after
 * sending `connection_init` (AWSWebSocketProvider._initiateHandshake), which keeps a finished
 * test process alive for up to 15 s; that one timer is unref'd (it still fires if the process runs).
 */
export function installWebSocketShim(): () => void {
  const previous = Object.getOwnPropertyDescriptor(globalThis, 'WebSocket');
  class SimulatorWebSocket extends NodeWebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      const url = new URL(address);
      const offered = typeof protocols === 'string' ? [protocols] : (protocols ?? []);
      const header = offered.find((p) => p.startsWith('header-'));
      if (url.protocol === 'wss:') url.protocol = 'ws:'; // amplify turns every endpoint into wss://
      if (header) {
        const json = Buffer.from(header.slice('header-'.length), 'base64url').toString('utf8');
        url.searchParams.set('header', Buffer.from(json, 'utf8').toString('base64'));
        url.searchParams.set('payload', Buffer.from('{}').toString('base64'));
      }
      super(url, offered.filter((p) => !p.startsWith('header-')));
      const send = this.send.bind(this) as (...args: unknown[]) => void;
      this.send = ((data: unknown, ...rest: unknown[]) => {
        if (typeof data === 'string' && data.includes('"connection_init"')) unrefNextTimeout();
        send(data, ...rest);
      }) as NodeWebSocket['send'];
    }
  }
  Object.defineProperty(globalThis, 'WebSocket', { value: SimulatorWebSocket, configurable: true, writable: true });
  return () => {
    if (previous) Object.defineProperty(globalThis, 'WebSocket', previous);
    else delete (globalThis as { WebSocket?: unknown }).WebSocket;
  };
}

/** Unrefs the next timer set in this synchronous run (see installWebSocketShim). */
function unrefNextTimeout(): void {
  const original = globalThis.setTimeout;
  const once = ((...args: Parameters<typeof setTimeout>) => {
    globalThis.setTimeout = original;
    const timer = original(...args);
    timer.unref?.();
    return timer;
  }) as typeof setTimeout;
  globalThis.setTimeout = once;
  queueMicrotask(() => {
    if (globalThis.setTimeout === once) globalThis.setTimeout = original;
  });
}

/**
 * Why: aws-amplify/storage always addresses `https://<bucket>.s3.<region>.amazonaws.com/<key>`
 * (its `dangerouslyConnectToHttpEndpointForTesting` only knows the old CLI mock's fixed port),
 * so requests to S3 hosts are sent to s3rver, path-style, instead; everything else is untouched.
 */
export function installS3FetchRewrite(s3Endpoint: string): () => void {
  const original = globalThis.fetch;
  const target = new URL(s3Endpoint);
  const rewrite = (url: URL): URL | undefined => {
    const virtualHosted = /^(.+)\.s3[.-]([a-z0-9-]+\.)?amazonaws\.com$/.exec(url.hostname);
    const pathStyle = /^s3[.-]([a-z0-9-]+\.)?amazonaws\.com$/.test(url.hostname);
    if (!virtualHosted && !pathStyle) return undefined;
    const local = new URL(target);
    local.pathname = virtualHosted ? `/${virtualHosted[1]}${url.pathname}` : url.pathname;
    local.search = url.search;
    return local;
  };
  globalThis.fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input);
    const local = rewrite(url);
    if (!local) return original(input, init);
    return original(input instanceof Request ? new Request(local, input) : local, init);
  };
  return () => {
    globalThis.fetch = original;
  };
}

/**
 * Why: aws-amplify/storage's multipart upload (over 5 MiB) reads each part with the browser's
 * FileReader (for its CRC32), and Node has none: `ReferenceError: FileReader is not defined`.
 * This one implements what it uses, `readAsArrayBuffer` with onload/onerror.
 */
export function installFileReaderShim(): () => void {
  if (typeof (globalThis as { FileReader?: unknown }).FileReader !== 'undefined') return () => undefined;
  class NodeFileReader {
    static readonly EMPTY = 0;
    static readonly LOADING = 1;
    static readonly DONE = 2;
    readyState = NodeFileReader.EMPTY;
    result: ArrayBuffer | null = null;
    error: unknown = null;
    onload: (() => void) | null = null;
    onerror: (() => void) | null = null;
    onabort: (() => void) | null = null;
    readAsArrayBuffer(blob: Blob): void {
      this.readyState = NodeFileReader.LOADING;
      blob.arrayBuffer().then(
        (buffer) => {
          this.result = buffer;
          this.readyState = NodeFileReader.DONE;
          this.onload?.();
        },
        (error: unknown) => {
          this.error = error;
          this.readyState = NodeFileReader.DONE;
          this.onerror?.();
        },
      );
    }
  }
  Object.defineProperty(globalThis, 'FileReader', { value: NodeFileReader, configurable: true, writable: true });
  return () => void delete (globalThis as { FileReader?: unknown }).FileReader;
}

type TokenRefresher = Parameters<TokenOrchestrator['setTokenRefresher']>[0];

/**
 * Why: aws-amplify 6.22 refreshes tokens with `GetTokensFromRefreshToken`, which cognito-local
 * lacks; this refresher (for `cognitoUserPoolsTokenProvider.tokenOrchestrator.setTokenRefresher`)
 * uses `InitiateAuth` with `REFRESH_TOKEN_AUTH` instead, which cognito-local has.
 */
export function localTokenRefresher(cognitoEndpoint: string): TokenRefresher {
  return async ({ tokens, authConfig, username }) => {
    const clientId = authConfig?.Cognito.userPoolClientId;
    if (!tokens.refreshToken || !clientId) throw new Error('local token refresher: no refresh token or client id');
    const response = await fetch(cognitoEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AWSCognitoIdentityProviderService.InitiateAuth' },
      body: JSON.stringify({ AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: clientId, AuthParameters: { REFRESH_TOKEN: tokens.refreshToken } }),
    });
    const body = (await response.json()) as { AuthenticationResult?: { AccessToken: string; IdToken?: string; RefreshToken?: string }; __type?: string; message?: string };
    if (!response.ok || !body.AuthenticationResult) {
      // Named like Cognito's errors, so callers map it like a real refresh failure.
      throw Object.assign(new Error(body.message ?? `token refresh failed: HTTP ${response.status}`), { name: body.__type ?? 'NotAuthorizedException' });
    }
    const result = body.AuthenticationResult;
    const accessToken = decodeJWT(result.AccessToken);
    return {
      accessToken,
      idToken: result.IdToken ? decodeJWT(result.IdToken) : undefined,
      refreshToken: result.RefreshToken ?? tokens.refreshToken,
      clockDrift: (accessToken.payload.iat ?? 0) * 1000 - Date.now(),
      username,
    };
  };
}

/**
 * Why: there is no local Cognito identity pool, and aws-amplify/storage signs S3 requests with
 * AWS credentials from one. This provider hands out fixed credentials (s3rver accepts any
 * signature) and an identity id `<region>:<sub>` for signed-in users — real identity ids are
 * `<region>:<uuid>` and differ from the sub —, `<region>:guest` otherwise.
 */
export function localCredentialsProvider(region: string): CredentialsAndIdentityIdProvider {
  return {
    getCredentialsAndIdentityId: async (options) => {
      const sub = options.tokens?.accessToken.payload.sub;
      return {
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', sessionToken: 'local', expiration: new Date(Date.now() + 3_600_000) },
        identityId: `${region}:${options.authenticated && sub ? sub : 'guest'}`,
      };
    },
    clearCredentialsAndIdentityId: () => undefined,
  };
}

/**
 * Why: aws-amplify warns on every configure that a custom Cognito user pool endpoint is in use —
 * each adapter a test creates against cognito-local. The tests know; every other warning passes.
 */
export function quietCustomEndpointWarning(): () => void {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => (/custom Amazon .*Cognito User Pool endpoint/.test(String(args[0])) ? undefined : warn(...args));
  return () => {
    console.warn = warn;
  };
}

/** What a test file creating `amplify()` adapters against the local backend installs: the WebSocket shim, the quiet warning. */
export function installAdapterTestShims(): () => void {
  const undo = [installWebSocketShim(), quietCustomEndpointWarning()];
  return () => undo.splice(0).reverse().forEach((step) => step());
}

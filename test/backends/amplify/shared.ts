/**
 * Types shared by the Amplify test backend (backend.ts, run in its own process) and its
 * test-side handle (server.ts). Free of heavy imports: tests that load server.ts do not load
 * the transformer, aws-cdk-lib or the simulators.
 */
import type { CollectionSpec } from './schema.js';

export interface StartAmplifyBackendOptions {
  /** The collections the data API serves (see schema.ts). Default: DEFAULT_COLLECTIONS. */
  collections?: CollectionSpec[];
  /** Confirm sign-ups at once (a PreSignUp trigger). Default true; else confirm with `confirmationCode`. */
  autoConfirm?: boolean;
  /** Lifetime of Cognito access and id tokens. Default 3600. */
  tokenValiditySeconds?: number;
  /** Default `us-east-1`. */
  region?: string;
  /**
   * Serve the contract's functions (FIXTURES.md: `echo`, `whoami`, `fail`, `slow`; and the todo example's `sendInvite`) as Gen 2 custom
   * queries (`portabaseFunction`), each handled by an in-process Lambda stand-in (lambda.ts).
   */
  functions?: boolean;
  /**
   * Serve the remote-config model (`portabaseConfigModel`) holding these values (any JSON per key);
   * `setConfig()` replaces them. Without it there is no config model.
   */
  config?: Record<string, unknown>;
  /**
   * A GraphQL SDL to serve instead of the one built from `collections` — a Gen 1 `schema.graphql`
   * (e.g. from `portabaseGraphQLSchema`). Not with `functions`.
   */
  schema?: string;
}

/** The Gen 2 `amplify_outputs.json` format (the parts this backend fills in), as @aws-amplify/core parses it. */
export interface AmplifyOutputs {
  version: string;
  auth: {
    aws_region: string;
    user_pool_id: string;
    user_pool_client_id: string;
    password_policy: { min_length: number; require_lowercase: boolean; require_numbers: boolean; require_symbols: boolean; require_uppercase: boolean };
    standard_required_attributes: string[];
    username_attributes: string[];
    user_verification_types: string[];
    groups: Array<Record<string, Record<string, number>>>;
    mfa_configuration: string;
    mfa_methods: string[];
    unauthenticated_identities_enabled: boolean;
  };
  data: {
    url: string;
    aws_region: string;
    api_key: string;
    default_authorization_type: string;
    authorization_types: string[];
    model_introspection: object;
  };
  storage: {
    aws_region: string;
    bucket_name: string;
    buckets: Array<{ name: string; bucket_name: string; aws_region: string; paths: Record<string, Record<string, string[]>> }>;
  };
}

export interface AmplifyTestBackend {
  /** What `Amplify.configure(outputs)` takes. Cognito and S3 need the endpoints below as well (shims.ts). */
  outputs: AmplifyOutputs;
  /** cognito-local, `http://127.0.0.1:<port>`: `Auth.Cognito.userPoolEndpoint`. */
  cognitoEndpoint: string;
  /** s3rver, `http://127.0.0.1:<port>` (path-style). */
  s3Endpoint: string;
  /** dynalite, `http://127.0.0.1:<port>`: the tables, for direct inspection (any credentials). */
  dynamoDbEndpoint: string;
  /** DynamoDB table per model, e.g. `{ Todos: 'Todos-<apiId>-NONE' }`. */
  tableNames: Record<string, string>;
  /** The code every sign-up confirmation / password reset "email" carries. */
  confirmationCode: string;
  /** Milliseconds: the transform, and the whole start inside the backend process. */
  timings: { transformMs: number; backendMs: number };
  /**
   * Replaces the remote config (served with the `config` option): GraphQL mutations as a member of
   * the config's admin group, so subscribed clients hear of it, as from an admin app on AWS.
   */
  setConfig(values: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The AWS Amplify (Gen 2) adapter, over aws-amplify ≥ 6.22: auth (Cognito user pools), documents on
 * the AppSync models `portabaseModels` builds (pass the same `collections`) with watch()
 * (realtime.ts), storage on S3 (storage.ts), functions as Lambda-backed custom queries
 * (functions.ts), remote config from the config model (remote-config.ts) and offline sync
 * (sync.ts). Each adapter is its own aws-amplify context (context.ts). See README.md and DESIGN.md.
 *
 *   const app = createClient({ adapter: amplify({ outputs, collections }) })   // outputs: amplify_outputs.json
 */
import { generateClient } from 'aws-amplify/api'
import { BehaviorSubject } from 'rxjs'
import type { Adapter, Capabilities } from '../../src/spi.js'
import type { ConnectionState } from '../../src/types.js'
import { AmplifyAuth, type AmplifyAuthOptions } from './auth.js'
import { createAdapterContext, SessionStore, type ContextOptions } from './context.js'
import { AmplifyDocuments, type GraphQLClient } from './documents.js'
import { AmplifyFunctions } from './functions.js'
import { modelInfos } from './graphql.js'
import { AmplifyConfig, type ConfigClient } from './remote-config.js'
import { AmplifyRealtime, ownerValueOf, type SubscriptionClient } from './realtime.js'
import { haltIdleReconnects } from './reconnect.js'
import type { AmplifyCollection } from './schema.js'
import { AmplifySync, type AmplifySyncOptions } from './sync.js'
import { AmplifyStorage, type AmplifyStorageOptions } from './storage.js'

export interface AmplifyAdapterOptions extends ContextOptions, AmplifyAuthOptions {
  /**
   * The app's collections, as given to `portabaseModels` (schema.ts) for the backend: each one's
   * model, access and typed fields. Documents of other collections are refused.
   */
  collections?: readonly AmplifyCollection[]
  /** Offline collections (sync.ts): `tombstoneTtlMs` when the app purges tombstones, `feedLagMs` for the late-write window. */
  sync?: AmplifySyncOptions
  /** S3: `prefix` = a folder your defineStorage access grants (e.g. `media/`; default none), `bucket` = a name from outputs.storage.buckets. */
  storage?: AmplifyStorageOptions
}

export interface AmplifyAdapter extends Adapter {
  readonly name: 'amplify'
}

/** What this adapter can do today: auth, documents with watch() (documents.ts, realtime.ts), storage. */
export function amplifyCapabilities(options: Pick<AmplifyAdapterOptions, 'oauthProviders'> = {}): Capabilities {
  return Object.freeze({
    emailPasswordAuth: true,
    anonymousAuth: false,
    oauthProviders: Object.freeze([...(options.oauthProviders ?? [])]),
    passwordReset: true,
    updateProfile: true,
    queryOperators: Object.freeze(['==', '!=', '<', '<=', '>', '>=', 'in', 'not-in', 'array-contains', 'array-contains-any'] as const),
    orQueries: true,
    nestedFieldQueries: false,
    mixedFieldTypes: false,
    mixedTypeOrder: false,
    // Typed models: AppSync has no geo point, reference or bytes scalar, and an AWSJSON field
    // compares as text. Refused (`unsupported`) rather than stored as something else.
    valueTypes: { geoPoint: 'none', reference: 'none', bytes: 'none' } as const,
    fieldOrdering: 'declared',
    // Query semantics: the reference's (docs/semantics.md); the query translation provides them.
    missingFields: 'null',
    nullOrder: 'last',
    notEqualNull: 'matched',
    implicitOrder: 'none',
    readRules: 'filter',
    transactions: false,
    realtime: true,
    serverTimestamp: false,
    increment: false,
    arrayOps: false,
    storage: true,
    signedUrls: true,
    functions: true,
    remoteConfig: true,
    configUpdates: true,
    // Names AppSync keeps are mapped (schema.ts: pbField…); batches are sent write by write.
    limits: Object.freeze({}),
  })
}

export function amplify(options: AmplifyAdapterOptions): AmplifyAdapter {
  if (!options || typeof options.outputs !== 'object' || options.outputs === null) throw new TypeError('amplify(): pass { outputs } (amplify_outputs.json)')
  const store = new SessionStore()
  const { ctx, config } = createAdapterContext(options, store)
  const auth = new AmplifyAuth(ctx, store, options)
  const models = modelInfos(options.collections ?? [])
  // userPool when someone is signed in (owner rules need the user), else the API key when there is one.
  const hasApiKey = Boolean(config.API?.GraphQL?.apiKey)
  const authMode = (): 'userPool' | 'apiKey' => (auth.currentUser() || !hasApiKey ? 'userPool' : 'apiKey')
  const client = generateClient(ctx)
  const releaseReconnects = haltIdleReconnects()
  const realtime = new AmplifyRealtime(client as unknown as SubscriptionClient, ctx, { authMode, user$: auth.user$ })
  const functions = new AmplifyFunctions(client as unknown as GraphQLClient, authMode)
  const remoteConfig = new AmplifyConfig(client as unknown as ConfigClient, { authMode, user$: auth.user$ })
  const documents = new AmplifyDocuments(client as unknown as GraphQLClient, models, authMode, realtime, () => ownerValueOf(ctx))
  const sync = new AmplifySync(documents, options.sync)
  const connection = new BehaviorSubject<ConnectionState>('online')
  let disposed = false
  return {
    name: 'amplify',
    capabilities: amplifyCapabilities(options),
    auth,
    documents,
    storage: new AmplifyStorage(ctx, options.storage),
    functions,
    config: remoteConfig,
    sync,
    connection$: connection.asObservable(),
    async dispose() {
      if (disposed) return
      disposed = true
      realtime.dispose()
      releaseReconnects()
      auth.close()
      connection.complete()
    },
  }
}

export { portabaseModels, portabaseGraphQLSchema, portabaseFunction, portabaseConfigModel, CONFIG_MODEL, CONFIG_ADMIN_GROUP, type AmplifyCollection, type AmplifyFieldType } from './schema.js'
export { functionError } from './functions.js'
export type { AmplifyStorageOptions } from './storage.js'

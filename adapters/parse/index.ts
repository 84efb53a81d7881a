/**
 * `portabase/parse`: the Parse Server adapter (self-hosted Parse Server, Back4App), on the official
 * Parse JS SDK. See README.md in this folder for options, capabilities, emulations and the
 * differences from the neutral semantics.
 *
 *   import Parse from 'parse'                       // browsers ('parse/react-native' in RN)
 *   const app = createClient({ adapter: parse({ Parse, serverURL, appId, javascriptKey }) })
 *
 * In Node the SDK (`parse/node`) is loaded by itself when `Parse` is not given.
 */
import { FILTER_OPERATORS } from '../../src/query/model.js'
import type { Adapter, AdapterLimits, Capabilities, SyncService } from '../../src/spi.js'
import { ParseAuth, Session } from './auth.js'
import { PARSE_VALUE_TYPES } from './codec.js'
import { ParseDocuments } from './documents.js'
import { FieldCatalog } from './fields.js'
import { ParseConfigService, ParseFunctions } from './functions-config.js'
import { ParseLive } from './live.js'
import { ConnectionTracker, ParseRest, type ParseSDK } from './sdk.js'
import { DEFAULT_FILES_CLASS, ParseStorage } from './storage.js'
import { ParseSync } from './sync.js'

export interface ParseAdapterOptions {
  /** The Parse Server API URL, e.g. `https://parseapi.back4app.com` or `http://localhost:1337/parse`. */
  serverURL: string
  appId: string
  /** The app's JavaScript key, when the server requires one. Never pass the master key. */
  javascriptKey?: string
  /**
   * The LiveQuery WebSocket URL. Default: `serverURL` with `ws(s)://`. `false` turns realtime off
   * (`watch()` then fails with `unsupported`).
   */
  liveQueryServerURL?: string | false
  /**
   * The Parse SDK to use. Default: in Node, `parse/node` (loaded on first use); in browsers, a
   * global `Parse`. Bundled web and React Native apps pass the SDK they import.
   */
  Parse?: ParseSDK | { default: ParseSDK }
  /**
   * `batch()` as one transactional /batch (all-or-nothing). Default true: Parse Server on PostgreSQL,
   * or on a MongoDB replica set. Set false for a standalone MongoDB, and for PGlite, where a
   * transaction that adds a class or field, or updates an object, deadlocks (see README).
   */
  transactions?: boolean
  /** Default true. The server needs an email adapter (plus appName and publicServerURL). */
  passwordReset?: boolean
  /** Default true. The server needs `enableAnonymousUsers` (its default). */
  anonymousAuth?: boolean
  /** The class mapping storage paths to Parse files. Default `PortabaseFile`. */
  filesClass?: string
  /** How long a watch waits for LiveQuery to confirm its subscription before serving the first snapshot anyway. Default 10 s. */
  liveQuerySubscribeTimeoutMs?: number
  /** The class holding the tombstones of deleted documents (offline sync). Default `PortabaseTombstone`. */
  tombstoneClass?: string
  /**
   * How long tombstones are kept on the server (a master-key job purges older ones: see README).
   * `sync.changes` refuses a checkpoint older than this with `failed-precondition`
   * (details.reason 'checkpoint-expired'), so the offline engine syncs in full. Default 30 days.
   */
  tombstoneTtlMs?: number
  /** The installation id this adapter sends with every request. Default: a random UUID per adapter. */
  installationId?: string
}

export interface ParseAdapter extends Adapter {
  readonly name: 'parse'
  readonly sync: SyncService
}

export const DEFAULT_TOMBSTONE_CLASS = 'PortabaseTombstone'
export const DEFAULT_TOMBSTONE_TTL_MS = 30 * 24 * 60 * 60 * 1000

/** Columns Parse Server keeps on every object or user (fields of these names cannot hold app data). */
export const PARSE_LIMITS: AdapterLimits = Object.freeze({ reservedFieldNames: Object.freeze(['objectId', 'ACL', 'sessionToken', 'authData']) })

/** What Parse Server can do through this adapter (see README for how each is done). */
export function parseCapabilities(options: Pick<ParseAdapterOptions, 'transactions' | 'passwordReset' | 'anonymousAuth'> & { realtime?: boolean } = {}): Capabilities {
  return Object.freeze({
    emailPasswordAuth: true,
    anonymousAuth: options.anonymousAuth ?? true,
    oauthProviders: Object.freeze([]) as readonly string[],
    passwordReset: options.passwordReset ?? true,
    updateProfile: true,
    queryOperators: FILTER_OPERATORS,
    orQueries: true,
    nestedFieldQueries: false,
    mixedFieldTypes: false,
    mixedTypeOrder: false,
    valueTypes: PARSE_VALUE_TYPES,
    fieldOrdering: 'any',
    // Query semantics: the reference's (docs/semantics.md); the query translation provides them.
    missingFields: 'null',
    nullOrder: 'last',
    notEqualNull: 'matched',
    implicitOrder: 'none',
    readRules: 'deny',
    transactions: options.transactions ?? true,
    realtime: options.realtime ?? true,
    serverTimestamp: false,
    increment: true,
    arrayOps: true,
    storage: true,
    signedUrls: false,
    functions: true,
    remoteConfig: true,
    configUpdates: false,
    limits: PARSE_LIMITS,
  })
}

/** `http(s)://host/path` → `ws(s)://host/path`. */
export function defaultLiveQueryURL(serverURL: string): string {
  return serverURL.replace(/^http(s?):\/\//i, (_m, s: string) => `ws${s}://`)
}

export function parse(options: ParseAdapterOptions): ParseAdapter {
  if (typeof options?.serverURL !== 'string' || !/^https?:\/\//i.test(options.serverURL)) throw new TypeError('parse(): serverURL must be an http(s) URL')
  if (typeof options.appId !== 'string' || options.appId.length === 0) throw new TypeError('parse(): appId is required')
  const tombstoneClass = options.tombstoneClass ?? DEFAULT_TOMBSTONE_CLASS
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(tombstoneClass)) throw new TypeError('parse(): tombstoneClass must be a Parse class name')
  const tombstoneTtlMs = options.tombstoneTtlMs ?? DEFAULT_TOMBSTONE_TTL_MS
  if (!(typeof tombstoneTtlMs === 'number' && tombstoneTtlMs > 0)) throw new TypeError('parse(): tombstoneTtlMs must be a positive number of ms')
  const liveQueryServerURL = options.liveQueryServerURL === false ? undefined : (options.liveQueryServerURL ?? defaultLiveQueryURL(options.serverURL))
  const capabilities = parseCapabilities({ ...options, realtime: liveQueryServerURL !== undefined })

  const connection = new ConnectionTracker()
  const rest = new ParseRest({ serverURL: options.serverURL, appId: options.appId, javascriptKey: options.javascriptKey, Parse: options.Parse, installationId: options.installationId }, connection)
  const session = new Session()
  const catalog = new FieldCatalog()
  const auth = new ParseAuth(rest, session, { anonymousAuth: capabilities.anonymousAuth, passwordReset: capabilities.passwordReset })
  const documents = new ParseDocuments({ rest, session, catalog, tombstoneClass })
  const live = liveQueryServerURL
    ? new ParseLive(
        { rest, session, catalog, documents },
        { liveQueryServerURL, appId: options.appId, javascriptKey: options.javascriptKey, subscribeTimeoutMs: options.liveQuerySubscribeTimeoutMs ?? 10_000 },
      )
    : undefined
  if (live) documents.watchImpl = (collection, query) => live.watch(collection, query)

  let disposed = false
  return {
    name: 'parse',
    capabilities,
    auth,
    documents,
    sync: new ParseSync({ rest, documents, tombstoneClass, tombstoneTtlMs }),
    storage: new ParseStorage(rest, session, options.filesClass ?? DEFAULT_FILES_CLASS),
    functions: new ParseFunctions(rest, session),
    config: new ParseConfigService(rest, session),
    connection$: connection.state$.asObservable(),
    async dispose() {
      if (disposed) return
      disposed = true
      await live?.dispose()
      auth.close()
      connection.close()
    },
  }
}

export type { ParseSDK } from './sdk.js'
export { INPUT_KEY as FUNCTION_INPUT_KEY } from './functions-config.js'

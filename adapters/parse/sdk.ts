/**
 * The Parse JS SDK: how the adapter finds it, checks its one global configuration, and sends REST
 * requests through it with an explicit session token.
 *
 * The SDK is a singleton per JavaScript realm (one app id, one server URL, one "current user").
 * The adapter never uses its current user: every request carries the adapter's own session token
 * (or an empty one, which tells the SDK "signed out" instead of falling back to the current user)
 * and `useMasterKey: false`. Several adapters can therefore share the SDK with different users, as
 * long as they all talk to the same app on the same server.
 *
 * The SDK's configuration (`CoreManager`) is one module-level object per loaded SDK, so per realm:
 * what the adapter sets there (REQUEST_ATTEMPT_LIMIT, see ensureInitialized) applies to every user of
 * that SDK instance, the app's own `Parse.Object#save` included.
 */
import { BehaviorSubject } from 'rxjs'
import { PortabaseError } from '../../src/errors.js'
import { cancelledError } from '../../src/links/abort.js'
import type { ConnectionState } from '../../src/types.js'
import { isNetworkFailure, mapParseError, PROVIDER, type ParseErrorContext } from './errors.js'

/** Options the SDK's RESTController.request understands (the ones this adapter uses). */
export interface ParseRequestOptions {
  sessionToken?: string
  useMasterKey?: boolean
  installationId?: string
  /** Called with the AbortController of each attempt. */
  requestTask?: (task: { abort(): void }) => void
}

export interface ParseQueryLike {
  readonly className: string
  equalTo(key: string, value: unknown): ParseQueryLike
}

export interface ParseObjectLike {
  readonly id: string | undefined
  toJSON(): Record<string, unknown>
}

/** SDK event listeners get loosely typed arguments; the adapter checks what it reads. */
export type Listener = (...args: unknown[]) => void

export interface LiveQuerySubscriptionLike {
  subscribePromise: Promise<unknown>
  on(event: string, listener: Listener): unknown
}

export interface LiveQueryClientLike {
  open(): void
  close(): Promise<unknown>
  subscribe(query: ParseQueryLike, sessionToken?: string): LiveQuerySubscriptionLike | undefined
  unsubscribe(subscription: LiveQuerySubscriptionLike): Promise<unknown>
  on(event: string, listener: Listener): unknown
  /** The SDK's pending connection; replaced on close() and on reconnects. */
  connectPromise?: Promise<unknown>
  /** The SDK's pending reconnect timer (internal; close() does not clear it). */
  reconnectHandle?: ReturnType<typeof setTimeout>
  /** The SDK's connection state: `disconnected` once close() ran (until something reopens it). */
  state?: string
}

export interface ParseFileLike {
  save(options?: { sessionToken?: string; useMasterKey?: boolean; installationId?: string }): Promise<unknown> | undefined
  cancel(): void
  name(): string
  url(): string | undefined
}

/**
 * The parts of the Parse SDK (`parse`, `parse/node`, `parse/react-native`) the adapter uses. The
 * SDK's own default export satisfies it.
 */
export interface ParseSDK {
  initialize(applicationId: string, javaScriptKey: string): void
  serverURL: string | undefined
  CoreManager: {
    get(key: string): unknown
    /** Present on the real SDK; optional so a wrapped or partial SDK still fits. */
    set?(key: string, value: unknown): void
    getRESTController(): { request(method: string, path: string, data?: unknown, options?: ParseRequestOptions): Promise<unknown> }
  }
  LiveQueryClient: new (options: { applicationId: string; serverURL: string; javascriptKey?: string; sessionToken?: string; installationId?: string }) => LiveQueryClientLike
  Query: new (className: string) => ParseQueryLike
  File: new (name: string, data: { base64: string }, type?: string) => ParseFileLike
}

export interface SdkOptions {
  serverURL: string
  appId: string
  javascriptKey?: string
  /** The SDK, or its module namespace (TypeScript types `import Parse from 'parse'` as `{ default: Parse }`). */
  Parse?: ParseSDK | { default: ParseSDK }
  installationId?: string
}

/** Node (not a browser or React Native), without relying on Node's types. */
const isNode = (): boolean => typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node === 'string'

function unwrap(module: unknown): ParseSDK {
  const candidate = (module as { default?: unknown }).default ?? module
  const sdk = (candidate as { default?: unknown }).default ?? candidate
  if (typeof (sdk as Partial<ParseSDK>).initialize !== 'function') throw new Error('not the Parse SDK')
  return sdk as ParseSDK
}

/**
 * The injected SDK, else: in Node `parse/node` (loaded with a dynamic import), in a browser a
 * global `Parse` (script tag). Bundled browser and React Native apps pass `{ Parse }`.
 */
export async function loadParseSdk(injected: ParseSDK | { default: ParseSDK } | undefined): Promise<ParseSDK> {
  if (injected) return unwrap(injected)
  if (isNode()) {
    const specifier = 'parse/node' // a variable: bundlers leave the Node build out of browser bundles
    try {
      return unwrap(await import(specifier))
    } catch (error) {
      throw new PortabaseError('failed-precondition', "The parse adapter needs the Parse SDK: install the 'parse' package (npm i parse) or pass { Parse }", {
        provider: PROVIDER,
        cause: error,
      })
    }
  }
  const global = (globalThis as { Parse?: unknown }).Parse
  if (global) return unwrap(global)
  throw new PortabaseError('failed-precondition', "parse(): pass the Parse SDK as { Parse } (import Parse from 'parse' in browsers, 'parse/react-native' in React Native)", {
    provider: PROVIDER,
  })
}

const trimSlash = (url: string): string => url.replace(/\/+$/, '')

/**
 * How many times the SDK sends a request that was answered with a 5xx: once. The SDK's default (5,
 * with backoff) resends writes too, so a 5xx that arrives after the server applied a write (a
 * gateway timeout) applies it again. Retrying is the `retry()` link's job, which only retries
 * idempotent operations.
 */
export const REQUEST_ATTEMPT_LIMIT = 1

/**
 * Initializes the SDK for this app, or checks that it already talks to the same app and server.
 * An SDK initialized by the app itself keeps its keys (the adapter never sends the master key).
 *
 * Either way it sets the SDK's REQUEST_ATTEMPT_LIMIT to 1. That setting is global to the SDK
 * instance (CoreManager holds one configuration per realm): requests the app sends through the same
 * SDK directly are not resent on 5xx either from then on.
 */
export function ensureInitialized(Parse: ParseSDK, { appId, javascriptKey, serverURL }: SdkOptions): void {
  const currentApp = Parse.CoreManager.get('APPLICATION_ID')
  if (!currentApp) {
    Parse.initialize(appId, javascriptKey ?? '')
    Parse.serverURL = serverURL
  } else {
    const currentServer = String(Parse.CoreManager.get('SERVER_URL') ?? '')
    if (currentApp !== appId || trimSlash(currentServer) !== trimSlash(serverURL)) {
      throw new PortabaseError(
        'failed-precondition',
        `The Parse SDK in this JavaScript realm is already set up for another app or server (${trimSlash(currentServer)}); the SDK holds one configuration, so every parse adapter of a realm must use the same serverURL and appId`,
        { provider: PROVIDER },
      )
    }
  }
  Parse.CoreManager.set?.('REQUEST_ATTEMPT_LIMIT', REQUEST_ATTEMPT_LIMIT)
}

/** What the adapter knows of the connection: REST outcomes and the LiveQuery socket. */
export class ConnectionTracker {
  readonly state$ = new BehaviorSubject<ConnectionState>('online')

  set(state: ConnectionState): void {
    if (!this.state$.closed && this.state$.value !== state) this.state$.next(state)
  }

  close(): void {
    this.state$.complete()
  }
}

export interface RequestOptions {
  sessionToken: string | null
  signal?: AbortSignal
  context: ParseErrorContext
}

/**
 * REST calls through the SDK's RESTController, with an explicit session and abortable.
 *
 * Each adapter is its own installation (a random installation id, sent with every request):
 * Parse Server ends a user's other sessions *of the same installation* when that user logs in, so
 * with the SDK's one shared installation id, two adapters of one process signed in as the same
 * user would sign each other out.
 */
export class ParseRest {
  private sdkPromise: Promise<ParseSDK> | undefined
  readonly installationId: string

  constructor(
    private readonly options: SdkOptions,
    readonly connection: ConnectionTracker,
  ) {
    this.installationId = options.installationId ?? crypto.randomUUID()
  }

  /** The SDK, loaded and initialized once. */
  sdk(): Promise<ParseSDK> {
    this.sdkPromise ??= loadParseSdk(this.options.Parse).then((Parse) => {
      ensureInitialized(Parse, this.options)
      return Parse
    })
    return this.sdkPromise
  }

  /** The path prefix of the server URL (`/parse`), which /batch sub-request paths start with. */
  get mountPath(): string {
    return trimSlash(new URL(this.options.serverURL).pathname)
  }

  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body: Record<string, unknown> | undefined, options: RequestOptions): Promise<T> {
    const { signal, context } = options
    if (signal?.aborted) throw cancelledError(signal)
    const Parse = await this.sdk()
    let task: { abort(): void } | undefined
    const onAbort = (): void => task?.abort()
    signal?.addEventListener('abort', onAbort, { once: true })
    const send = (): Promise<unknown> =>
      Parse.CoreManager.getRESTController().request(method, path, body ?? {}, {
        // '' (not undefined): the SDK would otherwise send its global current user's token.
        sessionToken: options.sessionToken ?? '',
        useMasterKey: false,
        installationId: this.installationId,
        requestTask: (t) => {
          task = t
          if (signal?.aborted) t.abort()
        },
      })
    try {
      let result: unknown
      try {
        result = await send()
      } catch (error) {
        // Parse Server destroys the connection after answering an internal error (its error
        // middleware calls next() once the 500 is sent), so the next request on that pooled
        // keep-alive socket can fail at once. A GET changes nothing: resend it once on a new socket.
        if (method !== 'GET' || signal?.aborted || !isNetworkFailure(error)) throw error
        result = await send()
      }
      // An aborted request resolves (with empty results) in the SDK.
      if (signal?.aborted) throw cancelledError(signal)
      this.connection.set('online')
      return result as T
    } catch (error) {
      if (signal?.aborted) throw cancelledError(signal)
      const mapped = mapParseError(error, context)
      if (mapped.code === 'unavailable') this.connection.set('offline')
      else this.connection.set('online')
      throw mapped
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }
}

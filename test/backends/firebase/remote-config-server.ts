/**
 * Test helper: a local stand-in for the two Google services the real `firebase/remote-config` SDK
 * talks to, so the SDK runs unmodified in Node against values the test controls.
 *
 * - Remote Config REST: `POST /v1/projects/<project>/namespaces/<namespace>:fetch?key=…` answers
 *   `{ entries, state: 'UPDATE', templateVersion }` with an `ETag` (the SDK's `activate()` ignores a
 *   fetch without ETag or templateVersion), or 304 when `If-None-Match` is the current ETag.
 *   The SDK reads its base URL from `window.FIREBASE_REMOTE_CONFIG_URL_BASE` (a documented override).
 * - Firebase Installations: `POST /v1/projects/<project>/installations` → `{ fid, refreshToken,
 *   authToken: { token, expiresIn } }` and `POST …/installations/<fid>/authTokens:generate` →
 *   `{ token, expiresIn }`. The Installations SDK has **no** URL override (its base
 *   `https://firebaseinstallations.googleapis.com/v1` is a module constant), so
 *   `installRemoteConfigGlobals` wraps the global `fetch` and redirects that host here. Test harness
 *   only: the adapter never touches fetch.
 *
 * Shapes read from node_modules/@firebase/remote-config (RestClient.fetch, activate) and
 * node_modules/@firebase/installations (createInstallationRequest, generateAuthTokenRequest).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import {
  IDBCursor,
  IDBCursorWithValue,
  IDBDatabase,
  IDBFactory,
  IDBIndex,
  IDBKeyRange,
  IDBObjectStore,
  IDBOpenDBRequest,
  IDBRequest,
  IDBTransaction,
  IDBVersionChangeEvent,
} from 'fake-indexeddb'

export const INSTALLATIONS_BASE = 'https://firebaseinstallations.googleapis.com/v1'

export type ServedValue = string | number | boolean

/** A canned failure for one endpoint: an HTTP status (with a JSON error body), a delay, or bad JSON. */
export interface Failure {
  status?: number
  /** Wait this long before answering (to exercise the SDK's fetchTimeoutMillis). */
  delayMs?: number
  /** Answer 200 with a body that is not JSON. */
  malformed?: boolean
}

export interface RecordedRequest {
  endpoint: 'fetch' | 'installations' | 'authToken' | 'unknown'
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  body: unknown
}

export interface RemoteConfigServer {
  /** `http://127.0.0.1:<port>`: the value for FIREBASE_REMOTE_CONFIG_URL_BASE. */
  readonly url: string
  /** Every request received, in order. */
  readonly requests: readonly RecordedRequest[]
  /** Requests per endpoint (`fetch`, `installations`, `authToken`, `unknown`). */
  count(endpoint: RecordedRequest['endpoint']): number
  /** URLs for Google hosts other than Installations that the fetch wrapper refused. */
  readonly blocked: readonly string[]
  /** The template version now served (its ETag is `"etag-<version>"`). */
  readonly templateVersion: number
  /** Serves these values from now on (as Remote Config does: strings), with a new template version. */
  setValues(values: Record<string, ServedValue>): void
  /** Answers `state` instead of UPDATE (e.g. EMPTY_CONFIG, NO_TEMPLATE). null: back to UPDATE. */
  setState(state: string | null): void
  /** Fail every request to `endpoint` until cleared (null). */
  fail(endpoint: 'fetch' | 'installations', failure: Failure | null): void
  /** Forget recorded requests and blocked URLs. */
  resetRecords(): void
  /** A fetch that sends Installations requests here and refuses other Google hosts. */
  wrapFetch(original: typeof fetch): typeof fetch
  close(): Promise<void>
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => (data += chunk))
    request.on('end', () => resolve(data))
    request.on('error', reject)
  })
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers })
  response.end(JSON.stringify(body))
}

const STATUS_NAMES: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' }

export async function startRemoteConfigServer(initial: Record<string, ServedValue> = {}): Promise<RemoteConfigServer> {
  let entries: Record<string, string> = {}
  let templateVersion = 0
  let state: string | null = null
  let fids = 0
  const requests: RecordedRequest[] = []
  const blocked: string[] = []
  const failures: Partial<Record<'fetch' | 'installations', Failure>> = {}
  const sockets = new Set<Socket>()

  const setValues = (values: Record<string, ServedValue>): void => {
    entries = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, String(value)]))
    templateVersion++
  }
  setValues(initial)

  const server = createServer((request, response) => {
    void (async () => {
      const raw = await readBody(request)
      let body: unknown = raw
      try {
        body = raw ? JSON.parse(raw) : undefined
      } catch {
        // keep the raw text
      }
      const path = (request.url ?? '').split('?')[0] ?? ''
      const endpoint: RecordedRequest['endpoint'] =
        request.method !== 'POST'
          ? 'unknown'
          : /^\/v1\/projects\/[^/]+\/namespaces\/[^/]+:fetch$/.test(path)
            ? 'fetch'
            : /^\/v1\/projects\/[^/]+\/installations$/.test(path)
              ? 'installations'
              : /^\/v1\/projects\/[^/]+\/installations\/[^/]+\/authTokens:generate$/.test(path)
                ? 'authToken'
                : 'unknown'
      requests.push({ endpoint, method: request.method ?? '', path, headers: request.headers, body })

      const failure = endpoint === 'fetch' ? failures.fetch : endpoint === 'installations' || endpoint === 'authToken' ? failures.installations : undefined
      if (failure?.delayMs) await new Promise((resolve) => setTimeout(resolve, failure.delayMs))
      if (response.destroyed) return
      if (failure?.malformed) {
        response.writeHead(200, { 'Content-Type': 'application/json' })
        response.end('{ not json')
        return
      }
      if (failure?.status) {
        const status = failure.status
        sendJson(response, status, { error: { code: status, message: `Refused by the test server (${status})`, status: STATUS_NAMES[status] ?? 'UNKNOWN' } })
        return
      }

      switch (endpoint) {
        case 'installations': {
          const fid = typeof body === 'object' && body !== null && typeof (body as { fid?: unknown }).fid === 'string' ? (body as { fid: string }).fid : `fid-${++fids}`
          sendJson(response, 200, {
            name: `projects/test/installations/${fid}`,
            fid,
            refreshToken: `refresh-${fid}`,
            authToken: { token: `auth-token-${fid}`, expiresIn: '604800s' },
          })
          return
        }
        case 'authToken':
          sendJson(response, 200, { token: `auth-token-${Date.now()}`, expiresIn: '604800s' })
          return
        case 'fetch': {
          const eTag = `"etag-${templateVersion}"`
          if (state === null && request.headers['if-none-match'] === eTag) {
            response.writeHead(304, { ETag: eTag })
            response.end()
            return
          }
          sendJson(response, 200, state === null ? { entries, state: 'UPDATE', templateVersion } : { state }, { ETag: eTag })
          return
        }
        default:
          sendJson(response, 404, { error: { code: 404, message: `No such endpoint: ${request.method} ${path}`, status: 'NOT_FOUND' } })
      }
    })().catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: { code: 500, message: String(error), status: 'INTERNAL' } })
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    get templateVersion() {
      return templateVersion
    },
    requests,
    blocked,
    count: (endpoint) => requests.filter((r) => r.endpoint === endpoint).length,
    setValues,
    setState: (next) => void (state = next),
    fail: (endpoint, failure) => {
      if (failure) failures[endpoint] = failure
      else delete failures[endpoint]
    },
    resetRecords: () => {
      requests.length = 0
      blocked.length = 0
    },
    wrapFetch(original) {
      return (input, init) => {
        const target = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
        if (target.startsWith(INSTALLATIONS_BASE)) return original(url + '/v1' + target.slice(INSTALLATIONS_BASE.length), init)
        if (/^https:\/\/[^/]*googleapis\.com\//.test(target)) {
          blocked.push(target)
          return Promise.reject(new TypeError(`The test harness refused a request to a Google host: ${target}`))
        }
        return original(input, init)
      }
    },
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Globals the Remote Config + Installations SDKs need in Node. */
const GLOBAL_NAMES = [
  'indexedDB',
  'IDBCursor',
  'IDBCursorWithValue',
  'IDBDatabase',
  'IDBFactory',
  'IDBIndex',
  'IDBKeyRange',
  'IDBObjectStore',
  'IDBOpenDBRequest',
  'IDBRequest',
  'IDBTransaction',
  'IDBVersionChangeEvent',
  'window',
  'self',
  'navigator',
  'FIREBASE_REMOTE_CONFIG_URL_BASE',
  'fetch',
] as const

export type BrowserGlobal = (typeof GLOBAL_NAMES)[number]

/**
 * Makes the real Remote Config SDK runnable in this (jest) global scope against `server`: a fresh
 * fake IndexedDB, `window` and `self` (this global), a minimal `navigator` (`onLine`, `language`),
 * `FIREBASE_REMOTE_CONFIG_URL_BASE`, and the redirecting fetch. Returns a function that restores
 * every property exactly as it was; call it in afterAll. `omit` leaves some out (to test the
 * adapter's refusal where the SDK cannot run).
 */
export function installRemoteConfigGlobals(server: RemoteConfigServer, { omit = [] }: { omit?: readonly BrowserGlobal[] } = {}): () => void {
  const scope = globalThis as Record<string, unknown>
  const saved = new Map<string, PropertyDescriptor | undefined>()
  for (const name of GLOBAL_NAMES) saved.set(name, Object.getOwnPropertyDescriptor(scope, name))
  const originalFetch = globalThis.fetch

  const values: Record<BrowserGlobal, unknown> = {
    indexedDB: new IDBFactory(),
    IDBCursor,
    IDBCursorWithValue,
    IDBDatabase,
    IDBFactory,
    IDBIndex,
    IDBKeyRange,
    IDBObjectStore,
    IDBOpenDBRequest,
    IDBRequest,
    IDBTransaction,
    IDBVersionChangeEvent,
    window: globalThis,
    self: globalThis,
    navigator: { onLine: true, language: 'en-US', languages: ['en-US'], userAgent: 'node (portabase tests)' },
    FIREBASE_REMOTE_CONFIG_URL_BASE: server.url,
    fetch: server.wrapFetch(originalFetch),
  }
  for (const name of GLOBAL_NAMES) {
    if (omit.includes(name)) {
      if (name !== 'fetch') delete scope[name]
      continue
    }
    Object.defineProperty(scope, name, { value: values[name], configurable: true, writable: true, enumerable: false })
  }

  return () => {
    for (const [name, descriptor] of saved) {
      if (descriptor) Object.defineProperty(scope, name, descriptor)
      else delete scope[name]
    }
  }
}

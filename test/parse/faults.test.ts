/**
 * Failure semantics on a real Parse Server, through a fault-injecting TCP proxy
 * (test/backends/proxy.ts): dropped connections, lost responses, 503 / 429 answers, latency and
 * refused connections. Client links: retry({ baseDelayMs: 5 }) then timeout(5000), as an app would.
 *
 * What is checked (the same scenarios run on the memory adapter in test/unit/faults-memory.test.ts):
 * - reads retry and succeed after transient faults;
 * - idempotent writes (set, delete) are retried; non-idempotent ones (create/add, update with a
 *   sentinel) never are, so a write whose answer was lost is applied exactly once (documents are
 *   counted on the server, bypassing the proxy);
 * - a failure that is given up on is a PortabaseError with the right code.
 *
 * Parse specifics (adapters/parse/README.md, docs/networking.md):
 * - the adapter sets the SDK's REQUEST_ATTEMPT_LIMIT to 1 (its default, 5, resends writes answered
 *   5xx, so a 5xx sent after the server applied a write applied it again): the SDK sends every
 *   request once and retrying is left to retry(), which only retries idempotent operations. The
 *   setting is global to the SDK instance of the realm (its CoreManager);
 * - a 5xx from something in front of Parse Server (the proxy's 503, a gateway's HTML page) carries
 *   no Parse code and is `unavailable`; Parse Server's own 500s carry code 1 and stay `internal`;
 * - on 4xx the SDK hands over the JSON body only: the HTTP status and Retry-After are lost, so the
 *   code comes from the body's Parse code and `retryAfterMs` is never set.
 * - a GET whose connection drops is resent once by the adapter (Parse Server closes the socket
 *   after answering an internal error, so a pooled connection can be dead);
 * - a dropped connection or lost response is `unavailable` (the SDK wraps fetch's TypeError in a
 *   Parse.Error without a code; adapters/parse/errors.ts recognises it), so retry() retries reads
 *   and idempotent writes after a drop.
 * Counts, not durations, are asserted (except deadline-exceeded, which is by construction).
 */
import { createClient, generateId, increment, retry, timeout, type DocumentData, type Link, type PortabaseClient } from '../../src/index.js'
import ParseSDK from 'parse/node'
import { parse } from '../../adapters/parse/index.js'
import type { ParseSDK as ParseSDKLike } from '../../adapters/parse/sdk.js'
import { startParseServer, type ParseTestServer } from '../backends/parse/server.js'
import { startFaultProxy, type FaultProxy, type RequestFilter } from '../backends/proxy.js'
import { expectError } from '../contract/helpers.js'

jest.setTimeout(90_000)

let server: ParseTestServer
let proxy: FaultProxy
const clients: PortabaseClient[] = []
const run = generateId(6)
let collections = 0
const fresh = (): string => `f${run}_${++collections}`

beforeAll(async () => {
  server = await startParseServer()
  proxy = await startFaultProxy({ port: Number(new URL(server.serverURL).port) })
})

beforeEach(() => proxy.reset())

afterEach(async () => {
  proxy.reset()
  await Promise.all(clients.splice(0).map((c) => c.dispose()))
})

afterAll(async () => {
  await proxy?.close()
  await server?.stop()
})

/** A client whose adapter talks to the server only through the proxy (one SDK per realm: every client of this file does). */
function client(links: Link[] = [retry({ baseDelayMs: 5 }), timeout(5000)]): PortabaseClient {
  const app = createClient({
    adapter: parse({ serverURL: proxy.url(new URL(server.serverURL).pathname), appId: server.appId, javascriptKey: server.javascriptKey, liveQueryServerURL: false, transactions: false }),
    links,
  })
  clients.push(app)
  return app
}

/** Requests on a collection's objects, by the method Parse runs (the SDK POSTs all, naming it in `_method`). */
const on = (collection: string, ...methods: string[]): RequestFilter => (r) => r.path.includes(`/classes/${collection}`) && methods.includes(r.effectiveMethod)
const reads = (collection: string): RequestFilter => on(collection, 'GET')
const writes = (collection: string): RequestFilter => on(collection, 'POST', 'PUT', 'DELETE')

/** Straight to the server with the master key, not through the proxy. */
async function serverCount(collection: string): Promise<number> {
  const response = await fetch(`${server.serverURL}/classes/${collection}`, {
    method: 'POST',
    headers: { 'X-Parse-Application-Id': server.appId, 'X-Parse-Master-Key': server.masterKey, 'Content-Type': 'application/json' },
    // A condition, because PostgreSQL counts an unconditioned class by the planner's estimate.
    body: JSON.stringify({ _method: 'GET', where: { objectId: { $exists: true } }, count: 1, limit: 0 }),
  })
  const json = (await response.json()) as { count?: number; code?: number }
  // A class nobody has written to yet does not exist: zero documents.
  return json.count ?? 0
}

async function serverDoc(collection: string, id: string): Promise<Record<string, unknown> | null> {
  const response = await fetch(`${server.serverURL}/classes/${collection}/${id}`, {
    headers: { 'X-Parse-Application-Id': server.appId, 'X-Parse-Master-Key': server.masterKey },
  })
  return response.status === 404 ? null : ((await response.json()) as Record<string, unknown>)
}

async function seeded(app: PortabaseClient, collection: string, id: string, data: DocumentData): Promise<void> {
  await app.db.collection(collection).doc(id).set(data)
  proxy.reset()
}


describe('reads retry and succeed', () => {
  it('get() after two dropped connections is retried and succeeds', async () => {
    const app = client()
    const col = fresh()
    await seeded(app, col, 'a', { n: 1 })
    proxy.dropConnections(2, reads(col))
    expect((await app.db.collection(col).doc('a').get())?.data).toEqual({ n: 1 })
    expect(proxy.requests.filter(reads(col)).map((r) => r.action)).toEqual(['dropped', 'dropped', 'forwarded'])
  })

  it('503s are unavailable, retried by retry() (not by the SDK): the read succeeds', async () => {
    const app = client()
    const col = fresh()
    await seeded(app, col, 'a', { n: 1 })
    proxy.respond(2, 503, { filter: reads(col) })
    expect((await app.db.collection(col).doc('a').get())?.data).toEqual({ n: 1 })
    expect(proxy.requests.filter(reads(col)).map((r) => r.action)).toEqual(['answered', 'answered', 'forwarded'])
  })

  it("a gateway's HTML 503 page is unavailable too, and retried", async () => {
    const app = client()
    const col = fresh()
    await seeded(app, col, 'a', { n: 1 })
    proxy.respond(1, 503, { body: '<html><head><title>503 Service Temporarily Unavailable</title></head><body>nginx</body></html>', filter: reads(col) })
    expect((await app.db.collection(col).doc('a').get())?.data).toEqual({ n: 1 })
    expect(proxy.requests.filter(reads(col)).map((r) => r.action)).toEqual(['answered', 'forwarded'])
  })

  it('the SDK is set to send each request once (REQUEST_ATTEMPT_LIMIT 1, global to its instance)', async () => {
    const app = client([])
    const col = fresh()
    await seeded(app, col, 'a', { n: 1 })
    expect((ParseSDK as unknown as ParseSDKLike).CoreManager.get('REQUEST_ATTEMPT_LIMIT')).toBe(1)
    // Without a retry link nothing resends a 503: one request, unavailable.
    proxy.respond(1, 503, { filter: reads(col) })
    await expectError(() => app.db.collection(col).doc('a').get(), 'unavailable', 'a read answered 503 without retry()')
    expect(proxy.count(reads(col))).toBe(1)
  })

  it('a 429 (Parse code 155) is resource-exhausted, retryable: retry() sends the read again', async () => {
    const app = client()
    const col = fresh()
    await seeded(app, col, 'a', { n: 1 })
    proxy.respond(2, 429, { retryAfterSeconds: 0, filter: reads(col) })
    const result = await app.db.collection(col).where('n', '==', 1).get()
    expect(result.docs.map((d) => d.id)).toEqual(['a'])
    expect(proxy.requests.filter(reads(col)).map((r) => r.action)).toEqual(['answered', 'answered', 'forwarded'])
  })

  it('a read refused (server unreachable) is retried, and works again once the server is back', async () => {
    const app = client()
    const col = fresh()
    await seeded(app, col, 'a', { n: 1 })
    await proxy.refuse()
    try {
      await expectError(() => app.db.collection(col).doc('a').get(), 'unavailable', 'a read while connections are refused')
    } finally {
      await proxy.accept()
    }
    expect((await app.db.collection(col).doc('a').get())?.data).toEqual({ n: 1 })
  })
})

describe('writes are never applied twice', () => {
  it('set() whose response was lost is retried (idempotent) and applied once, with the data', async () => {
    const app = client()
    const col = fresh()
    await seeded(app, col, 'other', { n: 0 })
    proxy.dropResponses(1, writes(col))
    const ref = app.db.collection(col).doc('a')
    await ref.set({ title: 'x', n: 1 })
    expect(proxy.requests.filter(writes(col)).map((r) => r.action)).toEqual(['response-dropped', 'forwarded'])
    expect(await serverCount(col)).toBe(2)
    expect(await serverDoc(col, 'a')).toMatchObject({ title: 'x', n: 1 })
  })

  it('delete() whose response was lost: the document is gone', async () => {
    const app = client()
    const col = fresh()
    await seeded(app, col, 'a', { n: 1 })
    proxy.dropResponses(1, on(col, 'DELETE'))
    const ref = app.db.collection(col).doc('a')
    await ref.delete()
    expect(proxy.count(on(col, 'DELETE'))).toBe(2)
    expect(await serverDoc(col, 'a')).toBeNull()
  })

  it('add() whose response was lost is retried: the check finds its write id on the object, nothing is sent again', async () => {
    const app = client()
    const col = fresh()
    await seeded(app, col, 'other', { n: 0 })
    proxy.dropResponses(1, on(col, 'POST'))
    const ref = await app.db.collection(col).add({ title: 'once' })
    expect(proxy.requests.filter(on(col, 'POST')).map((r) => r.action)).toEqual(['response-dropped'])
    expect(await serverCount(col)).toBe(2)
    expect(await serverDoc(col, ref.id)).toMatchObject({ title: 'once' })
  })

  it('replaying a create with the same id yourself is already-exists: no duplicate', async () => {
    const app = client()
    const col = fresh()
    await seeded(app, col, 'other', { n: 0 })
    const ref = app.db.collection(col).doc(generateId())
    await app.db.batch((b) => void b.create(ref, { title: 'once' }))
    await expectError(() => app.db.batch((b) => void b.create(ref, { title: 'twice?' })), 'already-exists', 'the replayed create')
    expect(await serverCount(col)).toBe(2)
  })

  it('update() with increment() whose response was lost is retried and applied once', async () => {
    const app = client()
    const col = fresh()
    await seeded(app, col, 'a', { n: 0 })
    proxy.dropResponses(1, on(col, 'PUT'))
    await app.db.collection(col).doc('a').update({ n: increment(1) })
    expect(proxy.requests.filter(on(col, 'PUT')).map((r) => r.action)).toEqual(['response-dropped'])
    expect(await serverDoc(col, 'a')).toMatchObject({ n: 1 })
  })

  it('without retry() a lost response surfaces as unavailable, the write applied once', async () => {
    const app = client([timeout(5000)])
    const col = fresh()
    await seeded(app, col, 'a', { n: 0 })
    proxy.dropResponses(1, on(col, 'PUT'))
    await expectError(() => app.db.collection(col).doc('a').update({ n: increment(1) }), 'unavailable', 'an increment whose response was lost')
    expect(proxy.count(on(col, 'PUT'))).toBe(1)
    expect(await serverDoc(col, 'a')).toMatchObject({ n: 1 })
  })

  it('a create answered 429 (never applied) is retried after the check: one object', async () => {
    const app = client()
    const col = fresh()
    await seeded(app, col, 'other', { n: 0 })
    proxy.respond(1, 429, { filter: on(col, 'POST') })
    const ref = await app.db.collection(col).add({ title: 'later' })
    expect(proxy.requests.filter(on(col, 'POST')).map((r) => r.action)).toEqual(['answered', 'forwarded'])
    expect(await serverCount(col)).toBe(2)
    expect(await serverDoc(col, ref.id)).toMatchObject({ title: 'later' })
  })

  it('a 503 on an increment is not resent by the SDK; retry() sends it again after the check: applied once', async () => {
    const app = client()
    const col = fresh()
    await seeded(app, col, 'a', { n: 0 })
    proxy.respond(1, 503, { filter: on(col, 'PUT') })
    await app.db.collection(col).doc('a').update({ n: increment(1) })
    // The SDK sent it once (a 5xx sent after the server applied the write cannot apply it again); the retry is portabase's.
    expect(proxy.requests.filter(on(col, 'PUT')).map((r) => r.action)).toEqual(['answered', 'forwarded'])
    expect(await serverDoc(col, 'a')).toMatchObject({ n: 1 })
  })

  it('a 503 on set() (idempotent) is retried by retry() and applied once', async () => {
    const app = client()
    const col = fresh()
    await seeded(app, col, 'a', { n: 0 })
    proxy.respond(1, 503, { filter: on(col, 'PUT', 'POST') })
    await app.db.collection(col).doc('a').set({ n: 5 })
    expect(proxy.requests.filter(on(col, 'PUT', 'POST')).map((r) => r.action)).toEqual(['answered', 'forwarded'])
    expect(await serverDoc(col, 'a')).toMatchObject({ n: 5 })
    expect(await serverCount(col)).toBe(1)
  })
})

describe('failures given up on surface as PortabaseError with the right code', () => {
  it('connections dropped on every attempt: unavailable after 3 attempts (each GET resent once by the adapter)', async () => {
    const app = client()
    const col = fresh()
    await seeded(app, col, 'a', { n: 1 })
    proxy.dropConnections(6, reads(col))
    const error = await expectError(() => app.db.collection(col).doc('a').get(), 'unavailable', 'a read whose connections all drop')
    expect(error.provider).toBe('parse')
    expect(proxy.count(reads(col))).toBe(6)
  })

  it('a GET whose connection drops once is resent by the adapter at once (no retry link needed)', async () => {
    const app = client([])
    const col = fresh()
    await seeded(app, col, 'a', { n: 1 })
    proxy.dropConnections(1, reads(col))
    expect((await app.db.collection(col).doc('a').get())?.data).toEqual({ n: 1 })
    expect(proxy.requests.filter(reads(col)).map((r) => r.action)).toEqual(['dropped', 'forwarded'])
  })

  it('429 on every attempt: resource-exhausted after 3 requests (the SDK drops Retry-After: no retryAfterMs on Parse)', async () => {
    const app = client()
    const col = fresh()
    await seeded(app, col, 'a', { n: 1 })
    proxy.respond(3, 429, { retryAfterSeconds: 0, filter: reads(col) })
    const error = await expectError(() => app.db.collection(col).doc('a').get(), 'resource-exhausted', 'a read rate-limited on every attempt')
    expect(error.retryable).toBe(true)
    expect(error.retryAfterMs).toBeUndefined()
    expect(proxy.count(reads(col))).toBe(3)
  })

  it("declared: a 429 from Parse Server's own rateLimit (body code 100) maps to unavailable, still retried", async () => {
    const app = client()
    const col = fresh()
    await seeded(app, col, 'a', { n: 1 })
    proxy.respond(3, 429, { body: JSON.stringify({ code: 100, error: 'Too many requests' }), filter: reads(col) })
    await expectError(() => app.db.collection(col).doc('a').get(), 'unavailable', 'a read refused by Parse Server rateLimit')
    expect(proxy.count(reads(col))).toBe(3)
  })

  it('503 on every attempt: unavailable after 3 requests (retry() gives up; the SDK adds none)', async () => {
    const app = client([retry({ baseDelayMs: 5 }), timeout(30_000)])
    const col = fresh()
    await seeded(app, col, 'a', { n: 1 })
    proxy.respond(5, 503, { filter: reads(col) })
    const error = await expectError(() => app.db.collection(col).doc('a').get(), 'unavailable', 'a read answered 503 on every attempt')
    expect(error.provider).toBe('parse')
    expect(error.retryable).toBe(true)
    expect(proxy.count(reads(col))).toBe(3)
  })

  it('latency beyond the deadline: deadline-exceeded', async () => {
    const app = client([retry({ baseDelayMs: 5, maxAttempts: 2 }), timeout(200)])
    const col = fresh()
    await seeded(app, col, 'a', { n: 1 })
    proxy.setLatency(3_000)
    const error = await expectError(() => app.db.collection(col).doc('a').get(), 'deadline-exceeded', 'a read slower than its deadline')
    expect(error.retryable).toBe(true)
  })

  it('connection refused on every attempt: unavailable', async () => {
    const app = client()
    await proxy.refuse()
    try {
      const error = await expectError(() => app.db.collection(fresh()).doc('a').get(), 'unavailable', 'a read while connections are refused')
      expect(error.provider).toBe('parse')
    } finally {
      await proxy.accept()
    }
  })
})

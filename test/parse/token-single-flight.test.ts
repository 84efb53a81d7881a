/**
 * getIdToken() is single-flight on Parse: 1,000 concurrent forced refreshes cause exactly one
 * request to the server. The Parse adapter's forced refresh is `GET users/me` (the SDK POSTs it with
 * `_method: GET`); a counting proxy in front of the test server sees every request.
 */
import { createClient, type PortabaseClient } from '../../src/index.js'
import { parse } from '../../adapters/parse/index.js'
import { startParseServer, type ParseTestServer } from '../backends/parse/server.js'
import { startFaultProxy, type FaultProxy } from '../backends/proxy.js'
import { uniqueEmail, uniquePassword } from '../contract/helpers.js'

jest.setTimeout(60_000)

let server: ParseTestServer
let proxy: FaultProxy
let app: PortabaseClient

beforeAll(async () => {
  server = await startParseServer()
  proxy = await startFaultProxy({ port: Number(new URL(server.serverURL).port) })
  // Every adapter of this file (one SDK per realm) talks to the server through the proxy.
  app = createClient({
    adapter: parse({ serverURL: proxy.url(new URL(server.serverURL).pathname), appId: server.appId, javascriptKey: server.javascriptKey, liveQueryServerURL: false, transactions: false }),
  })
})

afterAll(async () => {
  await app?.dispose()
  await proxy?.close()
  await server?.stop()
})

const isUsersMe = (r: { path: string }): boolean => /\/users\/me(\?|$)/.test(r.path)

test('1,000 concurrent getIdToken({ forceRefresh: true }) callers: one users/me request, one token for all', async () => {
  await app.auth.signUp({ email: uniqueEmail(), password: uniquePassword() })
  const token = await app.auth.getIdToken()
  expect(typeof token).toBe('string')
  proxy.reset()

  const tokens = await Promise.all(Array.from({ length: 1_000 }, () => app.auth.getIdToken({ forceRefresh: true })))

  expect(proxy.count(isUsersMe)).toBe(1)
  expect(proxy.count()).toBe(1)
  expect(new Set(tokens)).toEqual(new Set([token]))
  // The flight is over: the next forced refresh is a new request.
  await app.auth.getIdToken({ forceRefresh: true })
  expect(proxy.count(isUsersMe)).toBe(2)
})

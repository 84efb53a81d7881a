/**
 * The offline suite on a real Parse Server (test/backends/parse: PGlite, or PostgreSQL with
 * PARSE_DATABASE_URI). Each device talks to the server through its own fault proxy
 * (test/backends/proxy.ts), which refuses connections while the device is "offline".
 */
import { parse } from '../../adapters/parse/index.js'
import { generateId } from '../../src/index.js'
import { startParseServer, type ParseTestServer } from '../backends/parse/server.js'
import { startFaultProxy, type FaultProxy } from '../backends/proxy.js'
import { runOfflineSuite } from './suite.js'

jest.setTimeout(120_000)

let server: ParseTestServer | undefined
const proxies: FaultProxy[] = []
let collections = 0
const run = generateId(6)
const external = Boolean(process.env.PARSE_DATABASE_URI)

runOfflineSuite({
  name: external ? 'parse (PostgreSQL)' : 'parse (PGlite)',
  async setup() {
    try {
      server = await startParseServer()
    } catch (error) {
      throw new Error(`The Parse test backend did not start, so the offline suite cannot run on Parse: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
    }
  },
  async teardown() {
    await Promise.allSettled(proxies.map((p) => p.close()))
    await server?.stop()
  },
  async device() {
    if (!server) throw new Error('The Parse test backend is not running (setup failed)')
    const proxy = await startFaultProxy({ port: Number(new URL(server.serverURL).port) })
    proxies.push(proxy)
    const adapter = parse({
      serverURL: proxy.url(new URL(server.serverURL).pathname),
      appId: server.appId,
      javascriptKey: server.javascriptKey,
      liveQueryServerURL: server.liveQueryServerURL,
      transactions: external,
    })
    return { adapter, goOffline: () => proxy.refuse(), goOnline: () => proxy.accept() }
  },
  freshCollection: () => `o${run}_${++collections}`,
  ownedCollection: () => 'owned',
  propertyRuns: 6,
})

/**
 * Offline crash test on Parse (issue #6): a child process flushing the outbox is SIGKILLed at random
 * points, RUNS times; after a restart nothing is lost or applied twice (crash-harness.ts describes a
 * run: kill points, landings, the restart and what it must find).
 *
 * One Parse Server (test/backends/parse, a child process of this one) outlives every run; each run
 * has its own class. The child (crash-child.ts) reaches it through a fault proxy of its own.
 */
import { parse } from '../../adapters/parse/index.js'
import { generateId } from '../../src/index.js'
import { startParseServer, type ParseTestServer } from '../backends/parse/server.js'
import { runCrashTest } from './crash-harness.js'

jest.setTimeout(600_000)

let server: ParseTestServer
const run = generateId(6)

runCrashTest({
  name: 'Parse',
  runs: Number(process.env.CRASH_RUNS ?? 50),
  async setup() {
    server = await startParseServer()
  },
  async teardown() {
    await server?.stop()
  },
  adapter: () => parse({ serverURL: server.serverURL, appId: server.appId, javascriptKey: server.javascriptKey, liveQueryServerURL: false, transactions: false }),
  childTarget: () => ({ serverURL: server.serverURL, appId: server.appId, javascriptKey: server.javascriptKey }),
  collection: (index) => `crash${run}_${index}`,
})

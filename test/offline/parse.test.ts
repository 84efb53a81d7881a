/**
 * The offline suite on a real Parse Server (test/backends/parse: PGlite, or PostgreSQL with
 * PARSE_DATABASE_URI). Every device talks to the server through one fault proxy
 * (test/backends/proxy.ts; the Parse SDK allows one server URL per process); a device is "offline"
 * while the proxy drops every request carrying its installation id.
 */
import { parse } from '../../adapters/parse/index.js'
import { generateId } from '../../src/index.js'
import type { ParseTestServer } from '../backends/parse/server.js'
import { externalDatabase as external, parseTestOptions, startParseServerFor } from '../backends/parse/targets.js'
import { startFaultProxy, type FaultProxy } from '../backends/proxy.js'
import { runOfflineSuite } from './suite.js'

jest.setTimeout(120_000)

let server: ParseTestServer | undefined
let proxy: FaultProxy | undefined
let collections = 0
const run = generateId(6)

runOfflineSuite({
  name: external ? 'parse (PostgreSQL)' : 'parse (PGlite)',
  async setup() {
    server = await startParseServerFor('the offline suite on Parse')
    proxy = await startFaultProxy({ port: Number(new URL(server.serverURL).port) })
  },
  async teardown() {
    await proxy?.close()
    await server?.stop()
  },
  async device() {
    if (!server || !proxy) throw new Error('The Parse test backend is not running (setup failed)')
    const installationId = crypto.randomUUID()
    const adapter = parse({ ...parseTestOptions(server, proxy.url(new URL(server.serverURL).pathname)), installationId })
    let block: { unblock(): void } | undefined
    return {
      adapter,
      goOffline: async () => {
        block ??= proxy!.block((r) => r.body.includes(installationId))
      },
      goOnline: async () => {
        block?.unblock()
        block = undefined
      },
      // Parse Server answers an unexpected failure with 500 and code 1; the adapter sends writes as one /batch.
      failNextWrites: (n: number) => proxy!.respond(n, 500, { filter: (r) => r.path.endsWith('/batch') && r.body.includes(installationId) }),
    }
  },
  freshCollection: () => `o${run}_${++collections}`,
  ownedCollection: () => 'owned',
  propertyRuns: 6,
})

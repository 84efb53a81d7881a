/**
 * The contract suite on a real Parse Server (test/backends/parse: PGlite by default, an external
 * PostgreSQL with PARSE_DATABASE_URI). Fixtures (functions, config, the `owned` rules) live in the
 * backend's cloud code; LiveQuery publishes every user class, so any fresh class name is watchable.
 *
 * Transactions: on PGlite (one database session for every connection) Parse Server's transactional
 * /batch deadlocks as soon as it updates an object or adds a class or field, so the adapter runs
 * there with `transactions: false`; on an external PostgreSQL it runs with `transactions: true`.
 */
import { parse } from '../../adapters/parse/index.js'
import { generateId } from '../../src/index.js'
import type { ParseTestServer } from '../backends/parse/server.js'
import { externalDatabase as external, parseTestOptions, startParseServerFor } from '../backends/parse/targets.js'
import { runContractSuite } from './suite.js'

jest.setTimeout(60_000)

let server: ParseTestServer | undefined
let collections = 0
/** Class names unique to this run: an external database keeps the classes of earlier runs. */
const run = generateId(6)

runContractSuite({
  name: external ? 'parse (PostgreSQL)' : 'parse (PGlite)',
  async setup() {
    server = await startParseServerFor('the parse contract suite')
  },
  async teardown() {
    await server?.stop()
  },
  async createAdapter() {
    return parse(parseTestOptions(server))
  },
  freshCollection: () => `c${run}_${++collections}`,
  ownedCollection: () => 'owned',
})

/** What the Parse test files share: starting the server with a clear failure, and the adapter options for it. */
import type { ParseAdapterOptions } from '../../../adapters/parse/index.js'
import { startParseServer, type ParseTestServer } from './server.js'

/** An external database (PARSE_DATABASE_URI) keeps the classes of earlier runs; PGlite starts empty. */
export const externalDatabase = Boolean(process.env.PARSE_DATABASE_URI)

/** Starts the server, or fails saying which suite cannot run and why. */
export async function startParseServerFor(suite: string): Promise<ParseTestServer> {
  try {
    return await startParseServer()
  } catch (error) {
    throw new Error(`The Parse test backend did not start, so ${suite} cannot run: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
}

/**
 * parse() options for the test server. Transactions only on an external PostgreSQL: on PGlite
 * Parse Server's transactional /batch deadlocks (see test/contract/parse.test.ts).
 */
export function parseTestOptions(server: ParseTestServer | undefined, serverURL?: string): ParseAdapterOptions {
  if (!server) throw new Error('The Parse test backend is not running (setup failed)')
  return {
    serverURL: serverURL ?? server.serverURL,
    appId: server.appId,
    javascriptKey: server.javascriptKey,
    liveQueryServerURL: server.liveQueryServerURL,
    transactions: externalDatabase,
  }
}

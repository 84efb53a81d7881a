/**
 * Runs the Parse test backend as a standalone process (for the todo example
 * and manual poking):
 *
 *   npx tsx test/backends/parse/serve.ts [--port 1337]
 *
 * Prints one JSON line to stdout — {"serverURL","appId","javascriptKey","liveQueryServerURL"} —
 * then serves until SIGINT/SIGTERM, and stops cleanly. Env PARSE_DATABASE_URI
 * selects an external PostgreSQL instead of the embedded PGlite.
 */
import * as path from 'node:path';
import { runParseBackend } from './backend.js';

const portFlag = process.argv.indexOf('--port');
const port = portFlag > 0 ? Number(process.argv[portFlag + 1]) : undefined;
if (port !== undefined && !Number.isInteger(port)) throw new Error('serve.ts: --port needs a number');

const here = path.dirname(process.argv[1] ?? '.'); // this file's directory (ESM has no __dirname)
const server = await runParseBackend({ port, cloudCodePath: path.join(here, 'cloud', 'main.js') });

const { serverURL, appId, javascriptKey, liveQueryServerURL } = server;
process.stdout.write(`${JSON.stringify({ serverURL, appId, javascriptKey, liveQueryServerURL })}\n`);

let stopping = false;
const shutdown = (): void => {
  if (stopping) return;
  stopping = true;
  // Exit explicitly: parse-server leaves a per-socket ping interval running for up to 20 s.
  void server.stop().finally(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

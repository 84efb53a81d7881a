/**
 * Runs the Amplify test backend in the foreground: `npx tsx test/backends/amplify/serve.ts`
 * (options as JSON in argv[2], e.g. '{"collections":["todos"]}'). Prints one JSON line — the
 * handle without stop(): outputs (amplify_outputs.json), endpoints, table names — and stops
 * on SIGINT/SIGTERM. Signal node_modules/.bin/tsx directly: npx does not forward SIGINT.
 */
import { runAmplifyBackend } from './backend.js';
import type { StartAmplifyBackendOptions } from './shared.js';

const backend = await runAmplifyBackend(JSON.parse(process.argv[2] ?? '{}') as StartAmplifyBackendOptions);
const { stop, ...info } = backend;
console.log(JSON.stringify(info));
const shutdown = (): void => void stop().finally(() => process.exit(0));
process.once('SIGINT', shutdown).once('SIGTERM', shutdown);

/**
 * Child-process entry for server.ts: runs the Parse backend outside jest's
 * module sandbox and takes orders over IPC.
 *
 * argv[2]: StartParseServerOptions as JSON.
 * → parent: { type: 'ready', server } | { type: 'error', message } | { type: 'reply', id, error? }
 * ← parent: { type: 'restart', id } | { type: 'stop' } (stops, then exits; so does a closed IPC channel)
 */
import * as path from 'node:path';
import { runParseBackend } from './backend.js';
import type { ParseTestServer, StartParseServerOptions } from './shared.js';

export type ChildRequest = { type: 'restart'; id: number } | { type: 'stop' };
export type ChildMessage =
  | { type: 'ready'; server: Omit<ParseTestServer, 'stop' | 'restart'> }
  | { type: 'error'; message: string }
  | { type: 'reply'; id: number; error?: string };

const send = (message: ChildMessage): Promise<void> =>
  new Promise((resolve) => (process.send ? process.send(message, () => resolve()) : resolve()));
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const options = JSON.parse(process.argv[2] ?? '{}') as StartParseServerOptions;
const here = path.dirname(process.argv[1] ?? '.'); // this file's directory, also under ESM

let server: ParseTestServer | undefined;
let exiting = false;
// Exit explicitly: parse-server leaves a per-socket ping interval running for up to 20 s.
const stopAndExit = (): void => {
  exiting = true;
  if (server) void server.stop().finally(() => process.exit(0));
};
// Registered before start-up, so a parent that dies meanwhile leaves no orphan.
process.on('disconnect', stopAndExit);
process.on('message', (request: ChildRequest) => {
  if (request.type === 'stop') return stopAndExit();
  if (!server) return;
  server.restart().then(
    () => send({ type: 'reply', id: request.id }),
    (error: unknown) => send({ type: 'reply', id: request.id, error: messageOf(error) }),
  );
});

try {
  server = await runParseBackend({ ...options, cloudCodePath: path.join(here, 'cloud', 'main.js') });
} catch (error) {
  await send({ type: 'error', message: messageOf(error) });
  process.exit(1);
}

if (exiting) {
  stopAndExit();
} else {
  const { stop: _stop, restart: _restart, ...info } = server;
  await send({ type: 'ready', server: info });
}

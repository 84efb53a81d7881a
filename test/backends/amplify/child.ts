/**
 * Child-process entry for server.ts: runs the Amplify backend outside jest's module sandbox.
 *
 * argv[2]: StartAmplifyBackendOptions as JSON.
 * → parent: { type: 'ready', backend } | { type: 'error', message }
 * ← parent: { type: 'stop' } (stops, then exits; so does a closed IPC channel)
 * ← parent: { type: 'setConfig', id, values } → parent: { type: 'done', id, error? }
 */
import { runAmplifyBackend } from './backend.js';
import type { AmplifyTestBackend, StartAmplifyBackendOptions } from './shared.js';

export type ChildRequest = { type: 'stop' } | { type: 'setConfig'; id: number; values: Record<string, unknown> };
export type ChildMessage =
  | { type: 'ready'; backend: Omit<AmplifyTestBackend, 'stop' | 'setConfig'> }
  | { type: 'error'; message: string }
  | { type: 'done'; id: number; error?: string };

const send = (message: ChildMessage): Promise<void> =>
  new Promise((resolve) => (process.send ? process.send(message, () => resolve()) : resolve()));

const options = JSON.parse(process.argv[2] ?? '{}') as StartAmplifyBackendOptions;

let backend: AmplifyTestBackend | undefined;
let exiting = false;
// Exit explicitly once stopped: the simulator's DynamoDB clients keep idle keep-alive sockets.
const stopAndExit = (): void => {
  exiting = true;
  if (backend) void backend.stop().finally(() => process.exit(0));
};
// Registered before start-up, so a parent that dies meanwhile leaves no orphan.
process.on('disconnect', stopAndExit);
process.on('message', (request: ChildRequest) => {
  if (request.type === 'stop') stopAndExit();
  else if (request.type === 'setConfig') {
    const done = (error?: unknown): Promise<void> => send({ type: 'done', id: request.id, ...(error ? { error: error instanceof Error ? error.message : String(error) } : {}) });
    if (!backend) void done(new Error('Amplify test backend: not started'));
    else backend.setConfig(request.values).then(() => done(), done);
  }
});

try {
  backend = await runAmplifyBackend(options);
} catch (error) {
  await send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}

if (exiting) {
  stopAndExit();
} else {
  const { stop: _stop, setConfig: _setConfig, ...info } = backend;
  await send({ type: 'ready', backend: info });
}

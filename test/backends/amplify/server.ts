/**
 * Test helper: starts the Amplify Gen 2 test backend (AppSync simulator + dynalite with the real
 * Amplify transformer's resolvers, cognito-local, s3rver) on free ports; stop() ends it.
 *
 * The backend runs in a child process (child.ts via tsx): aws-cdk-lib and the transformer load
 * thousands of modules, which jest's module registry would load again for every test file, and
 * the simulators keep sockets and timers that are simplest to end with their process. This side
 * holds only the child and its IPC channel, so after stop() nothing is left open.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { ChildMessage, ChildRequest } from './child.js';
import type { AmplifyTestBackend, StartAmplifyBackendOptions } from './shared.js';
import { trackStart } from '../abandoned.js';

export type { AmplifyOutputs, AmplifyTestBackend, StartAmplifyBackendOptions } from './shared.js';
export { DEFAULT_COLLECTIONS, modelName, type CollectionAccess, type CollectionSpec } from './schema.js';

const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;

export function startAmplifyBackend(options: StartAmplifyBackendOptions = {}): Promise<AmplifyTestBackend> {
  return trackStart(startAmplifyBackendNow(options), (backend) => backend.stop());
}

async function startAmplifyBackendNow(options: StartAmplifyBackendOptions): Promise<AmplifyTestBackend> {
  const dir = helperDir();
  const child = fork(path.join(dir, 'child.ts'), [JSON.stringify(options)], {
    cwd: path.resolve(dir, '../../..'), // the repository root, where `--import tsx` resolves
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let info: Extract<ChildMessage, { type: 'ready' }>['backend'];
  try {
    info = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Amplify test backend: no start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      const settle = (error?: Error, value?: Extract<ChildMessage, { type: 'ready' }>['backend']): void => {
        clearTimeout(timer);
        child.off('message', onMessage).off('exit', onExit).off('error', onError);
        if (error) reject(error);
        else resolve(value!);
      };
      const onMessage = (message: ChildMessage): void => {
        if (message.type === 'ready') settle(undefined, message.backend);
        else if (message.type === 'error') settle(new Error(message.message));
      };
      const onExit = (code: number | null, signal: string | null): void =>
        settle(new Error(`Amplify test backend: its process exited during start-up (code ${code}, signal ${signal}); see stderr above`));
      const onError = (error: Error): void => settle(new Error(`Amplify test backend: cannot start its process: ${error.message}`, { cause: error }));
      child.on('message', onMessage).on('exit', onExit).on('error', onError);
    });
  } catch (error) {
    await stopChild(child, exited); // a failed start leaves no process behind
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return { ...info, setConfig: (values) => request(child, { type: 'setConfig', values }), stop: () => (stopping ??= stopChild(child, exited)) };
}

let requests = 0;
/** One request to the child, answered by `{ type: 'done', id }`. */
function request(child: ChildProcess, message: DistributiveOmit<Extract<ChildRequest, { id: number }>, 'id'>): Promise<void> {
  const id = ++requests;
  return new Promise((resolve, reject) => {
    if (!child.connected) return reject(new Error('Amplify test backend: stopped'));
    const onMessage = (reply: ChildMessage): void => {
      if (reply.type !== 'done' || reply.id !== id) return;
      child.off('message', onMessage).off('exit', onExit);
      if (reply.error) reject(new Error(reply.error));
      else resolve();
    };
    const onExit = (): void => {
      child.off('message', onMessage);
      reject(new Error('Amplify test backend: its process exited'));
    };
    child.on('message', onMessage).once('exit', onExit);
    child.send({ ...message, id } as ChildRequest);
  });
}

type DistributiveOmit<T, K extends keyof never> = T extends unknown ? Omit<T, K> : never;

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (child.connected) child.send({ type: 'stop' } satisfies ChildRequest, () => undefined); // a closing channel is fine
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * This file's directory. It runs as CommonJS under ts-jest (has __dirname) and as ESM under tsx
 * (no __dirname, and import.meta would not compile for ts-jest); there, fall back to the
 * repository layout relative to the cwd.
 */
function helperDir(): string {
  return typeof __dirname === 'string' ? __dirname : path.resolve('test/backends/amplify');
}

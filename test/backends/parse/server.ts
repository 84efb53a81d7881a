/**
 * Test helper: starts a real Parse Server (+ LiveQuery) for the test suite on
 * free ports, backed by an embedded PGlite database or, when `databaseURI` /
 * PARSE_DATABASE_URI is set, an external PostgreSQL; stops it cleanly.
 *
 * The server runs in a child process (child.ts via tsx): parse-server and
 * PGlite load modules with import(), which jest's sandbox refuses without
 * --experimental-vm-modules. This side holds only the child and its IPC
 * channel, so after stop() nothing is left open.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { ChildMessage, ChildRequest } from './child.js';
import type { ParseTestServer, StartParseServerOptions } from './shared.js';
import { trackStart } from '../abandoned.js';

export type { ParseTestServer, StartParseServerOptions } from './shared.js';
export { ALL_USER_CLASSES, DEFAULT_CONFIG_PARAMS, setConfig } from './shared.js';

const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;

export function startParseServer(opts: StartParseServerOptions = {}): Promise<ParseTestServer> {
  return trackStart(startParseServerNow(opts), (server) => server.stop());
}

async function startParseServerNow(opts: StartParseServerOptions): Promise<ParseTestServer> {
  const dir = helperDir();
  const child = fork(path.join(dir, 'child.ts'), [JSON.stringify(opts)], {
    cwd: path.resolve(dir, '../../..'), // the repository root, where `--import tsx` resolves
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const info = await new Promise<Extract<ChildMessage, { type: 'ready' }>['server']>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Parse test server: no start within ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    const settle = (error?: Error, value?: Extract<ChildMessage, { type: 'ready' }>['server']): void => {
      clearTimeout(timer);
      child.off('message', onMessage).off('exit', onExit).off('error', onError);
      if (error) reject(error);
      else resolve(value!);
    };
    const onMessage = (message: ChildMessage): void => {
      if (message.type === 'ready') settle(undefined, message.server);
      else if (message.type === 'error') settle(new Error(message.message));
    };
    const onExit = (code: number | null, signal: string | null): void =>
      settle(new Error(`Parse test server: its process exited during start-up (code ${code}, signal ${signal}); see stderr above`));
    const onError = (error: Error): void =>
      settle(new Error(`Parse test server: cannot start its process: ${error.message}`, { cause: error }));
    child.on('message', onMessage).on('exit', onExit).on('error', onError);
  });

  let nextId = 0;
  let stopping: Promise<void> | undefined;
  return {
    ...info,
    stop: () => (stopping ??= stopChild(child, exited)),
    restart: () => {
      if (stopping || !child.connected) return Promise.reject(new Error('Parse test server: restart() after stop()'));
      const id = ++nextId;
      return new Promise<void>((resolve, reject) => {
        const onMessage = (message: ChildMessage): void => {
          if (message.type !== 'reply' || message.id !== id) return;
          child.off('message', onMessage).off('exit', onExit);
          if (message.error) reject(new Error(message.error));
          else resolve();
        };
        const onExit = (): void => {
          child.off('message', onMessage);
          reject(new Error('Parse test server: its process exited during restart()'));
        };
        child.on('message', onMessage).once('exit', onExit);
        child.send({ type: 'restart', id } satisfies ChildRequest);
      });
    },
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (child.connected) child.send({ type: 'stop' } satisfies ChildRequest);
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * This file's directory. It runs as CommonJS under ts-jest (has __dirname) and
 * as ESM under tsx (no __dirname, and import.meta would not compile for
 * ts-jest); there, fall back to the repository layout relative to the cwd.
 */
function helperDir(): string {
  return typeof __dirname === 'string' ? __dirname : path.resolve('test/backends/parse');
}

/**
 * The Parse test backend itself, run in the current process: PGlite (or an
 * external PostgreSQL) + Parse Server on express + LiveQuery, on free ports.
 *
 * parse-server and PGlite load parts of themselves with import(), which jest's
 * module sandbox refuses, so tests do not call this directly: server.ts runs
 * it in a child process (child.ts); serve.ts runs it in its own process.
 * parse-server keeps per-process state (its Parse SDK singleton, caches keyed
 * by appId), so run one backend per process.
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import express from 'express';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type RequestListener, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import {
  ALL_USER_CLASSES,
  DEFAULT_CONFIG_PARAMS,
  setConfig,
  type ParseTestServer,
  type StartParseServerOptions,
} from './shared.js';

export interface BackendOptions extends StartParseServerOptions {
  /** Cloud code module exporting `(Parse) => void` (see cloud/main.js). */
  cloudCodePath: string;
}

const HOST = '127.0.0.1';
const MOUNT_PATH = '/parse';
const APP_ID = 'portabase-test';
const JAVASCRIPT_KEY = 'portabase-test-js-key';
const MASTER_KEY = 'portabase-test-master-key';
/** pg pool size on PGlite (which runs one query at a time anyway). */
const PGLITE_POOL_MAX = 10;

export async function runParseBackend(opts: BackendOptions): Promise<ParseTestServer> {
  // Merely loading parse-server creates ./logs in the cwd (its default logger
  // is built at require time); this env var is the only way to prevent that.
  process.env.PARSE_SERVER_LOGS_FOLDER ??= 'null';

  // Silent unless PARSE_LOG_LEVEL (e.g. 'info', 'error') asks for logs on stdout.
  const logLevel = process.env.PARSE_LOG_LEVEL;
  const logging = { logsFolder: null, logLevel: logLevel ?? 'error', silent: !logLevel };

  const undo: Array<() => Promise<void>> = []; // cleanup steps, run in reverse on failure/stop
  const runUndo = async (): Promise<void> => {
    for (const step of undo.splice(0).reverse()) await step().catch(() => undefined);
  };

  try {
    // 1. Database
    let databaseURI = opts.databaseURI ?? process.env.PARSE_DATABASE_URI ?? '';
    if (!databaseURI) {
      const pglite = await phase('PGlite', () => startPGlite(PGLITE_POOL_MAX));
      undo.push(pglite.stop);
      databaseURI = pglite.databaseURI;
    }

    // 2. Code, loaded lazily so the env var above is set before parse-server's first require.
    const { ParseServer, FileSystemAdapter } = await phase('Parse Server', async () => {
      const parseServerModule = (await import('parse-server')) as unknown as ParseServerModule;
      // The constructor logs ~15 deprecation warnings before it applies our
      // logging options; configure its shared logger first.
      const { configureLogger } = await import('parse-server/lib/Adapters/Logger/WinstonLogger.js');
      configureLogger(logging);
      return parseServerModule;
    });
    const registerCloudCode = await phase('Parse Server', async () => {
      const load = createRequire(opts.cloudCodePath);
      return load(opts.cloudCodePath) as ((Parse: unknown) => void) & { emailAdapter?: object };
    });

    // 3. Files in a fresh temp dir. FileSystemAdapter (@parse/fs-files-adapter)
    // always resolves its directory relative to the cwd; redirect that one method.
    const filesDir = await mkdtemp(path.join(tmpdir(), 'portabase-parse-files-'));
    undo.push(() => rm(filesDir, { recursive: true, force: true }));
    class TempDirFilesAdapter extends FileSystemAdapter {
      override _getApplicationDir(): string {
        return filesDir;
      }
    }

    // 4. HTTP first: parse-server needs its final serverURL (with the port) up front.
    const app = express();
    let http = await phase('Parse Server', () => openHttp(app as unknown as RequestListener, opts.port ?? 0));
    undo.push(() => http.close());
    const port = http.port;
    const serverURL = `http://${HOST}:${port}${MOUNT_PATH}`;
    const liveQueryServerURL = `ws://${HOST}:${port}${MOUNT_PATH}`;

    const parseOptions = {
      appId: APP_ID,
      javascriptKey: JAVASCRIPT_KEY,
      masterKey: MASTER_KEY,
      databaseURI,
      serverURL,
      mountPath: MOUNT_PATH,
      // A function, not a path: parse-server loads a path with import() or
      // require() depending on npm's environment variables.
      cloud: (Parse: unknown) => registerCloudCode(Parse),
      allowClientClassCreation: true,
      allowCustomObjectId: true,
      ...(opts.maintenanceKey ? { maintenanceKey: opts.maintenanceKey } : {}),
      enableAnonymousUsers: true,
      // Password reset needs an email adapter, an appName and a publicServerURL; this one records.
      ...(registerCloudCode.emailAdapter ? { emailAdapter: registerCloudCode.emailAdapter, appName: 'portabase-test', publicServerURL: serverURL } : {}),
      filesAdapter: new TempDirFilesAdapter(),
      fileUpload: { enableForPublic: true, enableForAnonymousUser: true, enableForAuthenticatedUser: true },
      liveQuery: { classNames: opts.liveQueryClassNames ?? [ALL_USER_CLASSES] },
      sessionLength: 24 * 60 * 60, // 1 day; the default is a year
      ...logging,
    };
    const parseServer = await phase('Parse Server', async () => {
      const server = new ParseServer(parseOptions);
      await server.start();
      return server;
    });
    app.use(MOUNT_PATH, parseServer.app);
    // We mounted server.app ourselves, so handleShutdown() needs to be told
    // which HTTP server to close; it also ends the database pool.
    undo.push(async () => {
      parseServer.server = http.server;
      const done = parseServer.handleShutdown(); // calls server.close() synchronously
      http.dropConnections();
      await done;
    });

    // 5. LiveQuery on the same HTTP server (WebSocket upgrade on any path).
    const liveQueryConfig = { appId: APP_ID, masterKey: MASTER_KEY, serverURL };
    const startLiveQuery = () => ParseServer.createLiveQueryServer(http.server, liveQueryConfig, parseOptions);
    let liveQuery = await phase('LiveQuery', startLiveQuery);
    undo.push(() => liveQuery.shutdown());

    await phase('Parse Server', () => setConfig({ serverURL, appId: APP_ID, masterKey: MASTER_KEY }, DEFAULT_CONFIG_PARAMS));

    let stopping: Promise<void> | undefined;
    return {
      serverURL,
      liveQueryServerURL,
      appId: APP_ID,
      javascriptKey: JAVASCRIPT_KEY,
      masterKey: MASTER_KEY,
      databaseURI,
      stop: () => (stopping ??= runUndo()),
      restart: async () => {
        if (stopping) throw new Error('Parse test server: restart() after stop()');
        await liveQuery.shutdown();
        await http.close();
        http = await phase('Parse Server (restart)', () => openHttp(app as unknown as RequestListener, port));
        liveQuery = await phase('LiveQuery (restart)', startLiveQuery);
      },
    };
  } catch (error) {
    await runUndo();
    throw error;
  }
}

// ---------------------------------------------------------------------------

/** The parts of parse-server's main module used here (its bundled types are incomplete). */
interface ParseServerModule {
  ParseServer: {
    new (options: object): {
      app: RequestListener;
      server?: Server;
      start(): Promise<unknown>;
      handleShutdown(): Promise<void>;
    };
    createLiveQueryServer(httpServer: Server, config: object, options: object): Promise<{ shutdown(): Promise<void> }>;
  };
  /** Re-export of @parse/fs-files-adapter. */
  FileSystemAdapter: new () => { _getApplicationDir(): string };
}

/** Runs one start-up phase, naming it in the error if it fails. */
async function phase<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Parse test server: ${name} failed to start: ${reason}`, { cause: error });
  }
}

async function startPGlite(poolMax: number): Promise<{ databaseURI: string; stop: () => Promise<void> }> {
  const db = await PGlite.create();
  // parse-server opens up to `max` pool connections plus one for LISTEN; one
  // more because pglite-socket frees a closed connection's slot asynchronously.
  const socketServer = new PGLiteSocketServer({ db, host: HOST, port: 0, maxConnections: poolMax + 2 });
  try {
    await socketServer.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  const port = Number(socketServer.getServerConn().split(':').pop());
  return {
    databaseURI: `postgres://postgres@${HOST}:${port}/postgres?max=${poolMax}`,
    stop: async () => {
      await socketServer.stop();
      await db.close();
    },
  };
}

interface Http {
  server: Server;
  port: number;
  /** Ends keep-alive and upgraded (LiveQuery WebSocket) connections, which server.close() waits for. */
  dropConnections(): void;
  close(): Promise<void>;
}

async function openHttp(handler: RequestListener, port: number): Promise<Http> {
  const server = createServer(handler);
  // Upgraded sockets are not tracked by closeAllConnections().
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (_request, socket: Duplex) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
  });
  const actualPort = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
  const dropConnections = (): void => {
    server.closeAllConnections();
    for (const socket of upgraded) socket.destroy();
    upgraded.clear();
  };
  return {
    server,
    port: actualPort,
    dropConnections,
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        dropConnections();
      }),
  };
}

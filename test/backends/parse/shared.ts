/**
 * Types, constants and helpers shared by the Parse test backend (backend.ts,
 * run in its own process) and its test-side handle (server.ts). Kept free of
 * heavy imports so that tests loading server.ts do not load parse-server or PGlite.
 */

export interface ParseTestServer {
  serverURL: string;
  liveQueryServerURL: string;
  appId: string;
  javascriptKey: string;
  masterKey: string;
  databaseURI: string;
  stop(): Promise<void>;
  /** Stops the HTTP + LiveQuery server and starts it again on the same port, same DB. */
  restart(): Promise<void>;
}

export interface StartParseServerOptions {
  /** External PostgreSQL, e.g. postgres://user:pw@127.0.0.1:5432/db. Default: env PARSE_DATABASE_URI, else embedded PGlite. */
  databaseURI?: string;
  /** HTTP port for Parse Server + LiveQuery. Default: a free port. */
  port?: number;
  /** LiveQuery classes (regex sources, anchored by parse-server). Default: every non-system class. */
  liveQueryClassNames?: string[];
  /** Parse Server's `maintenanceKey` (its requests may set createdAt/updatedAt on create). Default: none. */
  maintenanceKey?: string;
}

/** Remote-config params every test server starts with. */
export const DEFAULT_CONFIG_PARAMS = { welcome: 'hello', maxItems: 20, featureX: true, ratio: 0.5 } as const;

/**
 * parse-server compiles each entry to `^<entry>$` (pattern support since 5.0),
 * so this covers any class a client creates, and excludes system classes
 * (_User, _Session, _Role, …), which start with '_'.
 */
export const ALL_USER_CLASSES = '[A-Za-z][A-Za-z0-9_]*';

/**
 * Sets remote-config params (Parse.Config) through the REST API with the master key.
 * `masterKeyOnly` marks params that only master-key reads can see.
 */
export async function setConfig(
  server: Pick<ParseTestServer, 'serverURL' | 'appId' | 'masterKey'>,
  params: Record<string, unknown>,
  masterKeyOnly?: Record<string, boolean>,
): Promise<void> {
  const response = await fetch(`${server.serverURL}/config`, {
    method: 'PUT',
    headers: {
      'X-Parse-Application-Id': server.appId,
      'X-Parse-Master-Key': server.masterKey,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify(masterKeyOnly ? { params, masterKeyOnly } : { params }),
  });
  if (!response.ok) {
    throw new Error(`Parse test server: setting Parse.Config failed: HTTP ${response.status} ${await response.text()}`);
  }
}

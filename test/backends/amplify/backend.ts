/**
 * The Amplify test backend itself, run in the current process (server.ts runs it in a child
 * process; serve.ts in the foreground): a Gen 2 data API built by Amplify's real transformer and
 * served by the AppSync simulator over dynalite, cognito-local, s3rver — each on a free port.
 *
 * Start order: transform the schema (CPU only), then dynalite + cognito-local + s3rver together,
 * the tables the transformer declared, the simulator. `stop()` undoes it in reverse and removes
 * the temp dirs; a failed start undoes what it did and throws an Error naming the piece.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AmplifyAppSyncSimulator } from '@aws-amplify/amplify-appsync-simulator';
import { generateFilterExpression } from '@aws-amplify/amplify-appsync-simulator/lib/velocity/util/transform/dynamodb-filter.js';
import { transformUtils } from '@aws-amplify/amplify-appsync-simulator/lib/velocity/util/transform/index.js';
import { dynamodbUtils } from '@aws-amplify/amplify-appsync-simulator/lib/velocity/util/dynamodb-utils.js';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import simulatorItemsModule from '@aws-amplify/amplify-appsync-simulator/lib/data-loader/dynamo-db/utils/index.js';
import { toJSON } from '@aws-amplify/amplify-appsync-simulator/lib/velocity/value-mapper/to-json.js';
import { generateModels } from '@aws-amplify/graphql-generator';
import dynalite from 'dynalite';
import { memoiseDynaliteConditionParser } from './dynalite-parser.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startCognito, CONFIRMATION_CODE } from './cognito.js';
import { startConfigAdmin, type ConfigAdmin } from './config-admin.js';
import { FIXTURE_FUNCTIONS, invokeLambda } from './lambda.js';
import { startS3 } from './s3.js';
import { DEFAULT_COLLECTIONS, schemaSdl } from './schema.js';
import type { AmplifyOutputs, AmplifyTestBackend, StartAmplifyBackendOptions } from './shared.js';
import { simulatorConfig, transformSchema } from './transform.js';

const HOST = '127.0.0.1';

/**
 * Two bugs of the simulator's `$util.transform` (AppSync gets both right): toDynamoDBConditionExpression
 * leaves out `expressionValues`, so every mutation `condition` with a value failed ("An expression
 * attribute value used in expression is not defined"); and `attributeExists` adds a value the
 * expression never uses, which DynamoDB refuses ("Value provided in ExpressionAttributeValues
 * unused in expressions"). Patched: the values an expression uses, and only those.
 */
function expressionOf(condition: { toJSON(): object }): { expression: string; expressionNames: object; expressionValues: Record<string, unknown> } {
  const result = generateFilterExpression(condition.toJSON());
  const expression = result.expressions.join(' ').trim();
  const used = Object.entries(result.expressionValues as Record<string, unknown>).filter(([key]) => new RegExp(`${key}(?![A-Za-z0-9_])`).test(expression));
  return { expression, expressionNames: result.expressionNames, expressionValues: Object.fromEntries(used) };
}
transformUtils.toDynamoDBConditionExpression = (condition: { toJSON(): object }): string => JSON.stringify(expressionOf(condition));
transformUtils.toDynamoDBFilterExpression = (filter: { toJSON(): object }): string => JSON.stringify(expressionOf(filter));

/**
 * Two more, in how the simulator (JavaScript) converts DynamoDB items, where AppSync (Java) does not
 * fail: `$util.dynamodb.toDynamoDB` marshals with `convertEmptyValues`, so an empty string was
 * stored as NULL (DynamoDB has kept empty strings in non-key attributes since 2020); and numbers
 * beyond ±2^53 (6.02e23) could be neither marshalled nor read back (the JS SDK wants BigInts, so
 * the write failed and the read threw). Patched: empty strings as they are, numbers as doubles.
 */
const MARSHALL = { removeUndefinedValues: true, allowImpreciseNumbers: true } as const;
dynamodbUtils.toDynamoDB = (value: unknown): unknown => {
  const json = toJSON(value);
  if (Array.isArray(value)) return { L: marshall(json, MARSHALL) };
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) return { M: marshall(json, MARSHALL) };
  return marshall(json as never, MARSHALL);
};
// The CommonJS exports object (an ESM namespace is read-only); the data loader looks it up per call.
const simulatorItems = simulatorItemsModule as unknown as { unmarshall: (raw: unknown, isRaw?: boolean) => unknown };
const simulatorUnmarshall = simulatorItems.unmarshall;
simulatorItems.unmarshall = (raw: unknown, isRaw = true): unknown =>
  simulatorUnmarshall(isRaw ? unmarshall(raw as never, { wrapNumbers: (n: string) => Number(n) }) : raw, false);

export async function runAmplifyBackend(options: StartAmplifyBackendOptions = {}): Promise<AmplifyTestBackend> {
  const started = performance.now();
  // The AWS SDK v3 clients (ours, the simulator's) warn once that they will need Node 22 from 2027.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const region = options.region ?? 'us-east-1';
  const undo: Array<() => Promise<void>> = []; // cleanup steps, run in reverse on failure/stop
  const runUndo = async (): Promise<void> => {
    for (const step of undo.splice(0).reverse()) await step().catch(() => undefined);
  };

  try {
    // 1. The data API: Gen 2 schema → SDL → resolvers, tables (no servers yet).
    const functions = options.functions ? Object.keys(FIXTURE_FUNCTIONS) : [];
    if (options.schema !== undefined && functions.length > 0) throw new Error('Amplify test backend: `schema` and `functions` do not go together (the functions are declared in the built schema)');
    const sdl = options.schema ?? (await phase('schema', async () => schemaSdl(options.collections ?? DEFAULT_COLLECTIONS, { functions, config: options.config !== undefined })));
    const api = await phase('GraphQL transformer', async () => transformSchema(sdl, { region, functions }));
    const introspection = await phase('model introspection (graphql-generator)', async () => {
      const files = await generateModels({ schema: sdl, target: 'introspection' });
      const [json] = Object.values(files);
      if (!json) throw new Error('no model-introspection.json generated');
      return JSON.parse(json) as object;
    });

    // 2. DynamoDB, Cognito and S3 side by side.
    const [dynamo, cognito, s3] = await Promise.all([
      phase('DynamoDB (dynalite)', startDynalite).then((d) => (undo.push(d.stop), d)),
      phase('Cognito (cognito-local)', () => startCognito({ region, autoConfirm: options.autoConfirm, tokenValiditySeconds: options.tokenValiditySeconds })).then(
        (c) => (undo.push(c.stop), c),
      ),
      phase('S3 (s3rver)', () => startS3()).then((s) => (undo.push(s.stop), s)),
    ]);

    // 3. The tables the transformer declared.
    await phase('DynamoDB tables', async () => {
      const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      try {
        for (const table of api.tables) await client.send(new CreateTableCommand(table));
      } finally {
        client.destroy();
      }
    });

    // 4. The AppSync simulator over them.
    const lambdas = Object.fromEntries(functions.map((name) => [name, (payload: unknown) => invokeLambda(FIXTURE_FUNCTIONS[name]!, payload)]));
    const graphql = await phase('AppSync simulator', () => startSimulator(simulatorConfig(api, dynamo.endpoint, lambdas)));
    undo.push(graphql.stop);

    // 5. The remote config, written by its admin (config-admin.ts).
    let configAdmin: ConfigAdmin | undefined;
    if (options.config !== undefined) {
      const values = options.config;
      configAdmin = await phase('remote config', async () => {
        const admin = await startConfigAdmin(cognito, graphql.url);
        await admin.set(values);
        return admin;
      });
    }

    const outputs: AmplifyOutputs = {
      version: '1.4',
      auth: {
        aws_region: region,
        user_pool_id: cognito.userPoolId,
        user_pool_client_id: cognito.userPoolClientId,
        password_policy: { min_length: 8, require_lowercase: true, require_numbers: true, require_symbols: true, require_uppercase: true },
        standard_required_attributes: ['email'],
        username_attributes: ['email'],
        user_verification_types: ['email'],
        groups: [],
        mfa_configuration: 'NONE',
        mfa_methods: [],
        unauthenticated_identities_enabled: false,
      },
      data: {
        url: graphql.url,
        aws_region: region,
        api_key: api.apiKey,
        default_authorization_type: 'AMAZON_COGNITO_USER_POOLS',
        authorization_types: ['API_KEY'],
        model_introspection: introspection,
      },
      storage: {
        aws_region: region,
        bucket_name: s3.bucket,
        buckets: [
          {
            name: s3.bucket,
            bucket_name: s3.bucket,
            aws_region: region,
            paths: { 'public/*': { guest: ['get', 'list'], authenticated: ['get', 'list', 'write', 'delete'] } },
          },
        ],
      },
    };

    let stopping: Promise<void> | undefined;
    return {
      outputs,
      cognitoEndpoint: cognito.endpoint,
      s3Endpoint: s3.endpoint,
      dynamoDbEndpoint: dynamo.endpoint,
      tableNames: Object.fromEntries(api.dataSources.flatMap((ds) => (ds.type === 'AMAZON_DYNAMODB' ? [[ds.name.replace(/Table$/, ''), ds.tableName]] : []))),
      confirmationCode: CONFIRMATION_CODE,
      timings: { transformMs: api.transformMs, backendMs: Math.round(performance.now() - started) },
      setConfig: async (values) => {
        if (!configAdmin) throw new Error('Amplify test backend: started without `config`: there is no config model');
        await configAdmin.set(values);
      },
      stop: () => (stopping ??= runUndo()),
    };
  } catch (error) {
    await runUndo();
    throw error;
  }
}

/** Runs one start-up phase, naming it in the error if it fails. */
async function phase<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Amplify test backend: ${name} failed to start: ${reason}`, { cause: error });
  }
}

async function startDynalite(): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  // Filters nested a few levels deep took dynalite's parser tens of seconds (dynalite-parser.ts).
  memoiseDynaliteConditionParser();
  // In memory; tables are ACTIVE at once instead of after dynalite's default 500 ms.
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await listen(server, 0);
  return { endpoint: `http://${HOST}:${port}`, stop: () => close(server) };
}

/**
 * The simulator picks its own port in 8900–9999 when given 0 (get-port), and listens on every
 * interface; we hand it a port the OS just gave us instead, and retry if someone took it since.
 */
async function startSimulator(config: ReturnType<typeof simulatorConfig>): Promise<{ url: string; stop: () => Promise<void> }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const simulator = new AmplifyAppSyncSimulator({ port, wsPort: port });
    try {
      await simulator.start();
    } catch (error) {
      if (attempt < 3 && /already in use|EADDRINUSE/.test(String(error))) continue;
      throw error;
    }
    try {
      simulator.init(config);
    } catch (error) {
      await stopSimulator(simulator);
      throw error;
    }
    return { url: `http://${HOST}:${port}/graphql`, stop: () => stopSimulator(simulator) };
  }
}

/** `simulator.stop()` closes the subscription sockets but does not wait for its HTTP server. */
async function stopSimulator(simulator: AmplifyAppSyncSimulator): Promise<void> {
  const http = (simulator as unknown as { _server: { _httpServer: Server } })._server._httpServer;
  const closed = new Promise<void>((resolve) => (http.listening ? http.once('close', () => resolve()) : resolve()));
  await simulator.stop();
  http.closeAllConnections();
  await closed;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function freePort(): Promise<number> {
  const probe = createServer();
  const port = await listen(probe, 0);
  await close(probe);
  return port;
}

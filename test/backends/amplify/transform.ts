/**
 * GraphQL SDL (`@model`/`@auth`) → AppSync simulator config, with Amplify's REAL transformer.
 *
 * It calls `executeTransform` from @aws-amplify/graphql-transformer the way Gen 2's
 * `AmplifyGraphqlApi`/`AmplifyData` construct does (a CDK stack scope, `NestedStack`s, an asset
 * provider, the construct's default translation behaviour, Gen 2's `AMPLIFY_TABLE` strategy for
 * every model), then walks the resulting construct tree into what the AppSync simulator needs:
 * the AppSync schema, data sources, pipeline functions, resolvers and their VTL templates, and
 * the DynamoDB tables to create. Nothing is synthesized or deployed.
 *
 * Authorization: Cognito user pools by default plus an API key (Gen 2's `defaultAuthorizationMode:
 * 'userPool'` with `apiKeyAuthorizationMode`), so `allow.owner()`/`allow.authenticated()` run the
 * transformer's own authorization VTL against the caller's token claims. No IAM (no identity pool
 * runs here), so `allow.guest()`/`allow.authenticated('identityPool')` are not served.
 *
 * Catches handled here:
 * - CFN values are CDK tokens. Each is resolved in its own stack and the intrinsics it turns into
 *   (Ref, Fn::GetAtt, Fn::Join/Select/Split) are evaluated against the tree: the API id, the API
 *   key, table names (`<Model>-<apiId>-NONE`), data source names, function ids (= names here).
 * - Templates and the schema are S3 assets: the asset provider keeps each file's content under
 *   the fake S3 URL it hands back, so a resolved `...S3Location` finds its content.
 * - The schema asset is lazy: it is only emitted when `definitionS3Location` is resolved.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type {
  AmplifyAppSyncSimulatorConfig,
  AppSyncSimulatorFunctionsConfig,
  AppSyncSimulatorPipelineResolverConfig,
  AppSyncSimulatorUnitResolverConfig,
} from '@aws-amplify/amplify-appsync-simulator';
import { executeTransform } from '@aws-amplify/graphql-transformer';
import * as cdk from 'aws-cdk-lib';
import * as appsync from 'aws-cdk-lib/aws-appsync';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { randomBytes } from 'node:crypto';

type ExecuteTransformConfig = Parameters<typeof executeTransform>[0];
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface TransformOptions {
  /** AWS region the outputs and ARNs name. Default `us-east-1`. */
  region?: string;
  /** AppSync API name. Default `local`. */
  apiName?: string;
  /**
   * The Lambda functions `@function(name: …)` fields name, as Gen 2 passes its `defineFunction`s
   * (`functionNameMap`): each becomes `arn:aws:lambda:<region>:<account>:function:<name>`.
   */
  functions?: readonly string[];
}

export type DataSource =
  | { name: string; type: 'NONE' }
  | { name: string; type: 'AMAZON_DYNAMODB'; tableName: string }
  /** A Lambda data source (`@function`); `functionName` is the last part of its function's ARN. */
  | { name: string; type: 'AWS_LAMBDA'; functionName: string };

/** The transformed API, independent of where the simulator and DynamoDB will run. */
export interface TransformedApi {
  apiName: string;
  apiId: string;
  apiKey: string;
  region: string;
  /** The AppSync schema the transformer generated (with its `@aws_*` auth directives). */
  schema: string;
  tables: CreateTableCommandInput[];
  dataSources: DataSource[];
  functions: AppSyncSimulatorFunctionsConfig[];
  resolvers: Array<AppSyncSimulatorUnitResolverConfig | AppSyncSimulatorPipelineResolverConfig>;
  /** Every VTL template, referenced by path from `functions` and `resolvers`. */
  mappingTemplates: Array<{ path: string; content: string }>;
  /** What the transformer logged (warnings such as "owners may reassign ownership"). */
  logs: string[];
  /** Milliseconds spent in executeTransform + the walk. */
  transformMs: number;
}

const ACCOUNT_ID = '123456789012';

/** Gen 2's translation behaviour (the construct's defaults, and `defineData`'s destructive-updates flag). */
const GEN2_TRANSFORM_PARAMETERS: ExecuteTransformConfig['transformParameters'] = {
  shouldDeepMergeDirectiveConfigDefaults: true,
  disableResolverDeduping: true,
  sandboxModeEnabled: false,
  useSubUsernameForDefaultIdentityClaim: true,
  subscriptionsInheritPrimaryAuth: false,
  populateOwnerFieldForStaticGroupAuth: true,
  suppressApiKeyGeneration: false,
  secondaryKeyAsGSI: true,
  enableAutoIndexQueryNames: true,
  respectPrimaryKeyAttributesOnConnectionField: true,
  enableSearchNodeToNodeEncryption: false,
  enableSearchEncryptionAtRest: false,
  enableTransformerCfnOutputs: false,
  allowDestructiveGraphqlSchemaUpdates: true,
  replaceTableUponGsiUpdate: false,
  allowGen1Patterns: true,
};

/** Gen 2 (`defineData`) provisions every DynamoDB model as an Amplify-managed table. */
const GEN2_DYNAMODB_STRATEGY = { dbType: 'DYNAMODB', provisionStrategy: 'AMPLIFY_TABLE' } as const;

export function transformSchema(sdl: string, options: TransformOptions = {}): TransformedApi {
  const started = performance.now();
  const region = options.region ?? 'us-east-1';
  const apiName = options.apiName ?? 'local';
  const apiId = randomId(26); // the shape of a real AppSync API id
  const apiKey = `da2-${randomId(26)}`;
  process.env.JSII_DEPRECATED ??= 'quiet'; // aws-cdk-lib prints deprecation warnings the transformer triggers

  const app = new cdk.App();
  const stack = new cdk.Stack(app, 'amplify-local', { env: { account: ACCOUNT_ID, region } });
  const assets = new Map<string, string>(); // fake S3 URL → file content
  let assetCount = 0;
  const logs: string[] = [];

  // The auth transformer console.warns about `@auth` on root-type fields (every custom query): into the logs.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void logs.push(`WARN: ${args.map(String).join(' ')}`);
  try {
    executeTransform({
      scope: stack,
      nestedStackProvider: { provide: (scope, name) => new cdk.NestedStack(scope, name) },
      assetProvider: {
        provide: (_scope, _id, { fileName, fileContent }) => {
          const key = `${++assetCount}/${fileName}`;
          const s3ObjectUrl = `s3://amplify-local-assets/${key}`;
          const httpUrl = `https://amplify-local-assets.s3.${region}.amazonaws.com/${key}`;
          assets.set(s3ObjectUrl, fileContent).set(httpUrl, fileContent);
          return { assetHash: String(assetCount), httpUrl, s3BucketName: 'amplify-local-assets', s3ObjectKey: key, s3ObjectUrl };
        },
      },
      synthParameters: { amplifyEnvironmentName: 'NONE', apiName, userPoolId: 'local-user-pool', adminRoles: [] },
      schema: sdl,
      transformersFactoryArgs: {
        functionNameMap: Object.fromEntries(
          (options.functions ?? []).map((name) => [name, lambda.Function.fromFunctionArn(stack, `function-${name}`, `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${name}`)]),
        ),
      },
      authConfig: {
        defaultAuthentication: { authenticationType: 'AMAZON_COGNITO_USER_POOLS', userPoolConfig: { userPoolId: 'local-user-pool' } },
        additionalAuthenticationProviders: [{ authenticationType: 'API_KEY', apiKeyConfig: { apiKeyExpirationDays: 7 } }],
      },
      stackMapping: {},
      transformParameters: GEN2_TRANSFORM_PARAMETERS,
      dataSourceStrategies: Object.fromEntries(modelNames(sdl).map((model) => [model, GEN2_DYNAMODB_STRATEGY])),
      printTransformerLog: (log) => logs.push(`${log.level}: ${log.message}`),
    });
  } finally {
    console.warn = warn;
  }

  const api = walk(stack, assets, { apiId, apiKey, region });
  return { apiName, apiId, apiKey, region, ...api, logs, transformMs: Math.round(performance.now() - started) };
}

/**
 * The simulator's config for a transformed API whose tables live at `dynamoDbEndpoint`; each Lambda
 * data source calls `lambdas[<function name>]` with the invocation payload (in process).
 */
export function simulatorConfig(api: TransformedApi, dynamoDbEndpoint: string, lambdas: Record<string, (payload: unknown) => Promise<unknown>> = {}): AmplifyAppSyncSimulatorConfig {
  return {
    schema: { content: api.schema },
    mappingTemplates: api.mappingTemplates,
    functions: api.functions,
    resolvers: api.resolvers,
    dataSources: api.dataSources.map((ds) => {
      if (ds.type === 'NONE') return { name: ds.name, type: 'NONE' as const };
      if (ds.type === 'AWS_LAMBDA') {
        const invoke = lambdas[ds.functionName];
        if (!invoke) throw new Error(`Amplify test backend: no handler for the Lambda function ${ds.functionName} (data source ${ds.name})`);
        return { name: ds.name, type: 'AWS_LAMBDA' as const, invoke };
      }
      return {
        name: ds.name,
        type: 'AMAZON_DYNAMODB' as const,
        // Only `config` reaches the DynamoDB client, and its credentials must sit in
        // `credentials`: top-level accessKeyId/secretAccessKey are ignored (→ CredentialsProviderError).
        config: { endpoint: dynamoDbEndpoint, region: api.region, tableName: ds.tableName, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
      };
    }),
    appSync: {
      name: api.apiName,
      apiKey: api.apiKey,
      defaultAuthenticationType: { authenticationType: 'AMAZON_COGNITO_USER_POOLS', cognitoUserPoolConfig: {} },
      additionalAuthenticationProviders: [{ authenticationType: 'API_KEY' }],
    } as AmplifyAppSyncSimulatorConfig['appSync'],
  };
}

// ---------------------------------------------------------------------------

/** Names of the `@model` types in the SDL (each needs a data source strategy). */
function modelNames(sdl: string): string[] {
  return [...sdl.matchAll(/^\s*type\s+([A-Za-z_][A-Za-z0-9_]*)\b[^{]*@model\b/gm)].map((m) => m[1]!);
}

interface Ids {
  apiId: string;
  apiKey: string;
  region: string;
}

function walk(root: cdk.Stack, assets: Map<string, string>, ids: Ids): Omit<TransformedApi, 'apiName' | 'apiId' | 'apiKey' | 'region' | 'logs' | 'transformMs'> {
  const constructs: IConstruct[] = [];
  const collect = (c: IConstruct): void => {
    constructs.push(c);
    c.node.children.forEach(collect);
  };
  collect(root);

  // Logical ids carry a hash of the construct path, so they are unique across the nested stacks.
  const byLogicalId = new Map<string, cdk.CfnElement>();
  for (const c of constructs) if (cdk.CfnElement.isCfnElement(c)) byLogicalId.set(cdk.Stack.of(c).resolve(c.logicalId) as string, c); // with overrides

  const isTable = (el: cdk.CfnElement): el is cdk.CfnResource =>
    el instanceof cdk.CfnResource && (el.cfnResourceType === 'AWS::DynamoDB::Table' || el.cfnResourceType === 'Custom::AmplifyDynamoDBTable');
  const props = (el: cdk.CfnResource): Record<string, unknown> => (el as unknown as { cfnProperties: Record<string, unknown> }).cfnProperties;

  /** Resolves a (possibly tokenized) value in `scope`'s stack and evaluates the intrinsics in it. */
  const value = (scope: IConstruct, raw: unknown): Json => evaluate(cdk.Stack.of(scope).resolve(raw) as Json);
  const text = (scope: IConstruct, raw: unknown, what: string): string => {
    const v = value(scope, raw);
    if (typeof v !== 'string') throw new Error(`Amplify transform: ${what} of ${scope.node.path} is not a string: ${JSON.stringify(v)}`);
    return v;
  };
  const tableName = (el: cdk.CfnResource): string => text(el, props(el).tableName, 'tableName');
  const tableArn = (el: cdk.CfnResource): string => `arn:aws:dynamodb:${ids.region}:${ACCOUNT_ID}:table/${tableName(el)}`;

  const evaluate = (v: Json): Json => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(evaluate);
    const keys = Object.keys(v);
    const [key] = keys;
    if (keys.length !== 1 || !key || !(key === 'Ref' || key.startsWith('Fn::'))) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, evaluate(x)]));
    }
    const arg = v[key]!;
    const fail = (why: string): never => {
      throw new Error(`Amplify transform: cannot evaluate ${JSON.stringify(v)} (${why})`);
    };
    switch (key) {
      case 'Ref': {
        const pseudo: Record<string, string> = { 'AWS::Region': ids.region, 'AWS::AccountId': ACCOUNT_ID, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };
        if (typeof arg !== 'string') return fail('bad Ref');
        if (pseudo[arg] !== undefined) return pseudo[arg]!;
        const el = byLogicalId.get(arg) ?? fail('unknown logical id');
        if (isTable(el)) return tableName(el);
        if (el instanceof cdk.CfnParameter && el.default !== undefined) return value(el, el.default);
        return fail(`Ref to ${el.node.path}`);
      }
      case 'Fn::GetAtt': {
        if (!Array.isArray(arg) || typeof arg[0] !== 'string' || typeof arg[1] !== 'string') return fail('bad Fn::GetAtt');
        const [id, attr] = arg as [string, string];
        const el = byLogicalId.get(id) ?? fail('unknown logical id');
        if (el instanceof appsync.CfnGraphQLApi && attr === 'ApiId') return ids.apiId;
        if (el instanceof appsync.CfnGraphQLApi && attr === 'Arn') return `arn:aws:appsync:${ids.region}:${ACCOUNT_ID}:apis/${ids.apiId}`;
        if (el instanceof appsync.CfnApiKey && attr === 'ApiKey') return ids.apiKey;
        if (el instanceof appsync.CfnDataSource && attr === 'Name') return text(el, el.name, 'name');
        if (el instanceof appsync.CfnFunctionConfiguration && (attr === 'FunctionId' || attr === 'Name')) return text(el, el.name, 'name');
        if (isTable(el) && attr === 'TableName') return tableName(el);
        if (isTable(el) && (attr === 'Arn' || attr === 'TableArn')) return tableArn(el);
        if (isTable(el) && attr === 'TableStreamArn') return `${tableArn(el)}/stream/local`;
        return fail(`attribute ${attr} of ${el.node.path}`);
      }
      case 'Fn::Join': {
        const [separator, parts] = Array.isArray(arg) ? arg : [];
        if (typeof separator !== 'string' || !Array.isArray(parts)) return fail('bad Fn::Join');
        return parts.map((p) => String(evaluate(p))).join(separator);
      }
      case 'Fn::Split': {
        const [separator, source] = Array.isArray(arg) ? arg : [];
        const s = evaluate(source ?? null);
        if (typeof separator !== 'string' || typeof s !== 'string') return fail('bad Fn::Split');
        return s.split(separator);
      }
      case 'Fn::Select': {
        const [index, list] = Array.isArray(arg) ? arg : [];
        const l = evaluate(list ?? null);
        if (!Array.isArray(l) || l[Number(index)] === undefined) return fail('bad Fn::Select');
        return l[Number(index)]!;
      }
      default:
        return fail('unsupported intrinsic');
    }
  };

  const mappingTemplates: Array<{ path: string; content: string }> = [];
  /** A resolver's or function's template, inline or an S3 asset, registered under `path`. */
  const template = (owner: IConstruct, path: string, inline: unknown, s3Location: unknown): string => {
    let content: string | undefined;
    if (inline !== undefined) content = text(owner, inline, path);
    else if (s3Location !== undefined) {
      const url = text(owner, s3Location, path);
      content = assets.get(url);
      if (content === undefined) throw new Error(`Amplify transform: ${owner.node.path}: no asset for ${url}`);
    }
    if (content === undefined) throw new Error(`Amplify transform: ${owner.node.path} has no ${path} template`);
    mappingTemplates.push({ path, content });
    return path;
  };
  const refuseJs = (el: cdk.CfnResource & { runtime?: unknown; code?: unknown; codeS3Location?: unknown }): void => {
    if (el.runtime !== undefined || el.code !== undefined || el.codeS3Location !== undefined) {
      throw new Error(`Amplify transform: ${el.node.path} is an APPSYNC_JS resolver; the AppSync simulator runs VTL only`);
    }
  };

  let schema: string | undefined;
  const tables: CreateTableCommandInput[] = [];
  const dataSources: DataSource[] = [];
  const functions: AppSyncSimulatorFunctionsConfig[] = [];
  const resolvers: TransformedApi['resolvers'] = [];

  for (const c of constructs) {
    if (c instanceof appsync.CfnGraphQLSchema) {
      // Resolving the lazy S3 location is what makes the asset provider emit the schema file.
      schema = c.definition !== undefined ? text(c, c.definition, 'definition') : assets.get(text(c, c.definitionS3Location, 'definitionS3Location'));
    } else if (c instanceof appsync.CfnDataSource) {
      const name = text(c, c.name, 'name');
      const type = text(c, c.type, 'type');
      if (type === 'NONE') dataSources.push({ name, type });
      else if (type === 'AMAZON_DYNAMODB') {
        const config = value(c, c.dynamoDbConfig) as { tableName?: Json };
        if (typeof config?.tableName !== 'string') throw new Error(`Amplify transform: data source ${name} has no table name`);
        dataSources.push({ name, type, tableName: config.tableName });
      } else if (type === 'AWS_LAMBDA') {
        const arn = (value(c, c.lambdaConfig) as { lambdaFunctionArn?: Json })?.lambdaFunctionArn;
        if (typeof arn !== 'string' || !arn.startsWith('arn:aws:lambda:')) throw new Error(`Amplify transform: data source ${name} has no Lambda ARN: ${JSON.stringify(arn)}`);
        dataSources.push({ name, type, functionName: arn.split(':').pop()! });
      } else throw new Error(`Amplify transform: data source ${name} of type ${type} is not served by this test backend`);
    } else if (c instanceof appsync.CfnFunctionConfiguration) {
      refuseJs(c);
      const name = text(c, c.name, 'name');
      functions.push({
        name,
        dataSourceName: text(c, c.dataSourceName, 'dataSourceName'),
        requestMappingTemplateLocation: template(c, `functions/${name}.req.vtl`, c.requestMappingTemplate, c.requestMappingTemplateS3Location),
        responseMappingTemplateLocation: template(c, `functions/${name}.res.vtl`, c.responseMappingTemplate, c.responseMappingTemplateS3Location),
      });
    } else if (c instanceof appsync.CfnResolver) {
      refuseJs(c);
      const typeName = text(c, c.typeName, 'typeName');
      const fieldName = text(c, c.fieldName, 'fieldName');
      const base = `resolvers/${typeName}.${fieldName}`;
      const templates = {
        requestMappingTemplateLocation: template(c, `${base}.req.vtl`, c.requestMappingTemplate, c.requestMappingTemplateS3Location),
        responseMappingTemplateLocation: template(c, `${base}.res.vtl`, c.responseMappingTemplate, c.responseMappingTemplateS3Location),
      };
      if (c.kind === 'PIPELINE') {
        const pipeline = value(c, c.pipelineConfig) as { functions?: Json };
        if (!Array.isArray(pipeline?.functions)) throw new Error(`Amplify transform: pipeline resolver ${typeName}.${fieldName} has no functions`);
        resolvers.push({ kind: 'PIPELINE' as never, typeName, fieldName, functions: pipeline.functions.map(String), ...templates });
      } else {
        resolvers.push({ kind: 'UNIT' as never, typeName, fieldName, dataSourceName: text(c, c.dataSourceName, 'dataSourceName'), ...templates });
      }
    } else if (cdk.CfnElement.isCfnElement(c) && isTable(c)) {
      // Only the fields a table needs here: the rest (billing, SSE, streams) may hold conditions.
      const { tableName: name, keySchema, attributeDefinitions, globalSecondaryIndexes, localSecondaryIndexes } = props(c);
      // An Amplify-managed table's construct keeps adding attribute definitions (one per index key,
      // addGlobalSecondaryIndex) after its custom resource copied the list, and a custom primary key
      // (`.identifier([...])`) replaces its key schema by a property override: read the construct's own.
      type ManagedTable = { attributeDefinitions?: unknown; keySchema?: unknown };
      let managed: ManagedTable | undefined;
      for (let scope: IConstruct | undefined = c.node.scope; scope && managed === undefined; scope = scope.node.scope) {
        if ((scope as ManagedTable).attributeDefinitions !== undefined) managed = scope as ManagedTable;
      }
      const picked = {
        tableName: name,
        keySchema: Array.isArray(managed?.keySchema) && managed.keySchema.length > 0 ? managed.keySchema : keySchema,
        attributeDefinitions: Array.isArray(managed?.attributeDefinitions) ? managed.attributeDefinitions : attributeDefinitions,
        globalSecondaryIndexes,
        localSecondaryIndexes,
      };
      tables.push(createTableInput(value(c, picked) as unknown as TableProps));
    }
  }
  if (schema === undefined) throw new Error('Amplify transform: the transformer produced no schema');
  return { schema, tables, dataSources, functions, resolvers, mappingTemplates };
}

interface KeyElement {
  attributeName: string;
  keyType: 'HASH' | 'RANGE';
}
interface Index {
  indexName: string;
  keySchema: KeyElement[];
  projection?: { projectionType?: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; nonKeyAttributes?: string[] };
}
/** The table properties both table kinds carry (CloudFormation's, in CDK's camelCase). */
interface TableProps {
  tableName: string;
  keySchema: KeyElement[];
  attributeDefinitions: Array<{ attributeName: string; attributeType: 'S' | 'N' | 'B' }>;
  globalSecondaryIndexes?: Index[];
  localSecondaryIndexes?: Index[];
}

/** CreateTable input for dynalite: keys, attributes and indexes; on-demand billing. */
function createTableInput(p: TableProps): CreateTableCommandInput {
  const keys = (k: KeyElement[]) => k.map(({ attributeName, keyType }) => ({ AttributeName: attributeName, KeyType: keyType }));
  const index = (i: Index) => ({
    IndexName: i.indexName,
    KeySchema: keys(i.keySchema),
    Projection: { ProjectionType: i.projection?.projectionType ?? 'ALL', ...(i.projection?.nonKeyAttributes ? { NonKeyAttributes: i.projection.nonKeyAttributes } : {}) },
  });
  return {
    TableName: p.tableName,
    KeySchema: keys(p.keySchema),
    AttributeDefinitions: p.attributeDefinitions.map(({ attributeName, attributeType }) => ({ AttributeName: attributeName, AttributeType: attributeType })),
    BillingMode: 'PAY_PER_REQUEST',
    ...(p.globalSecondaryIndexes?.length ? { GlobalSecondaryIndexes: p.globalSecondaryIndexes.map(index) } : {}),
    ...(p.localSecondaryIndexes?.length ? { LocalSecondaryIndexes: p.localSecondaryIndexes.map(index) } : {}),
  };
}

function randomId(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

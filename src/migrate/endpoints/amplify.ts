/**
 * AWS Amplify (Gen 2) as a migration endpoint, with the admin access of AWS credentials: the AWS
 * SDK v3 clients an admin would use (amplify-aws.ts), never the app's AppSync API, so access rules
 * (owner, signed-in, groups) do not apply and no user must be signed in.
 *
 * - Documents: the DynamoDB tables AppSync resolves the `portabaseModels` models to, one per model,
 *   named `<Model>-<apiId>-NONE` (Gen 2's naming; `tables`/`apiId` options, else found by ListTables).
 *   Read by consistent Scan pages (tombstones skipped), written by BatchWriteItem as the items the
 *   adapter's resolvers store (amplify-items.ts): set semantics, the source's `updateTime` kept.
 * - Files: S3 (amplify-files.ts), with the adapter's metadata encoding and storage prefix.
 * - Remote config: the `PortabaseConfig` table (`portabaseConfigModel`), one item per key.
 *   Written straight to DynamoDB, a change reaches no subscribed client (only GraphQL mutations do).
 * - Users: Cognito (amplify-users.ts): no password hashes either way; new ids (Cognito assigns
 *   `sub`), returned as the import's id map; `uidFields` rewrites documents' owner fields with it.
 */
import { readFile } from 'node:fs/promises'
import { PortabaseError } from '../../errors.js'
import type { ConfigScalar } from '../../types.js'
import { modelInfos, type ModelInfo } from '../../../adapters/amplify/graphql.js'
import { CONFIG_MODEL, type AmplifyCollection } from '../../../adapters/amplify/schema.js'
import type { Endpoint } from '../endpoint.js'
import { assertUidFields } from '../uid-map.js'
import { awsError, loadCognito, loadDynamo, loadS3, type AwsAccess, type CognitoAccess } from './amplify-aws.js'
import { amplifyFiles } from './amplify-files.js'
import { docOfItem, itemOfDoc, LIVE_FILTER } from './amplify-items.js'
import { cognitoUsers } from './amplify-users.js'

export interface AmplifyEndpointOptions {
  /** `amplify_outputs.json`: its path, or the parsed object. */
  outputs: string | AmplifyOutputsLike
  /** The app's collections, as given to `portabaseModels` and `amplify({ collections })`. */
  collections: readonly AmplifyCollection[]
  /** Default: the outputs' data (else auth) region. */
  region?: string
  /** Static AWS credentials; default: the SDK's default chain (AWS_* env, profiles, SSO, roles). */
  credentials?: AwsAccess['credentials']
  /** The AppSync API id in the table names (`Todo-<apiId>-NONE`), when the account holds several Gen 2 backends. */
  apiId?: string
  /** Table per model name, overriding the naming rule (`{ Todo: 'Todo-abc…-NONE' }`). */
  tables?: Record<string, string>
  /** As the adapter's `storage` option: the S3 key prefix (`'media/'`) and bucket name. */
  storage?: { prefix?: string; bucket?: string }
  /** Endpoints other than AWS's: local simulators (dynalite, s3rver, cognito-local) or VPC endpoints. */
  endpoints?: AwsAccess['endpoints']
  /**
   * As a target of users: top-level document fields holding uids (`['owner']` for `owner`
   * collections), rewritten to the `sub`s Cognito assigns as documents are written.
   */
  uidFields?: string[]
}

/** The parts of `amplify_outputs.json` read here. */
export interface AmplifyOutputsLike {
  auth?: { aws_region?: string; user_pool_id?: string }
  data?: { aws_region?: string; url?: string }
  storage?: { aws_region?: string; bucket_name?: string; buckets?: { name: string; bucket_name: string; aws_region?: string }[] }
}

const bad = (message: string, option: string): PortabaseError => new PortabaseError('invalid-argument', `An amplify endpoint ${message}`, { details: { option } })
const BATCH_WRITE = 25
const BATCH_GET = 100

export async function amplifyEndpoint(options: AmplifyEndpointOptions): Promise<Endpoint> {
  const outputs = await readOutputs(options?.outputs)
  const uidFields = assertUidFields(options.uidFields, 'An amplify endpoint')
  if (!Array.isArray(options.collections)) throw bad("needs options.collections (the app's collections, as given to portabaseModels)", 'collections')
  let models: Map<string, ModelInfo>
  try {
    models = modelInfos(options.collections)
  } catch (error) {
    throw bad(`has invalid collections: ${error instanceof Error ? error.message : String(error)}`, 'collections')
  }
  const region = options.region ?? outputs.data?.aws_region ?? outputs.auth?.aws_region
  if (typeof region !== 'string' || region.length === 0) throw bad('needs options.region (the outputs name none)', 'region')
  const { credentials } = options
  if (credentials !== undefined && (typeof credentials?.accessKeyId !== 'string' || typeof credentials.secretAccessKey !== 'string')) {
    throw bad('needs options.credentials as { accessKeyId, secretAccessKey, sessionToken? }', 'credentials')
  }
  const access: AwsAccess = { region, credentials, endpoints: options.endpoints }
  const dynamo = await loadDynamo(access)
  const { sdk, util, client } = dynamo
  const marshall = (value: Record<string, unknown>) => util.marshall(value, { removeUndefinedValues: true })
  // Numbers as doubles, as AppSync serves them (AWS's Java side), even past 2^53.
  const unmarshall = (item: Record<string, unknown>) => util.unmarshall(item as never, { wrapNumbers: (n: string) => Number(n) }) as Record<string, unknown>

  async function send<T>(command: unknown, what: string): Promise<T> {
    try {
      return (await client.send(command as never)) as T
    } catch (error) {
      throw awsError(error, what)
    }
  }

  const tableCache = new Map<string, Promise<string>>()
  const tableOf = (model: string): Promise<string> => {
    let found = tableCache.get(model)
    if (!found) tableCache.set(model, (found = findTable(model)))
    return found
  }
  async function findTable(model: string): Promise<string> {
    const named = options.tables?.[model] ?? (options.apiId ? `${model}-${options.apiId}-NONE` : undefined)
    if (named) return named
    const pattern = new RegExp(`^${model}-([a-z0-9]+)-NONE$`)
    const matches: string[] = []
    let start: string | undefined
    do {
      const page = await send<{ TableNames?: string[]; LastEvaluatedTableName?: string }>(new sdk.ListTablesCommand({ ExclusiveStartTableName: start }), 'ListTables')
      matches.push(...(page.TableNames ?? []).filter((name) => pattern.test(name)))
      start = page.LastEvaluatedTableName
    } while (start)
    if (matches.length === 1) return matches[0]!
    if (matches.length === 0) throw new PortabaseError('failed-precondition', `Amplify migration: no DynamoDB table ${model}-<apiId>-NONE in ${region}: deploy the model (portabaseModels), or name its table in options.tables`, { provider: 'amplify' })
    throw new PortabaseError('failed-precondition', `Amplify migration: several tables for ${model} in ${region} (${matches.join(', ')}): set options.apiId or options.tables`, { provider: 'amplify' })
  }

  const modelOf = (collection: string): ModelInfo => {
    const m = models.get(collection)
    if (!m) throw new PortabaseError('invalid-argument', `Amplify migration: collection ${collection} is not in options.collections (its model and typed fields)`, { provider: 'amplify' })
    return m
  }

  /** A consistent Scan from `start`, `limit` live items at most; the key after the last item read. */
  async function scan(table: string, start: Record<string, unknown> | undefined, limit: number, select?: 'COUNT'): Promise<{ items: Record<string, unknown>[]; count: number; next: Record<string, unknown> | undefined }> {
    const items: Record<string, unknown>[] = []
    let count = 0
    let next = start
    do {
      const page = await send<{ Items?: Record<string, unknown>[]; Count?: number; LastEvaluatedKey?: Record<string, unknown> }>(
        new sdk.ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: next as never, Limit: select ? undefined : limit - items.length, Select: select, ...LIVE_FILTER }),
        `Scan ${table}`,
      )
      items.push(...(page.Items ?? []).map(unmarshall))
      count += page.Count ?? 0
      next = page.LastEvaluatedKey
      // A filtered page can come back short: read on until the page is full or the table ends.
    } while (next && (select || items.length < limit))
    return { items, count, next }
  }

  async function readByIds(collection: string, ids: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
    const table = await tableOf(modelOf(collection).model)
    const found = new Map<string, Record<string, unknown>>()
    for (let i = 0; i < ids.length; i += BATCH_GET) {
      let keys: Record<string, unknown>[] | undefined = [...new Set(ids.slice(i, i + BATCH_GET))].map((id) => marshall({ id }))
      for (let attempt = 0; keys && keys.length > 0; attempt++) {
        if (attempt > 0) await backoff(attempt)
        const answer: { Responses?: Record<string, Record<string, unknown>[]>; UnprocessedKeys?: Record<string, { Keys?: Record<string, unknown>[] }> } = await send(
          new sdk.BatchGetItemCommand({ RequestItems: { [table]: { Keys: keys as never, ConsistentRead: true } } }),
          `BatchGetItem ${table}`,
        )
        for (const raw of answer.Responses?.[table] ?? []) {
          const item = unmarshall(raw)
          if (item.pbDeleted !== true) found.set(String(item.id), item)
        }
        keys = answer.UnprocessedKeys?.[table]?.Keys
      }
    }
    return found
  }

  /** BatchWriteItem in groups of 25, unprocessed items sent again with backoff. */
  async function batchWrite(table: string, requests: Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < requests.length; i += BATCH_WRITE) {
      let pending: Record<string, unknown>[] | undefined = requests.slice(i, i + BATCH_WRITE)
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0) await backoff(attempt)
        const answer: { UnprocessedItems?: Record<string, Record<string, unknown>[]> } = await send(new sdk.BatchWriteItemCommand({ RequestItems: { [table]: pending as never } }), `BatchWriteItem ${table}`)
        pending = answer.UnprocessedItems?.[table]
      }
    }
  }

  let s3: Awaited<ReturnType<typeof loadS3>> | undefined
  let cognito: CognitoAccess | undefined
  const files = amplifyFiles(async () => (s3 ??= await loadS3(access)), outputs, options.storage)
  const users = cognitoUsers(async () => (cognito ??= await loadCognito(access)), outputs.auth?.user_pool_id)

  return {
    label: `amplify (${region}${options.apiId ? `, api ${options.apiId}` : ''}${options.endpoints?.dynamodb ? `, ${options.endpoints.dynamodb}` : ''})`,
    capabilities: { timestamps: 'preserved', resume: 'reconcile' },
    documents: {
      async readPage(collection, cursor, limit) {
        const m = modelOf(collection)
        const start = cursor === null ? undefined : (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>)
        const { items, next } = await scan(await tableOf(m.model), start, limit)
        return { docs: items.map((item) => docOfItem(m, item)), cursor: next ? Buffer.from(JSON.stringify(next)).toString('base64url') : null }
      },
      async count(collection) {
        // COST: a Scan of the whole table (DynamoDB bills a COUNT like the read), for progress bars only.
        return (await scan(await tableOf(modelOf(collection).model), undefined, 0, 'COUNT')).count
      },
      async writePage(collection, docs) {
        const m = modelOf(collection)
        const requests = docs.map((doc) => ({ PutRequest: { Item: marshall(itemOfDoc(m, doc)) } }))
        await batchWrite(await tableOf(m.model), requests)
      },
      async readByIds(collection, ids) {
        const m = modelOf(collection)
        const found = await readByIds(collection, ids)
        return new Map([...found].map(([id, item]) => [id, docOfItem(m, item)]))
      },
      async listCollections() {
        return [...models.keys()]
      },
    },
    files,
    config: {
      async read() {
        const table = await tableOf(CONFIG_MODEL)
        const values: Record<string, ConfigScalar> = {}
        let start: Record<string, unknown> | undefined
        do {
          const page = await send<{ Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> }>(new sdk.ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start as never }), `Scan ${table}`)
          for (const raw of page.Items ?? []) {
            const { key, value } = unmarshall(raw)
            // As the adapter serves them: scalars as they are, other JSON as text, nulls not at all.
            if (typeof key !== 'string' || value === null || value === undefined) continue
            values[key] = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : JSON.stringify(value)
          }
          start = page.LastEvaluatedKey
        } while (start)
        return values
      },
      async write(values) {
        const table = await tableOf(CONFIG_MODEL)
        const now = new Date().toISOString()
        const requests = Object.entries(values).map(([key, value]) => ({ PutRequest: { Item: marshall({ key, value, __typename: CONFIG_MODEL, createdAt: now, updatedAt: now }) } }))
        await batchWrite(table, requests)
      },
    },
    users,
    uidFields,
    async close() {
      client.destroy()
      s3?.client.destroy()
      cognito?.client.destroy()
    },
  }
}

async function readOutputs(value: unknown): Promise<AmplifyOutputsLike> {
  if (typeof value === 'string') {
    try {
      return JSON.parse(await readFile(value, 'utf8')) as AmplifyOutputsLike
    } catch (error) {
      throw new PortabaseError('invalid-argument', `An amplify endpoint cannot read options.outputs (${value}): ${error instanceof SyntaxError ? 'invalid JSON' : error instanceof Error ? error.message : 'unknown error'}`, { details: { option: 'outputs' }, cause: error })
    }
  }
  if (typeof value === 'object' && value !== null) return value as AmplifyOutputsLike
  throw bad('needs options.outputs: the path of amplify_outputs.json, or its object', 'outputs')
}

/** 50 ms, 100 ms, … up to 2 s: DynamoDB's advice for unprocessed batch items. */
function backoff(attempt: number): Promise<void> {
  if (attempt > 12) throw new PortabaseError('resource-exhausted', 'Amplify migration: DynamoDB kept returning unprocessed items (throttled); run again with --resume', { provider: 'amplify' })
  return new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** (attempt - 1))))
}

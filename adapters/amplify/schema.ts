/**
 * The Gen 2 data models portabase's Amplify adapter expects, from the app's collections. An app puts
 * them into its `amplify/data/resource.ts`:
 *
 *   import { a, defineData } from '@aws-amplify/backend'
 *   import { portabaseModels } from 'portabase/amplify'
 *   const schema = a.schema({ ...portabaseModels(a, [{ name: 'todos', access: 'owner', fields: { title: 'string', done: 'boolean', due: 'date' }, orderBy: [['due']] }]) })
 *   export const data = defineData({ schema, authorizationModes: { defaultAuthorizationMode: 'userPool', apiKeyAuthorizationMode: { expiresInDays: 30 } } })
 *
 * `a` is passed in (not imported) so this module loads no backend package in apps.
 *
 * AppSync has no schemaless documents: each collection is a typed `a.model()` whose fields are the
 * declared ones (capability `mixedFieldTypes: false`), plus portabase's bookkeeping:
 * - `pbPart`: the same value (`'all'`) on every item, the partition key of the collection's
 *   secondary indexes — DynamoDB orders only within a partition, and a Scan is unordered;
 * - `pbWriteId`: the offline engine's write id of the last write (exactly-once replays);
 * - `pbDeleted`: a deletion kept as a tombstone for the delta feed (sync);
 * - `pbNulls`: top-level fields explicitly set to null (an update's null REMOVEs the attribute);
 * - `id` and `updatedAt`: declared so indexes can sort on them (the transformer does not find
 *   implicit fields); its resolvers still generate ids and set `updatedAt` on every write.
 * Indexes (each `pbPart` + sort keys; query field `list<Model><Index>`): `pbById` (`id`: every
 * unordered query is in id order),
 * `pbFeed` (`updatedAt`, `id`: the delta feed), and one per declared `orderBy` (its fields, then `id`).
 * One partition per collection is what makes a total order possible; DynamoDB caps a partition's
 * throughput (a few thousand writes per second per index), which this design accepts.
 */
import type { a as DataSchemaBuilder } from '@aws-amplify/data-schema'

export type AmplifyFieldType = 'string' | 'number' | 'integer' | 'boolean' | 'date' | 'json' | 'string[]' | 'number[]'

export interface AmplifyCollection {
  /** The portabase collection name (`app.db.collection(name)`). */
  name: string
  /** The model (GraphQL type) name. Default: the name with its first letter upper-cased. */
  model?: string
  /**
   * `public`: anyone (API key when signed out, user-pool token when signed in). `signedIn`: signed-in
   * users. `owner`: only the user whose uid is the document's `owner` field. Default `public`.
   */
  access?: 'public' | 'signedIn' | 'owner'
  /** The document's top-level fields and their types. Dates are `date` (AWSDateTime). */
  fields: Record<string, AmplifyFieldType>
  /**
   * Orderings queries may use, each a list of string/number/integer/boolean/date fields (ties
   * break by id); one secondary index each. A query may use an ordering with every field ascending
   * or every field descending; any other orderBy is refused with `unsupported`.
   */
  orderBy?: readonly (readonly string[])[]
}

export const BOOKKEEPING_FIELDS = ['pbPart', 'pbWriteId', 'pbDeleted', 'pbNulls', 'updatedAt', 'createdAt', 'owner'] as const
/** The owner attribute of `owner` collections (`<sub>::<username>`); documents show it as `owner`, the uid. */
export const OWNER = 'owner'
/** The value of `pbPart` on every item. */
export const PARTITION = 'all'
const FIELD = /^[a-z][A-Za-z0-9]{0,62}$/

type Builder = typeof DataSchemaBuilder

/**
 * The model attribute a document field is stored in. Fields named like the model's own
 * (`id`, `createdAt`, `updatedAt`, `owner`) or like portabase's bookkeeping (`pb` + a capital) are
 * ordinary document fields: they are stored as `pbField<Name>` (`id` → `pbFieldId`). In an `owner`
 * collection, `owner` is the owner rule's own attribute.
 */
export function attributeOf(field: string, access: AmplifyCollection['access']): string {
  if (field === OWNER && access === 'owner') return OWNER
  const reserved = field === 'id' || (BOOKKEEPING_FIELDS as readonly string[]).includes(field) || /^pb[A-Z]/.test(field)
  return reserved ? `pbField${field.charAt(0).toUpperCase()}${field.slice(1)}` : field
}

/** The model name of a collection. */
export function modelNameOf(collection: Pick<AmplifyCollection, 'name' | 'model'>): string {
  const model = collection.model ?? collection.name.charAt(0).toUpperCase() + collection.name.slice(1)
  if (!/^[A-Z][A-Za-z0-9]{0,63}$/.test(model)) throw new TypeError(`portabaseModels(): "${model}" is not a model name (a letter, then letters and digits)`)
  return model
}

/** Field types a declared ordering may use (order-key.ts encodes them). */
export const ORDERABLE_TYPES: readonly AmplifyFieldType[] = ['string', 'number', 'integer', 'boolean', 'date']

/** The index for an ordering, and its sort-key attribute: `pbBy_<fields>` (index names are per table). */
export function indexNameOf(fields: readonly string[]): string {
  return `pbBy_${fields.join('_')}`
}

/** An index's query field: query fields are schema-wide, so the model name is in it (`listTodosPbById`). */
export function queryFieldOf(model: string, index: string): string {
  return `list${model}${index.charAt(0).toUpperCase()}${index.slice(1)}`
}

function fieldOf(a: Builder, type: AmplifyFieldType) {
  switch (type) {
    case 'string':
      return a.string()
    case 'number':
      return a.float()
    case 'integer':
      return a.integer()
    case 'boolean':
      return a.boolean()
    case 'date':
      return a.datetime()
    case 'json':
      return a.json()
    case 'string[]':
      return a.string().array()
    case 'number[]':
      return a.float().array()
    default:
      throw new TypeError(`portabaseModels(): unknown field type ${JSON.stringify(type)}`)
  }
}

/** One `a.model()` per collection, keyed by model name: spread into `a.schema({ … })`. */
export function portabaseModels(a: Builder, collections: readonly AmplifyCollection[]) {
  const models: Record<string, ReturnType<typeof modelOf>> = {}
  for (const collection of collections) {
    const name = modelNameOf(collection)
    if (models[name]) throw new TypeError(`portabaseModels(): two collections map to the model ${name}`)
    models[name] = modelOf(a, collection)
  }
  return models
}

function modelOf(a: Builder, collection: AmplifyCollection) {
  const fields: Record<string, ReturnType<typeof fieldOf>> = {}
  for (const [field, type] of Object.entries(collection.fields)) {
    if (!FIELD.test(field)) throw new TypeError(`portabaseModels(): field "${field}" of ${collection.name} is not a GraphQL field name (a lower-case letter, then letters and digits)`)
    if (field === OWNER && collection.access === 'owner') {
      if (type !== 'string') throw new TypeError(`portabaseModels(): the owner field of ${collection.name} holds the owner's uid: declare it 'string' (or leave it out)`)
      continue // the owner rule's attribute, added below
    }
    fields[attributeOf(field, collection.access)] = fieldOf(a, type)
  }
  const model = modelNameOf(collection)
  // The feed and id indexes sort on model attributes; each declared ordering on its own key
  // attribute (order-key.ts), which encodes the fields' values and the id in portabase's order.
  const orderings = [['id'], ['updatedAt', 'id'], ...(collection.orderBy ?? []).map((fields) => [indexNameOf(fields)])]
  const orderKeys: Record<string, ReturnType<typeof fieldOf>> = {}
  for (const ordering of collection.orderBy ?? []) {
    if (ordering.length === 0) throw new TypeError(`portabaseModels(): an orderBy of ${collection.name} is empty`)
    for (const field of ordering) {
      const type = collection.fields[field]
      if (type === undefined) throw new TypeError(`portabaseModels(): orderBy field "${field}" of ${collection.name} is not declared`)
      if (!ORDERABLE_TYPES.includes(type)) throw new TypeError(`portabaseModels(): orderBy field "${field}" of ${collection.name} is ${type}: orderings take string, number, integer, boolean and date fields`)
    }
    orderKeys[indexNameOf(ordering)] = a.string()
  }
  const built = a
    .model({
      // Declared (not implicit) so indexes can sort on them.
      id: a.id().required(),
      ...fields,
      pbPart: a.string().required(),
      pbWriteId: a.string(),
      pbDeleted: a.boolean(),
      pbNulls: a.string().array(),
      updatedAt: a.datetime(),
      ...orderKeys,
      ...(collection.access === 'owner' ? { owner: a.string() } : {}),
    })
    .secondaryIndexes((index) =>
      orderings.map((ordering) => {
        const [first, ...rest] = ordering as [string, ...string[]]
        const name = ordering[0] === 'id' ? 'pbById' : ordering[0] === 'updatedAt' && ordering.length === 2 ? 'pbFeed' : ordering[0]!
        return index('pbPart' as never)
          .sortKeys([first, ...rest] as never)
          .name(name)
          .queryField(queryFieldOf(model, name))
      }),
    )
  if (collection.access === 'owner') return built.authorization((allow) => [allow.owner()])
  if (collection.access === 'signedIn') return built.authorization((allow) => [allow.authenticated()])
  return built.authorization((allow) => [allow.publicApiKey(), allow.authenticated()])
}

// ------------------------------------------------------------------ functions and remote config

/** Who may call a portabase function or read the remote config: as `AmplifyCollection['access']` (no `owner`). */
export type AmplifyCallerAccess = 'public' | 'signedIn'

/** A Gen 2 function handler: a `defineFunction()` result, or the name of a function given in `defineData({ functions })`. */
export type AmplifyFunctionHandler = Parameters<Builder['handler']['function']>[0]

/**
 * A portabase function (`app.functions.call(name, input)`) as a Gen 2 custom query, keyed by the
 * function's name in `a.schema({ … })` — the query field IS the portabase name, so it must be a
 * GraphQL name (letters, digits, `_`; no `-`):
 *
 *   const echo = defineFunction({ entry: './echo.ts' })
 *   a.schema({ echo: portabaseFunction(a, echo) })
 *
 * It is what a Gen 2 app writes by hand: `input: a.json()` in, `a.json()` out, the Lambda as the
 * handler. The Lambda gets the input as `event.arguments.input` (AppSync parses AWSJSON) and the
 * caller as `event.identity` (null with the API key; `sub` = the portabase uid). To fail with a
 * neutral code it throws `functionError(code, message)` (functions.ts). `access`: `public` (default:
 * API key or any signed-in user) or `signedIn`.
 */
export function portabaseFunction(a: Builder, handler: AmplifyFunctionHandler, options: { access?: AmplifyCallerAccess } = {}) {
  const query = a.query().arguments({ input: a.json() }).returns(a.json()).handler(a.handler.function(handler))
  return options.access === 'signedIn' ? query.authorization((allow) => [allow.authenticated()]) : query.authorization((allow) => [allow.publicApiKey(), allow.authenticated()])
}

/** The remote-config model's name: the adapter reads `listPortabaseConfigs` and its subscriptions. */
export const CONFIG_MODEL = 'PortabaseConfig'
/** The user-pool group allowed to write the remote config, unless `adminGroup` says otherwise. */
export const CONFIG_ADMIN_GROUP = 'portabaseAdmins'

/**
 * The remote config (`app.config`) as a model to spread into `a.schema({ … })`: one item per key,
 * `{ key, value }` with `value` any JSON (strings, numbers and booleans are served as they are,
 * other values as JSON text). Readable (get, list, subscriptions) with the API key and by any
 * signed-in user (`access: 'signedIn'`: signed-in users only); written only by the members of the
 * user-pool group `adminGroup` — through GraphQL mutations, which is also what makes the change
 * reach listening clients (a write straight to the DynamoDB table triggers no subscription).
 */
export function portabaseConfigModel(a: Builder, options: { adminGroup?: string; access?: AmplifyCallerAccess } = {}) {
  const adminGroup = options.adminGroup ?? CONFIG_ADMIN_GROUP
  const model = a.model({ key: a.string().required(), value: a.json() }).identifier(['key'])
  return {
    PortabaseConfig:
      options.access === 'signedIn'
        ? model.authorization((allow) => [allow.authenticated().to(['read']), allow.groups([adminGroup])])
        : model.authorization((allow) => [allow.publicApiKey().to(['read']), allow.authenticated().to(['read']), allow.groups([adminGroup])]),
  }
}

/**
 * For Gen 1 apps (Amplify CLI, GraphQL Transformer v2): the `schema.graphql` text of these
 * collections — the same models portabaseModels() builds for Gen 2 (and, with `config`, the
 * remote-config model), rendered by Amplify's data-schema as the `@model`/`@auth`/`@index` SDL the
 * transformer takes. Write it to `amplify/backend/api/<api>/schema.graphql` and `amplify push`.
 * Functions are left out: a Gen 1 `@function` names the Lambda with its `-${env}` suffix, which only
 * the app knows; declare them in the same file by hand (adapter README).
 *
 *   import { a } from '@aws-amplify/data-schema'
 *   writeFileSync('amplify/backend/api/app/schema.graphql', portabaseGraphQLSchema(a, collections, { config: true }))
 */
export function portabaseGraphQLSchema(a: Builder, collections: readonly AmplifyCollection[], options: { config?: boolean; configAdminGroup?: string } = {}): string {
  const models = { ...portabaseModels(a, collections), ...(options.config ? portabaseConfigModel(a, { adminGroup: options.configAdminGroup }) : {}) }
  return a.schema(models as never).transform().schema
}

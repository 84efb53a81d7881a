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
  /** Orderings queries may use, each a list of fields (the id is appended); one secondary index each. */
  orderBy?: readonly (readonly string[])[]
}

export const BOOKKEEPING_FIELDS = ['pbPart', 'pbWriteId', 'pbDeleted', 'pbNulls', 'updatedAt', 'createdAt', 'owner'] as const
/** The value of `pbPart` on every item. */
export const PARTITION = 'all'
const FIELD = /^[a-z][A-Za-z0-9]{0,62}$/

type Builder = typeof DataSchemaBuilder

/** The model name of a collection. */
export function modelNameOf(collection: Pick<AmplifyCollection, 'name' | 'model'>): string {
  const model = collection.model ?? collection.name.charAt(0).toUpperCase() + collection.name.slice(1)
  if (!/^[A-Z][A-Za-z0-9]{0,63}$/.test(model)) throw new TypeError(`portabaseModels(): "${model}" is not a model name (a letter, then letters and digits)`)
  return model
}

/** The index for an ordering: `pbBy_<fields>` (index names are per table). */
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
    if (!FIELD.test(field) || (BOOKKEEPING_FIELDS as readonly string[]).includes(field) || field === 'id') {
      throw new TypeError(`portabaseModels(): field "${field}" of ${collection.name} is reserved or not a GraphQL field name`)
    }
    fields[field] = fieldOf(a, type)
  }
  const model = modelNameOf(collection)
  const orderings = [['id'], ['updatedAt', 'id'], ...(collection.orderBy ?? []).map((fields) => [...fields, 'id'])]
  for (const ordering of collection.orderBy ?? []) {
    for (const field of ordering) if (!(field in collection.fields)) throw new TypeError(`portabaseModels(): orderBy field "${field}" of ${collection.name} is not declared`)
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
      ...(collection.access === 'owner' ? { owner: a.string() } : {}),
    })
    .secondaryIndexes((index) =>
      orderings.map((ordering) => {
        const [first, ...rest] = ordering as [string, ...string[]]
        const name = ordering[0] === 'id' ? 'pbById' : ordering[0] === 'updatedAt' && ordering.length === 2 ? 'pbFeed' : indexNameOf(ordering.slice(0, -1))
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

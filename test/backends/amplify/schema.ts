/**
 * The Gen 2 data schema (`a.schema()` from @aws-amplify/data-schema) the Amplify test backend
 * serves, built from a list of collections.
 *
 * AppSync has no schemaless "document" type: every collection is a typed `a.model()`. For now
 * each model carries the same Todo-like fields plus a free-form `data` JSON field; the adapter
 * will refine the fields (sync fields, secondary indexes) in this one function.
 *
 * Access per collection (the transformer turns each into its own authorization resolvers):
 * - `public`   — anyone, signed in or not: `allow.publicApiKey()` (API key) and
 *                `allow.authenticated()` (a Cognito user-pool token) — FIXTURES.md's default;
 * - `signedIn` — any signed-in user: `allow.authenticated()`;
 * - `owner`    — only the user in the item's `owner` field: `allow.owner()` (the transformer adds
 *                that field, `<sub>::<username>`, and fills it in on create).
 */
import { a } from '@aws-amplify/data-schema';
import { modelNameOf, portabaseConfigModel, portabaseFunction, portabaseModels, type AmplifyCollection } from '../../../adapters/amplify/schema.js';

export type CollectionAccess = 'public' | 'signedIn' | 'owner';
/**
 * A bare name is a `public` collection. A spec with `fields` is a portabase collection: its model
 * is the one the Amplify adapter expects (`portabaseModels`, adapters/amplify/schema.ts).
 */
export type CollectionSpec = string | { name: string; access: CollectionAccess } | AmplifyCollection;

/** What `startAmplifyBackend()` serves when given no collections. */
export const DEFAULT_COLLECTIONS: readonly CollectionSpec[] = [
  { name: 'todos', access: 'signedIn' },
  { name: 'notes', access: 'owner' },
  { name: 'notices', access: 'public' },
];

/** The GraphQL model (type) name of a collection: `todos` → `Todos`, `my-things` → `My_things`. */
export function modelName(collection: string): string {
  const name = collection.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z]/.test(name)) throw new Error(`Amplify test backend: collection "${collection}" has no valid GraphQL type name`);
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/**
 * What the schema serves besides the collections: `functions`, custom queries through
 * `portabaseFunction` (the handler is named by string, as `defineData({ functions })` allows; the
 * transform maps each name to its Lambda); `config`, the `portabaseConfigModel` model.
 */
export interface SchemaExtras {
  functions?: readonly string[];
  config?: boolean;
}

/** The `a.schema()` for these collections (one model each; see the file comment). */
export function buildDataSchema(collections: readonly CollectionSpec[] = DEFAULT_COLLECTIONS, extras: SchemaExtras = {}) {
  const models: Record<string, ReturnType<typeof model>> = {};
  const portabase: AmplifyCollection[] = [];
  for (const spec of collections) {
    if (typeof spec === 'object' && 'fields' in spec) {
      portabase.push(spec);
      continue;
    }
    const { name, access } = typeof spec === 'string' ? { name: spec, access: 'public' as const } : spec;
    const type = modelName(name);
    if (models[type]) throw new Error(`Amplify test backend: collections map to the same model ${type}`);
    models[type] = model(access);
  }
  for (const spec of portabase) if (models[modelNameOf(spec)]) throw new Error(`Amplify test backend: collections map to the same model ${modelNameOf(spec)}`);
  const functions = Object.fromEntries((extras.functions ?? []).map((name) => [name, portabaseFunction(a, name)]));
  for (const name of Object.keys(functions)) if (models[name]) throw new Error(`Amplify test backend: function ${name} clashes with a model`);
  return a.schema({ ...models, ...portabaseModels(a, portabase), ...functions, ...(extras.config ? portabaseConfigModel(a) : {}) } as typeof models);
}

/** The `@model`/`@auth`/`@function` GraphQL SDL Gen 2 hands to the transformer (what `defineData` does with it). */
export function schemaSdl(collections: readonly CollectionSpec[] = DEFAULT_COLLECTIONS, extras: SchemaExtras = {}): string {
  return buildDataSchema(collections, extras).transform().schema;
}

function model(access: CollectionAccess) {
  const fields = { title: a.string(), done: a.boolean(), priority: a.integer(), data: a.json() };
  if (access === 'owner') return a.model(fields).authorization((allow) => [allow.owner()]);
  if (access === 'signedIn') return a.model(fields).authorization((allow) => [allow.authenticated()]);
  return a.model(fields).authorization((allow) => [allow.publicApiKey(), allow.authenticated()]);
}

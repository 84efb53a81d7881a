/**
 * Migration config files: small JSON or JS modules naming an adapter, its options (with the admin
 * credentials the vendor needs) and what to move. A JS module may export the config, or a function
 * (async too) returning it, and may pass a ready adapter instead of a name (a memory adapter it
 * seeded, an adapter signed in as an account the access rules let through).
 *
 *   export default {
 *     adapter: 'parse',
 *     options: { serverURL: 'https://parse.example.com/parse', appId: 'APP', masterKey: process.env.PARSE_MASTER_KEY },
 *     collections: ['todos', 'lists'],
 *     storage: { prefixes: ['avatars/'] },
 *     config: { keys: ['theme', 'maxItems'] },   // or true for every key
 *     users: true,
 *   }
 *
 * Option values are never printed: errors name the option, not its value.
 */
import { readFile } from 'node:fs/promises'
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'
import { PortabaseError } from '../errors.js'
import { assertCollectionName } from '../names.js'
import type { Adapter } from '../spi.js'
import { memory, type MemoryOptions } from '../../adapters/memory/index.js'
import { parse } from '../../adapters/parse/index.js'
import type { Endpoint } from './endpoint.js'
import { adapterEndpoint } from './endpoints/adapter.js'
import { backupReader, backupWriter, type BackupManifest } from './endpoints/backup.js'
import { isMemoryAdapter, memoryEndpoint } from './endpoints/memory.js'
import { parseEndpoint, type ParseEndpointOptions } from './endpoints/parse.js'
import type { Selection } from './selection.js'

export const ADAPTER_NAMES = ['memory', 'parse', 'backup', 'firebase', 'supabase', 'amplify'] as const

export interface EndpointConfig {
  /** An adapter name, an adapter instance, or a ready migration endpoint (src/migrate/endpoint.ts). */
  adapter: (typeof ADAPTER_NAMES)[number] | Adapter | Endpoint
  options?: Record<string, unknown>
  /** Collections to move (a backup source knows its own). */
  collections?: string[]
  /** Storage prefixes to move ('' for every file), or false. */
  storage?: { prefixes: string[] } | false
  /** Remote config: true for every key, or the keys to move. */
  config?: boolean | { keys: string[] }
  /** Move user accounts (needs admin access on both sides). */
  users?: boolean
}

const bad = (file: string, message: string): PortabaseError => new PortabaseError('invalid-argument', `${path.basename(file)}: ${message}`)

export async function loadConfigFile(file: string): Promise<EndpointConfig> {
  const absolute = path.resolve(file)
  let loaded: unknown
  try {
    if (absolute.endsWith('.json')) loaded = JSON.parse(await readFile(absolute, 'utf8'))
    else {
      const module = (await import(pathToFileURL(absolute).href)) as { default?: unknown }
      loaded = module.default ?? module
    }
  } catch (error) {
    throw new PortabaseError('invalid-argument', `Cannot load the config file ${file}: ${error instanceof SyntaxError ? 'invalid JSON or JavaScript' : error instanceof Error ? error.message : 'unknown error'}`, { cause: error })
  }
  if (typeof loaded === 'function') loaded = await (loaded as () => unknown)()
  return validateConfig(loaded, file)
}

export function validateConfig(value: unknown, file = 'config'): EndpointConfig {
  if (typeof value !== 'object' || value === null) throw bad(file, 'must export an object { adapter, options, collections, … }')
  const config = value as EndpointConfig
  const { adapter } = config
  if (typeof adapter === 'string' ? !(ADAPTER_NAMES as readonly string[]).includes(adapter) : typeof adapter !== 'object' || adapter === null) {
    throw bad(file, `adapter must be one of ${ADAPTER_NAMES.join(', ')}, or an adapter instance`)
  }
  if (config.options !== undefined && (typeof config.options !== 'object' || config.options === null)) throw bad(file, 'options must be an object')
  if (config.collections !== undefined) {
    if (!Array.isArray(config.collections)) throw bad(file, 'collections must be an array of names')
    config.collections.forEach((name) => assertCollectionName(name))
  }
  if (config.storage !== undefined && config.storage !== false && !(Array.isArray(config.storage?.prefixes) && config.storage.prefixes.every((p) => typeof p === 'string'))) {
    throw bad(file, "storage must be { prefixes: ['avatars/', …] } or false")
  }
  if (config.config !== undefined && typeof config.config !== 'boolean' && !(Array.isArray(config.config?.keys) && config.config.keys.every((k) => typeof k === 'string'))) {
    throw bad(file, "config must be true, false or { keys: ['theme', …] }")
  }
  if (config.users !== undefined && typeof config.users !== 'boolean') throw bad(file, 'users must be true or false')
  return config
}

const isEndpoint = (value: object): value is Endpoint => typeof (value as Endpoint).documents?.readPage === 'function' && typeof (value as Endpoint).close === 'function'

/** The endpoint a config names. `side` matters for backups: read from, or written to. */
export async function openEndpoint(config: EndpointConfig, side: 'source' | 'target'): Promise<Endpoint> {
  const { adapter, options = {} } = config
  if (typeof adapter === 'object') {
    if (isEndpoint(adapter)) return adapter
    return isMemoryAdapter(adapter) ? memoryEndpoint(adapter) : adapterEndpoint(adapter)
  }
  switch (adapter) {
    case 'memory':
      // A fresh in-process backend: useful as a target in scripts; a source needs an instance it seeded.
      return memoryEndpoint(memory(options as MemoryOptions))
    case 'parse': {
      const parseOptions = options as unknown as ParseEndpointOptions
      return parseEndpoint(parseOptions, async () =>
        parse({ serverURL: parseOptions.serverURL, appId: parseOptions.appId, javascriptKey: parseOptions.javascriptKey, filesClass: parseOptions.filesClass, liveQueryServerURL: false }),
      )
    }
    case 'backup': {
      const dir = options.dir
      if (typeof dir !== 'string' || dir.length === 0) throw new PortabaseError('invalid-argument', 'A backup endpoint needs options.dir')
      return side === 'source' ? backupReader(dir) : backupWriter(dir)
    }
    case 'supabase': {
      // Loaded on use: it needs the optional peer @supabase/supabase-js.
      const { supabaseEndpoint } = await import('./endpoints/supabase.js')
      return supabaseEndpoint(options as unknown as import('./endpoints/supabase.js').SupabaseEndpointOptions)
    }
    case 'amplify': {
      // Loaded on use: it loads the AWS SDK v3 clients (optional peers) and the amplify adapter's codec.
      const { amplifyEndpoint } = await import('./endpoints/amplify.js')
      return amplifyEndpoint(options as unknown as import('./endpoints/amplify.js').AmplifyEndpointOptions)
    }
    case 'firebase': {
      // firebase-admin (an optional peer) is imported only when a firebase endpoint is used.
      const { firebaseEndpoint } = await import('./endpoints/firebase.js')
      return firebaseEndpoint(options as unknown as import('./endpoints/firebase.js').FirebaseEndpointOptions)
    }
    default:
      throw new PortabaseError(
        'unsupported',
        `No admin driver for ${adapter} yet: export an adapter instance from a JS config instead (documents and files then move through the adapter, as its signed-in user; see docs/migrate.md)`,
      )
  }
}

/** What to move: the source's selection, else what a backup holds. */
export async function selectionOf(config: EndpointConfig, source: Endpoint, overrides: { collections?: string[] } = {}): Promise<Selection> {
  const manifest = (source as Endpoint & { manifest?: BackupManifest }).manifest
  let collections = overrides.collections ?? config.collections
  if (!collections) {
    if (!source.documents.listCollections) throw new PortabaseError('invalid-argument', `Name the collections to move (collections: [...] in the source config, or --collections)`)
    collections = await source.documents.listCollections()
  }
  collections.forEach((name) => assertCollectionName(name))
  const storagePrefixes = config.storage ? config.storage.prefixes : config.storage === undefined && manifest && manifest.files.count > 0 ? [''] : []
  const configKeys = config.config === true ? 'all' : config.config ? config.config.keys : config.config === undefined && manifest && manifest.config.keys > 0 ? 'all' : null
  const users = config.users ?? (manifest !== undefined && manifest.users.count > 0)
  return { collections, storagePrefixes, configKeys, users }
}

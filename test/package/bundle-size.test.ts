/**
 * Bundle budgets: typical apps bundled from the built package (dist/, `npm run build`) as an app's
 * bundler would (esbuild, browser, minified, gzip; rxjs and the vendor SDKs external: they are
 * peer dependencies the app pays for either way). Prints the sizes; fails over budget, and when
 * code an app did not import (the offline engine, the ordered-index list) ends up in its bundle.
 */
import { build, stop, type Metafile, type Plugin } from 'esbuild'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const root = join(__dirname, '..', '..')
const KB = 1024

// esbuild's service is a child process: left running, it keeps Jest from exiting.
afterAll(() => stop())

/**
 * Targets of #15 in gzip bytes: the app on the memory adapter; each vendor adapter's own code on top
 * of core. Not met yet (see docs/bundles.md): until they are, each bundle has a ceiling a little above
 * its measured size, so growth fails here; lower a ceiling when a cut lands, never raise it lightly.
 */
const TARGET = { memory: 15 * KB, vendor: 6 * KB }
const CEILING: Record<string, number> = {
  core: 14.2 * KB,
  memory: 25 * KB,
  parse: 19.4 * KB,
  firebase: 10.8 * KB,
  'firebase: auth + firestore': 9 * KB,
  'firebase: firestore alone': 7.7 * KB,
  supabase: 10.8 * KB,
  amplify: 17.6 * KB,
}

/** Classes that must not be in a bundle that did not import them. */
const OFFLINE_ENGINE = 'OfflineEngine'
const SORTED_LIST = 'SortedList'

const VENDORS = ['parse', 'firebase', 'supabase', 'amplify'] as const
/** A vendor's app (`firebase`, or one of its variants `firebase: …`): measured over core, against the vendor target. */
const isVendorApp = (name: string): boolean => VENDORS.some((vendor) => name === vendor || name.startsWith(`${vendor}:`))

/** The typical apps: each imports what such an app imports and creates its client. */
const APPS: Record<string, string> = {
  core: `import { createClient } from 'portabase'; export const start = (adapter) => createClient({ adapter })`,
  memory: `import { createClient } from 'portabase'; import { memory } from 'portabase/memory'; export const app = createClient({ adapter: memory() })`,
  'memory + offline': `import { createClient } from 'portabase'; import { memory } from 'portabase/memory'; import { offline, indexedDbStore } from 'portabase/offline'
    export const app = createClient({ adapter: memory(), offline: offline({ store: indexedDbStore({ name: 'app' }), collections: { todos: {} } }) })`,
  ...Object.fromEntries(
    VENDORS.map((vendor) => [vendor, `import { createClient } from 'portabase'; import { ${vendor} } from 'portabase/${vendor}'; export const start = (options) => createClient({ adapter: ${vendor}(options) })`]),
  ),
  // Firebase's services are plug-ins: every one of them, as the other adapters bring all theirs.
  firebase: `import { createClient } from 'portabase'
    import { firebase, firebaseAuth, firestore, firebaseStorage, firebaseFunctions, firebaseRemoteConfig } from 'portabase/firebase'
    export const start = (config) => createClient({ adapter: firebase({ config, services: { auth: firebaseAuth(), documents: firestore(), storage: firebaseStorage(), functions: firebaseFunctions(), config: firebaseRemoteConfig() } }) })`,
  // The common Firebase app: Firestore and Auth only. It carries neither the other services nor their error tables.
  'firebase: auth + firestore': `import { createClient } from 'portabase'; import { firebase, firebaseAuth, firestore } from 'portabase/firebase'
    export const start = (config) => createClient({ adapter: firebase({ config, services: { auth: firebaseAuth(), documents: firestore() } }) })`,
  // The smallest vendor app there is: one service (documents) of the one adapter split by service.
  'firebase: firestore alone': `import { createClient } from 'portabase'; import { firebase, firestore } from 'portabase/firebase'
    export const start = (config) => createClient({ adapter: firebase({ config, services: { documents: firestore() } }) })`,
}

/**
 * Each vendor app again, with its SDK bundled in (rxjs still external): the backend code such an app
 * ships, of which portabase's own is a share. Parse is handed its SDK, as bundled apps do.
 */
const WITH_SDK: Record<(typeof VENDORS)[number], string> = {
  parse: `import Parse from 'parse'; import { createClient } from 'portabase'; import { parse } from 'portabase/parse'; export const start = (options) => createClient({ adapter: parse({ ...options, Parse }) })`,
  firebase: APPS.firebase!,
  supabase: APPS.supabase!,
  amplify: APPS.amplify!,
}

/** The vendor SDKs and rxjs: peer dependencies, never part of portabase's size. */
const EXTERNAL = ['rxjs', 'rxjs/*', 'parse', 'parse/*', 'firebase', 'firebase/*', '@supabase/*', 'aws-amplify', 'aws-amplify/*', '@aws-amplify/*']

/** Resolves `portabase` and `portabase/<entry>` through package.json `exports` (import condition), as an installed package. */
function packageExports(): Plugin {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { import: { default: string } } | string> }
  return {
    name: 'portabase-exports',
    setup(b) {
      b.onResolve({ filter: /^portabase(\/.*)?$/ }, ({ path }) => {
        const target = pkg.exports[path === 'portabase' ? '.' : `./${path.slice('portabase/'.length)}`]
        if (target === undefined || typeof target === 'string') return { errors: [{ text: `package.json exports no ${path}` }] }
        return { path: join(root, target.import.default) }
      })
    },
  }
}

interface Bundle {
  gzip: number
  minified: number
  /** The same bundle with identifiers kept (tree-shaken alike): where to look for what it holds. */
  readable: string
  /** The dist/ files it took code from. */
  inputs: string[]
}

/** One esbuild run of an app, as an app's bundler would make it. */
function buildApp(source: string, external: string[], minifyIdentifiers: boolean) {
  return build({
    stdin: { contents: source, resolveDir: root, loader: 'js' },
    bundle: true,
    minifyWhitespace: true,
    minifySyntax: true,
    minifyIdentifiers,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    external,
    // What an app's bundler defines for the SDKs' own checks.
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [packageExports()],
    logLevel: 'silent',
  })
}

async function bundle(source: string): Promise<Bundle> {
  const [sized, readable] = await Promise.all([buildApp(source, EXTERNAL, true), buildApp(source, EXTERNAL, false)])
  const code = sized.outputFiles[0]!.contents
  const meta: Metafile = sized.metafile
  const inputs = Object.entries(Object.values(meta.outputs)[0]!.inputs)
  return {
    gzip: gzipSync(code).length,
    minified: code.length,
    readable: readable.outputFiles[0]!.text,
    inputs: inputs.filter(([file, input]) => input.bytesInOutput > 0 && file.startsWith('dist/')).map(([file]) => file),
  }
}

/** gzip bytes of an app with its vendor SDK bundled in (only rxjs external): one minified run, no readable copy. */
async function gzipWithSdk(source: string): Promise<number> {
  return gzipSync((await buildApp(source, ['rxjs', 'rxjs/*'], true)).outputFiles[0]!.contents).length
}

/** Whether the bundle defines the class (`class X`, or `X = class` once minified; a renamed X gets a digit). */
function holds(b: Bundle, className: string): boolean {
  return new RegExp(`\\bclass ${className}\\d*\\b|\\b${className}\\d*\\s*=\\s*class\\b`).test(b.readable)
}

const kb = (bytes: number): string => `${(bytes / KB).toFixed(1)} kB`

const bundles = new Map<string, Bundle>()

/**
 * Why the memory target is out of reach by splitting services alone: `createClient` + `memory()`
 * bundled from src/ with every service but documents replaced by an empty stub (core's auth,
 * storage, functions, config and session clients; the memory adapter's auth, storage, functions and
 * config), i.e. what a documents-only app would pay if each other service were a plug-in it did not
 * import. Printed next to the budgets (see docs/bundles.md).
 */
const DOCUMENTS_ONLY_STUBS: Record<string, string> = {
  'src/client/auth.ts': 'export class AuthClient {}',
  'src/client/storage.ts': 'export class StorageClient {}',
  'src/client/functions.ts': 'export class FunctionsClient {}',
  'src/client/config.ts': 'export class ConfigClient { close() {} }',
  'src/client/session.ts': 'export const startSessionPersistence = () => undefined',
  'adapters/memory/auth.ts': 'export class MemoryAuth {}',
  'adapters/memory/storage.ts': 'export class MemoryStorage {}',
  'adapters/memory/services.ts': 'export class MemoryConfig {}; export class MemoryFunctions {}',
}

async function documentsOnlyFloor(): Promise<number> {
  const stubs: Plugin = {
    name: 'documents-only-stubs',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, ({ path }) => {
        const stub = DOCUMENTS_ONLY_STUBS[path.slice(root.length + 1)]
        return stub === undefined ? undefined : { contents: stub, loader: 'ts' }
      })
    },
  }
  const result = await build({
    stdin: { contents: `import { createClient } from './src/index'; import { memory } from './adapters/memory/index'; export const app = createClient({ adapter: memory() })`, resolveDir: root, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    external: EXTERNAL,
    plugins: [stubs],
    logLevel: 'silent',
  })
  return gzipSync(result.outputFiles[0]!.contents).length
}
let documentsOnly = 0
/** gzip bytes of each vendor app with its SDK bundled in. */
const withSdk = new Map<string, number>()

beforeAll(async () => {
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
  for (const [name, source] of Object.entries(APPS)) bundles.set(name, await bundle(source))
  const core = bundles.get('core')!
  const rows = [...bundles].map(([name, b]) => {
    const vendor = isVendorApp(name)
    const measured = vendor ? b.gzip - core.gzip : b.gzip
    const target = name === 'memory' ? TARGET.memory : vendor ? TARGET.vendor : undefined
    const cells = [
      name.padEnd(26),
      `${kb(b.minified).padStart(9)} min`,
      `${kb(b.gzip).padStart(8)} gz`,
      name === 'core' ? ''.padEnd(16) : `+${kb(b.gzip - core.gzip)} vs core`.padEnd(16),
      target === undefined ? '' : `target ${vendor ? '+' : ''}${kb(target)}: ${measured <= target ? 'met' : 'not met'}`,
    ]
    return `  ${cells.join('  ')}`
  })
  for (const vendor of VENDORS) withSdk.set(vendor, await gzipWithSdk(WITH_SDK[vendor]))
  rows.push('  with the vendor SDK bundled in (rxjs external): portabase\'s share of the backend code the app ships')
  for (const vendor of VENDORS) {
    const own = get(vendor).gzip
    const all = withSdk.get(vendor)!
    rows.push(`  ${vendor.padEnd(26)}  ${kb(all).padStart(8)} gz in all, portabase ${kb(own)} = ${((own / all) * 100).toFixed(1)}%`)
  }
  documentsOnly = await documentsOnlyFloor()
  rows.push(`  ${'floor: memory, documents only (other services stubbed, from src/)'}  ${kb(documentsOnly)} gz  target ${kb(TARGET.memory)}: ${documentsOnly <= TARGET.memory ? 'within' : 'over'}`)
  console.log(`Bundle sizes (esbuild, browser, minified, gzip; rxjs and vendor SDKs external):\n${rows.join('\n')}`)
}, 120_000)

const get = (name: string): Bundle => bundles.get(name)!

describe('bundle budgets (dist/)', () => {
  test.each(Object.keys(CEILING))('%s stays under its ceiling (gzip; vendors: over core)', (name) => {
    const size = isVendorApp(name) ? get(name).gzip - get('core').gzip : get(name).gzip
    expect(size).toBeLessThanOrEqual(CEILING[name]!)
  })

  test('the ceilings are no looser than the targets allow: where a target is met, the ceiling is the target', () => {
    for (const [name, ceiling] of Object.entries(CEILING)) {
      const target = name === 'memory' ? TARGET.memory : isVendorApp(name) ? TARGET.vendor : undefined
      const size = isVendorApp(name) ? get(name).gzip - get('core').gzip : get(name).gzip
      if (target !== undefined && size <= target) expect({ name, ceiling }).toEqual({ name, ceiling: target })
    }
  })

  test('with its SDK bundled in, each vendor app holds portabase and the SDK: more than portabase alone', () => {
    for (const vendor of VENDORS) expect({ vendor, sdkBytes: withSdk.get(vendor)! - get(vendor).gzip > 10 * KB }).toEqual({ vendor, sdkBytes: true })
  })

  test('the documents-only floor is a strict part of the memory app (the stubs took services out)', () => {
    expect(documentsOnly).toBeGreaterThan(0)
    expect(documentsOnly).toBeLessThan(get('memory').gzip - 2 * KB)
  })

  test('offline adds nothing unless imported: the engine is only in the app that imports portabase/offline', () => {
    for (const name of ['core', 'memory', ...VENDORS]) expect({ name, engine: holds(get(name), OFFLINE_ENGINE) }).toEqual({ name, engine: false })
    expect(holds(get('memory + offline'), OFFLINE_ENGINE)).toBe(true)
    expect(get('memory + offline').gzip).toBeGreaterThan(get('memory').gzip)
  })

  test('portabase/offline is its own entry: dist/offline.js, which core does not reach', () => {
    expect(get('memory + offline').inputs).toContain('dist/offline.js')
    for (const name of ['core', 'memory']) expect(get(name).inputs).not.toContain('dist/offline.js')
  })

  test('the ordered-index list is only in bundles with the memory adapter or the offline engine', () => {
    for (const vendor of ['core', ...VENDORS]) expect({ vendor, list: holds(get(vendor), SORTED_LIST) }).toEqual({ vendor, list: false })
    expect(holds(get('memory'), SORTED_LIST)).toBe(true)
    expect(holds(get('memory + offline'), SORTED_LIST)).toBe(true)
  })
})

/**
 * Checks the built package (dist/, made by `npm run build`) as a user installs it: every subpath
 * export resolves from `import` and from `require`, its types exist, and core pulls in no vendor SDK.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join } from 'node:path'

const root = join(__dirname, '..', '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { import: { types: string; default: string }; require: { types: string; default: string } }>
}

/** A named export each entry must have. */
const expectedExport: Record<string, string> = {
  '.': 'createClient',
  './memory': 'memory',
  './testing': 'createTestClient',
  './conformance': 'runContractSuite',
  './parse': 'parse',
  './firebase': 'firebase',
  './supabase': 'supabase',
  './amplify': 'amplify',
  './offline': 'offline',
  './offline/node': 'fileStore',
  './mirror': 'mirror',
}

const entries = Object.entries(pkg.exports).filter(([key]) => key !== './package.json')

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim()
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
})

describe('package exports (dist/)', () => {
  test('every export in package.json has a test expectation', () => {
    expect(entries.map(([key]) => key).sort()).toEqual(Object.keys(expectedExport).sort())
  })

  describe.each(entries)('%s', (subpath, target) => {
    const specifier = subpath === '.' ? 'portabase' : `portabase/${subpath.slice(2)}`
    const name = expectedExport[subpath]!
    const conditions = typeof target === 'string' ? null : target

    test('resolves with import', () => {
      const out = node(['--input-type=module', '-e', `const m = await import('${specifier}'); console.log(typeof m.${name})`])
      expect(out).toBe('function')
    })

    test('resolves with require', () => {
      const out = node(['-e', `const m = require('${specifier}'); console.log(typeof m.${name})`])
      expect(out).toBe('function')
    })

    test('ships type declarations for both module systems', () => {
      expect(conditions).not.toBeNull()
      expect(existsSync(join(root, conditions!.import.types))).toBe(true)
      expect(existsSync(join(root, conditions!.require.types))).toBe(true)
    })
  })

  test('errors thrown by an adapter are instances of the core PortabaseError (one class, shared chunk)', () => {
    const script = `
      const { createClient, PortabaseError } = await import('portabase')
      const { memory } = await import('portabase/memory')
      const app = createClient({ adapter: memory() })
      const err = await app.db.collection('todos').doc('nope').update({ a: 1 }).catch((e) => e)
      console.log(err instanceof PortabaseError, err.code)
      await app.dispose()`
    expect(node(['--input-type=module', '-e', script])).toBe('true not-found')
  })

  test('errors of portabase/offline/node are the core PortabaseError as well', () => {
    const script = `
      const { PortabaseError } = await import('portabase')
      const { fileStore } = await import('portabase/offline/node')
      try { fileStore({ directory: '' }) } catch (err) { console.log(err instanceof PortabaseError, err.code) }`
    expect(node(['--input-type=module', '-e', script])).toBe('true invalid-argument')
  })

  test('core and memory import no vendor SDK (ESM graph and CJS require cache)', () => {
    const vendor = /from\s*["'](parse|firebase|@supabase|aws-amplify)[/"']|require\(["'](parse|firebase|@supabase|aws-amplify)[/"']/
    const seen = new Set<string>()
    const visit = (file: string): void => {
      if (seen.has(file)) return
      seen.add(file)
      const code = readFileSync(join(root, 'dist', file), 'utf8')
      expect({ file, vendorImport: vendor.test(code) }).toEqual({ file, vendorImport: false })
      for (const match of code.matchAll(/from\s*["']\.\/([^"']+)["']/g)) visit(match[1]!)
    }
    visit('index.js')
    visit('memory.js')
    expect(seen.size).toBeGreaterThan(2)
    const loaded = node(['-e', `require('portabase'); require('portabase/memory'); console.log(Object.keys(require.cache).filter((p) => /node_modules\\/(parse|firebase|@supabase|aws-amplify)\\//.test(p)).length)`])
    expect(loaded).toBe('0')
  })

  test('only portabase/offline/node imports Node built-ins: core, memory, testing, offline, conformance and mirror stay browser-safe', () => {
    const builtin = (specifier: string): boolean => builtinModules.includes(specifier.replace(/^node:/, ''))
    const imports = (file: string): string[] =>
      [...readFileSync(join(root, 'dist', file), 'utf8').matchAll(/from\s*["']([^"']+)["']/g)].map((match) => match[1]!)
    const seen = new Set<string>()
    const found: string[] = []
    const visit = (file: string): void => {
      if (seen.has(file)) return
      seen.add(file)
      for (const specifier of imports(file)) {
        if (specifier.startsWith('./')) visit(specifier.slice(2))
        else if (builtin(specifier)) found.push(`${file}: ${specifier}`)
      }
    }
    for (const entry of ['index.js', 'memory.js', 'testing.js', 'offline.js', 'conformance.js', 'mirror.js']) visit(entry)
    expect(found).toEqual([])
    expect(imports('offline/node.js').filter(builtin)).toContain('fs/promises')
  })
})

import { existsSync } from 'node:fs'
import { defineConfig } from 'tsup'

/** One entry per subpath export; shared code goes to common chunks so `PortabaseError` exists once. */
const entries: Record<string, string> = {
  index: 'src/index.ts',
  memory: 'adapters/memory/index.ts',
  testing: 'adapters/memory/testing.ts',
  conformance: 'src/conformance/index.ts',
  parse: 'adapters/parse/index.ts',
  firebase: 'adapters/firebase/index.ts',
  supabase: 'adapters/supabase/index.ts',
  amplify: 'adapters/amplify/index.ts',
  offline: 'src/offline/index.ts',
  'offline/node': 'src/offline/node/index.ts',
  mirror: 'adapters/mirror/index.ts',
  // The `portabase` bin (migrate, export, import): Node only, never imported by the library.
  cli: 'src/migrate/cli.ts',
}

export default defineConfig({
  entry: Object.fromEntries(Object.entries(entries).filter(([, file]) => existsSync(file))),
  format: ['esm', 'cjs'],
  dts: true,
  splitting: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  // Vendor SDKs are optional peer dependencies: never bundled.
  external: ['rxjs', /^parse(\/.*)?$/, /^firebase(\/.*)?$/, /^firebase-admin(\/.*)?$/, /^@supabase\//, /^aws-amplify(\/.*)?$/, /^@aws-amplify\//, /^@aws-sdk\//],
  tsconfig: 'tsconfig.build.json',
})

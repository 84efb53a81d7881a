/**
 * Tree-shaking: an app that uses only auth + documents must not bundle Storage or Remote Config.
 * Bundles a tiny app with esbuild (installed with tsup) and looks for code of those SDK modules.
 */
import * as path from 'node:path'

interface EsbuildResult {
  outputFiles: { text: string }[]
  metafile: { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> }
}
interface Esbuild {
  build(options: Record<string, unknown>): Promise<EsbuildResult>
  stop(): Promise<void>
}

const root = path.resolve(__dirname, '../..')
// eslint-disable-next-line @typescript-eslint/no-require-imports
const esbuild = require('esbuild') as Esbuild
// esbuild's service is a child process: left running, it keeps Jest from exiting.
afterAll(() => esbuild.stop())

async function bundle(source: string): Promise<EsbuildResult> {
  return esbuild.build({
    stdin: { contents: source, resolveDir: root, loader: 'ts', sourcefile: 'app.ts' },
    bundle: true,
    write: false,
    outdir: 'out',
    metafile: true,
    format: 'esm',
    platform: 'browser',
    treeShaking: true,
    logLevel: 'silent',
  })
}

/** Source files with code in the output (esbuild lists every file it parsed under metafile.inputs, so use outputs). */
const inputs = (result: EsbuildResult): string[] =>
  Object.values(result.metafile.outputs).flatMap((o) => Object.entries(o.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([file]) => file))

describe('firebase adapter bundle', () => {
  jest.setTimeout(60_000)

  it('an auth + documents app bundles neither storage nor remote-config code', async () => {
    const result = await bundle(`
      import { firebase, firebaseAuth, firestore } from './adapters/firebase/index.ts'
      export const adapter = firebase({ config: { apiKey: 'k', projectId: 'p', appId: 'a' }, services: { auth: firebaseAuth(), documents: firestore() } })
    `)
    const files = inputs(result)
    // Positive control: the services asked for are there.
    expect(files.some((f) => f.includes('@firebase/auth/'))).toBe(true)
    expect(files.some((f) => f.includes('@firebase/firestore/'))).toBe(true)
    expect(files.filter((f) => /@firebase\/(storage|remote-config|functions)\//.test(f))).toEqual([])
    expect(files.filter((f) => /adapters\/firebase\/(storage|remote-config|functions)\.ts$/.test(f))).toEqual([])
    const text = result.outputFiles[0]!.text
    expect(text).not.toContain('firebasestorage.googleapis.com')
    expect(text).not.toContain('firebaseremoteconfig.googleapis.com')
  })

  it('asking for storage does bundle it (the check above can see it)', async () => {
    const result = await bundle(`
      import { firebase, firebaseStorage } from './adapters/firebase/index.ts'
      export const adapter = firebase({ config: { apiKey: 'k', projectId: 'p', appId: 'a', storageBucket: 'b' }, services: { storage: firebaseStorage() } })
    `)
    expect(inputs(result).some((f) => f.includes('@firebase/storage/'))).toBe(true)
    expect(result.outputFiles[0]!.text).toContain('firebasestorage.googleapis.com')
    expect(inputs(result).some((f) => f.includes('@firebase/firestore/'))).toBe(false)
  })

  it("a Firestore app bundles the sync service and the other services' error tables only when it imports them", async () => {
    const app = (documents: string, imports = '') => `
      import { firebase, firestore${imports} } from './adapters/firebase/index.ts'
      export const adapter = firebase({ config: { apiKey: 'k', projectId: 'p', appId: 'a' }, services: { documents: ${documents} } })
    `
    const plain = inputs(await bundle(app('firestore()')))
    expect(plain.filter((f) => /adapters\/firebase\/(firestore-sync|auth-errors|storage-errors|remote-config-errors)\.ts$/.test(f))).toEqual([])
    // Positive control: the same check sees the sync service when the app asks for offline collections.
    const offline = inputs(await bundle(app('firestore({ offline: firestoreOffline() })', ', firestoreOffline')))
    expect(offline.some((f) => f.endsWith('adapters/firebase/firestore-sync.ts'))).toBe(true)
  })
})

/**
 * Picks the backend. This is the only file that names vendors; the app (app.ts) never does.
 */
import type { Adapter } from '../../src/index.js'
import { memory } from '../../adapters/memory/index.js'

export interface Backend {
  adapter: Adapter
  stop(): Promise<void>
}

/** The server side of the demo on the memory backend: what cloud code holds on a real one. */
async function memoryBackend(): Promise<Backend> {
  const adapter = memory({
    config: { welcome: 'Hello from the memory backend', showCompleted: true },
    functions: {
      sendInvite: (input, { auth }) => ({ invited: (input as { email: string }).email, by: auth?.uid ?? null }),
    },
  })
  return { adapter, stop: async () => undefined }
}

async function parseBackend(): Promise<Backend> {
  // Loaded only when asked for, so the memory demo needs no Parse packages.
  const [{ parse }, { startParseServer }] = await Promise.all([import('../../adapters/parse/index.js'), import('../../test/backends/parse/server.js')])
  const external = process.env.PARSE_SERVER_URL
  if (external) {
    const appId = process.env.PARSE_APP_ID
    if (!appId) throw new Error('PARSE_APP_ID is required with PARSE_SERVER_URL')
    const adapter = parse({ serverURL: external, appId, javascriptKey: process.env.PARSE_JAVASCRIPT_KEY, liveQueryServerURL: process.env.PARSE_LIVEQUERY_URL })
    return { adapter, stop: async () => undefined }
  }
  const server = await startParseServer()
  const adapter = parse({ serverURL: server.serverURL, appId: server.appId, javascriptKey: server.javascriptKey, liveQueryServerURL: server.liveQueryServerURL })
  return { adapter, stop: () => server.stop() }
}

/**
 * Firebase: a real project (FIREBASE_CONFIG = the web config as JSON, with the `sendInvite` callable
 * from test/backends/firebase/functions deployed), or the local emulators. Firestore's emulator
 * needs Java 21, so it is not started here: run it yourself (`firebase emulators:start --only
 * firestore --project demo-portabase`) and set FIRESTORE_EMULATOR_HOST; auth, functions and storage
 * emulators are started for you.
 */
async function firebaseBackend(): Promise<Backend> {
  const fb = await import('../../adapters/firebase/index.js')
  const services = { auth: fb.firebaseAuth(), documents: fb.firestore(), storage: fb.firebaseStorage(), functions: fb.firebaseFunctions() }
  const projectConfig = process.env.FIREBASE_CONFIG
  if (projectConfig) return { adapter: fb.firebase({ config: JSON.parse(projectConfig) as Record<string, string>, services }), stop: async () => undefined }
  const firestoreHost = process.env.FIRESTORE_EMULATOR_HOST
  if (!firestoreHost) {
    throw new Error(
      'The Firestore emulator cannot run on this machine (it needs Java 21). Set FIRESTORE_EMULATOR_HOST=host:port ' +
        'to a Firestore emulator you run (project demo-portabase), or FIREBASE_CONFIG to a real project\'s web config (JSON).',
    )
  }
  const [firestoreName = '127.0.0.1', firestorePort = '8080'] = firestoreHost.split(':')
  const { startFirebaseEmulators } = await import('../../test/backends/firebase/emulators.js')
  const emulators = await startFirebaseEmulators()
  const { host, authPort, functionsPort, storagePort, projectId, storageBucket } = emulators
  const adapter = fb.firebase({
    config: { apiKey: 'demo-key', projectId, appId: 'demo-app', storageBucket },
    emulators: {
      auth: { host, port: authPort },
      functions: { host, port: functionsPort },
      storage: { host, port: storagePort },
      firestore: { host: firestoreName, port: Number(firestorePort) },
    },
    services,
  })
  return { adapter, stop: () => emulators.stop() }
}

/**
 * Supabase: a real project (hosted, or `supabase start`) with SUPABASE_URL and SUPABASE_ANON_KEY,
 * prepared once as adapters/supabase/README.md ("Running the example") says: the SQL for a `todos`
 * collection, the `sendInvite` Edge Function (examples/todo/supabase/functions), email
 * confirmation off. No Supabase server runs on this project's machines, so there is no local default.
 */
async function supabaseBackend(): Promise<Backend> {
  const url = process.env.SUPABASE_URL
  const anonKey = process.env.SUPABASE_ANON_KEY
  if (!url || !anonKey) {
    throw new Error('The Supabase example needs a project: set SUPABASE_URL and SUPABASE_ANON_KEY (see adapters/supabase/README.md, "Running the example").')
  }
  const [{ supabase }, { default: WebSocket }] = await Promise.all([import('../../adapters/supabase/index.js'), import('ws')])
  const adapter = supabase({ url, anonKey, WebSocket })
  return { adapter, stop: async () => undefined }
}

/**
 * Amplify Gen 2: a deployed app (AMPLIFY_OUTPUTS = the path of its amplify_outputs.json), built from
 * examples/todo/amplify (see adapters/amplify/README.md, "Running the example"), or by default the
 * local test backend: Amplify's own GraphQL transformer on the AppSync simulator over dynalite,
 * cognito-local and s3rver (test/backends/amplify), serving the same collections, `sendInvite` and
 * the config model. The local run needs the harness's Node shims (test/backends/amplify/shims.ts):
 * real AWS needs only a global WebSocket on Node 20.
 */
async function amplifyBackend(): Promise<Backend> {
  const [{ amplify }, { collections, STORAGE_PREFIX }] = await Promise.all([import('../../adapters/amplify/index.js'), import('./amplify/collections.js')])
  const outputsPath = process.env.AMPLIFY_OUTPUTS
  if (outputsPath) {
    const { readFile } = await import('node:fs/promises')
    const outputs = await readFile(outputsPath, 'utf8').then(
      (text) => JSON.parse(text) as object,
      (error: Error) => {
        throw new Error(`AMPLIFY_OUTPUTS=${outputsPath}: cannot read the amplify_outputs.json of your Gen 2 app (${error.message}); see adapters/amplify/README.md, "Running the example"`)
      },
    )
    // aws-amplify's subscriptions (watch, config updates) need a WebSocket: Node 22 has one, Node 20 not.
    if (typeof globalThis.WebSocket === 'undefined') {
      const { WebSocket } = await import('ws')
      globalThis.WebSocket = WebSocket as unknown as typeof globalThis.WebSocket
    }
    return { adapter: amplify({ outputs, collections, storage: { prefix: STORAGE_PREFIX } }), stop: async () => undefined }
  }
  const [{ startAmplifyBackend }, shims] = await Promise.all([import('../../test/backends/amplify/server.js'), import('../../test/backends/amplify/shims.js')])
  const backend = await startAmplifyBackend({
    collections: [...collections],
    functions: true, // the contract fixtures and the example's sendInvite (test/backends/amplify/lambda.ts)
    config: { welcome: 'Hello from the local Amplify backend', showCompleted: true },
  })
  const undo = [shims.installWebSocketShim(), shims.installS3FetchRewrite(backend.s3Endpoint)]
  const stop = async (): Promise<void> => {
    await backend.stop()
    undo.splice(0).reverse().forEach((step) => step())
  }
  // aws-amplify warns that the user pool endpoint is not AWS's: here it is cognito-local on purpose.
  const warn = console.warn
  console.warn = (...args: unknown[]) => (/custom Amazon .*Cognito User Pool endpoint/.test(String(args[0])) ? undefined : warn(...args))
  try {
    const adapter = amplify({
      outputs: backend.outputs,
      userPoolEndpoint: backend.cognitoEndpoint,
      authFlowType: 'USER_PASSWORD_AUTH', // cognito-local has no SRP
      credentialsProvider: shims.localCredentialsProvider(backend.outputs.auth.aws_region), // no identity pool locally
      collections,
      storage: { prefix: STORAGE_PREFIX },
    })
    return { adapter, stop }
  } catch (error) {
    await stop()
    throw error
  } finally {
    console.warn = warn
  }
}

export const backends: Record<string, () => Promise<Backend>> = {
  memory: memoryBackend,
  parse: parseBackend,
  firebase: firebaseBackend,
  supabase: supabaseBackend,
  amplify: amplifyBackend,
}

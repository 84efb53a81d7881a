/**
 * Offline crash test on the local Amplify backend (test/backends/amplify: Amplify's transformer and
 * resolvers on the AppSync simulator over dynalite): a child process flushing the outbox through
 * adapters/amplify/sync.ts is SIGKILLed at random points, RUNS times; after a restart nothing is
 * lost or applied twice (crash-harness.ts describes a run).
 *
 * One backend outlives every run; it serves one fresh collection per run (models are typed and
 * built before the server starts), each declaring the fields crash-plan.ts writes. The child
 * (crash-child.ts, `target: 'amplify'`) reaches the data API through a TCP pass-through it cuts to
 * go offline. Amplify has no increment(): the plan's increments are queued as updates of the
 * cached value plus one (applyCrashWrite), so the expected server state is the same.
 */
import { amplify } from '../../adapters/amplify/index.js'
import type { AmplifyCollection } from '../../adapters/amplify/schema.js'
import { startAmplifyBackend, type AmplifyTestBackend } from '../backends/amplify/server.js'
import { installAdapterTestShims } from '../backends/amplify/shims.js'
import { runCrashTest } from './crash-harness.js'

jest.setTimeout(600_000)

const RUNS = Number(process.env.CRASH_RUNS ?? 30)
/** What crash-plan.ts writes: SEED `{ n, keep }`, creates `{ i, label }`, `x` `{ v }`, `tmp` `{ t }`. */
const FIELDS = { n: 'number', keep: 'boolean', i: 'integer', label: 'string', v: 'number', t: 'integer' } as const
const COLLECTIONS: AmplifyCollection[] = Array.from({ length: RUNS }, (_, i) => ({ name: `crash${i}`, access: 'public', fields: { ...FIELDS } }))

let backend: AmplifyTestBackend | undefined
let undoShim: (() => void) | undefined

const running = (): AmplifyTestBackend => {
  if (!backend) throw new Error('The Amplify test backend is not running (setup failed; see the error above)')
  return backend
}

runCrashTest({
  name: 'Amplify',
  runs: RUNS,
  async setup() {
    // The restart's client watches the collection: Node 20 has no WebSocket (shims.ts).
    undoShim = installAdapterTestShims()
    backend = await startAmplifyBackend({ collections: COLLECTIONS })
  },
  async teardown() {
    await backend?.stop()
    undoShim?.()
  },
  adapter: () => amplify({ outputs: running().outputs, userPoolEndpoint: running().cognitoEndpoint, authFlowType: 'USER_PASSWORD_AUTH', collections: COLLECTIONS }),
  childTarget: () => ({ target: 'amplify', outputs: running().outputs, cognitoEndpoint: running().cognitoEndpoint, collections: COLLECTIONS }),
  collection: (index) => COLLECTIONS[index]!.name,
  // A sync write of 5 documents is 10 requests or more here (a read and a write each): kills up to
  // 400 ms after a trace event land inside it, after some of its writes were applied.
  jitterMs: 400,
})

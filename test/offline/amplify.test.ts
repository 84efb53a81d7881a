/**
 * The offline suite on the local Amplify backend (test/backends/amplify: Amplify's transformer and
 * resolvers on the AppSync simulator over dynalite, cognito-local). The SyncService is
 * adapters/amplify/sync.ts.
 *
 * Each device reaches the data API and Cognito through its own TCP pass-throughs
 * (amplify-network.ts): cut, the device is offline (its HTTP requests fail; its realtime socket
 * stays, as Parse's LiveQuery socket does in parse.test.ts); `failNextWrites` answers its next
 * GraphQL mutations with HTTP 500 (`InternalFailure`).
 *
 * AppSync models are typed and built before the server starts: one backend serves a pool of fresh
 * collections `o1…`, each declaring OFFLINE_FIELDS (every field the offline suite writes, with the
 * one type it has there), plus `owned` (owner rule).
 *
 * Amplify declares no increment() and no anonymous sign-in; the suite's cases that use them assert
 * the refusal and go on with a plain update / a signed-up user (suite.ts).
 */
import { firstValueFrom } from 'rxjs'
import { amplify } from '../../adapters/amplify/index.js'
import type { AmplifyCollection, AmplifyFieldType } from '../../adapters/amplify/schema.js'
import { createClient, type PortabaseClient, type PortabaseError, type RejectedWrite } from '../../src/index.js'
import { offline, memoryStore } from '../../src/offline/index.js'
import { startAmplifyBackend, type AmplifyTestBackend } from '../backends/amplify/server.js'
import { installAdapterTestShims } from '../backends/amplify/shims.js'
import { OWNED } from '../contract/amplify-target.js'
import { failNextMutations, installFaultyFetch, startPassthrough, type Passthrough } from './amplify-network.js'
import { runOfflineSuite, type OfflineTarget } from './suite.js'

jest.setTimeout(120_000)

/**
 * The fields the offline suite (suite.ts) writes into fresh collections. Not FIXTURE_FIELDS: there,
 * `keep` is an integer; the offline suite (and crash-plan.ts) writes `keep: true`.
 */
const OFFLINE_FIELDS: Readonly<Record<string, AmplifyFieldType>> = {
  title: 'string', note: 'string', from: 'string',
  n: 'number', v: 'number',
  i: 'integer', x: 'integer', y: 'integer', other: 'integer',
  done: 'boolean', keep: 'boolean', mine: 'boolean',
}

const PROPERTY_RUNS = Number(process.env.OFFLINE_PROPERTY_RUNS ?? 6)
/**
 * The suite's cases take 37 fresh collections, the Amplify-only case one, the property one per run
 * (and per shrink step, should it fail: the margin).
 */
const POOL = 38 + PROPERTY_RUNS + 14
const COLLECTIONS: AmplifyCollection[] = [...Array.from({ length: POOL }, (_, i): AmplifyCollection => ({ name: `o${i + 1}`, access: 'public', fields: { ...OFFLINE_FIELDS } })), OWNED]

let backend: AmplifyTestBackend | undefined
const passthroughs: Passthrough[] = []
const undo: Array<() => void> = []
let used = 0

// The backend lives for the whole file: the suite's cases, then the Amplify-only ones below.
beforeAll(async () => {
  // Node 20 has no WebSocket, and the simulator reads the auth header where AppSync does not (shims.ts).
  undo.push(installAdapterTestShims(), installFaultyFetch())
  backend = await startAmplifyBackend({ collections: COLLECTIONS })
})

afterAll(async () => {
  await Promise.allSettled(passthroughs.splice(0).map((p) => p.close()))
  await backend?.stop()
  for (const u of undo.splice(0).reverse()) u()
})

function running(): AmplifyTestBackend {
  if (!backend) throw new Error('The Amplify test backend is not running (setup failed; see the error above)')
  return backend
}

/** A device: its own adapter, reaching the data API and Cognito through its own pass-throughs. */
async function device(): Promise<Awaited<ReturnType<OfflineTarget['device']>>> {
  const { outputs: served, cognitoEndpoint } = running()
  const data = await startPassthrough(served.data.url)
  const cognito = await startPassthrough(cognitoEndpoint)
  passthroughs.push(data, cognito)
  const outputs = { ...served, data: { ...served.data, url: data.url(new URL(served.data.url).pathname) } }
  // cognito-local has no SRP: the password flow.
  const adapter = amplify({ outputs, userPoolEndpoint: cognito.url(), authFlowType: 'USER_PASSWORD_AUTH', collections: COLLECTIONS })
  return {
    adapter,
    goOffline: async () => {
      await Promise.all([data.cut(), cognito.cut()])
    },
    goOnline: async () => {
      data.restore()
      cognito.restore()
    },
    failNextWrites: (n: number) => failNextMutations(data.port, n),
  }
}

function freshCollection(): string {
  if (used >= POOL) throw new Error(`offline amplify: the pool of ${POOL} fresh collections is used up; raise POOL`)
  return `o${++used}`
}

runOfflineSuite({
  name: 'amplify (local simulators)',
  async setup() {},
  async teardown() {},
  device,
  freshCollection,
  ownedCollection: () => OWNED.name,
  propertyRuns: PROPERTY_RUNS,
})

describe('offline: Amplify only', () => {
  const clients: PortabaseClient[] = []
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()))
  })

  it('a write that fails with internal holds back the later writes to its document; all land once, in order, after the retry (one sync write: create a fails, update a waits for it)', async () => {
    const col = freshCollection()
    const server = createClient({ adapter: (await device()).adapter })
    const d = await device()
    const app = createClient({ adapter: d.adapter, offline: offline({ store: memoryStore(), collections: { [col]: {} }, retryDelayMs: { initial: 10, max: 100 } }) })
    clients.push(server, app)
    await app.sync.waitForSync()
    const errors: string[] = []
    app.sync.status$.subscribe((s) => {
      if (s.error) errors.push((s.error as PortabaseError).code)
    })
    const rejected: RejectedWrite[] = []
    app.sync.rejected$.subscribe((r) => rejected.push(r))
    await d.goOffline()
    // One sync write: create a, update a, create b. The create of a fails; the update must not run before it.
    await app.db.collection(col).doc('a').set({ n: 0 })
    await app.db.collection(col).doc('a').update({ n: 1 })
    await app.db.collection(col).doc('b').set({ v: 1 })
    d.failNextWrites(1)
    await d.goOnline()
    await app.sync.waitForSync()
    const onServer = Object.fromEntries((await server.db.collection(col).get()).docs.map((doc) => [doc.id, doc.data]))
    expect(onServer).toEqual({ a: { n: 1 }, b: { v: 1 } })
    expect(errors).toContain('internal')
    expect(rejected).toEqual([])
    expect((await firstValueFrom(app.sync.status$)).outcomes).toEqual({ applied: 3, merged: 0, overridden: 0, rejected: 0 })
  })
})

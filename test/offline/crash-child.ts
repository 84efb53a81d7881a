/**
 * Child process of test/offline/crash.test.ts (one per run; the parent SIGKILLs it):
 *
 *   node --import tsx test/offline/crash-child.ts '<json ChildConfig>'
 *
 * 1. Starts a fault proxy (test/backends/proxy.ts) in front of the parent's Parse Server; the
 *    adapter talks to the proxy, so this process can go offline (the SDK holds one server URL per
 *    process: one URL for both phases).
 * 2. Phase 1: opens a client with the file store in `directory`, pulls once (the `seed` document),
 *    goes offline, queues CRASH_WRITES (crash-plan.ts) one by one, checks they are all pending,
 *    disposes the client.
 * 3. Phase 2: back online, a new client on the same directory flushes (small batchSize: many
 *    requests, many commits), then waits for a sync; then it idles until killed.
 *
 * Progress on stdout, one line each (stdout is a pipe: synchronous on Linux, so a line is out
 * before the next step starts): `phase2`, then per push request `fetch`/`fetched`, `send <n>`/
 * `ack <n>` (the sync write of n writes went out / was answered), `pending <n>` (after the local
 * commit that settled them), `flushed`, `synced`. `error <message>` on a failure.
 *
 * With `target: 'amplify'` (crash-amplify.test.ts), the adapter is Amplify's on the parent's local
 * Amplify backend, reached through a TCP pass-through (amplify-network.ts) that is cut in phase 1
 * instead of the fault proxy; the WebSocket shim is installed (the engine's live watch), and an
 * increment is queued as an update of the cached value plus one (Amplify has no increment()).
 */
import { firstValueFrom } from 'rxjs'
import { parse } from '../../adapters/parse/index.js'
import { createClient, type Adapter, type PortabaseClient } from '../../src/index.js'
import { offline } from '../../src/offline/index.js'
import { fileStore } from '../../src/offline/node/index.js'
import { startFaultProxy } from '../backends/proxy.js'
import { applyCrashWrite, CRASH_WRITES, type ChildConfig } from './crash-plan.js'

const say = (line: string): void => void process.stdout.write(`${line}\n`)

/** The backend as the child sees it: a new adapter, and a switch for the network. */
interface ChildBackend {
  adapter(): Adapter
  goOffline(): Promise<void>
  goOnline(): Promise<void>
  increment: boolean
}

async function parseBackend(config: Extract<ChildConfig, { serverURL: string }>): Promise<ChildBackend> {
  const target = new URL(config.serverURL)
  const proxy = await startFaultProxy({ port: Number(target.port) })
  const adapterOptions = {
    serverURL: proxy.url(target.pathname),
    appId: config.appId,
    javascriptKey: config.javascriptKey,
    liveQueryServerURL: false as const,
    transactions: false,
  }
  return { adapter: () => parse(adapterOptions), goOffline: () => proxy.refuse(), goOnline: () => proxy.accept(), increment: true }
}

async function amplifyBackend(config: Extract<ChildConfig, { target: 'amplify' }>): Promise<ChildBackend> {
  // Loaded only here: the Parse runs do not load aws-amplify.
  const [{ amplify }, { installAdapterTestShims }, { startPassthrough }] = await Promise.all([
    import('../../adapters/amplify/index.js'),
    import('../backends/amplify/shims.js'),
    import('./amplify-network.js'),
  ])
  installAdapterTestShims()
  const data = await startPassthrough(config.outputs.data.url)
  const outputs = { ...config.outputs, data: { ...config.outputs.data, url: data.url(new URL(config.outputs.data.url).pathname) } }
  return {
    adapter: () => amplify({ outputs, userPoolEndpoint: config.cognitoEndpoint, authFlowType: 'USER_PASSWORD_AUTH', collections: config.collections }),
    goOffline: () => data.cut(),
    goOnline: async () => data.restore(),
    increment: false,
  }
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as ChildConfig
  const backend = config.target === 'amplify' ? await amplifyBackend(config) : await parseBackend(config)
  const offlineSync = () =>
    offline({
      store: fileStore({ directory: config.directory }),
      collections: { [config.collection]: {} },
      batchSize: config.batchSize,
      retryDelayMs: { initial: 50, max: 200 },
    })

  // ---- phase 1: queue while offline
  const first: PortabaseClient = createClient({ adapter: backend.adapter(), offline: offlineSync() })
  await first.sync.waitForSync()
  if ((await first.db.collection(config.collection).doc('seed').get()) === null) throw new Error('phase 1: the seed document was not pulled')
  await backend.goOffline()
  for (const write of CRASH_WRITES) await applyCrashWrite(first.db.collection(config.collection), write, { increment: backend.increment })
  const queued = (await firstValueFrom(first.sync.status$)).pending
  if (queued !== CRASH_WRITES.length) throw new Error(`phase 1: ${queued} writes pending, expected ${CRASH_WRITES.length}`)
  await first.dispose()
  say(`queued ${queued}`)

  // ---- phase 2: flush, to be killed at some point
  await backend.goOnline()
  const adapter = backend.adapter()
  const sync = adapter.sync!
  const traced: Adapter = Object.create(adapter, {
    sync: {
      value: {
        changes: sync.changes.bind(sync),
        fetch: async (...args: Parameters<typeof sync.fetch>) => {
          say('fetch')
          const records = await sync.fetch(...args)
          say('fetched')
          return records
        },
        write: async (...args: Parameters<typeof sync.write>) => {
          say(`send ${args[0].length}`)
          const outcomes = await sync.write(...args)
          say(`ack ${args[0].length}`)
          const failed = outcomes.filter((o) => !o.ok)
          if (failed.length > 0) say(`error ${failed.length} write(s) failed: ${failed.map((o) => (o.ok ? '' : o.error.message)).join('; ')}`)
          return outcomes
        },
      },
    },
  })
  say('phase2')
  const second = createClient({ adapter: traced, offline: offlineSync() })
  let last = -1
  second.sync.status$.subscribe((s) => {
    if (s.pending !== last) say(`pending ${(last = s.pending)}`)
  })
  second.sync.rejected$.subscribe((r) => say(`error rejected ${r.type} ${r.id}: ${r.error.message}`))
  await second.sync.flush()
  say('flushed')
  await second.sync.waitForSync()
  say('synced')
  setInterval(() => undefined, 60_000) // until killed
}

main().catch((error: unknown) => {
  say(`error ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})

/**
 * adapters/amplify/reconnect.ts on aws-amplify's own realtime provider class (no server): its
 * connection-state machine is driven through the transitions a dropped socket makes, and the
 * provider's real reconnect loop is observed. An idle provider's loop is halted (otherwise it
 * keeps a Node process alive for ever); a provider with a subscription keeps its loop until the
 * subscription is gone, however late aws-amplify removes it.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { amplify } from '../../adapters/amplify/index.js'
import { waitFor } from '../contract/helpers.js'

/** Outputs naming endpoints nothing listens on: the adapter is only created (installing its listener), never used. */
const OUTPUTS = {
  version: '1.4',
  auth: { aws_region: 'us-east-1', user_pool_id: 'us-east-1_none', user_pool_client_id: 'none' },
  data: { url: 'http://127.0.0.1:9/graphql', aws_region: 'us-east-1', api_key: 'none', default_authorization_type: 'API_KEY', authorization_types: [] },
}

interface ProviderInternals {
  subscriptionObserverMap: Map<string, unknown>
  reconnectionMonitor: { reconnectSetTimeoutId?: unknown; reconnectIntervalId?: unknown; record(event: string): void }
  connectionStateMonitor: { record(change: object): void }
  connectionState?: string
  close(): Promise<void>
}

// Not in the package's exports: loaded by path from the installed package (the class the adapter's client uses).
const load = createRequire(__filename)
const dist = dirname(load.resolve('@aws-amplify/api-graphql'))
const { AWSAppSyncRealTimeProvider } = load(join(dist, 'Providers/AWSAppSyncRealTimeProvider/index.js')) as { AWSAppSyncRealTimeProvider: new () => ProviderInternals }
const { CONNECTION_CHANGE } = load(join(dist, 'utils/ConnectionStateMonitor.js')) as { CONNECTION_CHANGE: Record<string, object> }

const providers: ProviderInternals[] = []
afterEach(async () => {
  for (const p of providers.splice(0)) {
    p.reconnectionMonitor.record('HALT_RECONNECT')
    await p.close()
  }
})

/** A provider whose socket opened, then dropped while a connection was intended. */
async function dropped(withSubscription: boolean): Promise<ProviderInternals> {
  const provider = new AWSAppSyncRealTimeProvider()
  providers.push(provider)
  if (withSubscription) provider.subscriptionObserverMap.set('s1', { observer: { next() {}, error() {} } })
  provider.connectionStateMonitor.record(CONNECTION_CHANGE.OPENING_CONNECTION!)
  provider.connectionStateMonitor.record(CONNECTION_CHANGE.CONNECTION_ESTABLISHED!)
  provider.connectionStateMonitor.record(CONNECTION_CHANGE.CLOSED!)
  await Promise.resolve()
  await Promise.resolve()
  return provider
}

const loopRunning = (p: ProviderInternals): boolean => p.reconnectionMonitor.reconnectSetTimeoutId !== undefined || p.reconnectionMonitor.reconnectIntervalId !== undefined

test('without the adapter, aws-amplify keeps reconnecting an idle provider whose socket dropped (the loop the adapter halts)', async () => {
  const provider = await dropped(false)
  expect(provider.connectionState).toBe('ConnectionDisrupted')
  expect(loopRunning(provider)).toBe(true)
})

// From here on the adapter's listener is installed (once per aws-amplify instance: this file's).
test.each([
  { withSubscription: false, keepsLoop: false, what: 'an idle provider whose socket drops stops reconnecting once an amplify adapter exists' },
  { withSubscription: true, keepsLoop: true, what: 'a provider that still has a subscription keeps its reconnect loop (the subscription needs it)' },
])('$what', async ({ withSubscription, keepsLoop }) => {
  const adapter = amplify({ outputs: OUTPUTS as never })
  try {
    const provider = await dropped(withSubscription)
    expect(provider.connectionState).toBe('ConnectionDisrupted')
    expect(loopRunning(provider)).toBe(keepsLoop)
  } finally {
    await adapter.dispose()
  }
})

test('a provider disrupted while a subscription was left stops reconnecting once that subscription is gone and the adapter is disposed', async () => {
  const adapter = amplify({ outputs: OUTPUTS as never })
  const provider = await dropped(true)
  expect(loopRunning(provider)).toBe(true)
  provider.subscriptionObserverMap.delete('s1') // the app's last watch unsubscribed
  await adapter.dispose()
  expect(loopRunning(provider)).toBe(false)
})

test('a leftover subscription aws-amplify removes late ends the loop when it goes, while another adapter is still open', async () => {
  const other = amplify({ outputs: OUTPUTS as never })
  const adapter = amplify({ outputs: OUTPUTS as never })
  try {
    const provider = await dropped(true)
    await adapter.dispose() // its watch unsubscribed; aws-amplify's cleanup waits for the subscription to settle
    expect(loopRunning(provider)).toBe(true) // the open adapter may still need the connection
    provider.subscriptionObserverMap.delete('s1') // that cleanup ends, with no call into the adapter
    await waitFor(() => !loopRunning(provider), 3_000)
  } finally {
    await other.dispose()
  }
})

test('once no adapter is open, a disrupted connection stops reconnecting even with a subscription aws-amplify never removed', async () => {
  const adapter = amplify({ outputs: OUTPUTS as never })
  const before = await dropped(true)
  expect(loopRunning(before)).toBe(true)
  await adapter.dispose()
  expect(loopRunning(before)).toBe(false)
  // Disrupted after the last adapter was disposed (the server went away later).
  const after = await dropped(true)
  expect(after.connectionState).toBe('ConnectionDisrupted')
  expect(loopRunning(after)).toBe(false)
})

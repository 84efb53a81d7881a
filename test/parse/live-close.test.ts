/**
 * A LiveQuery client the adapter closed stays closed. The Parse SDK's own LiveQueryClient runs here
 * (its state machine, its reconnect logic); only its WebSocket is scripted (the SDK's
 * WebSocketController), so the server's `connected` reply can be delivered after close(), the
 * order that made a closed client reconnect for ever in the offline property test (a watch stopped
 * while its client was connecting). No Parse Server is involved: nothing here reaches HTTP.
 */
import Parse from 'parse/node'
import { parse } from '../../adapters/parse/index.js'
import type { ParseSDK } from '../../adapters/parse/sdk.js'
import { waitFor } from '../contract/helpers.js'

/** The SDK's WebSocket, scripted: the test decides when it opens, what it receives and when it closes. */
class ScriptedSocket {
  static made: ScriptedSocket[] = []
  onopen: (() => void) | undefined
  onmessage: ((event: { data: string }) => void) | undefined
  onclose: ((event: unknown) => void) | undefined
  onerror: ((error: unknown) => void) | undefined
  readonly sent: unknown[] = []
  closedByClient = false

  constructor(readonly url: string) {
    ScriptedSocket.made.push(this)
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data))
  }

  close(): void {
    this.closedByClient = true
  }
}

type SdkClient = InstanceType<ParseSDK['LiveQueryClient']> & { state: string }

const sdk = Parse as unknown as ParseSDK & { CoreManager: { setWebSocketController(c: unknown): void; getWebSocketController(): unknown } }
const clients: SdkClient[] = []
/** The real LiveQueryClient, recorded as the adapter makes it. */
const RecordingClient = class extends (sdk.LiveQueryClient as unknown as new (options: object) => SdkClient) {
  constructor(options: object) {
    super(options)
    clients.push(this)
  }
}
let savedController: unknown

beforeAll(() => {
  savedController = sdk.CoreManager.getWebSocketController()
  sdk.CoreManager.setWebSocketController(ScriptedSocket)
})

afterAll(() => {
  sdk.CoreManager.setWebSocketController(savedController)
})


test("a client closed while connecting does not reopen when the server's connected reply comes after the close", async () => {
  const adapter = parse({
    serverURL: 'http://127.0.0.1:1/parse',
    appId: 'live-close',
    liveQueryServerURL: 'ws://127.0.0.1:1/parse',
    liveQuerySubscribeTimeoutMs: 60_000,
    Parse: { ...sdk, LiveQueryClient: RecordingClient } as unknown as ParseSDK,
  })
  try {
    const subscription = adapter.documents.watch('notes', { filters: [], orderBy: [] }).subscribe({ error: () => undefined })
    await waitFor(() => ScriptedSocket.made.length === 1, 1_000, 5)
    const socket = ScriptedSocket.made[0]!
    const client = clients[0]!
    socket.onopen!() // the SDK sends its connect request
    expect(socket.sent).toContainEqual(expect.objectContaining({ op: 'connect' }))

    // The last watch stops: the adapter closes the client while the server's reply is on its way.
    subscription.unsubscribe()
    await waitFor(() => socket.closedByClient, 1_000, 5)
    expect(client.state).toBe('disconnected')

    // The reply arrives after close(); then the socket's close event.
    socket.onmessage!({ data: JSON.stringify({ op: 'connected', clientId: 1 }) })
    await Promise.resolve()
    socket.onclose!({ code: 1000 })

    expect(client.state).toBe('disconnected')
    // The SDK's first reconnect would come within 1 s (attempt 1: up to 1,000 ms): none does.
    await new Promise((resolve) => setTimeout(resolve, 1_100))
    expect(ScriptedSocket.made).toHaveLength(1)
  } finally {
    await adapter.dispose?.()
  }
})

/**
 * Test helpers for offline runs on the local Amplify backend (test/backends/amplify): a network
 * switch per device, and faults on its write requests.
 *
 * - `startPassthrough(upstream)`: a TCP pass-through on 127.0.0.1. A device whose `outputs.data.url`
 *   (and Cognito endpoint) point at its own pass-through is "offline" while it is cut: its open HTTP
 *   connections are destroyed and new ones are closed as soon as their request arrives, so fetch
 *   fails as on a lost network. Its realtime WebSocket (`GET …/realtime` with `Upgrade: websocket`)
 *   is left alone, as Parse's offline devices keep their LiveQuery socket (test/offline/parse.test.ts
 *   blocks requests only): aws-amplify 6.22, whose socket drops while it has subscriptions, re-arms
 *   a reconnect timer every 60 s (ReconnectionMonitor) that nothing clears once those subscriptions
 *   are gone, so a test process whose devices were disposed after a drop never exits. One endpoint
 *   per device also keeps the devices' realtime sockets apart (aws-amplify has one per endpoint).
 *   (test/backends/proxy.ts cannot stand in: it rewrites every request to `Connection: close`,
 *   which refuses WebSocket upgrades.)
 * - `installFaultyFetch()`: wraps the global fetch once per process; `failNextMutations(port, n)`
 *   answers the next n GraphQL mutations sent to that port, without forwarding them, as AppSync
 *   answers a resolver that failed: HTTP 200 with `data: null` and an error (`errorType`
 *   `InternalFailure`). Not an HTTP 500: aws-amplify retries those itself (3 attempts), so one
 *   would never reach the adapter.
 */
import * as net from 'node:net'

export interface Passthrough {
  readonly port: number
  /** `http://127.0.0.1:<port>` + path. */
  url(path?: string): string
  /**
   * Destroys open HTTP connections; new ones are closed at once until `restore()` (WebSockets are
   * left alone). Resolves once the clients in this process can have seen their sockets close: an
   * HTTP client that has not yet read the close would send its next request on a dead keep-alive
   * socket ("other side closed").
   */
  cut(): Promise<void>
  restore(): void
  close(): Promise<void>
}

export async function startPassthrough(upstream: string): Promise<Passthrough> {
  const target = new URL(upstream)
  const upstreamPort = Number(target.port)
  const upstreamHost = target.hostname === 'localhost' ? '127.0.0.1' : target.hostname
  const sockets = new Set<net.Socket>()
  /** HTTP connections, client side and upstream side: what a cut destroys. */
  const http = new Set<net.Socket>()
  let down = false
  const track = (socket: net.Socket): net.Socket => {
    sockets.add(socket)
    socket.once('close', () => {
      sockets.delete(socket)
      http.delete(socket)
    })
    socket.on('error', () => socket.destroy())
    return socket
  }
  const server = net.createServer((client) => {
    track(client)
    // The first chunk holds the request head: an upgrade to a WebSocket, or an HTTP request.
    client.once('data', (first: Buffer) => {
      const head = first.toString('latin1').split('\r\n\r\n')[0]!
      const webSocket = /\r\nupgrade:\s*websocket/i.test(head)
      if (down && !webSocket) {
        client.destroy()
        return
      }
      const remote = track(net.connect({ host: upstreamHost, port: upstreamPort }))
      if (!webSocket) http.add(client).add(remote)
      remote.write(first)
      client.pipe(remote)
      remote.pipe(client)
      client.once('close', () => remote.destroy())
      remote.once('close', () => client.destroy())
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('pass-through: no TCP address')
  const port = address.port
  return {
    port,
    url: (path = '') => `http://127.0.0.1:${port}${path}`,
    cut: async () => {
      down = true
      const cut = [...http]
      const closing = cut.map((socket) => new Promise((resolve) => (socket.destroyed ? resolve(undefined) : socket.once('close', resolve))))
      for (const socket of cut) socket.destroy()
      await Promise.all(closing)
      // The peers' ends are in this process too: give them an event-loop turn to read the close.
      await new Promise((resolve) => setTimeout(resolve, 20))
    },
    restore: () => {
      down = false
    },
    close: async () => {
      down = true
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

const failures = new Map<number, number>()
let installed: { original: typeof fetch; undo(): void } | undefined

/** Wraps the global fetch (once per process) so `failNextMutations` can fail requests by port; returns the undo. */
export function installFaultyFetch(): () => void {
  if (installed) return installed.undo
  const original = globalThis.fetch
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const remaining = failures.get(Number(url.port)) ?? 0
    if (remaining > 0) {
      const body = typeof init?.body === 'string' ? init.body : ''
      if (/"query"\s*:\s*"\s*mutation\b/.test(body)) {
        failures.set(Number(url.port), remaining - 1)
        return new Response(JSON.stringify({ data: null, errors: [{ errorType: 'InternalFailure', message: 'An internal failure occurred (injected by the test)' }] }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        })
      }
    }
    return original(input, init)
  }
  installed = {
    original,
    undo: () => {
      if (globalThis.fetch !== original) globalThis.fetch = original
      installed = undefined
      failures.clear()
    },
  }
  return installed.undo
}

/** The next `n` GraphQL mutations sent to `port` fail with `InternalFailure` (needs installFaultyFetch). */
export function failNextMutations(port: number, n: number): void {
  if (!installed) throw new Error('failNextMutations: call installFaultyFetch() first')
  failures.set(port, (failures.get(port) ?? 0) + n)
}

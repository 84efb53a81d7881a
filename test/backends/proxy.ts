/**
 * Test helper: a fault-injecting HTTP/1.1 proxy (node:net) on 127.0.0.1, in front of a test server.
 *
 * Every request is sent upstream with `Connection: close`, so one client connection carries one
 * request and each fault is decided per request, with the request line, headers and body in hand
 * (Parse's SDK POSTs everything and names the real method in the JSON body's `_method`).
 *
 * Controls (each takes an optional filter, so a fault can target one kind of request):
 * - `dropConnections(n)`: destroy the next n connections without forwarding (request never arrives);
 * - `dropResponses(n)`: forward the next n requests, let the server answer, then destroy the
 *   connection without passing the answer on (the write happened; the client never hears of it);
 * - `respond(n, status)`: answer the next n requests with 503/500/429 (+ Retry-After) without forwarding;
 * - `setLatency(ms)`: hold every request that long before acting on it (`reset()` cuts held ones off);
 * - `refuse()` / `accept()`: cut open connections and stop listening (connections are refused), and
 *   listen again on the same port.
 *
 * Loopback only, bounded (head 64 KiB, buffered body 8 MiB, request log 10,000 entries), and
 * `close()` destroys every socket and timer it made.
 */
import * as net from 'node:net'

export interface ProxiedRequest {
  method: string
  /** The request target, e.g. `/parse/classes/todos`. */
  path: string
  /** The Parse SDK sends every call as POST with `_method` in its JSON body: that method, else `method`. */
  effectiveMethod: string
  body: string
  /** What the proxy did with it. */
  action: 'forwarded' | 'dropped' | 'response-dropped' | 'answered'
}

export type RequestFilter = (request: Omit<ProxiedRequest, 'action'>) => boolean

export interface RespondOptions {
  /** Sent as `Retry-After` (seconds). */
  retryAfterSeconds?: number
  /** Response body; default a Parse-style JSON error (see defaultBody). */
  body?: string
  contentType?: string
  filter?: RequestFilter
}

export interface FaultProxy {
  readonly port: number
  /** `http://127.0.0.1:<port>` + path. */
  url(path?: string): string
  /** Requests seen (after their fault was decided), oldest first. */
  readonly requests: readonly ProxiedRequest[]
  count(filter?: RequestFilter): number
  dropConnections(n: number, filter?: RequestFilter): void
  dropResponses(n: number, filter?: RequestFilter): void
  respond(n: number, status: 429 | 500 | 503, options?: RespondOptions): void
  setLatency(ms: number): void
  /** Drops every matching request (connection destroyed, nothing forwarded) until `unblock()`. */
  block(filter: RequestFilter): { unblock(): void }
  /** Stops listening and cuts open connections: new connections are refused until accept(). */
  refuse(): Promise<void>
  accept(): Promise<void>
  /** Forgets pending faults, latency and the request log. */
  reset(): void
  close(): Promise<void>
}

type Fault =
  | { kind: 'drop' | 'drop-response'; remaining: number; filter?: RequestFilter }
  | { kind: 'respond'; remaining: number; status: 429 | 500 | 503; options: RespondOptions; filter?: RequestFilter }

const MAX_HEAD = 64 * 1024
const MAX_BODY = 8 * 1024 * 1024
const MAX_LOG = 10_000
const STATUS_TEXT: Record<number, string> = { 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable' }

/**
 * Parse.com / Back4App answer a rate limit with code 155 (REQUEST_LIMIT_EXCEEDED); Parse Server an
 * unexpected failure with 500 and code 1 (INTERNAL_SERVER_ERROR); a 503 carries no Parse code.
 */
function defaultBody(status: 429 | 500 | 503): string {
  if (status === 429) return JSON.stringify({ code: 155, error: 'Too many requests' })
  if (status === 500) return JSON.stringify({ code: 1, error: 'Internal server error.' })
  return JSON.stringify({ error: 'Service Unavailable' })
}

export async function startFaultProxy(target: { host?: string; port: number }): Promise<FaultProxy> {
  const upstreamHost = target.host ?? '127.0.0.1'
  const sockets = new Set<net.Socket>()
  /** Requests held by latency, with their client connection. */
  const timers = new Map<NodeJS.Timeout, net.Socket>()
  const requests: ProxiedRequest[] = []
  let faults: Fault[] = []
  let latencyMs = 0
  let closed = false

  const track = (socket: net.Socket): net.Socket => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    return socket
  }

  const log = (request: Omit<ProxiedRequest, 'action'>, action: ProxiedRequest['action']): void => {
    requests.push({ ...request, action })
    if (requests.length > MAX_LOG) requests.shift()
  }

  const takeFault = (request: Omit<ProxiedRequest, 'action'>): Fault | undefined => {
    const fault = faults.find((f) => f.filter === undefined || f.filter(request))
    if (!fault) return undefined
    fault.remaining -= 1
    if (fault.remaining <= 0) faults = faults.filter((f) => f !== fault)
    return fault
  }

  const forward = (client: net.Socket, head: Buffer, rest: Buffer, dropResponse: boolean): void => {
    const upstream = track(net.connect({ host: upstreamHost, port: target.port }))
    upstream.on('connect', () => {
      upstream.write(head)
      if (rest.length > 0) upstream.write(rest)
      client.pipe(upstream)
    })
    if (dropResponse) {
      // Let the server finish (the write is applied), then cut the client off without an answer.
      upstream.resume()
      upstream.on('end', () => client.destroy())
      upstream.on('close', () => client.destroy())
    } else {
      upstream.pipe(client)
      upstream.on('close', () => client.end())
    }
    client.on('close', () => upstream.destroy())
  }

  const act = (client: net.Socket, request: Omit<ProxiedRequest, 'action'>, head: Buffer, rest: Buffer): void => {
    if (client.destroyed || closed) return
    const fault = takeFault(request)
    if (fault?.kind === 'drop') {
      log(request, 'dropped')
      client.destroy()
      return
    }
    if (fault?.kind === 'respond') {
      log(request, 'answered')
      const body = Buffer.from(fault.options.body ?? defaultBody(fault.status))
      const lines = [
        `HTTP/1.1 ${fault.status} ${STATUS_TEXT[fault.status]}`,
        `Content-Type: ${fault.options.contentType ?? 'application/json'}`,
        `Content-Length: ${body.length}`,
        'Connection: close',
      ]
      if (fault.options.retryAfterSeconds !== undefined) lines.push(`Retry-After: ${fault.options.retryAfterSeconds}`)
      client.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), body]))
      return
    }
    const dropResponse = fault?.kind === 'drop-response'
    log(request, dropResponse ? 'response-dropped' : 'forwarded')
    forward(client, head, rest, dropResponse)
  }

  const onConnection = (client: net.Socket): void => {
    track(client)
    let buffered = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk])
      const end = buffered.indexOf('\r\n\r\n')
      if (end < 0) {
        if (buffered.length > MAX_HEAD) client.destroy()
        return
      }
      const lines = buffered.subarray(0, end).toString('latin1').split('\r\n')
      const [method = '', path = ''] = (lines[0] ?? '').split(' ')
      const headers = lines.slice(1)
      const lengthLine = headers.find((h) => /^content-length:/i.test(h))
      const length = lengthLine ? Number(lengthLine.slice(lengthLine.indexOf(':') + 1).trim()) : 0
      const chunked = headers.some((h) => /^transfer-encoding:.*chunked/i.test(h))
      const bodyLength = chunked || !Number.isFinite(length) || length > MAX_BODY ? 0 : length
      if (buffered.length < end + 4 + bodyLength) return
      client.off('data', onData)
      client.pause()
      const body = buffered.subarray(end + 4, end + 4 + bodyLength).toString('utf8')
      const rest = buffered.subarray(end + 4)
      const kept = headers.filter((h) => !/^(connection|keep-alive|proxy-connection):/i.test(h))
      const head = Buffer.from(`${[lines[0], ...kept, 'Connection: close'].join('\r\n')}\r\n\r\n`, 'latin1')
      const request = { method, path, effectiveMethod: methodInBody(body) ?? method, body }
      if (latencyMs <= 0) return act(client, request, head, rest)
      const timer = setTimeout(() => {
        timers.delete(timer)
        act(client, request, head, rest)
      }, latencyMs)
      timers.set(timer, client)
    }
    client.on('data', onData)
  }

  let server = net.createServer(onConnection)
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
        server.off('error', reject)
        resolve()
      })
    })
  const stopListening = (): Promise<void> => new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))

  await listen(0)
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('fault proxy: no TCP address')
  const port = address.port

  return {
    port,
    url: (path = '') => `http://127.0.0.1:${port}${path}`,
    requests,
    count: (filter) => (filter ? requests.filter((r) => filter(r)).length : requests.length),
    dropConnections: (n, filter) => void faults.push({ kind: 'drop', remaining: n, filter }),
    dropResponses: (n, filter) => void faults.push({ kind: 'drop-response', remaining: n, filter }),
    respond: (n, status, options = {}) => void faults.push({ kind: 'respond', remaining: n, status, options, filter: options.filter }),
    setLatency: (ms) => {
      latencyMs = Math.max(0, ms)
    },
    block: (filter) => {
      const fault: Fault = { kind: 'drop', remaining: Number.POSITIVE_INFINITY, filter }
      faults.push(fault)
      return { unblock: () => void (faults = faults.filter((f) => f !== fault)) }
    },
    refuse: async () => {
      // Like a network going away: open (keep-alive) connections die too, not only new ones.
      const stopped = stopListening()
      for (const socket of sockets) socket.destroy()
      await stopped
    },
    accept: async () => {
      if (server.listening || closed) return
      server = net.createServer(onConnection)
      await listen(port)
    },
    reset: () => {
      // Requests still held by latency are cut off: they belong to a scenario that is over.
      for (const [timer, client] of timers) {
        clearTimeout(timer)
        client.destroy()
      }
      timers.clear()
      faults = []
      latencyMs = 0
      requests.length = 0
    },
    close: async () => {
      closed = true
      for (const timer of timers.keys()) clearTimeout(timer)
      timers.clear()
      for (const socket of sockets) socket.destroy()
      await stopListening()
    },
  }
}

function methodInBody(body: string): string | undefined {
  if (!body.startsWith('{')) return undefined
  try {
    const parsed = JSON.parse(body) as { _method?: unknown }
    return typeof parsed._method === 'string' ? parsed._method : undefined
  } catch {
    return undefined
  }
}

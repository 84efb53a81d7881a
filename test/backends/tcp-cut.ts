/**
 * Test helper: a byte-for-byte TCP relay on 127.0.0.1 that can cut the network, for protocols the
 * HTTP fault proxy (proxy.ts) cannot read (Firestore's gRPC over HTTP/2). `cut()` destroys every
 * open connection and drops new ones at once, as a lost network does; `restore()` relays again.
 */
import * as net from 'node:net'

export interface TcpCut {
  /** The relay's port on 127.0.0.1. */
  port: number
  cut(): void
  restore(): void
  close(): Promise<void>
}

export async function startTcpCut(upstream: { host: string; port: number }): Promise<TcpCut> {
  const sockets = new Set<net.Socket>()
  let cutOff = false
  const track = (socket: net.Socket): void => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    // A cut ends both sides abruptly; the errors that follow are expected.
    socket.on('error', () => undefined)
  }
  const server = net.createServer((client) => {
    track(client)
    if (cutOff) return void client.destroy()
    const server = net.connect(upstream.port, upstream.host)
    track(server)
    client.pipe(server).pipe(client)
    client.once('close', () => server.destroy())
    server.once('close', () => client.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  if (typeof address !== 'object' || !address) throw new Error('The TCP relay has no port')
  return {
    port: address.port,
    cut() {
      cutOff = true
      for (const socket of sockets) socket.destroy()
    },
    restore() {
      cutOff = false
    },
    async close() {
      cutOff = true
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

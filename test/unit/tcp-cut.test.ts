/** The TCP relay the live Firestore target cuts devices off with (test/backends/tcp-cut.ts). */
import * as net from 'node:net'
import { startTcpCut } from '../backends/tcp-cut.js'

async function echoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.pipe(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/** Sends `text` through a new connection; the echo, or the error/close that ended it. */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text))
    socket.once('data', (data) => {
      socket.destroy()
      resolve(data.toString())
    })
    socket.once('error', () => resolve('error'))
    socket.once('close', () => resolve('closed'))
  })
}

it('relays bytes; cut() ends open connections and drops new ones; restore() relays again', async () => {
  const echo = await echoServer()
  const relay = await startTcpCut({ host: '127.0.0.1', port: echo.port })
  try {
    expect(await roundTrip(relay.port, 'hello')).toBe('hello')
    const open = net.connect(relay.port, '127.0.0.1')
    open.on('error', () => undefined)
    await new Promise((resolve) => open.once('connect', resolve))
    const ended = new Promise((resolve) => open.once('close', resolve))
    relay.cut()
    await ended
    expect(await roundTrip(relay.port, 'lost')).toBe('closed')
    relay.restore()
    expect(await roundTrip(relay.port, 'back')).toBe('back')
  } finally {
    await relay.close()
    await echo.close()
  }
})

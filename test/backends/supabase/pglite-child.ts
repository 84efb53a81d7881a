/**
 * PGlite serving the PostgreSQL wire protocol on a free local port, in its own process (PGlite
 * loads parts of itself with import(), which jest's module sandbox refuses). Sends
 * `{ type: 'ready', port }` over IPC, and stops when its parent disconnects.
 */
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

const db = await PGlite.create()
// PGlite has one session: one client connection at a time (the tests use one).
const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 2 })
await server.start()
process.send?.({ type: 'ready', port: Number(server.getServerConn().split(':').pop()) })
process.on('disconnect', () => {
  void server.stop().finally(() => db.close().finally(() => process.exit(0)))
})

import type { SuiteEnv } from './env.js'
import { expectError, expectStreamError, uniqueEmail, uniquePassword } from './helpers.js'
import { describe, expect, it } from './runner.js'

export function lifecycleTests(env: SuiteEnv): void {
  /** A client that has been disposed, and a collection name it used. */
  async function disposedClient() {
    const app = await env.client()
    const name = env.target.freshCollection()
    await app.db.collection(name).doc('d').set({ v: 1 })
    await app.dispose()
    return { app, col: app.db.collection(name) }
  }

  describe('lifecycle', () => {
    it('connection$ replays a connection state', async () => {
      const app = await env.client()
      const state = await env.record(app.connection$).waitFor(() => true, 'a connection state')
      expect(['online', 'offline', 'connecting']).toContain(state)
    })

    it('sync.status$ reports nothing pending without the offline engine', async () => {
      const app = await env.client()
      const status = await env.record(app.sync.status$).waitFor(() => true, 'a sync status')
      expect(status).toMatchObject({ pending: 0, uploading: false, conflicts: 0, error: null })
    })

    it('after dispose(), document calls fail with failed-precondition', async () => {
      const { col } = await disposedClient()
      await expectError(() => col.doc('d').get(), 'failed-precondition', 'get')
      await expectError(() => col.doc('d').set({ v: 2 }), 'failed-precondition', 'set')
      await expectError(() => col.doc('d').update({ v: 2 }), 'failed-precondition', 'update')
      await expectError(() => col.doc('d').delete(), 'failed-precondition', 'delete')
      await expectError(() => col.get(), 'failed-precondition', 'query')
      await expectError(() => col.count(), 'failed-precondition', 'count')
    })

    it('after dispose(), a batch fails with failed-precondition', async () => {
      const { app, col } = await disposedClient()
      await expectError(() => app.db.batch((b) => void b.set(col.doc('x'), { v: 1 })), 'failed-precondition')
    })

    it('after dispose(), auth calls fail with failed-precondition', async () => {
      const { app } = await disposedClient()
      const credentials = { email: uniqueEmail(), password: uniquePassword() }
      const code = env.caps.emailPasswordAuth ? 'failed-precondition' : 'unsupported'
      await expectError(() => app.auth.signUp(credentials), code, 'signUp')
      await expectError(() => app.auth.signIn(credentials), code, 'signIn')
      await expectError(() => app.auth.signOut(), 'failed-precondition', 'signOut')
      await expectError(() => app.auth.getIdToken(), 'failed-precondition', 'getIdToken')
    })

    it('after dispose(), storage, functions and config calls fail with failed-precondition', async () => {
      const { app } = await disposedClient()
      await expectError(() => app.storage.upload('p/x.bin', new Uint8Array([1])), 'failed-precondition', 'upload')
      await expectError(() => app.storage.download('p/x.bin'), 'failed-precondition', 'download')
      await expectError(() => app.storage.list('p/'), 'failed-precondition', 'list')
      await expectError(() => app.functions.call('echo', {}), 'failed-precondition', 'functions.call')
      await expectError(() => app.config.fetchAndActivate(), 'failed-precondition', 'config.fetchAndActivate')
    })

    it('after dispose(), a new watch fails with failed-precondition', async () => {
      const { col } = await disposedClient()
      await expectStreamError(col.watch(), 'failed-precondition', 'query watch')
      await expectStreamError(col.doc('d').watch(), 'failed-precondition', 'doc watch')
    })

    it('dispose() completes live watches', async () => {
      const app = await env.client()
      const col = app.db.collection(env.target.freshCollection())
      await col.doc('d').set({ v: 1 })
      if (!env.caps.realtime) {
        await expectStreamError(col.watch(), 'unsupported')
        return
      }
      const query = env.record(col.watch())
      const doc = env.record(col.doc('d').watch())
      await query.waitFor((s) => s.docs.length === 1, 'the query snapshot')
      await doc.waitFor((d) => d?.id === 'd', 'the doc')
      await app.dispose()
      await query.waitForComplete('the query watch to complete on dispose')
      await doc.waitForComplete('the doc watch to complete on dispose')
      expect(query.failed || doc.failed).toBe(false)
    })

    it('dispose() completes connection$', async () => {
      const app = await env.client()
      const states = env.record(app.connection$)
      await states.waitFor(() => true, 'a connection state')
      await app.dispose()
      await states.waitForComplete('connection$ to complete on dispose')
    })

    it('dispose() twice is fine', async () => {
      const app = await env.client()
      await app.dispose()
      await expect(app.dispose()).resolves.toBeUndefined()
    })

    it('disposing one client leaves other clients of the same backend working', async () => {
      const { col } = await disposedClient()
      const other = await env.client()
      expect((await other.db.collection(col.collection).doc('d').get())?.data).toEqual({ v: 1 })
    })
  })
}

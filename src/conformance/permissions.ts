import { firstValueFrom } from 'rxjs'
import type { CollectionRef } from '../index.js'
import type { SignedIn, SuiteEnv } from './env.js'
import { expectError, expectStreamError, randomSuffix } from './helpers.js'
import { describe, expect, it } from './runner.js'

/** The access rules of the fixtures (docs/conformance.md) on `target.ownedCollection()`: owner-only read and write. */
export function permissionTests(env: SuiteEnv): void {
  /** Ids are unique per test: the owned collection is shared by every test of the run. */
  const newId = (): string => `o_${randomSuffix()}`
  const owned = (app: SignedIn['app']): CollectionRef => app.db.collection(env.target.ownedCollection())

  /** An owner with one document, and a second signed-in user on another device. */
  async function ownerAndStranger() {
    const owner = await env.signedIn()
    const stranger = await env.signedIn()
    const id = newId()
    await owned(owner.app).doc(id).set({ owner: owner.user.uid, secret: 'mine' })
    return { owner, stranger, id }
  }

  async function expectDenied(action: () => unknown, what: string): Promise<void> {
    const error = await expectError(action, 'permission-denied', what)
    expect(error.provider).toBe(env.adapterName)
  }

  /**
   * A read the rules forbid: fails with permission-denied (`readRules: 'deny'`), or reads as if the
   * document were absent (`'filter'`, row-level security): `absent` is what an empty read returns.
   */
  async function expectHidden(action: () => Promise<unknown>, absent: unknown, what: string): Promise<void> {
    if (env.caps.readRules === 'deny') return expectDenied(action, what)
    expect(await action()).toEqual(absent)
  }

  describe('permissions: the owned collection', () => {
    it('the owner can create, read, query, update and delete their document', async () => {
      const { app, user } = await env.signedIn()
      const col = owned(app)
      const id = newId()
      await col.doc(id).set({ owner: user.uid, v: 1 })
      expect((await col.doc(id).get())?.data).toEqual({ owner: user.uid, v: 1 })
      if (env.caps.queryOperators.includes('==')) {
        expect((await col.where('owner', '==', user.uid).get()).docs.map((d) => d.id)).toEqual([id])
        expect(await col.where('owner', '==', user.uid).count()).toBe(1)
      } else {
        await expectError(() => col.where('owner', '==', user.uid).get(), 'unsupported')
      }
      await col.doc(id).update({ v: 2 })
      expect((await col.doc(id).get())?.data.v).toBe(2)
      await col.doc(id).delete()
      expect(await col.doc(id).get()).toBeNull()
    })

    it('the owner can add() a document with a generated id', async () => {
      const { app, user } = await env.signedIn()
      const ref = await owned(app).add({ owner: user.uid, v: 7 })
      expect((await ref.get())?.data).toEqual({ owner: user.uid, v: 7 })
    })

    it("reading another user's document fails with permission-denied (or reads as absent where rules filter)", async () => {
      const { stranger, id } = await ownerAndStranger()
      await expectHidden(() => owned(stranger.app).doc(id).get(), null, 'get')
    })

    it("a query that would return another user's document fails with permission-denied (or leaves it out where rules filter)", async () => {
      const { owner, stranger } = await ownerAndStranger()
      const query = () => owned(stranger.app).where('owner', '==', owner.user.uid)
      if (!env.caps.queryOperators.includes('==')) return void (await expectError(() => query().get(), 'unsupported'))
      await expectHidden(async () => (await query().get()).docs, [], 'query')
      if (env.caps.readRules === 'filter') expect(await query().count()).toBe(0)
    })

    it("updating another user's document fails with permission-denied and changes nothing", async () => {
      const { owner, stranger, id } = await ownerAndStranger()
      await expectDenied(() => owned(stranger.app).doc(id).update({ secret: 'stolen' }), 'update')
      await expectDenied(() => owned(stranger.app).doc(id).set({ owner: stranger.user.uid, secret: 'stolen' }), 'set')
      expect((await owned(owner.app).doc(id).get())?.data).toEqual({ owner: owner.user.uid, secret: 'mine' })
    })

    it("deleting another user's document fails with permission-denied and keeps it", async () => {
      const { owner, stranger, id } = await ownerAndStranger()
      await expectDenied(() => owned(stranger.app).doc(id).delete(), 'delete')
      expect(await owned(owner.app).doc(id).get()).not.toBeNull()
    })

    it('creating a document while signed out fails with permission-denied', async () => {
      const app = await env.client()
      const id = newId()
      await expectDenied(() => owned(app).doc(id).set({ owner: 'nobody', v: 1 }), 'signed-out create')
      await expectDenied(() => owned(app).add({ owner: 'nobody', v: 1 }), 'signed-out add')
    })

    it('creating a document owned by someone else fails with permission-denied', async () => {
      const { owner, stranger } = await ownerAndStranger()
      const id = newId()
      await expectDenied(() => owned(stranger.app).doc(id).set({ owner: owner.user.uid, v: 1 }), 'create for another owner')
      expect(await owned(owner.app).doc(id).get()).toBeNull()
    })

    it("reading a user's document while signed out fails with permission-denied", async () => {
      const { id } = await ownerAndStranger()
      const anonymous = await env.client()
      await expectHidden(() => owned(anonymous).doc(id).get(), null, 'signed-out get')
    })

    it('after signing out, the former owner can no longer read the document', async () => {
      const { owner, id } = await ownerAndStranger()
      await owner.app.auth.signOut()
      await expectHidden(() => owned(owner.app).doc(id).get(), null, 'get after signOut')
    })

    it("watching another user's document fails with permission-denied (reads as absent where rules filter; unsupported without realtime)", async () => {
      const { stranger, id } = await ownerAndStranger()
      const watched = owned(stranger.app).doc(id).watch()
      if (!env.caps.realtime) await expectStreamError(watched, 'unsupported', 'watch')
      else if (env.caps.readRules === 'deny') await expectStreamError(watched, 'permission-denied', 'watch')
      else expect(await firstValueFrom(watched)).toBeNull()
    })

    it('a batch touching another user’s document fails with permission-denied', async () => {
      const { owner, stranger, id } = await ownerAndStranger()
      const mine = newId()
      await expectDenied(
        () =>
          stranger.app.db.batch((b) => {
            b.set(owned(stranger.app).doc(mine), { owner: stranger.user.uid })
            b.update(owned(stranger.app).doc(id), { secret: 'stolen' })
          }),
        'batch',
      )
      expect((await owned(owner.app).doc(id).get())?.data.secret).toBe('mine')
      // All or nothing where the vendor has transactions; otherwise applied in order up to the refusal.
      if (env.caps.transactions) expect(await owned(stranger.app).doc(mine).get()).toBeNull()
      else expect((await owned(stranger.app).doc(mine).get())?.data).toEqual({ owner: stranger.user.uid })
    })
  })
}

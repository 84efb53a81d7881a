/**
 * Parse-specific behaviour against a real Parse Server (test/backends/parse): ACLs, LiveQuery
 * reconnect after a server restart, the SDK's global current user, field knowledge, null markers,
 * transactional batches, storage and password reset, and every declared difference from the
 * neutral semantics (adapters/parse/README.md).
 */
import ParseSDK from 'parse/node'
import { firstValueFrom, toArray } from 'rxjs'
import { arrayUnion, createClient, deleteField, generateId, serverTimestamp, type PortabaseClient, type QuerySnapshot } from '../../src/index.js'
import { parse, type ParseAdapterOptions, type ParseSDK as ParseSDKLike } from '../../adapters/parse/index.js'
import type { ParseRequestOptions } from '../../adapters/parse/sdk.js'
import { startParseServer, type ParseTestServer } from '../backends/parse/server.js'
import { expectError, Recorder, sleep, uniqueEmail, uniquePassword } from '../contract/helpers.js'

// parse/node's types describe the module as a namespace; at run time it is the Parse object.
const Parse = ParseSDK as unknown as typeof ParseSDK.default

jest.setTimeout(60_000)

let server: ParseTestServer
const clients: PortabaseClient[] = []
const recorders: Recorder<unknown>[] = []
const run = generateId(6)
let collections = 0
const fresh = (): string => `p${run}_${++collections}`

beforeAll(async () => {
  try {
    server = await startParseServer()
  } catch (error) {
    throw new Error(`The Parse test backend did not start, so the Parse adapter tests cannot run: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
})

afterEach(async () => {
  recorders.splice(0).forEach((r) => r.stop())
  await Promise.all(clients.splice(0).map((c) => c.dispose()))
})

afterAll(async () => {
  await server?.stop()
})

function client(extra: Partial<ParseAdapterOptions> = {}): PortabaseClient {
  const app = createClient({
    adapter: parse({ serverURL: server.serverURL, appId: server.appId, javascriptKey: server.javascriptKey, liveQueryServerURL: server.liveQueryServerURL, transactions: false, ...extra }),
  })
  clients.push(app)
  return app
}

async function signedIn(extra: Partial<ParseAdapterOptions> = {}): Promise<{ app: PortabaseClient; uid: string; token: string }> {
  const app = client(extra)
  const user = await app.auth.signUp({ email: uniqueEmail(), password: uniquePassword() })
  const token = await app.auth.getIdToken()
  if (!token) throw new Error('no session token after sign-up')
  return { app, uid: user.uid, token }
}

function record<T>(source: import('rxjs').Observable<T>): Recorder<T> {
  const recorder = new Recorder(source)
  recorders.push(recorder as Recorder<unknown>)
  return recorder
}

/** A REST call as a given session (or with the master key), outside the adapter. */
async function rest(method: string, path: string, body: unknown, auth: { token?: string; master?: boolean } = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'X-Parse-Application-Id': server.appId, 'X-Parse-Javascript-Key': server.javascriptKey, 'Content-Type': 'application/json' }
  if (auth.token) headers['X-Parse-Session-Token'] = auth.token
  if (auth.master) headers['X-Parse-Master-Key'] = server.masterKey
  const response = await fetch(`${server.serverURL}/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}

const ids = (snapshot: QuerySnapshot): string => snapshot.docs.map((d) => d.id).join(',')

describe('ACLs (Parse object permissions, beyond the contract fixtures)', () => {
  it('an object only its owner may read is invisible to others: get null, left out of queries and counts, update not-found, delete a no-op', async () => {
    const a = await signedIn()
    const b = await signedIn()
    const col = fresh()
    await a.app.db.collection(col).doc('private').set({ v: 1, secret: 'a' })
    await a.app.db.collection(col).doc('public').set({ v: 2 })
    const acl = await rest('PUT', `classes/${col}/private`, { ACL: { [a.uid]: { read: true, write: true } } }, { token: a.token })
    expect(acl.status).toBe(200)

    const theirs = b.app.db.collection(col)
    expect(await theirs.doc('private').get()).toBeNull()
    expect((await theirs.get()).docs.map((d) => d.id)).toEqual(['public'])
    expect(await theirs.count()).toBe(1)
    expect(await theirs.where('v', '==', 1).count()).toBe(0)
    await expectError(() => theirs.doc('private').update({ v: 9 }), 'not-found')
    await expect(theirs.doc('private').delete()).resolves.toBeUndefined()
    await expectError(() => theirs.doc('private').set({ v: 9 }), 'permission-denied')
    await expectError(() => theirs.doc('private').create({ v: 9 }), 'already-exists')
    // Still there, unchanged, for its owner.
    expect((await a.app.db.collection(col).doc('private').get())?.data).toEqual({ v: 1, secret: 'a' })
  })

  it('an object others may read but not write: update, set and delete fail with permission-denied', async () => {
    const a = await signedIn()
    const b = await signedIn()
    const col = fresh()
    await a.app.db.collection(col).doc('d').set({ v: 1 })
    await rest('PUT', `classes/${col}/d`, { ACL: { '*': { read: true }, [a.uid]: { read: true, write: true } } }, { token: a.token })

    const theirs = b.app.db.collection(col)
    expect((await theirs.doc('d').get())?.data).toEqual({ v: 1 })
    await expectError(() => theirs.doc('d').update({ v: 2 }), 'permission-denied')
    await expectError(() => theirs.doc('d').set({ v: 2 }), 'permission-denied')
    await expectError(() => theirs.doc('d').delete(), 'permission-denied')
    // set() by the owner keeps the ACL (set is a PUT, not delete + create).
    await a.app.db.collection(col).doc('d').set({ w: 1 })
    await expectError(() => theirs.doc('d').update({ v: 3 }), 'permission-denied')
    expect((await theirs.doc('d').get())?.data).toEqual({ w: 1 })
  })

  it("a watcher never sees another user's private object", async () => {
    const a = await signedIn()
    const b = await signedIn()
    const col = fresh()
    await a.app.db.collection(col).doc('open').set({ n: 1 })
    const snaps = record(b.app.db.collection(col).watch())
    await snaps.waitFor((s) => ids(s) === 'open', 'the initial open doc')
    const body = { objectId: 'hidden', n: 2, ACL: { [a.uid]: { read: true, write: true } } }
    expect((await rest('POST', `classes/${col}`, body, { token: a.token })).status).toBe(201)
    await a.app.db.collection(col).doc('open2').set({ n: 3 })
    await snaps.waitFor((s) => ids(s) === 'open,open2', 'open2, and not hidden')
    expect(snaps.values.some((s) => s.docs.some((d) => d.id === 'hidden'))).toBe(false)
  })
})

describe('sessions: every request carries its own session token', () => {
  it("the SDK's global current user is never used: a signed-out adapter stays signed out on the server", async () => {
    const app = client()
    const signedOut = client()
    const email = uniqueEmail()
    const password = uniquePassword()
    const user = await app.auth.signUp({ email, password })
    // Another part of the app signs in through the SDK itself (its global current user).
    Parse.User.enableUnsafeCurrentUser()
    await Parse.User.logIn(email.toLowerCase(), password)
    try {
      expect(await signedOut.functions.call('whoami')).toEqual({ uid: null })
      expect(await app.functions.call('whoami')).toEqual({ uid: user.uid })
    } finally {
      await Parse.User.logOut()
    }
  })

  it('two signed-in adapters in one process act as two users', async () => {
    const a = await signedIn()
    const b = await signedIn()
    expect(await a.app.functions.call('whoami')).toEqual({ uid: a.uid })
    expect(await b.app.functions.call('whoami')).toEqual({ uid: b.uid })
  })

  it('an invalid session surfaces as unauthenticated on forceRefresh, and signs the adapter out', async () => {
    const a = await signedIn()
    await rest('POST', 'logout', {}, { token: a.token })
    await expectError(() => a.app.auth.getIdToken({ forceRefresh: true }), 'unauthenticated')
    expect(a.app.auth.currentUser).toBeNull()
  })

  it('a watch follows the signed-in user: re-subscribed and re-run on sign-in and sign-out', async () => {
    const ownerApp = client()
    const email = uniqueEmail()
    const password = uniquePassword()
    const owner = await ownerApp.auth.signUp({ email, password })
    const token = (await ownerApp.auth.getIdToken())!
    const col = fresh()
    await ownerApp.db.collection(col).doc('mine').set({ n: 1 })
    await rest('PUT', `classes/${col}/mine`, { ACL: { [owner.uid]: { read: true, write: true } } }, { token })
    const device = client()
    const snaps = record(device.db.collection(col).watch())
    await snaps.waitFor((s) => s.docs.length === 0, 'nothing while signed out')
    await device.auth.signIn({ email, password })
    await snaps.waitFor((s) => ids(s) === 'mine', 'the private doc after signing in as its owner')
    await ownerApp.db.collection(col).doc('mine').update({ n: 2 })
    await snaps.waitFor((s) => s.docs[0]?.data.n === 2, 'live updates under the new session')
    await device.auth.signOut()
    await snaps.waitFor((s) => s.docs.length === 0, 'nothing again after signing out')
  })
})

describe('LiveQuery reconnect', () => {
  it('after the server restarts, a watch reconnects, catches up with writes made meanwhile, and keeps going', async () => {
    const app = client()
    const col = app.db.collection(fresh())
    await col.doc('a').set({ n: 1 })
    const states = record(app.connection$)
    const snaps = record(col.orderBy('n').watch())
    await snaps.waitFor((s) => ids(s) === 'a', 'the initial a')

    await server.restart()
    // Written right after the restart: the LiveQuery socket is usually still reconnecting (the
    // SDK waits up to 1 s), so this event is lost and only the re-run on re-subscribe brings it.
    const other = client()
    await other.db.collection(col.collection).doc('b').set({ n: 2 })
    await snaps.waitFor((s) => ids(s) === 'a,b', 'b after the restart', 30_000)
    await states.waitFor((s) => s === 'connecting', 'connection$ reporting the reconnect')
    await states.waitFor((s) => s === 'online', 'connection$ back online', 30_000)

    await other.db.collection(col.collection).doc('c').set({ n: 3 })
    await snaps.waitFor((s) => ids(s) === 'a,b,c', 'c, delivered live after the reconnect', 30_000)
    await other.db.collection(col.collection).doc('a').delete()
    await snaps.waitFor((s) => ids(s) === 'b,c', 'the delete of a', 30_000)
  })
})

describe('field knowledge: fields no document holds yet', () => {
  it('queries on a field that no document has are answered as if it were null everywhere, and see it once someone writes it', async () => {
    const app = client()
    const other = client()
    const col = app.db.collection(fresh())
    await col.doc('a').set({ n: 1 })
    await col.doc('b').set({ n: 2 })
    expect((await col.where('later', '==', null).get()).docs.map((d) => d.id)).toEqual(['a', 'b'])
    expect((await col.where('later', '!=', 5).get()).docs.map((d) => d.id)).toEqual(['a', 'b'])
    expect((await col.where('later', 'not-in', [5]).get()).docs.map((d) => d.id)).toEqual(['a', 'b'])
    expect((await col.where('later', '==', 5).get()).docs).toEqual([])
    expect(await col.where('later', '==', null).count()).toBe(2)
    expect((await col.orderBy('later', 'desc').get()).docs.map((d) => d.id)).toEqual(['a', 'b'])

    await other.db.collection(col.collection).doc('b').update({ later: 5 })
    expect((await col.where('later', '==', 5).get()).docs.map((d) => d.id)).toEqual(['b'])
    expect((await col.where('later', '!=', 5).get()).docs.map((d) => d.id)).toEqual(['a'])
  })

  it('a cursor over a field that became null everywhere still pages correctly', async () => {
    const app = client()
    const col = app.db.collection(fresh())
    for (const [id, n] of [['a', 1], ['b', 2], ['c', 3]] as const) await col.doc(id).set({ n })
    const first = await col.orderBy('n').limit(2).get()
    for (const id of ['a', 'b', 'c']) await col.doc(id).update({ n: deleteField() })
    const rest = await col.orderBy('n').startAfter(first.nextCursor!).get()
    // Every n is now null: null sorts after the cursor's value 2, so every doc comes after it.
    expect(rest.docs.map((d) => d.id)).toEqual(['a', 'b', 'c'])
  })
})

describe('null markers (Parse on PostgreSQL drops null fields on read)', () => {
  it('null, then a value, then deleteField: the field reads null, the value, then missing', async () => {
    const app = client()
    const ref = app.db.collection(fresh()).doc('d')
    await ref.set({ keep: 1, a: null })
    expect((await ref.get())?.data).toEqual({ keep: 1, a: null })
    await ref.update({ a: 5 })
    expect((await ref.get())?.data).toEqual({ keep: 1, a: 5 })
    await ref.update({ a: deleteField() })
    expect((await ref.get())?.data).toEqual({ keep: 1 })
    await ref.update({ b: null })
    expect((await ref.get())?.data).toEqual({ keep: 1, b: null })
    await ref.update({ b: deleteField() })
    expect((await ref.get())?.data).toEqual({ keep: 1 })
  })

  it('a fresh adapter (knowing no columns) nulls and deletes fields the class never had', async () => {
    const col = fresh()
    await client().db.collection(col).doc('d').set({ keep: 1 })
    const ref = client().db.collection(col).doc('d')
    await ref.update({ never: null })
    await client().db.collection(col).doc('d').update({ neverEither: deleteField() })
    expect((await ref.get())?.data).toEqual({ keep: 1, never: null })
  })

  it('live events carry the same data as reads (nulls included)', async () => {
    const app = client()
    const col = app.db.collection(fresh())
    const snaps = record(col.watch())
    await snaps.waitFor((s) => s.docs.length === 0, 'the empty start')
    await col.doc('d').set({ a: null, b: 1 })
    const seen = await snaps.waitFor((s) => s.docs.length === 1, 'the created doc')
    expect(seen.docs[0]!.data).toEqual({ a: null, b: 1 })
    expect(seen.docs[0]!.meta.version).toBe((await col.doc('d').get())?.meta.version)
  })
})

describe('transactional batches (transactions: true)', () => {
  // PGlite serves every connection from one session: a transaction that updates an object or adds
  // a class or field deadlocks there, so these batches only create objects in warmed-up classes.
  it('commits a batch of creates in one transaction', async () => {
    const app = client({ transactions: true })
    const col = app.db.collection(fresh())
    await col.doc('warm').set({ v: 0 })
    await app.db.batch((b) => {
      b.create(col.doc('x'), { v: 1 })
      b.set(col.doc('y'), { v: 2 })
    })
    expect((await col.get()).docs.map((d) => [d.id, d.data.v])).toEqual([['warm', 0], ['x', 1], ['y', 2]])
  })

  it('creates the columns (and the class) a batch adds before its transaction: no ALTER TABLE inside it', async () => {
    // Without this, Parse adds them from another connection while the transaction holds the table:
    // a deadlock on PostgreSQL, and on PGlite even for a new class.
    const app = client({ transactions: true })
    const col = app.db.collection(fresh())
    await app.db.batch((b) => {
      b.create(col.doc('x'), { v: 1, extra: 'new column' })
      b.create(col.doc('y'), { v: 2, other: true, at: new Date('2024-01-01T00:00:00Z'), none: null })
    })
    expect((await col.get()).docs.map((d) => [d.id, d.data])).toEqual([
      ['x', { v: 1, extra: 'new column' }],
      ['y', { v: 2, other: true, at: new Date('2024-01-01T00:00:00Z'), none: null }],
    ])
  })

  it('a type mismatch in a batch fails with invalid-argument before the transaction, writing nothing', async () => {
    const app = client({ transactions: true })
    const col = app.db.collection(fresh())
    await col.doc('warm').set({ v: 0 })
    await expectError(
      () =>
        app.db.batch((b) => {
          b.create(col.doc('x'), { v: 1 })
          b.create(col.doc('y'), { v: 'two' })
        }),
      'invalid-argument',
    )
    expect(await col.doc('x').get()).toBeNull()
  })

  it('rolls back every write when the server refuses one of them (here a beforeSave trigger)', async () => {
    const me = await signedIn({ transactions: true })
    const owned = me.app.db.collection('owned')
    await owned.doc(`warm${run}`).set({ owner: me.uid, v: 0 })
    const mine = `mine${run}`
    const error = await expectError(
      () =>
        me.app.db.batch((b) => {
          b.create(owned.doc(mine), { owner: me.uid, v: 1 })
          b.create(owned.doc(`theirs${run}`), { owner: 'someone-else', v: 1 })
        }),
      'internal',
    )
    expect(error.message).toMatch(/rolled back/)
    expect(await owned.doc(mine).get()).toBeNull()
  })

  it('checks preconditions before sending: update of a missing doc is not-found, nothing written', async () => {
    const app = client({ transactions: true })
    const col = app.db.collection(fresh())
    await col.doc('warm').set({ v: 0 })
    await expectError(
      () =>
        app.db.batch((b) => {
          b.create(col.doc('new'), { v: 1 })
          b.update(col.doc('missing'), { v: 1 })
        }),
      'not-found',
    )
    expect(await col.doc('new').get()).toBeNull()
  })
})

describe('storage specifics', () => {
  it('reports progress at the start and the end only (the Parse SDK reports none for uploads)', async () => {
    const app = client()
    const task = app.storage.upload(`s${run}/p.bin`, new Uint8Array(50_000))
    const events = await firstValueFrom(task.pipe(toArray()))
    expect(events.map((e) => e.bytesTransferred)).toEqual([0, 0, 50_000, 50_000])
    expect(events[events.length - 1]?.state).toBe('success')
  })

  it('delete() removes the path; the old bytes stay reachable at their URL (deleting Parse files needs the master key)', async () => {
    const app = client()
    const path = `s${run}/gone.txt`
    await app.storage.upload(path, new TextEncoder().encode('still here'))
    const url = await app.storage.getUrl(path, { expiresIn: 60 })
    await app.storage.delete(path)
    await expectError(() => app.storage.getUrl(path), 'not-found')
    const response = await fetch(url)
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('still here')
  })

  it('getUrl() ignores expiresIn: Parse file URLs do not expire', async () => {
    const app = client()
    expect(app.adapter.capabilities.signedUrls).toBe(false)
    const path = `s${run}/u.txt`
    await app.storage.upload(path, new TextEncoder().encode('u'))
    const url = await app.storage.getUrl(path, { expiresIn: 1 })
    await sleep(1_100)
    expect((await fetch(url)).status).toBe(200)
  })
})

describe('password reset', () => {
  it("reaches the server's email adapter, and succeeds for unknown addresses too", async () => {
    const app = client()
    const email = uniqueEmail()
    await app.auth.signUp({ email, password: uniquePassword() })
    await app.auth.sendPasswordReset(email)
    await app.auth.sendPasswordReset(uniqueEmail())
    const sent = await rest('POST', 'functions/sentEmails', {}, { master: true })
    expect(sent.json.result).toContainEqual({ to: email.toLowerCase(), kind: 'password-reset' })
  })
})

describe('declared differences from the neutral semantics', () => {
  it('fields are typed: writing another type to a field fails with invalid-argument', async () => {
    const app = client()
    const col = app.db.collection(fresh())
    await col.doc('a').set({ v: 10 })
    const error = await expectError(() => col.doc('b').set({ v: '10' }), 'invalid-argument')
    expect(error.message).toMatch(/expected Number but got String/)
  })

  it("'==' / 'in' / 'not-in' with an array value, and ordering by arrays or objects, fail with unsupported", async () => {
    const app = client()
    const col = app.db.collection(fresh())
    await col.doc('a').set({ tags: ['x'], obj: { k: 1 } })
    await expectError(() => col.where('tags', '==', ['x']).get(), 'unsupported')
    await expectError(() => col.where('tags', 'in', [['x']]).get(), 'unsupported')
    await expectError(() => col.orderBy('tags').get(), 'unsupported')
    await expectError(() => col.orderBy('obj').get(), 'unsupported')
  })

  it('nested field paths are refused (capability nestedFieldQueries: false)', async () => {
    const app = client()
    const col = app.db.collection(fresh())
    await expectError(() => col.where('a.b', '==', 1).get(), 'unsupported')
  })

  it('strings holding U+0000 and field names over 63 characters are refused with invalid-argument', async () => {
    const app = client()
    const col = app.db.collection(fresh())
    await expectError(() => col.doc('a').set({ s: 'a\u0000b' }), 'invalid-argument')
    await expectError(() => col.doc('a').set({ nested: { s: '\u0000' } }), 'invalid-argument')
    await expectError(() => col.doc('a').set({ ['f'.repeat(64)]: 1 }), 'invalid-argument')
    expect(await col.doc('a').get()).toBeNull()
  })

  it('serverTimestamp() is refused (capability false): Parse has no server-time field op', async () => {
    const app = client()
    expect(app.adapter.capabilities.serverTimestamp).toBe(false)
    const col = fresh()
    await expectError(() => app.db.collection(col).doc('t').set({ at: serverTimestamp() }), 'unsupported')
    // Also when the SPI is called directly, past the client's capability check.
    const write = app.adapter.documents.write([{ type: 'set', collection: col, id: 't', data: { at: serverTimestamp() } }], { atomic: false })
    await expectError(() => write, 'unsupported')
    expect(await app.db.collection(col).doc('t').get()).toBeNull()
  })

  it('arrayUnion is read-then-write (Parse rewrites arrays with SELECT DISTINCT): a concurrent change to the array in between is lost', async () => {
    // A wrapped SDK slips another client's write between the adapter's read and its write.
    const real = Parse as unknown as ParseSDKLike
    const restController = real.CoreManager.getRESTController()
    let interleave: (() => Promise<unknown>) | undefined
    const wrapped: ParseSDKLike = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== 'CoreManager') return Reflect.get(target, prop, receiver) as unknown
        return {
          get: (key: string) => target.CoreManager.get(key),
          getRESTController: () => ({
            request: async (method: string, path: string, data?: unknown, options?: ParseRequestOptions) => {
              if (interleave && method === 'PUT') {
                const step = interleave
                interleave = undefined
                await step()
              }
              return restController.request(method, path, data, options)
            },
          }),
        }
      },
    })
    const app = client({ Parse: wrapped })
    const col = fresh()
    const ref = app.db.collection(col).doc('d')
    await ref.set({ tags: ['a'] })
    interleave = () => rest('PUT', `classes/${col}/d`, { tags: ['a', 'y'] })
    await ref.update({ tags: arrayUnion('x') })
    // In the neutral semantics the result is [a, y, x]; here the concurrent 'y' is lost.
    expect((await ref.get())?.data.tags).toEqual(['a', 'x'])
    // Without interference the union is exact: order kept, duplicates already there kept.
    await ref.set({ tags: ['b', 'a', 'b'] })
    await ref.update({ tags: arrayUnion('a', 'c', 'c') })
    expect((await ref.get())?.data.tags).toEqual(['b', 'a', 'b', 'c'])
  })

  it("Parse's own Add/AddUnique ops would reorder and dedupe the stored array (why the adapter does not use them)", async () => {
    const col = fresh()
    await client().db.collection(col).doc('d').set({ tags: ['b', 'a', 'b'] })
    const response = await rest('PUT', `classes/${col}/d`, { tags: { __op: 'Add', objects: ['c'] } })
    expect(response.status).toBe(200)
    const tags = (await client().db.collection(col).doc('d').get())?.data.tags as string[]
    expect([...tags].sort()).toEqual(['a', 'b', 'c'])
    expect(tags).toHaveLength(3)
  })
})

describe('SDK set-up', () => {
  it('refuses a second app or server in the same JavaScript realm (the SDK holds one configuration)', async () => {
    await client().functions.call('whoami') // the SDK is set up for the test server
    const app = client({ serverURL: 'http://127.0.0.1:1/parse' })
    const error = await expectError(() => app.db.collection('x').doc('y').get(), 'failed-precondition')
    expect(error.message).toMatch(/already set up for another app or server/)
  })

  it('takes the SDK as an option, as its module namespace or as the SDK object', async () => {
    for (const sdk of [ParseSDK, Parse]) {
      const app = client({ Parse: sdk })
      const user = await app.auth.signInAnonymously()
      expect(await app.functions.call('whoami')).toEqual({ uid: user.uid })
    }
  })

  it('liveQueryServerURL: false turns realtime off: watch() fails with unsupported', async () => {
    const app = client({ liveQueryServerURL: false })
    expect(app.adapter.capabilities.realtime).toBe(false)
    await expectError(() => firstValueFrom(app.db.collection('x').watch()), 'unsupported')
  })
})

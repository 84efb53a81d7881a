/**
 * The SyncService conformance suite (sync-spi.ts) on a real Parse Server (test/backends/parse:
 * PGlite by default, an external PostgreSQL with PARSE_DATABASE_URI), plus Parse-only checks:
 * tombstones carry the deleted object's ACL, the `pb_w` column and the tombstone class.
 */
import { parse, type ParseAdapter } from '../../adapters/parse/index.js'
import { generateId } from '../../src/index.js'
import type { ParseTestServer } from '../backends/parse/server.js'
import { externalDatabase as external, parseTestOptions, startParseServerFor } from '../backends/parse/targets.js'
import { sleep, uniqueEmail, uniquePassword } from './helpers.js'
import { runSyncSpiSuite } from './sync-spi.js'

jest.setTimeout(60_000)

let server: ParseTestServer | undefined
let collections = 0
/** Class names unique to this run: an external database keeps the classes of earlier runs. */
const run = generateId(6)

function adapter(extra: { tombstoneTtlMs?: number } = {}): ParseAdapter {
  return parse({ ...parseTestOptions(server), ...extra })
}

// One server for the shared suite and the Parse-only tests below.
beforeAll(async () => {
  server = await startParseServerFor('the parse sync suite')
})

afterAll(async () => {
  await server?.stop()
})

runSyncSpiSuite({
  name: external ? 'parse (PostgreSQL)' : 'parse (PGlite)',
  async setup() {},
  async teardown() {},
  async createAdapter(options) {
    return adapter(options)
  },
  freshCollection: () => `s${run}_${++collections}`,
  ownedCollection: () => 'owned',
  // updatedAt has millisecond precision.
  tick: () => sleep(3),
  // The server's clock cannot be moved: the checkpoint moves back instead.
  async age(_adapter, checkpoint, ms) {
    return { updateTime: new Date(checkpoint.updateTime.getTime() - ms), id: checkpoint.id }
  },
  // The `owned` fixture's afterFind trigger refuses a read that returns another user's object.
  hiddenReads: 'permission-denied',
})

describe('sync SPI: Parse only', () => {
  const adapters: ParseAdapter[] = []
  afterEach(async () => {
    await Promise.all(adapters.splice(0).map((a) => a.dispose()))
  })

  async function signedIn(): Promise<{ adapter: ParseAdapter; uid: string; token: string }> {
    const a = adapter()
    adapters.push(a)
    const user = await a.auth.signUp({ email: uniqueEmail(), password: uniquePassword() })
    return { adapter: a, uid: user.uid, token: (await a.auth.getIdToken({ forceRefresh: false }))! }
  }

  async function rest(method: string, path: string, body: unknown, auth: { token?: string; master?: boolean } = {}): Promise<{ status: number; json: Record<string, unknown> }> {
    const headers: Record<string, string> = { 'X-Parse-Application-Id': server!.appId, 'X-Parse-Javascript-Key': server!.javascriptKey, 'Content-Type': 'application/json' }
    if (auth.token) headers['X-Parse-Session-Token'] = auth.token
    if (auth.master) headers['X-Parse-Master-Key'] = server!.masterKey
    const response = await fetch(`${server!.serverURL}/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    return { status: response.status, json: (await response.json()) as Record<string, unknown> }
  }

  it('an object hidden by its ACL is absent from fetch and changes, and so is its tombstone (it carries the ACL)', async () => {
    const a = await signedIn()
    const b = await signedIn()
    const col = `s${run}_acl`
    await a.adapter.sync.write([
      { type: 'create', collection: col, id: 'private', data: { v: 1 }, writeId: 'w1' },
      { type: 'create', collection: col, id: 'public', data: { v: 2 }, writeId: 'w2' },
      { type: 'create', collection: col, id: 'private2', data: { v: 3 }, writeId: 'w3' },
    ])
    for (const id of ['private', 'private2']) {
      expect((await rest('PUT', `classes/${col}/${id}`, { ACL: { [a.uid]: { read: true, write: true } } }, { token: a.token })).status).toBe(200)
    }
    await a.adapter.sync.write([{ type: 'delete', collection: col, id: 'private2', writeId: 'w4' }])

    expect((await a.adapter.sync.changes(col, null, 10)).map((r) => [r.id, r.data === null])).toEqual([
      ['public', false],
      ['private', false],
      ['private2', true],
    ])
    expect((await b.adapter.sync.changes(col, null, 10)).map((r) => r.id)).toEqual(['public'])
    expect((await b.adapter.sync.fetch(col, ['private', 'private2', 'public'])).map((r) => r.id)).toEqual(['public'])
    // B cannot delete what it cannot read: nothing happens, as with documents.write.
    expect(await b.adapter.sync.write([{ type: 'delete', collection: col, id: 'private', writeId: 'x' }])).toEqual([{ ok: true }])
    expect((await a.adapter.sync.fetch(col, ['private']))[0]).toMatchObject({ data: { v: 1 } })
  })

  it('writeIds live in pb_w; tombstones are objects of PortabaseTombstone', async () => {
    const { adapter: a, token } = await signedIn()
    const col = `s${run}_raw`
    await a.sync.write([{ type: 'create', collection: col, id: 'd', data: { v: 1 }, writeId: 'w-raw' }])
    const stored = await rest('GET', `classes/${col}/d`, undefined, { token })
    expect(stored.json.pb_w).toBe('w-raw')
    await a.documents.write([{ type: 'delete', collection: col, id: 'd' }], { atomic: false })
    const found = await rest('GET', `classes/PortabaseTombstone?where=${encodeURIComponent(JSON.stringify({ collection: col, docId: 'd' }))}`, undefined, { token })
    const results = found.json.results as Record<string, unknown>[]
    expect(results).toHaveLength(1)
    expect(results[0]).toMatchObject({ collection: col, docId: 'd', writeId: '' })
  })

  it('a delete the ACL refuses leaves no tombstone that counts: the document stays in the feed', async () => {
    const a = await signedIn()
    const b = await signedIn()
    const col = `s${run}_ro`
    await a.adapter.sync.write([{ type: 'create', collection: col, id: 'd', data: { v: 1 }, writeId: 'w1' }])
    await rest('PUT', `classes/${col}/d`, { ACL: { '*': { read: true }, [a.uid]: { read: true, write: true } } }, { token: a.token })
    const [outcome] = await b.adapter.sync.write([{ type: 'delete', collection: col, id: 'd', writeId: 'x' }])
    expect(outcome?.ok).toBe(false)
    expect(outcome && !outcome.ok && (outcome.error as { code?: string }).code).toBe('permission-denied')
    for (const reader of [a, b]) {
      expect((await reader.adapter.sync.changes(col, null, 10)).map((r) => [r.id, r.data])).toEqual([['d', { v: 1 }]])
      expect((await reader.adapter.sync.fetch(col, ['d']))[0]).toMatchObject({ data: { v: 1 } })
    }
  })

  it('writes larger than one /batch are split, with an outcome for each', async () => {
    const a = adapter()
    adapters.push(a)
    const col = `s${run}_big`
    const ops = Array.from({ length: 130 }, (_, i) => ({ type: 'create' as const, collection: col, id: `d${String(i).padStart(3, '0')}`, data: { i }, writeId: `w${i}` }))
    const outcomes = await a.sync.write(ops)
    expect(outcomes.every((o) => o.ok)).toBe(true)
    const deletes = await a.sync.write(ops.slice(0, 60).map((op) => ({ type: 'delete' as const, collection: col, id: op.id, writeId: `d${op.writeId}` })))
    expect(deletes.every((o) => o.ok)).toBe(true)
    const feed = []
    let after = null as { updateTime: Date; id: string } | null
    for (;;) {
      const page = await a.sync.changes(col, after, 50)
      if (page.length === 0) break
      feed.push(...page)
      after = { updateTime: page[page.length - 1]!.updateTime, id: page[page.length - 1]!.id }
    }
    expect(feed).toHaveLength(130)
    expect(feed.filter((r) => r.data === null)).toHaveLength(60)
  })
})

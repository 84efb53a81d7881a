/**
 * The SyncService conformance suite (sync-spi.ts) on the Amplify adapter (adapters/amplify/sync.ts)
 * against the local Amplify test backend (test/backends/amplify: Amplify's transformer and resolvers
 * on the AppSync simulator over dynalite, cognito-local), plus Amplify-only checks: late writes
 * behind a checkpoint (written into DynamoDB directly, as a slow commit or a lagging index would
 * show them), exactly-once replays by writeId, positions.
 *
 * AppSync models are typed and built before the server starts: one backend serves a pool of fresh
 * collections `s1…`, each declaring FIXTURE_FIELDS, plus `owned` (owner rule).
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import { amplify, type AmplifyAdapter } from '../../adapters/amplify/index.js'
import { modelNameOf, type AmplifyCollection } from '../../adapters/amplify/schema.js'
import { AmplifySync, type AmplifySyncOptions } from '../../adapters/amplify/sync.js'
import type { Adapter, SyncCheckpoint, SyncRecord, SyncService, SyncWrite } from '../../src/spi.js'
import { startAmplifyBackend, type AmplifyTestBackend } from '../backends/amplify/server.js'
import { installAdapterTestShims } from '../backends/amplify/shims.js'
import { sleep } from './helpers.js'
import { runSyncSpiSuite } from './sync-spi.js'
import { FIXTURE_FIELDS } from './target.js'

jest.setTimeout(60_000)

/** The suite takes 15 fresh collections; the Amplify-only tests below take theirs from the same pool. */
const POOL = 24
const COLLECTIONS: AmplifyCollection[] = [
  ...Array.from({ length: POOL }, (_, i): AmplifyCollection => ({ name: `s${i + 1}`, access: 'public', fields: { ...FIXTURE_FIELDS } })),
  { name: 'owned', access: 'owner', fields: { owner: 'string', secret: 'string' } },
]

let backend: AmplifyTestBackend | undefined
let undoShim: (() => void) | undefined
let used = 0

function freshCollection(): string {
  if (used >= POOL) throw new Error(`sync-spi-amplify: the pool of ${POOL} fresh collections is used up; raise POOL`)
  return `s${++used}`
}

/** An Amplify adapter (its SyncService is sync.ts) on the shared backend. */
function createAdapter(sync: AmplifySyncOptions = {}): AmplifyAdapter & { sync: AmplifySync } {
  if (!backend) throw new Error('The Amplify test backend is not running (setup failed; see the error above)')
  const adapter = amplify({ outputs: backend.outputs, userPoolEndpoint: backend.cognitoEndpoint, authFlowType: 'USER_PASSWORD_AUTH', collections: COLLECTIONS, sync })
  return adapter as AmplifyAdapter & { sync: AmplifySync }
}

beforeAll(async () => {
  // Node 20 has no WebSocket, and the simulator reads the auth header where AppSync does not (shims.ts).
  undoShim = installAdapterTestShims()
  backend = await startAmplifyBackend({ collections: COLLECTIONS })
})

afterAll(async () => {
  await backend?.stop()
  undoShim?.()
})

runSyncSpiSuite({
  name: 'amplify (local simulators)',
  async setup() {},
  async teardown() {},
  async createAdapter(options) {
    return createAdapter(options?.tombstoneTtlMs === undefined ? {} : { tombstoneTtlMs: options.tombstoneTtlMs })
  },
  freshCollection,
  ownedCollection: () => 'owned',
  // updatedAt has millisecond resolution.
  tick: () => sleep(3),
  // The simulator's clock cannot be moved: the checkpoint moves back instead.
  async age(_adapter, checkpoint, ms) {
    return { updateTime: new Date(checkpoint.updateTime.getTime() - ms), id: checkpoint.id }
  },
  // Owner rules hide other users' items: a get answers Unauthorized (read as absent), lists filter them out.
  hiddenReads: 'absent',
})

describe('sync SPI: Amplify only', () => {
  const open: Adapter[] = []
  afterEach(async () => {
    await Promise.all(open.splice(0).map((a) => a.dispose()))
  })

  function device(options?: AmplifySyncOptions): SyncService {
    const adapter = createAdapter(options)
    open.push(adapter)
    return adapter.sync
  }

  async function pushAll(sync: SyncService, ops: SyncWrite[]): Promise<void> {
    const outcomes = await sync.write(ops)
    const failed = outcomes.flatMap((o, i) => (o.ok ? [] : [`#${i} ${ops[i]!.type} ${ops[i]!.id}: ${o.error.message}`]))
    if (failed.length > 0) throw new Error(`sync.write failed: ${failed.join('; ')}`)
  }

  const dynamo = (): DynamoDBClient => new DynamoDBClient({ endpoint: backend!.dynamoDbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } })
  const tableOf = (collection: string): string => backend!.tableNames[modelNameOf({ name: collection })]!
  const checkpointOf = (r: SyncRecord): SyncCheckpoint => ({ updateTime: r.updateTime, id: r.id, ...(r.position !== undefined ? { position: r.position } : {}) })
  const exact = (r: SyncRecord): SyncCheckpoint => ({ updateTime: r.updateTime, id: r.id })
  const ids = (records: readonly SyncRecord[]): string[] => records.map((r) => r.id)

  /**
   * Puts an item as AppSync's create resolver would have written it, stamped `updatedAt`: what a
   * reader sees of a write whose commit (or index entry) arrives after later-stamped ones.
   */
  async function lateWrite(collection: string, id: string, updatedAt: Date, data: Record<string, { N: string } | { S: string }>): Promise<void> {
    const client = dynamo()
    try {
      const at = updatedAt.toISOString()
      await client.send(
        new PutItemCommand({
          TableName: tableOf(collection),
          Item: { id: { S: id }, __typename: { S: modelNameOf({ name: collection }) }, pbPart: { S: 'all' }, pbDeleted: { BOOL: false }, createdAt: { S: at }, updatedAt: { S: at }, 'updatedAt#id': { S: `${at}#${id}` }, ...data },
        }),
      )
    } finally {
      client.destroy()
    }
  }

  it('the stored items are what lateWrite() imitates (the index key is `updatedAt#id`)', async () => {
    const sync = device()
    const col = freshCollection()
    await pushAll(sync, [{ type: 'create', collection: col, id: 'probe', data: { v: 1 }, writeId: 'w' }])
    const client = dynamo()
    try {
      const { Item } = await client.send(new GetItemCommand({ TableName: tableOf(col), Key: { id: { S: 'probe' } } }))
      expect(Object.keys(Item ?? {}).sort()).toEqual(['__typename', 'createdAt', 'id', 'pbDeleted', 'pbPart', 'pbWriteId', 'updatedAt', 'updatedAt#id', 'v'])
      expect(Item?.['updatedAt#id']?.S).toBe(`${Item?.updatedAt?.S}#probe`)
      expect(Item?.updatedAt?.S).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    } finally {
      client.destroy()
    }
  })

  it('a write that shows up late, behind the checkpoint, comes with the next page of a positioned checkpoint, once', async () => {
    const sync = device()
    const col = freshCollection()
    await pushAll(sync, [
      { type: 'create', collection: col, id: 'a', data: { v: 1 }, writeId: 'wa' },
      { type: 'create', collection: col, id: 'b', data: { v: 2 }, writeId: 'wb' },
    ])
    const first = await sync.changes(col, null, 10)
    expect(ids(first)).toEqual(['a', 'b'])
    expect(first.every((r) => typeof r.position === 'string')).toBe(true)
    const last = first[first.length - 1]!
    // Nothing new: nothing again (the re-read part of the feed is in the position's digest).
    expect(await sync.changes(col, checkpointOf(last), 10)).toEqual([])

    // Stamped before `b`, visible only now.
    await lateWrite(col, 'late', new Date(last.updateTime.getTime() - 200), { v: { N: '3' } })
    // An exact checkpoint (no position) is strictly after `b`: the late write is behind it.
    expect(await sync.changes(col, exact(last), 10)).toEqual([])
    const caught = await sync.changes(col, checkpointOf(last), 10)
    expect(caught.map((r) => [r.id, r.data])).toEqual([['late', { v: 3 }]])
    // …and only once, also when later writes follow.
    expect(await sync.changes(col, checkpointOf(caught[0]!), 10)).toEqual([])
    await pushAll(sync, [{ type: 'update', collection: col, id: 'a', data: { v: 10 }, writeId: 'wa2' }])
    const next = await sync.changes(col, checkpointOf(caught[0]!), 10)
    expect(next.map((r) => [r.id, r.data])).toEqual([['a', { v: 10 }]])
    expect(await sync.changes(col, checkpointOf(next[0]!), 10)).toEqual([])
  })

  it('pages over positioned checkpoints: late writes between pages are delivered, nothing twice, the end is a short page', async () => {
    const sync = device()
    const col = freshCollection()
    const names = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']
    for (const id of names) await pushAll(sync, [{ type: 'create', collection: col, id, data: { i: Number(id.slice(1)) }, writeId: `w-${id}` }])
    const got: SyncRecord[] = []
    let after: SyncCheckpoint | null = null
    let pages = 0
    for (;;) {
      const page = await sync.changes(col, after, 2)
      pages += 1
      got.push(...page)
      if (pages === 2) await lateWrite(col, 'q-late', new Date(got[0]!.updateTime.getTime() + 1), { i: { N: '99' } })
      if (page.length < 2) break
      after = checkpointOf(page[page.length - 1]!)
      if (pages > 20) throw new Error('the feed does not end')
    }
    expect(ids(got).sort()).toEqual([...names, 'q-late'].sort())
    expect(new Set(ids(got)).size).toBe(got.length)
  })

  it('an unreadable position counts as none (exact checkpoint)', async () => {
    const sync = device()
    const col = freshCollection()
    await pushAll(sync, [
      { type: 'create', collection: col, id: 'a', data: { v: 1 }, writeId: 'wa' },
      { type: 'create', collection: col, id: 'b', data: { v: 1 }, writeId: 'wb' },
    ])
    const [a] = await sync.changes(col, null, 1)
    expect(ids(await sync.changes(col, { ...exact(a!), position: 'xid:123' }, 10))).toEqual(['b'])
  })

  it('a replay of an applied write is answered ok and not applied again (create, update, set, delete)', async () => {
    const sync = device()
    const col = freshCollection()
    const ops: SyncWrite[] = [
      { type: 'create', collection: col, id: 'r', data: { v: 1 }, writeId: 'c1' },
      { type: 'update', collection: col, id: 'r', data: { v: 2, s: null }, writeId: 'u1' },
      { type: 'set', collection: col, id: 'r', data: { v: 3 }, writeId: 's1' },
      { type: 'delete', collection: col, id: 'r', writeId: 'd1' },
      { type: 'create', collection: col, id: 'r', data: { v: 4 }, writeId: 'c2' },
    ]
    for (const op of ops) {
      expect(await sync.write([op])).toEqual([{ ok: true }])
      const [applied] = await sync.fetch(col, ['r'])
      expect(applied?.writeId).toBe(op.writeId)
      await sleep(3)
      // The answer was lost: the same write again. A second application would change the version.
      expect(await sync.write([op, op])).toEqual([{ ok: true }, { ok: true }])
      expect(await sync.fetch(col, ['r'])).toEqual([applied])
    }
    expect((await sync.fetch(col, ['r']))[0]).toMatchObject({ data: { v: 4 }, writeId: 'c2' })
  })

  it('replays racing each other on two devices: each answered ok, the write applied once', async () => {
    const one = device()
    const two = device()
    const col = freshCollection()
    const create: SyncWrite = { type: 'create', collection: col, id: 'race', data: { v: 1 }, writeId: 'race-c' }
    const outcomes = await Promise.all([one.write([create]), two.write([create]), one.write([create])])
    expect(outcomes).toEqual([[{ ok: true }], [{ ok: true }], [{ ok: true }]])
    const update: SyncWrite = { type: 'update', collection: col, id: 'race', data: { v: 2 }, writeId: 'race-u' }
    expect(await Promise.all([one.write([update]), two.write([update])])).toEqual([[{ ok: true }], [{ ok: true }]])
    expect(await one.fetch(col, ['race'])).toMatchObject([{ data: { v: 2 }, writeId: 'race-u' }])
    // A create whose id another write took meanwhile is not "applied": already-exists.
    const [late] = await two.write([{ type: 'create', collection: col, id: 'race', data: { v: 9 }, writeId: 'other' }])
    expect(late).toMatchObject({ ok: false, error: { code: 'already-exists' } })
  })

  it('tombstones are never purged here: no checkpoint expires unless tombstoneTtlMs says so', async () => {
    const sync = device()
    const col = freshCollection()
    await pushAll(sync, [{ type: 'create', collection: col, id: 'old', data: { v: 1 }, writeId: 'w' }])
    const [record] = await sync.changes(col, null, 10)
    const ancient = { updateTime: new Date(record!.updateTime.getTime() - 10 * 365 * 24 * 3600 * 1000), id: '' }
    expect(ids(await sync.changes(col, ancient, 10))).toEqual(['old'])
    await expect(device({ tombstoneTtlMs: 60_000 }).changes(col, ancient, 10)).rejects.toMatchObject({ code: 'failed-precondition', details: { reason: 'checkpoint-expired' } })
  })
})

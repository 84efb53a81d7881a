/**
 * mirror() with a real Parse Server as the secondary (test/backends/parse: PGlite, or PostgreSQL
 * with PARSE_DATABASE_URI), reached through the fault proxy: writes made while Parse is
 * unreachable or failing reach it afterwards, exactly once; shadow reads then agree, and a change
 * made on the primary behind the mirror's back shows as a difference.
 */
import { parse } from '../../adapters/parse/index.js'
import { memory } from '../../adapters/memory/index.js'
import { mirror, type MirrorAdapter, type ShadowDifference } from '../../adapters/mirror/index.js'
import { arrayUnion, createClient, generateId, increment, type PortabaseClient } from '../../src/index.js'
import type { ParseTestServer } from '../backends/parse/server.js'
import { parseTestOptions, startParseServerFor } from '../backends/parse/targets.js'
import { startFaultProxy, type FaultProxy } from '../backends/proxy.js'
import { until } from './harness.js'

jest.setTimeout(120_000)

let server: ParseTestServer | undefined
let proxy: FaultProxy | undefined
let app: PortabaseClient | undefined
let m: MirrorAdapter

beforeAll(async () => {
  server = await startParseServerFor('the mirror tests on Parse')
  proxy = await startFaultProxy({ port: Number(new URL(server.serverURL).port) })
})

afterAll(async () => {
  await app?.dispose()
  await proxy?.close()
  await server?.stop()
})

test('writes reach Parse through outages and failed requests, once each, and shadow reads compare them', async () => {
  const installationId = crypto.randomUUID()
  const secondary = parse({ ...parseTestOptions(server, proxy!.url(new URL(server!.serverURL).pathname)), installationId })
  const primary = memory()
  m = mirror({ primary, secondary, retry: { initialDelayMs: 20, maxDelayMs: 200 }, shadowReads: { sampleRate: 1 } })
  app = createClient({ adapter: m })
  // The secondary writes under its own session (docs/mirror.md#auth): here a user of its own.
  await m.secondary.auth.signUp({ email: `mirror-${generateId(8).toLowerCase()}@example.com`, password: `pw-${generateId(16)}` })

  const col = `mirror${generateId(6)}`
  const todos = app.db.collection(col)
  await todos.doc('a').set({ title: 'A', n: 0, tags: ['x'] })

  // Parse unreachable: the app goes on.
  const outage = proxy!.block((r) => r.body.includes(installationId))
  for (let i = 0; i < 3; i++) await todos.doc('a').update({ n: increment(1) })
  await todos.doc('b').set({ title: 'B', n: 10 })
  await todos.doc('c').set({ title: 'C' })
  await todos.doc('c').delete()
  await until(() => m.status.state === 'waiting', 30_000)
  outage.unblock()

  // Failed batch requests (500) and a lost response: retried, applied once.
  proxy!.respond(2, 500, { filter: (r) => r.path.endsWith('/batch') && r.body.includes(installationId) })
  await todos.doc('a').update({ tags: arrayUnion('y'), n: increment(1) })
  await m.flush({ timeoutMs: 60_000 })
  proxy!.dropResponses(1, (r) => r.path.endsWith('/batch') && r.body.includes(installationId))
  await todos.doc('b').update({ n: increment(5) })
  await m.flush({ timeoutMs: 60_000 })

  // The faults did happen: two batches answered 500, one response lost after Parse applied it.
  const actions = proxy!.requests.filter((r) => r.path.endsWith('/batch') && r.body.includes(installationId)).map((r) => r.action)
  expect(actions.filter((a) => a === 'answered')).toHaveLength(2)
  expect(actions.filter((a) => a === 'response-dropped')).toHaveLength(1)

  const onParse = async (id: string) => (await m.secondary.documents.get(col, id))?.data ?? null
  expect(await onParse('a')).toEqual({ title: 'A', n: 4, tags: ['x', 'y'] })
  expect(await onParse('b')).toEqual({ title: 'B', n: 15 })
  expect(await onParse('c')).toBeNull()

  // Shadow reads agree now; a change made on the primary alone is reported.
  const differences: ShadowDifference[] = []
  m.differences$.subscribe((d) => differences.push(d))
  expect((await todos.orderBy('title').get()).docs.map((d) => d.id)).toEqual(['a', 'b'])
  await until(() => shadowCompared() >= 1, 30_000)
  expect(differences).toEqual([])
  await m.primary.documents.write([{ type: 'update', collection: col, id: 'b', data: { n: 0 } }], { atomic: false })
  expect((await todos.doc('b').get())?.data).toEqual({ title: 'B', n: 0 })
  await until(() => differences.length === 1, 30_000)
  expect(differences[0]).toMatchObject({ method: 'get', id: 'b', changed: ['b'] })
})

let compared = 0
function shadowCompared(): number {
  m.shadowStats$.subscribe((s) => (compared = s.compared)).unsubscribe()
  return compared
}

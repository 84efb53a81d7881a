/**
 * Shadow reads: the secondary's answers are compared with the primary's and differences reported;
 * the app's answer is always the primary's, whatever the secondary does.
 */
import { firstValueFrom, take, toArray } from 'rxjs'
import type { ShadowDifference } from '../../adapters/mirror/index.js'
import { setup, until, type MirrorSetup } from './harness.js'

let current: MirrorSetup[] = []
const make = (...args: Parameters<typeof setup>): MirrorSetup => {
  const s = setup(...args)
  current.push(s)
  return s
}
afterEach(async () => {
  await Promise.all(current.map((s) => s.app.dispose()))
  current = []
})

/** Both backends hold `docs`; then the secondary is changed behind the mirror's back. */
function seeded(sampleRate = 1): MirrorSetup {
  const s = make({ shadowReads: { sampleRate } })
  const docs = { a: { title: 'A', n: 1 }, b: { title: 'B', n: 2 }, c: { title: 'C', n: 3 } }
  s.primary.backend.seed('todos', docs)
  s.secondary.backend.seed('todos', docs)
  return s
}

test('a document that differs is reported; the app gets the primary value', async () => {
  const { app, mirror: m, secondary } = seeded()
  secondary.backend.seed('todos', { a: { title: 'A', n: 100 } })
  const reported = firstValueFrom(m.differences$)
  expect((await app.db.collection('todos').doc('a').get())?.data).toEqual({ title: 'A', n: 1 })
  expect(await reported).toMatchObject({ method: 'get', collection: 'todos', id: 'a', changed: ['a'], onlyInPrimary: [], onlyInSecondary: [] })
})

test('queries report documents missing on either side, changed ones, and a different order', async () => {
  const { app, mirror: m, primary, secondary } = seeded()
  secondary.backend.collections.get('todos')!.delete('b')
  secondary.backend.seed('todos', { d: { title: 'D', n: 0 }, c: { title: 'C', n: 3, extra: true } })
  const reported = firstValueFrom(m.differences$)
  const result = await app.db.collection('todos').orderBy('n').get()
  expect(result.docs.map((d) => d.id)).toEqual(['a', 'b', 'c'])
  const difference: ShadowDifference = await reported
  expect(difference).toMatchObject({ method: 'query', collection: 'todos', onlyInPrimary: ['b'], onlyInSecondary: ['d'], changed: ['c'], orderDiffers: false })
  // Same documents, other order: only the order differs.
  primary.backend.seed('order', { x: { k: 1 }, y: { k: 2 } })
  secondary.backend.seed('order', { x: { k: 2 }, y: { k: 1 } })
  const next = firstValueFrom(m.differences$)
  await app.db.collection('order').orderBy('k').get()
  expect(await next).toMatchObject({ orderDiffers: true, onlyInPrimary: [], onlyInSecondary: [] })
})

test('counts are compared', async () => {
  const { app, mirror: m, secondary } = seeded()
  secondary.backend.seed('todos', { e: { title: 'E', n: 9 } })
  const reported = firstValueFrom(m.differences$)
  expect(await app.db.collection('todos').count()).toBe(3)
  expect(await reported).toMatchObject({ method: 'count', counts: { primary: 3, secondary: 4 } })
})

test('equal answers are counted, not reported; a failing secondary read is reported, never seen by the app', async () => {
  const { app, mirror: m, secondary } = seeded()
  const differences: ShadowDifference[] = []
  m.differences$.subscribe((d) => differences.push(d))
  const todos = app.db.collection('todos')
  await todos.doc('a').get()
  await todos.where('n', '>', 1).get()
  await todos.count()
  await until(async () => (await firstValueFrom(m.shadowStats$)).compared === 3)
  expect(differences).toEqual([])
  secondary.adapter.network.failNext(1, 'unavailable', { service: 'documents', method: 'get' })
  expect((await todos.doc('b').get())?.data).toEqual({ title: 'B', n: 2 })
  await until(() => differences.length === 1)
  expect(differences[0]!.error?.code).toBe('unavailable')
  expect(await firstValueFrom(m.shadowStats$)).toEqual({ compared: 4, differed: 1, skipped: 0 })
})

test('reads of a collection with writes on their way to the secondary are skipped, not reported', async () => {
  const { app, mirror: m, secondary } = seeded()
  const differences: ShadowDifference[] = []
  m.differences$.subscribe((d) => differences.push(d))
  secondary.adapter.network.goOffline()
  await app.db.collection('todos').doc('a').update({ n: 50 })
  await app.db.collection('todos').doc('a').get()
  await until(async () => (await firstValueFrom(m.shadowStats$)).skipped === 1)
  secondary.adapter.network.goOnline()
  await m.drain()
  await app.db.collection('todos').doc('a').get()
  await until(async () => (await firstValueFrom(m.shadowStats$)).compared === 1)
  expect(differences).toEqual([])
})

test('sampleRate picks the share of reads sent to the secondary', async () => {
  const none = seeded(0)
  await Promise.all(['a', 'b', 'c'].map((id) => none.app.db.collection('todos').doc(id).get()))
  expect(none.secondary.adapter.network.calls.get('documents.get')).toBeUndefined()

  let n = 0
  const half = make({ shadowReads: { sampleRate: 0.5 }, random: () => (n++ % 2 === 0 ? 0.25 : 0.75) })
  half.primary.backend.seed('t', { x: { v: 1 } })
  half.secondary.backend.seed('t', { x: { v: 1 } })
  const stats = firstValueFrom(half.mirror.shadowStats$.pipe(take(3), toArray()))
  for (let i = 0; i < 4; i++) await half.app.db.collection('t').doc('x').get()
  expect((await stats).map((s) => s.compared)).toEqual([0, 1, 2])
  expect(half.secondary.adapter.network.calls.get('documents.get')).toBe(2)
})

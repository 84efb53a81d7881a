/**
 * An offline collection answers locally as its adapter answers online: the engine evaluates the
 * cache with the adapter's declared query semantics (missingFields, nullOrder, notEqualNull), so the
 * same app code sees the same results on Firestore online and offline. Here memory declares
 * Firestore's semantics (it emulates them, test/contract/memory-firestore.test.ts); the online
 * answers are the expected values.
 */
import { FIRESTORE_QUERY_SEMANTICS } from '../../adapters/firebase/firestore-query.js'
import { createMemoryBackend, memory } from '../../adapters/memory/index.js'
import { createClient, type PortabaseClient, type QueryRef } from '../../src/index.js'
import { offline, memoryStore } from '../../src/offline/index.js'

const DOCS: Record<string, Record<string, unknown>> = {
  a: { n: 1, tag: 'x' },
  b: { n: null, tag: 'y' },
  c: { tag: 'z' },
  d: { n: 3 },
  e: { n: 2, tag: null },
}

describe('offline: local answers follow the adapter\'s declared query semantics', () => {
  let online: PortabaseClient
  let device: PortabaseClient
  beforeAll(async () => {
    const backend = createMemoryBackend()
    const capabilities = { ...FIRESTORE_QUERY_SEMANTICS }
    online = createClient({ adapter: memory({ backend, capabilities }) })
    for (const [id, data] of Object.entries(DOCS)) await online.db.collection('t').doc(id).set(data as never)
    device = createClient({ adapter: memory({ backend, capabilities }), offline: offline({ store: memoryStore(), collections: { t: {} } }) })
    await device.sync.waitForSync()
  })
  afterAll(async () => {
    await Promise.all([online.dispose(), device.dispose()])
  })

  const shapes: Array<[string, (c: QueryRef) => QueryRef]> = [
    ['orderBy n (missing excluded, null first)', (c) => c.orderBy('n')],
    ['orderBy n desc, limit 2', (c) => c.orderBy('n', 'desc').limit(2)],
    ["where tag != 'x' (null and missing skipped)", (c) => c.where('tag', '!=', 'x')],
    ['where n == null (explicit nulls only)', (c) => c.where('n', '==', null)],
    ["where tag not-in ['z']", (c) => c.where('tag', 'not-in', ['z'])],
  ]

  it.each(shapes)('%s: get(), count() and the first watch() snapshot equal the online answer', async (_name, shape) => {
    const expected = (await shape(online.db.collection('t')).get()).docs.map((d) => d.id)
    const local = shape(device.db.collection('t'))
    expect((await local.get()).docs.map((d) => d.id)).toEqual(expected)
    expect(await local.count()).toBe(await shape(online.db.collection('t')).count())
    const first = await new Promise<string[]>((resolve, reject) => {
      const sub = local.watch().subscribe({ next: (s) => (resolve(s.docs.map((d) => d.id)), queueMicrotask(() => sub.unsubscribe())), error: reject })
    })
    expect(first).toEqual(expected)
  })
})

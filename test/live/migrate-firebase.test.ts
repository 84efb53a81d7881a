/**
 * Migration documents to and from Firestore through the firebase migration endpoint (firebase-admin),
 * against a real Firestore emulator you run yourself (Java 21):
 * `FIRESTORE_EMULATOR_HOST=127.0.0.1:8080 npm run test:live -- migrate-firebase` (firebase-live.ts).
 * The only layer where the endpoint's documents meet a Firestore server; users and files run on this
 * machine's emulators in test/migrate/firebase.test.ts, the call translation in
 * test/migrate/firebase-translation.test.ts.
 */
import { memory } from '../../adapters/memory/index.js'
import { createClient, generateId } from '../../src/index.js'
import type { Endpoint } from '../../src/migrate/endpoint.js'
import { firebaseEndpoint } from '../../src/migrate/endpoints/firebase.js'
import { memoryEndpoint } from '../../src/migrate/endpoints/memory.js'
import { migrate } from '../../src/migrate/run.js'
import { PROJECT_ID } from '../backends/firebase/emulators.js'
import { FIXTURE_LISTS, fixtureDocs } from '../migrate/fixtures.js'
import { firestoreHost, liveFirebase } from './firebase-live.js'

jest.setTimeout(120_000)

const live = liveFirebase()
const run = generateId(6)
beforeAll(live.setup)
afterAll(live.teardown)

const firestoreTarget = (): Endpoint => {
  const { host, port } = firestoreHost()
  return firebaseEndpoint({ projectId: PROJECT_ID, emulators: { firestore: `${host}:${port}` } })
}

describe('memory → Firestore → memory (live Firestore emulator)', () => {
  it('writes every value kind with ids kept, verifies, and the firebase adapter reads the documents back as the fixtures hold them', async () => {
    const todos = `mtodos${run}`
    const lists = `mlists${run}`
    const source = memory()
    source.backend.seed(todos, fixtureDocs(1_100))
    source.backend.seed(lists, FIXTURE_LISTS)
    const target = firestoreTarget()
    const report = await migrate({ from: memoryEndpoint(source), to: target, selection: { collections: [todos, lists], storagePrefixes: [], configKeys: null, users: false }, verify: true, pageSize: 400 })
    expect(report.verify?.ok).toBe(true)
    expect(report.timestamps).toBe('server-assigned')
    expect(report.collections.map((c) => c.written)).toEqual([1_100, 2])
    expect(await target.documents.count!(todos)).toBe(1_100)
    await target.close()

    const app = createClient({ adapter: live.adapter() })
    const read = await app.db.collection(todos).get()
    expect(Object.fromEntries(read.docs.map((d) => [d.id, d.data]))).toEqual(fixtureDocs(1_100))
    await app.dispose()
  })

  it('reads past security rules (the owned collection) back into memory and verifies; a page written twice leaves one document per id', async () => {
    const collection = 'owned'
    const docs = { [`m${run}a`]: { owner: 'someone-else', n: 1 }, [`m${run}b`]: { owner: 'another', n: 2 } }
    const seed = memory()
    seed.backend.seed(collection, docs)
    const writer = firestoreTarget()
    await migrate({ from: memoryEndpoint(seed), to: writer, selection: { collections: [collection], storagePrefixes: [], configKeys: null, users: false } })
    // Written twice: set semantics, still one document per id.
    await writer.documents.writePage!(collection, [...seed.backend.collection(collection).values()])
    const stored = await writer.documents.readByIds!(collection, Object.keys(docs))
    expect(Object.fromEntries([...stored].map(([id, d]) => [id, d.data]))).toEqual(docs)
    await writer.close()

    const target = memory()
    const source = firestoreTarget()
    const report = await migrate({ from: source, to: memoryEndpoint(target), selection: { collections: [collection], storagePrefixes: [], configKeys: null, users: false }, verify: true, pageSize: 1 })
    expect(report.verify?.ok).toBe(true)
    for (const [id, data] of Object.entries(docs)) expect(target.backend.collection(collection).get(id)?.data).toEqual(data)
    await source.close()
  })
})

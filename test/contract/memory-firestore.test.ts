/**
 * The contract suite on a memory adapter declaring Firestore's query semantics — exactly what the
 * Firebase adapter declares (FIRESTORE_QUERY_SEMANTICS: documents missing a field match no filter on
 * it and leave queries ordered by it, null sorts first, `!=` / `not-in` skip null, inequality fields
 * are ordered by), and Firestore's limits (FIRESTORE_LIMITS: 500 writes a batch, 30 list values). Memory emulates declared semantics (src/query/declared.ts), so the suite's
 * declared branches run in `npm test`, where no Firestore emulator can; on Firestore itself they run
 * in the live target (test/live/firebase.test.ts).
 */
import { memory, type MemoryBackend } from '../../adapters/memory/index.js'
import { FIRESTORE_LIMITS } from '../../adapters/firebase/firestore-limits.js'
import { FIRESTORE_QUERY_SEMANTICS } from '../../adapters/firebase/firestore-query.js'
import { createFixtureBackend } from './memory-fixtures.js'
import { runContractSuite } from './suite.js'

let backend: MemoryBackend
let collections = 0

runContractSuite({
  name: 'memory (Firestore query semantics)',
  async setup() {
    backend = createFixtureBackend()
  },
  async teardown() {},
  async createAdapter() {
    return memory({ backend, capabilities: { ...FIRESTORE_QUERY_SEMANTICS, limits: FIRESTORE_LIMITS } })
  },
  freshCollection: () => `f${++collections}`,
  ownedCollection: () => 'owned',
  setConfig: async (values) => backend.setConfig(values),
})

/**
 * The FULL contract suite on Firebase, with Firestore from an emulator you run yourself:
 * `FIRESTORE_EMULATOR_HOST=127.0.0.1:8080 npm run test:live -- firebase` (firebase-live.ts).
 */
import { generateId } from '../../src/index.js'
import { runContractSuite } from '../contract/suite.js'
import { liveFirebase } from './firebase-live.js'

jest.setTimeout(60_000)

const live = liveFirebase()
let collections = 0
const run = generateId(6)

runContractSuite({
  name: 'firebase (live Firestore emulator)',
  setup: live.setup,
  teardown: live.teardown,
  async createAdapter() {
    return live.adapter()
  },
  freshCollection: () => `c${run}_${++collections}`,
  ownedCollection: () => 'owned',
})

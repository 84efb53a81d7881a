/**
 * The FULL contract suite on a real Supabase project (hosted, or `supabase start`): PostgREST,
 * GoTrue, Realtime, Storage and Edge Functions themselves, which cannot run on this project's
 * machines. `npm run test:live -- supabase` with the variables of test/live/supabase-project.ts.
 */
import { runContractSuite } from '../contract/suite.js'
import { liveRun } from './supabase-project.js'

jest.setTimeout(60_000)

// The contract suite takes 130 fresh collections (measured on memory); room to grow.
const live = liveRun(200)

runContractSuite({
  name: 'supabase (live project)',
  setup: live.setup,
  teardown: live.teardown,
  createAdapter: async () => live.adapter(),
  freshCollection: live.freshCollection,
  ownedCollection: () => 'owned',
  setConfig: live.setConfig,
})

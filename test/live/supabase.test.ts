/**
 * The FULL contract suite on a real Supabase project (hosted, or `supabase start`): PostgREST,
 * GoTrue, Realtime, Storage and Edge Functions themselves, which cannot run on this project's
 * machines. `npm run test:live -- supabase` with the variables of test/live/supabase-project.ts.
 */
import type { SupabaseAdapter } from '../../adapters/supabase/index.js'
import { runContractSuite } from '../contract/suite.js'
import { LiveCollections, liveAdapter, liveProject, setLiveConfig, setUpLiveProject, tearDownLiveProject, type LiveProject } from './supabase-project.js'

jest.setTimeout(60_000)

let project: LiveProject | undefined
// The contract suite takes 130 fresh collections (measured on memory); room to grow.
const collections = new LiveCollections(200)
const adapters: SupabaseAdapter[] = []

runContractSuite({
  name: 'supabase (live project)',
  async setup() {
    project = liveProject()
    await setUpLiveProject(project, collections)
  },
  async teardown() {
    await Promise.all(adapters.map((a) => a.client.removeAllChannels()))
    if (project) await tearDownLiveProject(project, collections)
  },
  async createAdapter() {
    if (!project) throw new Error('The live Supabase project is not set up (setup failed)')
    const adapter = liveAdapter(project)
    adapters.push(adapter)
    return adapter
  },
  freshCollection: () => collections.fresh(),
  ownedCollection: () => 'owned',
  setConfig: (values) => setLiveConfig(project!, values),
})

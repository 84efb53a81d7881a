/**
 * The offline suite on a real Supabase project (see test/live/supabase-project.ts). Each device's
 * supabase-js client fetches through a switch: offline, every request fails as a dropped network
 * does (TypeError "fetch failed"); `failNextWrites(n)` answers the next n `portabase_write` calls
 * with PostgREST's 500.
 */
import { runOfflineSuite } from '../offline/suite.js'
import { liveRun } from './supabase-project.js'

jest.setTimeout(120_000)

const live = liveRun(120)

runOfflineSuite({
  name: 'supabase (live project)',
  setup: live.setup,
  teardown: live.teardown,
  async device() {
    let offline = false
    let failWrites = 0
    const deviceFetch: typeof fetch = async (input, init) => {
      if (offline) throw new TypeError('fetch failed')
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      if (failWrites > 0 && url.includes('/rest/v1/rpc/portabase_write')) {
        failWrites--
        return new Response(JSON.stringify({ code: 'XX000', message: 'injected failure', details: null, hint: null }), { status: 500, headers: { 'Content-Type': 'application/json' } })
      }
      return fetch(input, init)
    }
    const adapter = live.adapter(deviceFetch)
    return {
      adapter,
      goOffline: async () => {
        offline = true
      },
      goOnline: async () => {
        offline = false
      },
      failNextWrites: (n: number) => {
        failWrites += n
      },
    }
  },
  freshCollection: live.freshCollection,
  ownedCollection: () => 'owned',
  propertyRuns: 6,
})

/**
 * The toy adapter as a contract target, shared by the Vitest specs (vitest/) and the Jest test that
 * runs them (vitest.test.ts). Imports the kit by package name only, as an adapter author would.
 */
import type { ContractTarget } from 'portabase/conformance'
import { createToyServer, toy, type ToyServer } from './toy-adapter.js'

export function toyTarget(name: string): ContractTarget {
  let server: ToyServer | undefined
  let collections = 0
  return {
    name,
    async setup() {
      server = createToyServer('owned')
    },
    async teardown() {},
    async createAdapter() {
      if (!server) throw new Error('toy target: createAdapter before setup')
      return toy(server)
    },
    freshCollection: () => `toy${++collections}`,
    ownedCollection: () => 'owned',
  }
}

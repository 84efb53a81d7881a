/**
 * The toy third-party adapter (toy-adapter.ts) through the shipped conformance kit: both are
 * imported by package name, so this runs the built `portabase/conformance` (dist/, `npm run build`),
 * as an adapter author's project would. Every section runs: the toy's few capabilities make most
 * capability-gated cases assert the client's refusals, and its declared limits are checked both ways.
 */
import { FIXTURE_CONFIG, runContractSuite } from 'portabase/conformance'
import { createToyServer, toy, type ToyServer } from './toy-adapter.js'

let server: ToyServer
let collections = 0

runContractSuite({
  name: 'toy (a third-party adapter on the built kit)',
  async setup() {
    server = createToyServer('owned')
  },
  async teardown() {},
  async createAdapter() {
    return toy(server)
  },
  freshCollection: () => `toy${++collections}`,
  ownedCollection: () => 'owned',
})

test('the kit exports the fixtures a backend provides', () => {
  expect(FIXTURE_CONFIG).toEqual({ welcome: 'hello', maxItems: 20, featureX: true, ratio: 0.5 })
})

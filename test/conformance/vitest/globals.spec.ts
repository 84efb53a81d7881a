/**
 * The toy adapter through the built `portabase/conformance` on Vitest with `globals: true`: the kit
 * finds describe/test/expect/… on globalThis, as under Jest. Run by ../vitest.test.ts.
 */
import { runContractSuite } from 'portabase/conformance'
import { toyTarget } from '../toy-target.js'

runContractSuite(toyTarget('toy (Vitest globals)'))

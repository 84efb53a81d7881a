/**
 * The toy adapter through the built `portabase/conformance` on Vitest without globals: the kit gets
 * Vitest's own functions as `testApi`. Run by ../vitest.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { runContractSuite } from 'portabase/conformance'
import { toyTarget } from '../toy-target.js'

runContractSuite(toyTarget('toy (Vitest injected testApi)'), { testApi: { describe, test, expect, beforeAll, afterAll, afterEach } })

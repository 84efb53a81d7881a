/** The contract's queries and realtime sections on the Amplify adapter and the local simulators (amplify-target.ts). */
import { amplifyTarget } from './amplify-target.js'
import { runContractSuite } from './suite.js'

jest.setTimeout(60_000)

runContractSuite(amplifyTarget('amplify (local simulators)', { pool: 80, prefix: 'q' }), { sections: ['queries', 'realtime'] })

/** The contract's documents section on the Amplify adapter and the local simulators (amplify-target.ts). */
import { amplifyTarget } from './amplify-target.js'
import { runContractSuite } from './suite.js'

jest.setTimeout(60_000)

runContractSuite(amplifyTarget('amplify (local simulators)', { pool: 52, prefix: 'd' }), { sections: ['documents'] })

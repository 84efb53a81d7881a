/** The contract's documents and limits sections on the Amplify adapter and the local simulators (amplify-target.ts). */
import { amplifyTarget } from './amplify-target.js'
import { runContractSuite } from './suite.js'

jest.setTimeout(60_000)

// limits: 4 fresh collections (Amplify declares none: 501 writes, 31-value lists, names reach the adapter).
runContractSuite(amplifyTarget('amplify (local simulators)', { pool: 56, prefix: 'd' }), { sections: ['documents', 'limits'] })

/**
 * The contract suite on a deployed Amplify Gen 2 backend (real Cognito, AppSync, DynamoDB, Lambda,
 * S3): `npm run test:live -- amplify` with the variables of test/live/amplify-live.ts, against the
 * backend deployed from test/live/amplify (adapters/amplify/README.md, "Live target").
 *
 * Every section the simulator runs cannot be trusted to be what AWS does (DESIGN.md lists the
 * gaps): this is where they are checked. The pool of deployed collections is reused: each group
 * below empties it first (groups run one after the other in this file).
 */
import { runContractSuite } from '../contract/suite.js'
import { liveAmplifyTarget } from './amplify-live.js'

jest.setTimeout(120_000)

runContractSuite(liveAmplifyTarget('amplify (live AWS)'), { sections: ['auth', 'secrets', 'permissions', 'errors', 'lifecycle', 'functions', 'config', 'storage', 'values'] })
runContractSuite(liveAmplifyTarget('amplify (live AWS)'), { sections: ['documents'] })
runContractSuite(liveAmplifyTarget('amplify (live AWS)'), { sections: ['queries'] })
runContractSuite(liveAmplifyTarget('amplify (live AWS)'), { sections: ['realtime'] })

/**
 * The collections, functions and config model of the live Amplify fixture backend: what
 * test/live/amplify/amplify/data/resource.ts deploys and test/live/amplify.test.ts uses. Light on
 * purpose (type-only imports, constants): the Gen 2 deployment (`ampx`) loads this file too.
 *
 * AppSync models are typed and exist only as deployed: the backend serves a fixed pool of fresh
 * collections `f1…f<LIVE_POOL>`, each declaring FIXTURE_FIELDS and the contract's orderings, plus
 * `owned` (owner rule). The live run empties the pool before each group of sections.
 */
import type { AmplifyCollection } from '../../adapters/amplify/schema.js'
import { FIXTURE_FIELDS } from '../contract/target.js'

/**
 * Fresh collections per group of sections. Counted on the memory adapter: queries takes 52,
 * documents 49, realtime 21, values 13 (Amplify, declaring no neutral type, takes 10), lifecycle 7,
 * errors 1; the rest none.
 */
export const LIVE_POOL = 60
export const LIVE_PREFIX = 'f'

/** The orderings every fresh collection declares: the contract's (test/contract/amplify-target.ts ORDERINGS; the live run checks they agree). */
export const LIVE_ORDERINGS = [['n'], ['g', 'n'], ['s'], ['at']] as const

/** The collection under FIXTURES.md's access rules (as test/contract/amplify-target.ts OWNED). */
export const LIVE_OWNED: AmplifyCollection = { name: 'owned', access: 'owner', fields: { owner: 'string', secret: 'string', v: 'number' } }

/** The contract's functions (FIXTURES.md), one Lambda serving all four. */
export const LIVE_FUNCTIONS = ['echo', 'whoami', 'fail', 'slow'] as const

/** The S3 folder the storage section writes under; test/live/amplify/amplify/storage/resource.ts grants it. */
export const LIVE_STORAGE_PREFIX = 'public/'

export function liveCollections(): AmplifyCollection[] {
  const pool = Array.from({ length: LIVE_POOL }, (_, i): AmplifyCollection => ({ name: `${LIVE_PREFIX}${i + 1}`, fields: { ...FIXTURE_FIELDS }, orderBy: LIVE_ORDERINGS }))
  return [...pool, LIVE_OWNED]
}

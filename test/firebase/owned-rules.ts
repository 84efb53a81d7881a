import type { RuleRequest, Rules } from './fake-firestore.js'

/**
 * The `owned` collection's rules of test/contract/FIXTURES.md, as test/live/firebase-live.ts loads
 * them into the emulator: a document by its owner (a get of a missing one is allowed, as a
 * transaction must read before it creates), a query only when it asks for the caller's documents.
 */
export const ownedRules: Rules = {
  document({ op, collection, before, after, uid }: RuleRequest): boolean {
    if (collection !== 'owned') return true
    if (uid === null) return false
    if (op === 'create') return after?.owner === uid
    return op === 'read' ? before === undefined || before.owner === uid : before?.owner === uid
  },
  query: ({ collection, filters, uid }) =>
    collection !== 'owned' || (uid !== null && filters.some((f) => f.$ === 'where' && f.field === 'owner' && f.op === '==' && f.value === uid)),
}


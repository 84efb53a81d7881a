/**
 * Plans a neutral query on Firestore. Every query Firestore can run (firestore-limits.ts) runs
 * natively: its filters, its full ordering (the client names the inequality fields, see
 * `implicitOrder`), its cursor and its limit go to the server, so a page reads at most `limit`
 * documents. Firestore's own answers differ from the reference's; the adapter declares how
 * (FIRESTORE_QUERY_SEMANTICS) instead of reading more to hide it.
 *
 * A query Firestore cannot run fails with `unsupported`, naming the rule it breaks, unless the app
 * opted in (`allowClientPlan({ maxReads })`): then the adapter reads the documents matching the part
 * Firestore can run, at most `maxReads` of them (one more tells there are too many:
 * `resource-exhausted`), and evaluates the query on the device with the same declared semantics.
 */
import { PortabaseError } from '../../src/errors.js'
import { withIdOrder, type Filter, type Query } from '../../src/query/model.js'
import { declaredOrderBy, type QuerySemantics } from '../../src/query/semantics.js'
import { PROVIDER } from './errors.js'
import { nativeProblem } from './firestore-limits.js'

/**
 * Firestore's query semantics, declared as capabilities (docs/semantics.md): a document missing a
 * field matches no filter on it and is left out of queries ordered by it; null sorts first; `!=` and
 * `not-in` skip null; inequality fields are ordered by after the requested ordering.
 */
export const FIRESTORE_QUERY_SEMANTICS: QuerySemantics = Object.freeze({
  missingFields: 'excluded',
  nullOrder: 'first',
  notEqualNull: 'skipped',
  implicitOrder: 'inequality-fields',
})

export type QueryPlan =
  | { mode: 'native'; query: Query }
  | {
      mode: 'client'
      query: Query
      /** Sent to Firestore: the top-level conditions it can run, limited to `maxReads + 1`. */
      server: Query
      maxReads: number
      /** Why the query is not native. */
      reason: string
    }

export function planQuery(query: Query): QueryPlan {
  const reason = nativeProblem(query)
  if (reason === null) return { mode: 'native', query }
  if (!query.clientPlan) {
    throw new PortabaseError(
      'unsupported',
      `Firestore cannot run this query natively: ${reason}. To evaluate it on the device, reading at most N documents, opt in with allowClientPlan({ maxReads: N })`,
      { provider: PROVIDER, details: { reason } },
    )
  }
  const { maxReads } = query.clientPlan
  return { mode: 'client', query, server: { ...serverQuery(serverFilters(query.filters)), limit: maxReads + 1 }, maxReads, reason }
}

/** Top-level conditions (and() flattened), each kept if the conditions kept so far stay native with it. */
function serverFilters(filters: readonly Filter[]): Filter[] {
  const candidates = filters.flatMap(function flatten(f: Filter): Filter[] {
    return f.kind === 'and' ? f.filters.flatMap(flatten) : [f]
  })
  const kept: Filter[] = []
  for (const candidate of candidates) if (nativeProblem(serverQuery([...kept, candidate])) === null) kept.push(candidate)
  return kept
}

/** Filters alone, ordered as Firestore orders them (inequality fields, then the id). */
function serverQuery(filters: Filter[]): Query {
  return { filters, orderBy: withIdOrder(declaredOrderBy([], filters, FIRESTORE_QUERY_SEMANTICS)) }
}

/** A client-side plan met more candidates than the app allowed. */
export function tooManyReads(collection: string, plan: Extract<QueryPlan, { mode: 'client' }>): PortabaseError {
  return new PortabaseError(
    'resource-exhausted',
    `The client-side plan for this query on ${collection} would read more than ${plan.maxReads} documents (maxReads); narrow the query or raise maxReads. Not native because of ${plan.reason}`,
    { provider: PROVIDER, details: { maxReads: plan.maxReads, reason: plan.reason } },
  )
}

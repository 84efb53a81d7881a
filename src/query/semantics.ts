/**
 * The query semantics an adapter declares where vendors differ (capabilities `missingFields`,
 * `nullOrder`, `notEqualNull`, `implicitOrder`; docs/semantics.md), and the one rule the client
 * applies for them: the ordering a query is sent with.
 */
import type { Capabilities } from '../spi.js'
import { compareStrings } from './compare.js'
import { DOC_ID, fieldFilters, type Filter, type FilterOp, type OrderBy } from './model.js'

export type QuerySemantics = Pick<Capabilities, 'missingFields' | 'nullOrder' | 'notEqualNull' | 'implicitOrder'>

/** What the reference evaluator (evaluate.ts) implements, and every adapter but Firebase declares. */
export const REFERENCE_SEMANTICS: QuerySemantics = Object.freeze({
  missingFields: 'null',
  nullOrder: 'last',
  notEqualNull: 'matched',
  implicitOrder: 'none',
})

export function isReferenceSemantics(s: QuerySemantics): boolean {
  return (
    s.missingFields === REFERENCE_SEMANTICS.missingFields &&
    s.nullOrder === REFERENCE_SEMANTICS.nullOrder &&
    s.notEqualNull === REFERENCE_SEMANTICS.notEqualNull &&
    s.implicitOrder === REFERENCE_SEMANTICS.implicitOrder
  )
}

/** Operators Firestore calls inequalities: they order results by their field (`implicitOrder`). */
export const INEQUALITY_OPERATORS: ReadonlySet<FilterOp> = new Set(['<', '<=', '>', '>=', '!=', 'not-in'])

/** Fields with an inequality filter anywhere in the tree (the id aside), in field-path order, once each. */
export function inequalityFields(filters: readonly Filter[]): string[] {
  const fields = new Set<string>()
  for (const f of fieldFilters(filters)) if (f.field !== DOC_ID && INEQUALITY_OPERATORS.has(f.op)) fields.add(f.field)
  return [...fields].sort(compareFieldPaths)
}

/** Segment by segment, each by code point (Firestore's FieldPath order). */
export function compareFieldPaths(a: string, b: string): number {
  const sa = a.split('.')
  const sb = b.split('.')
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    const c = compareStrings(sa[i]!, sb[i]!)
    if (c !== 0) return c
  }
  return sa.length - sb.length
}

/**
 * The ordering the app asked for, completed as the adapter's `implicitOrder` declares: with
 * `inequality-fields`, the inequality fields it does not name join it before the id (or at the end),
 * in the direction of its last entry. The client sends this ordering, so cursors record every field
 * the results are ordered by. The id tie-breaker is added afterwards (`withIdOrder`).
 */
export function declaredOrderBy(orderBy: readonly OrderBy[], filters: readonly Filter[], semantics: Pick<QuerySemantics, 'implicitOrder'>): OrderBy[] {
  if (semantics.implicitOrder === 'none') return [...orderBy]
  const named = new Set(orderBy.map((o) => o.field))
  const direction = orderBy[orderBy.length - 1]?.direction ?? 'asc'
  const implicit = inequalityFields(filters)
    .filter((field) => !named.has(field))
    .map((field): OrderBy => ({ field, direction }))
  if (implicit.length === 0) return [...orderBy]
  const idAt = orderBy.findIndex((o) => o.field === DOC_ID)
  if (idAt < 0) return [...orderBy, ...implicit]
  return [...orderBy.slice(0, idAt), ...implicit, ...orderBy.slice(idAt)]
}

/** Seeding documents and reading results: shared by the documents, queries and realtime tests. */
import { DOC_ID, type Capabilities, type CollectionRef, type Doc, type DocumentData, type Filter, type OrderBy, type QueryRef, type QuerySnapshot } from '../index.js'
import { compareValues } from '../query/compare.js'
import { compileFilter, getField, runQuery, type Evaluable } from '../query/evaluate.js'
import { withIdOrder } from '../query/model.js'
import { expect } from './runner.js'

/** Writes each document under its id (sequentially: some vendors throttle bursts of creates). */
export async function seed(collection: CollectionRef, docs: Record<string, DocumentData>): Promise<void> {
  for (const [id, data] of Object.entries(docs)) await collection.doc(id).set(data)
}

export function idsOf(docs: readonly Pick<Doc, 'id'>[]): string[] {
  return docs.map((d) => d.id)
}

export function sorted(ids: readonly string[]): string[] {
  return [...ids].sort()
}

/**
 * Problems with a snapshot's `changes` relative to the previous snapshot's docs, per the contract of
 * src/query/live.ts: `oldIndex` is a position in the previous result, `newIndex` in the new one;
 * every doc that entered has an `added` change and every doc that left a `removed` change.
 */
export function changeProblems(previous: readonly Doc[], snapshot: QuerySnapshot): string[] {
  const before = idsOf(previous)
  const after = idsOf(snapshot.docs)
  const problems: string[] = []
  for (const change of snapshot.changes) {
    const { type, doc, oldIndex, newIndex } = change
    const label = `${type} ${doc.id} (old ${oldIndex}, new ${newIndex})`
    if (type === 'added') {
      if (oldIndex !== -1) problems.push(`${label}: oldIndex must be -1`)
      if (after[newIndex] !== doc.id) problems.push(`${label}: new result has ${after[newIndex]} at newIndex`)
      if (before.includes(doc.id)) problems.push(`${label}: was already in the previous result`)
    } else if (type === 'removed') {
      if (newIndex !== -1) problems.push(`${label}: newIndex must be -1`)
      if (before[oldIndex] !== doc.id) problems.push(`${label}: previous result has ${before[oldIndex]} at oldIndex`)
      if (after.includes(doc.id)) problems.push(`${label}: is still in the new result`)
    } else {
      if (before[oldIndex] !== doc.id) problems.push(`${label}: previous result has ${before[oldIndex]} at oldIndex`)
      if (after[newIndex] !== doc.id) problems.push(`${label}: new result has ${after[newIndex]} at newIndex`)
    }
  }
  const changed = (type: string, id: string): boolean => snapshot.changes.some((c) => c.type === type && c.doc.id === id)
  for (const id of after) if (!before.includes(id) && !changed('added', id)) problems.push(`${id} entered without an added change`)
  for (const id of before) if (!after.includes(id) && !changed('removed', id)) problems.push(`${id} left without a removed change`)
  return problems
}

/**
 * The orderBy of a query as the client built it. QueryRef keeps its spec to itself; the suite
 * reads it to decide whether a backend with declared orderings must run or refuse the query.
 */
export function orderByOf(query: QueryRef): readonly { field: string; direction: string }[] {
  return (query as unknown as { spec: { orderBy: { field: string; direction: string }[] } }).spec.orderBy
}

/** The conditions and the orderBy of a query as the app wrote them (before the client completes the ordering). */
export function specOf(query: QueryRef): { filters: Filter[]; orderBy: OrderBy[] } {
  const { filters, orderBy } = (query as unknown as { spec: { filters: Filter[]; orderBy: OrderBy[] } }).spec
  return { filters, orderBy }
}

type DeclaredSemantics = Pick<Capabilities, 'missingFields' | 'nullOrder' | 'notEqualNull' | 'implicitOrder'>

export function declaresReferenceSemantics(caps: DeclaredSemantics): boolean {
  return caps.missingFields === 'null' && caps.nullOrder === 'last' && caps.notEqualNull === 'matched' && caps.implicitOrder === 'none'
}

const INEQUALITIES = new Set(['<', '<=', '>', '>=', '!=', 'not-in'])
const nullish = (v: unknown): boolean => v === null || v === undefined

/** A condition as the declared rules narrow the reference's (docs/semantics.md, "Declared differences"). */
function declaredMatch(filter: Filter, row: Evaluable, caps: DeclaredSemantics): boolean {
  if (filter.kind !== 'field') {
    const parts = filter.filters.map((f) => declaredMatch(f, row, caps))
    return filter.kind === 'and' ? parts.every(Boolean) : parts.some(Boolean)
  }
  if (!compileFilter(filter)(row)) return false
  const value = getField(row, filter.field)
  if (caps.missingFields === 'excluded' && value === undefined) return false
  if (caps.notEqualNull === 'skipped' && (filter.op === '!=' || filter.op === 'not-in')) {
    if (nullish(value)) return false
    if (filter.op === 'not-in' && (filter.value as unknown[]).some(nullish)) return false
  }
  return true
}

/** The ordering results follow: with implicitOrder, the unnamed inequality fields join before the id. */
function declaredOrder(filters: readonly Filter[], orderBy: readonly OrderBy[], caps: DeclaredSemantics): OrderBy[] {
  if (caps.implicitOrder === 'none') return withIdOrder(orderBy)
  const leaves: Filter[] = [...filters]
  const fields: string[] = []
  for (let f = leaves.shift(); f !== undefined; f = leaves.shift()) {
    if (f.kind !== 'field') leaves.push(...f.filters)
    else if (f.field !== DOC_ID && INEQUALITIES.has(f.op) && !fields.includes(f.field)) fields.push(f.field)
  }
  const direction = orderBy[orderBy.length - 1]?.direction ?? 'asc'
  const implicit = fields
    .filter((field) => !orderBy.some((o) => o.field === field))
    .sort()
    .map((field): OrderBy => ({ field, direction }))
  const idAt = orderBy.findIndex((o) => o.field === DOC_ID)
  return withIdOrder(idAt < 0 ? [...orderBy, ...implicit] : [...orderBy.slice(0, idAt), ...implicit, ...orderBy.slice(idAt)])
}

/**
 * The ids a query over `docs` returns on an adapter declaring these query semantics, from the
 * fixtures alone: the reference evaluator's answer (src/query/evaluate.ts) with each declared
 * difference applied as docs/semantics.md states it. Never from the adapter under test, nor from the
 * evaluator the memory adapter emulates declared semantics with (src/query/declared.ts).
 */
export function expectedIds(docs: Record<string, DocumentData>, query: { filters: Filter[]; orderBy: OrderBy[] }, caps: DeclaredSemantics): string[] {
  const rows = Object.entries(docs).map(([id, data]) => ({ id, data }))
  if (declaresReferenceSemantics(caps)) return idsOf(runQuery(rows, { filters: query.filters, orderBy: withIdOrder(query.orderBy) }))
  const order = declaredOrder(query.filters, query.orderBy, caps)
  const ordered = order.filter((o) => o.field !== DOC_ID)
  const kept = rows.filter(
    (row) =>
      query.filters.every((f) => declaredMatch(f, row, caps)) &&
      (caps.missingFields === 'null' || ordered.every((o) => getField(row, o.field) !== undefined)),
  )
  const compare = (a: unknown, b: unknown): number => {
    if (caps.nullOrder === 'first' && (nullish(a) || nullish(b))) return nullish(a) ? (nullish(b) ? 0 : -1) : 1
    return compareValues(a as never, b as never)
  }
  kept.sort((x, y) => {
    for (const o of order) {
      const c = compare(getField(x, o.field), getField(y, o.field))
      if (c !== 0) return o.direction === 'desc' ? -c : c
    }
    return 0
  })
  return idsOf(kept)
}

/**
 * The ids to expect from `query` over `docs` on an adapter with `caps`. `reference`, written out in
 * the test, is the answer under reference semantics: there it is checked against the reference
 * evaluator and returned; under declared differences the answer is computed (expectedIds).
 */
export function declaredIds(caps: DeclaredSemantics, docs: Record<string, DocumentData>, query: QueryRef, reference?: readonly string[]): string[] {
  const computed = expectedIds(docs, specOf(query), caps)
  if (reference === undefined || !declaresReferenceSemantics(caps)) return computed
  expect(computed).toEqual(reference)
  return [...reference]
}

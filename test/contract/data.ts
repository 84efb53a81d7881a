/** Seeding documents and reading results: shared by the documents, queries and realtime tests. */
import type { CollectionRef, Doc, DocumentData, QueryRef, QuerySnapshot } from '../../src/index.js'

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

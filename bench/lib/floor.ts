/** Hand-written plain-JS equivalents: what the figures would cost with no library at all. */
import type { FlatTodo } from '../datasets.js'

/** `priority desc, createdAt asc, id asc` — the figure-3 ordering, written out by hand. */
export function compareTodo(a: FlatTodo, b: FlatTodo): number {
  if (a.priority !== b.priority) return b.priority - a.priority
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/**
 * The figure-3 query written out by hand for this one shape: `done == false`, best 20 by
 * `priority desc, createdAt asc, id asc`, one pass, the rejection test against the 20th inlined.
 */
export function top20NotDone(records: Iterable<FlatTodo>): FlatTodo[] {
  const top: FlatTodo[] = []
  for (const r of records) {
    if (r.done !== false) continue
    if (top.length === 20) {
      const last = top[19]!
      if (r.priority < last.priority || (r.priority === last.priority && (r.createdAt > last.createdAt || (r.createdAt === last.createdAt && r.id > last.id)))) continue
    }
    let i = top.length
    while (i > 0 && compareTodo(r, top[i - 1]!) < 0) i--
    top.splice(i, 0, r)
    if (top.length > 20) top.pop()
  }
  return top
}

/**
 * One pass over the records, keeping the best `k` matches in a small sorted array: a candidate
 * that does not beat the current k-th is rejected with one comparison.
 */
export function topK<T>(records: Iterable<T>, k: number, matches: (r: T) => boolean, compare: (a: T, b: T) => number): T[] {
  const top: T[] = []
  for (const r of records) {
    if (!matches(r)) continue
    if (top.length === k && compare(r, top[k - 1]!) >= 0) continue
    let i = top.length
    while (i > 0 && compare(r, top[i - 1]!) < 0) i--
    top.splice(i, 0, r)
    if (top.length > k) top.pop()
  }
  return top
}

/** Inserts `doc` into a sorted window of at most `k` (a copy; the input stays as it was), replacing an older version by id. */
export function windowInsert<T extends { id: string }>(window: readonly T[], doc: T, k: number, compare: (a: T, b: T) => number): T[] {
  const next = window.filter((d) => d.id !== doc.id)
  let i = next.length
  while (i > 0 && compare(doc, next[i - 1]!) < 0) i--
  if (i >= k) return next
  next.splice(i, 0, doc)
  if (next.length > k) next.pop()
  return next
}

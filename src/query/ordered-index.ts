/**
 * Documents kept sorted by one ordering, so a limited query with that ordering reads its page from
 * the front instead of scanning the collection: `limit 20` over 100k documents visits about 20 / (the
 * share that matches) documents. A sorted list of chunks (sorted-list.ts): O(log n) comparisons per
 * write, in-order iteration.
 *
 * Keys are the documents themselves, compared by the ordering (which ends with the id, so no two
 * documents tie). Stored documents are immutable, so the document a write replaces still sorts where
 * it was inserted and can be found to be removed.
 */
import type { DocumentData } from '../types.js'
import { compileOrder, type Comparator, type Evaluable } from './evaluate.js'
import { DOC_ID, type Cursor, type OrderBy } from './model.js'
import { SortedList } from './sorted-list.js'

export class OrderedIndex<D extends Evaluable> {
  private readonly list: SortedList<D>
  readonly compare: Comparator

  /**
   * `compare` defaults to the reference order of `orderBy`; an adapter with declared query semantics
   * (declared.ts) passes its own comparison of the same ordering, so the index sorts as it answers.
   */
  constructor(
    readonly orderBy: readonly OrderBy[],
    docs: Iterable<D>,
    compare: Comparator = compileOrder(orderBy),
  ) {
    this.compare = compare
    // Built from the sorted documents in one pass. Orderings end with the id, so keys are strictly
    // ascending; should two tie, the list keeps one.
    this.list = new SortedList<D>(compare, [...docs].sort(compare))
  }

  /** Applies one committed change: `before` leaves the index, `after` enters it (either may be absent). */
  replace(before: D | undefined, after: D | undefined): void {
    if (before !== undefined) this.list.delete(before)
    if (after !== undefined) this.list.set(after)
  }

  get size(): number {
    return this.list.size
  }

  /**
   * Every document, in the ordering; with a cursor, starting at the cursor's position (the document
   * the cursor names, if still there, comes first: the query's own cursor test skips it).
   */
  values(after?: Cursor): IterableIterator<D> {
    const probe = after ? probeOf(after, this.orderBy) : undefined
    return this.list.keys(probe as D | undefined)
  }

  /** The key that identifies an ordering: indexes and queries with the same key share the same order. */
  static keyOf(orderBy: readonly OrderBy[]): string {
    let key = ''
    for (const { field, direction } of orderBy) key += `${direction === 'desc' ? '-' : '+'}${field.length}:${field}`
    return key
  }
}

/**
 * A stand-in document holding the cursor's sort values, which sorts exactly where the cursor is.
 * Undefined when no document can stand for it (one ordered field is a path inside another).
 */
function probeOf(cursor: Cursor, orderBy: readonly OrderBy[]): Evaluable | undefined {
  const data: DocumentData = {}
  // Maps this function made (a cursor value that is itself a map is never written into).
  const made = new Set<DocumentData>([data])
  let at = 0
  for (const { field } of orderBy) {
    if (field === DOC_ID) continue
    const value = cursor.values[at++] ?? null
    const path = field.split('.')
    let target = data
    for (const part of path.slice(0, -1)) {
      const next = target[part]
      if (next === undefined) {
        const map: DocumentData = {}
        made.add(map)
        target = target[part] = map
      } else if (made.has(next as DocumentData)) target = next as DocumentData
      else return undefined
    }
    const last = path[path.length - 1]!
    if (last in target) return undefined
    target[last] = value
  }
  return { id: cursor.id, data }
}

export interface OrderedIndexOptions {
  /** No index below this many documents (a scan is as fast). */
  minDocs: number
  /** Most orderings indexed at once; later ones are scanned. */
  max: number
  /** A query builds its ordering's index on this use of it (earlier ones scan). Default 1. */
  buildOnUse?: number
}

/**
 * The ordered indexes of one collection, one per ordering that limited queries use, created on
 * demand and kept up to date by every change (`replace`). The memory adapter's backend keeps one per
 * collection; so does the offline engine's cache.
 */
export class OrderedIndexes<D extends Evaluable> {
  private readonly indexes = new Map<string, OrderedIndex<D>>()
  private readonly uses = new Map<string, number>()

  constructor(private readonly options: OrderedIndexOptions) {}

  /**
   * The index of this ordering, built now from `docs` if this use calls for it; undefined when the
   * collection is too small, the quota is spent or the ordering is not used often enough yet.
   */
  ordered(orderBy: readonly OrderBy[], docs: { readonly size: number; values(): Iterable<D> }, compare?: Comparator): OrderedIndex<D> | undefined {
    const key = OrderedIndex.keyOf(orderBy)
    const existing = this.indexes.get(key)
    if (existing !== undefined) return existing
    if (docs.size < this.options.minDocs || this.indexes.size >= this.options.max) return undefined
    const uses = (this.uses.get(key) ?? 0) + 1
    if (uses < (this.options.buildOnUse ?? 1)) {
      this.uses.set(key, uses)
      return undefined
    }
    this.uses.delete(key)
    const index = new OrderedIndex<D>(orderBy, docs.values(), compare)
    this.indexes.set(key, index)
    return index
  }

  /** Applies one committed change to every index. */
  replace(before: D | undefined, after: D | undefined): void {
    for (const index of this.indexes.values()) index.replace(before, after)
  }

  /** Drops every index (they are rebuilt on demand). */
  clear(): void {
    this.indexes.clear()
    this.uses.clear()
  }
}

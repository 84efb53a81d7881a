/**
 * Documents kept sorted by one ordering, so a limited query with that ordering reads its page from
 * the front instead of scanning the collection: `limit 20` over 100k documents visits about 20 / (the
 * share that matches) documents. A B+ tree (sorted-btree): O(log n) per write, in-order iteration.
 *
 * Keys are the documents themselves, compared by the ordering (which ends with the id, so no two
 * documents tie). Stored documents are immutable, so the document a write replaces still sorts where
 * it was inserted and can be found to be removed.
 */
import sortedBtree from 'sorted-btree'
import { compileOrder, type Comparator, type Evaluable } from './evaluate.js'
import type { OrderBy } from './model.js'

type BTreeClass = typeof sortedBtree.default
// sorted-btree is CommonJS with `exports.default`: Node's ESM loader hands over module.exports (the
// class is its `default`), while a bundler in CommonJS mode may hand over the class itself.
const BTree: BTreeClass = (sortedBtree as unknown as { default?: BTreeClass }).default ?? (sortedBtree as unknown as BTreeClass)

/** What the index uses of a BTree. */
interface SortedSet<K> {
  set(key: K, value: undefined): boolean
  delete(key: K): boolean
  keys(): IterableIterator<K>
  readonly size: number
}

export class OrderedIndex<D extends Evaluable> {
  private readonly tree: SortedSet<D>
  readonly compare: Comparator

  constructor(
    readonly orderBy: readonly OrderBy[],
    docs: Iterable<D>,
  ) {
    this.compare = compileOrder(orderBy)
    this.tree = new BTree<D, undefined>(undefined, this.compare)
    // Inserting in order fills the tree's rightmost leaves only: no node is split twice.
    for (const doc of [...docs].sort(this.compare)) this.tree.set(doc, undefined)
  }

  /** Applies one committed change: `before` leaves the index, `after` enters it (either may be absent). */
  replace(before: D | undefined, after: D | undefined): void {
    if (before !== undefined) this.tree.delete(before)
    if (after !== undefined) this.tree.set(after, undefined)
  }

  get size(): number {
    return this.tree.size
  }

  /** Every document, in the ordering. */
  values(): IterableIterator<D> {
    return this.tree.keys()
  }

  /** The key that identifies an ordering: indexes and queries with the same key share the same order. */
  static keyOf(orderBy: readonly OrderBy[]): string {
    let key = ''
    for (const { field, direction } of orderBy) key += `${direction === 'desc' ? '-' : '+'}${field.length}:${field}`
    return key
  }
}

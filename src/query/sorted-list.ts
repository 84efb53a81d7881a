/**
 * A sorted set kept as a list of sorted chunks (the layout of Python's `sortedcontainers`): a key is
 * found by a binary search over the chunks' last keys, then one within its chunk, so O(log n)
 * comparisons as in a balanced tree. An insert or delete shifts one chunk's array (at most
 * 2 × LOAD pointers, a memory move far cheaper than the comparisons); iteration walks plain arrays.
 * It replaces a B+ tree library twenty times its size in every bundle with the memory adapter.
 *
 * Keys that compare equal are one key: `set` replaces it. Not safe to change while iterating.
 */
export type Compare<K> = (a: K, b: K) => number

/** Chunks are split above 2 × LOAD keys and merged with a neighbour below LOAD / 2. */
const LOAD = 512

export class SortedList<K> {
  private readonly chunks: K[][] = []
  /** The last key of each chunk, for the outer binary search. */
  private readonly lasts: K[] = []
  private count = 0

  /** `sorted` must be in ascending order; keys equal to their predecessor are dropped. */
  constructor(
    private readonly compare: Compare<K>,
    sorted: Iterable<K> = [],
  ) {
    let chunk: K[] = []
    let previous: K | undefined
    for (const key of sorted) {
      if (this.count > 0 && compare(previous!, key) === 0) continue
      chunk.push(key)
      previous = key
      this.count += 1
      if (chunk.length === LOAD) {
        this.pushChunk(chunk)
        chunk = []
      }
    }
    if (chunk.length > 0) this.pushChunk(chunk)
  }

  get size(): number {
    return this.count
  }

  /** Adds `key`, or replaces the key equal to it; true when it was added. */
  set(key: K): boolean {
    if (this.chunks.length === 0) {
      this.pushChunk([key])
      this.count = 1
      return true
    }
    let c = this.chunkAt(key)
    let chunk: K[]
    if (c === this.chunks.length) {
      // Beyond every key: appended to the last chunk.
      c -= 1
      chunk = this.chunks[c]!
      chunk.push(key)
      this.lasts[c] = key
    } else {
      chunk = this.chunks[c]!
      const i = this.positionIn(chunk, key)
      if (this.compare(chunk[i]!, key) === 0) {
        chunk[i] = key
        if (i === chunk.length - 1) this.lasts[c] = key
        return false
      }
      chunk.splice(i, 0, key)
    }
    this.count += 1
    if (chunk.length > 2 * LOAD) this.split(c)
    return true
  }

  /** Removes the key equal to `key`; true when there was one. */
  delete(key: K): boolean {
    const c = this.chunkAt(key)
    if (c === this.chunks.length) return false
    const chunk = this.chunks[c]!
    const i = this.positionIn(chunk, key)
    if (this.compare(chunk[i]!, key) !== 0) return false
    chunk.splice(i, 1)
    this.count -= 1
    if (chunk.length === 0) {
      this.chunks.splice(c, 1)
      this.lasts.splice(c, 1)
      return true
    }
    if (i === chunk.length) this.lasts[c] = chunk[i - 1]!
    if (chunk.length < LOAD / 2 && this.chunks.length > 1) this.merge(c > 0 ? c - 1 : c)
    return true
  }

  /** The keys in order; with `from`, starting at the first key not below it. */
  keys(from?: K): IterableIterator<K> {
    const c = from === undefined ? 0 : this.chunkAt(from)
    const i = from === undefined || c === this.chunks.length ? 0 : this.positionIn(this.chunks[c]!, from)
    return new ChunkIterator(this.chunks, c, i)
  }

  /** The first chunk whose last key is not below `key` (chunks.length when every key is below it). */
  private chunkAt(key: K): number {
    let low = 0
    let high = this.lasts.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (this.compare(this.lasts[mid]!, key) < 0) low = mid + 1
      else high = mid
    }
    return low
  }

  /** The first position in `chunk` whose key is not below `key` (the chunk's last key is not). */
  private positionIn(chunk: readonly K[], key: K): number {
    let low = 0
    let high = chunk.length - 1
    while (low < high) {
      const mid = (low + high) >>> 1
      if (this.compare(chunk[mid]!, key) < 0) low = mid + 1
      else high = mid
    }
    return low
  }

  private pushChunk(chunk: K[]): void {
    this.chunks.push(chunk)
    this.lasts.push(chunk[chunk.length - 1]!)
  }

  private split(c: number): void {
    const chunk = this.chunks[c]!
    const tail = chunk.splice(LOAD)
    this.chunks.splice(c + 1, 0, tail)
    this.lasts.splice(c, 1, chunk[chunk.length - 1]!, tail[tail.length - 1]!)
  }

  /** Joins chunk `c` and the next one (split again if too large). */
  private merge(c: number): void {
    const joined = this.chunks[c]!.concat(this.chunks[c + 1]!)
    this.chunks.splice(c, 2, joined)
    this.lasts.splice(c, 2, joined[joined.length - 1]!)
    if (joined.length > 2 * LOAD) this.split(c)
  }
}

/** Walks the chunks from one position (a plain iterator: a generator costs several times more per key). */
class ChunkIterator<K> implements IterableIterator<K> {
  constructor(
    private readonly chunks: readonly K[][],
    private c: number,
    private i: number,
  ) {}

  next(): IteratorResult<K, undefined> {
    while (this.c < this.chunks.length) {
      const chunk = this.chunks[this.c]!
      if (this.i < chunk.length) return { value: chunk[this.i++]!, done: false }
      this.c += 1
      this.i = 0
    }
    return { value: undefined, done: true }
  }

  [Symbol.iterator](): IterableIterator<K> {
    return this
  }
}

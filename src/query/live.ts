import { compileQuery, insertionIndex, runQuery, type CompiledQuery, type Evaluable, type RunOptions } from './evaluate.js'
import type { Query } from './model.js'

export interface ViewChange<D> {
  type: 'added' | 'modified' | 'removed'
  doc: D
  oldIndex: number
  newIndex: number
}

/**
 * The result of one live query, kept up to date one document change at a time instead of re-running
 * the query. Shared by every adapter that gets per-document events (memory, LiveQuery, realtime
 * channels) and by the offline cache. Indices in changes refer to the previous and the new result.
 */
export class LiveView<D extends Evaluable> {
  private docs: readonly D[]
  private readonly byId = new Map<string, D>()
  readonly compiled: CompiledQuery

  constructor(query: Query | CompiledQuery, initial: readonly D[]) {
    this.compiled = 'accepts' in query ? query : compileQuery(query)
    this.docs = initial
    for (const doc of initial) this.byId.set(doc.id, doc)
  }

  get current(): readonly D[] {
    return this.docs
  }

  has(id: string): boolean {
    return this.byId.has(id)
  }

  /**
   * Applies the new state of one document (`undefined` when deleted). Returns the changes (possibly
   * none), or `null` when a limited window lost a member: only the source can say what moves in, so
   * the caller re-runs the query and calls `reset`.
   */
  apply(id: string, after: D | undefined): ViewChange<D>[] | null {
    const { accepts, compare, limit } = this.compiled
    const before = this.byId.get(id)
    if (before !== undefined && before === after) return []
    const belongs = after !== undefined && accepts(after)
    if (!before && !belongs) return []
    const full = this.docs.length >= limit
    const oldIndex = before ? this.indexOf(before) : -1
    const rest = this.docs.slice()
    if (before) rest.splice(oldIndex, 1)
    if (!belongs) {
      if (full) return null
      this.commit(rest, id, undefined)
      return [{ type: 'removed', doc: before!, oldIndex, newIndex: -1 }]
    }
    const newIndex = insertionIndex(rest, after, compare)
    // A member that now sorts last in a full window may have been overtaken by a document outside
    // it: only the source knows, so ask for a re-run.
    if (newIndex >= limit || (before && full && newIndex === rest.length)) return before ? null : []
    rest.splice(newIndex, 0, after)
    const changes: ViewChange<D>[] = [
      before ? { type: 'modified', doc: after, oldIndex, newIndex } : { type: 'added', doc: after, oldIndex: -1, newIndex },
    ]
    if (rest.length > limit) {
      const dropped = rest.pop()!
      this.byId.delete(dropped.id)
      changes.push({ type: 'removed', doc: dropped, oldIndex: this.indexOf(dropped), newIndex: -1 })
    }
    this.commit(rest, id, after)
    return changes
  }

  /**
   * Applies the new states of many documents at once (a pull page; `undefined`: deleted) in one
   * pass over the result, where `apply` would copy it once per document. Indices refer to the result
   * before and after the whole batch; removals come first, then entries and modifications in the new
   * order (as `diffResults`). Returns `null` when a full limited window may have to take in
   * documents from outside it: the caller re-runs the query and calls `reset`.
   */
  applyBatch(updates: Iterable<readonly [string, D | undefined]>): ViewChange<D>[] | null {
    const { accepts, compare, limit } = this.compiled
    const previous = this.docs
    const last = new Map<string, D | undefined>()
    for (const [id, after] of updates) last.set(id, after)
    const left = new Map<string, { doc: D; oldIndex: number }>()
    const incoming: D[] = []
    for (const [id, after] of last) {
      const before = this.byId.get(id)
      if (before !== undefined && before === after) continue
      if (before !== undefined) left.set(id, { doc: before, oldIndex: this.indexOf(before) })
      if (after !== undefined && accepts(after)) incoming.push(after)
    }
    if (left.size === 0 && incoming.length === 0) return []
    incoming.sort(compare)
    const merged: D[] = []
    const entered = new Set<D>(incoming)
    let i = 0
    for (const doc of previous) {
      if (left.has(doc.id)) continue
      while (i < incoming.length && compare(incoming[i]!, doc) < 0) merged.push(incoming[i++]!)
      merged.push(doc)
    }
    while (i < incoming.length) merged.push(incoming[i++]!)
    // A full window: documents outside it sort after its old last member. The merge is the whole
    // truth only while its first `limit` documents all sort before that member too.
    const oldLast = previous.length >= limit ? previous[previous.length - 1] : undefined
    if (oldLast !== undefined && merged.length >= limit && compare(merged[limit - 1]!, oldLast) > 0) return null
    if (oldLast !== undefined && merged.length < limit) return null
    const next = merged.length > limit ? merged.slice(0, limit) : merged
    const changes: ViewChange<D>[] = []
    const stays = new Set<string>()
    for (const doc of next) if (entered.has(doc)) stays.add(doc.id)
    for (const [id, { doc, oldIndex }] of left) if (!stays.has(id)) changes.push({ type: 'removed', doc, oldIndex, newIndex: -1 })
    for (let at = limit; at < merged.length; at++) {
      const dropped = merged[at]!
      if (!entered.has(dropped)) changes.push({ type: 'removed', doc: dropped, oldIndex: this.indexOf(dropped), newIndex: -1 })
    }
    changes.sort((a, b) => a.oldIndex - b.oldIndex)
    next.forEach((doc, newIndex) => {
      if (!entered.has(doc)) return
      const was = left.get(doc.id)
      changes.push(was ? { type: 'modified', doc, oldIndex: was.oldIndex, newIndex } : { type: 'added', doc, oldIndex: -1, newIndex })
    })
    for (const id of left.keys()) this.byId.delete(id)
    for (let at = limit; at < merged.length; at++) this.byId.delete(merged[at]!.id)
    for (const doc of incoming) if (stays.has(doc.id)) this.byId.set(doc.id, doc)
    this.docs = next
    return changes
  }

  /** Replaces the whole result (after a re-run of the query) and returns the difference. */
  reset(next: readonly D[]): ViewChange<D>[] {
    const changes = diffResults(this.docs, next)
    this.docs = next
    this.byId.clear()
    for (const doc of next) this.byId.set(doc.id, doc)
    return changes
  }

  /** Re-runs the query over a source of documents and resets to the result. */
  rerun(source: Iterable<D>, options?: RunOptions): ViewChange<D>[] {
    return this.reset(runQuery(source, this.compiled, options))
  }

  private indexOf(doc: D): number {
    // Orderings end with the id, so the position of a member is exact.
    return insertionIndex(this.docs, doc, this.compiled.compare) - 1
  }

  private commit(next: D[], id: string, after: D | undefined): void {
    this.docs = next
    if (after) this.byId.set(id, after)
    else this.byId.delete(id)
  }
}

/** Documents with a `meta.version` are the same when versions match; others by identity. */
function sameVersion(a: Evaluable, b: Evaluable): boolean {
  if (a === b) return true
  const va = (a as { meta?: { version?: string } }).meta?.version
  const vb = (b as { meta?: { version?: string } }).meta?.version
  return va !== undefined && va === vb
}

/** Changes that turn one result into another: removed first, then added/modified in new order. */
export function diffResults<D extends Evaluable>(previous: readonly D[], next: readonly D[]): ViewChange<D>[] {
  const oldIndexById = new Map(previous.map((d, i) => [d.id, i]))
  const nextIds = new Set(next.map((d) => d.id))
  const changes: ViewChange<D>[] = []
  previous.forEach((doc, oldIndex) => {
    if (!nextIds.has(doc.id)) changes.push({ type: 'removed', doc, oldIndex, newIndex: -1 })
  })
  next.forEach((doc, newIndex) => {
    const oldIndex = oldIndexById.get(doc.id)
    if (oldIndex === undefined) changes.push({ type: 'added', doc, oldIndex: -1, newIndex })
    else if (!sameVersion(previous[oldIndex]!, doc)) changes.push({ type: 'modified', doc, oldIndex, newIndex })
  })
  return changes
}

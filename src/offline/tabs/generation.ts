/**
 * How a tab notices that another tab committed to the shared store: every commit also writes a new
 * random stamp under one top-level meta key, in the same atomic commit. A tab that finds a stamp
 * other than the last one it wrote or read reloads its in-memory copy before its next step.
 * (A BroadcastChannel message alone could arrive after this tab already took the store lock.)
 */
import { generateId } from '../../ids.js'
import type { LocalStore, StoredValue } from '../store.js'

/** Outside every user's partition (partition.ts), so no partition reads or moves it. */
export const GENERATION_KEY = 'tabs/generation'

export class GenerationStamp {
  /** The store as the engine uses it: commits carry a new stamp, and `onCommit` runs after each. */
  readonly store: LocalStore
  private seen: StoredValue = null

  constructor(
    private readonly inner: LocalStore,
    onCommit: () => void,
  ) {
    this.store = {
      name: inner.name,
      open: () => inner.open(),
      close: () => inner.close(),
      entries: (table, options) => inner.entries(table, options),
      ...(inner.onError ? { onError: (listener) => inner.onError!(listener) } : {}),
      commit: async (changes) => {
        if (changes.length === 0) return inner.commit(changes)
        const stamp = generateId(20)
        await inner.commit([...changes, { table: 'meta', key: GENERATION_KEY, value: stamp }])
        this.seen = stamp
        onCommit()
      },
    }
  }

  /** Whether another tab committed since this one last wrote or looked; remembers the stamp found. */
  async changed(): Promise<boolean> {
    const rows = await this.inner.entries('meta', { prefix: GENERATION_KEY })
    const current = rows.find(([key]) => key === GENERATION_KEY)?.[1] ?? null
    const changed = current !== this.seen
    this.seen = current
    return changed
  }
}

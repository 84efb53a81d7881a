/** An adapter that counts the records its SyncService's `changes` returns: what a pull fetched. */
import type { Adapter } from '../../src/index.js'

export function countingChanges(adapter: Adapter): { adapter: Adapter; fetched(): number } {
  const sync = adapter.sync
  if (!sync) throw new Error(`countingChanges: the ${adapter.name} adapter has no SyncService`)
  let fetched = 0
  const counted: Adapter = Object.create(adapter, {
    sync: {
      value: {
        fetch: sync.fetch.bind(sync),
        write: sync.write.bind(sync),
        changes: async (...args: Parameters<typeof sync.changes>) => {
          const records = await sync.changes(...args)
          fetched += records.length
          return records
        },
      },
    },
  })
  return { adapter: counted, fetched: () => fetched }
}

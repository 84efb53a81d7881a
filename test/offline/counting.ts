/**
 * An adapter that counts what a pull downloads: the records its SyncService's `changes` returns
 * (`fetched`), the non-empty pages the device received (`pages`: `changes` pages, and `fetch`
 * pages, which bring the ids a live event named when the feed's checkpoint skipped them, as on
 * Parse), and the documents `documents.query` returns (`queried`: `{ query }` pulls).
 */
import type { Adapter } from '../../src/index.js'

export function countingChanges(adapter: Adapter): { adapter: Adapter; fetched(): number; pages(): number; queried(): number } {
  const sync = adapter.sync
  if (!sync) throw new Error(`countingChanges: the ${adapter.name} adapter has no SyncService`)
  let fetched = 0
  let pages = 0
  let queried = 0
  const documents = adapter.documents
  const counted: Adapter = Object.create(adapter, {
    sync: {
      value: {
        fetch: async (...args: Parameters<typeof sync.fetch>) => {
          const records = await sync.fetch(...args)
          if (records.length > 0) pages += 1
          return records
        },
        write: sync.write.bind(sync),
        changes: async (...args: Parameters<typeof sync.changes>) => {
          const records = await sync.changes(...args)
          fetched += records.length
          if (records.length > 0) pages += 1
          return records
        },
      },
    },
    documents: {
      // Every other method runs on the adapter's own object (classes with private fields stay intact).
      value: new Proxy(documents, {
        get: (target, property) => {
          if (property === 'query') {
            return async (...args: Parameters<typeof documents.query>) => {
              const docs = await target.query(...args)
              queried += docs.length
              return docs
            }
          }
          const value: unknown = Reflect.get(target, property, target)
          return typeof value === 'function' ? value.bind(target) : value
        },
      }),
    },
  })
  return { adapter: counted, fetched: () => fetched, pages: () => pages, queried: () => queried }
}

/**
 * An adapter whose live watches can be made to fail, as a dropped realtime connection fails them:
 * `breakWatches()` errors every open watch with `unavailable`; watches started afterwards work.
 * The failure is injected at the SPI boundary; what runs behind it is the real adapter.
 */
import { Observable, type Subscriber } from 'rxjs'
import { PortabaseError, type Adapter, type QuerySnapshot } from '../../src/index.js'

export function breakableWatches(adapter: Adapter): { adapter: Adapter; breakWatches(): number } {
  const open = new Set<Subscriber<QuerySnapshot>>()
  const documents = adapter.documents
  const wrapped: Adapter = Object.create(adapter, {
    documents: {
      value: Object.assign(Object.create(documents), {
        watch: (collection: string, query: Parameters<typeof documents.watch>[1]) =>
          new Observable<QuerySnapshot>((subscriber) => {
            open.add(subscriber)
            const inner = documents.watch(collection, query).subscribe(subscriber)
            return () => {
              open.delete(subscriber)
              inner.unsubscribe()
            }
          }),
      }),
    },
  })
  return {
    adapter: wrapped,
    breakWatches: () => {
      const broken = [...open]
      for (const subscriber of broken) subscriber.error(new PortabaseError('unavailable', 'The realtime connection dropped (injected)', { provider: adapter.name }))
      return broken.length
    },
  }
}

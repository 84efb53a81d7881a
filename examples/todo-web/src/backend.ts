/**
 * Picks the backend from the page's query string:
 *   (none)                                          the memory adapter, a "server" inside this page
 *   ?backend=parse&serverURL=…&appId=…[&javascriptKey=…][&liveQueryServerURL=…]   a Parse Server
 *   &store=…                                        the IndexedDB database (default todo-web-<backend>)
 * The only file that names vendors.
 */
import { createClient, type Adapter } from '../../../src/index.js'

export interface Backend {
  name: string
  adapter: Adapter
  storeName: string
  /** Memory only: what the in-page server holds, read by a plain online client (for the end-to-end tests). */
  server?: {
    todos(): Promise<Array<{ id: string; title: string; done: boolean; votes: number }>>
    fileSize(path: string): Promise<number>
  }
}

export async function pickBackend(params: URLSearchParams): Promise<Backend> {
  const name = params.get('backend') ?? 'memory'
  const storeName = params.get('store') ?? `todo-web-${name}`
  if (name === 'parse') {
    const serverURL = params.get('serverURL')
    const appId = params.get('appId')
    if (!serverURL || !appId) throw new Error('?backend=parse needs serverURL and appId in the query string')
    // Loaded only in this mode: the memory demo does not download the Parse SDK.
    const [{ default: Parse }, { parse }] = await Promise.all([import('parse'), import('../../../adapters/parse/index.js')])
    const javascriptKey = params.get('javascriptKey') ?? undefined
    const liveQueryServerURL = params.get('liveQueryServerURL') ?? undefined
    return { name, storeName, adapter: parse({ serverURL, appId, javascriptKey, liveQueryServerURL, Parse }) }
  }
  if (name !== 'memory') throw new Error(`Unknown backend "${name}": memory or parse`)
  const { memory } = await import('../../../adapters/memory/index.js')
  const adapter = memory()
  const plain = createClient({ adapter: memory({ backend: adapter.backend }) })
  const server = {
    async todos() {
      const { docs } = await plain.db.collection<{ title: string; done: boolean; votes: number }>('todos').get()
      return docs.map((d) => ({ id: d.id, title: d.data.title, done: d.data.done, votes: d.data.votes }))
    },
    fileSize: async (path: string) => (await plain.storage.download(path)).byteLength,
  }
  // The in-page server is out of reach while the browser is offline, as a remote one would be.
  const follow = (): void => (navigator.onLine ? adapter.network.goOnline() : adapter.network.goOffline())
  addEventListener('online', follow)
  addEventListener('offline', follow)
  follow()
  return { name, storeName, adapter, server }
}

/** createClient's dispose(): the adapter is released even when a part disposed before it fails. */
import { memory } from '../../adapters/memory/index.js'
import { createClient } from '../../src/index.js'
import type { OfflinePlugin } from '../../src/index.js'
import { memoryStore, offline } from '../../src/offline/index.js'

test('a failing offline engine dispose still disposes the adapter, and the failure is not swallowed', async () => {
  const adapter = memory()
  const real = offline({ store: memoryStore(), collections: { todos: {} } })
  // The engine's own dispose fails (e.g. its store cannot close): the adapter must still be released.
  const failing: OfflinePlugin = {
    kind: real.kind,
    attach(host) {
      const attached = real.attach(host)
      return {
        ...attached,
        dispose: async () => {
          await attached.dispose()
          throw new Error('store close failed')
        },
      }
    },
  }
  const disposeAdapter = jest.spyOn(adapter, 'dispose')
  const app = createClient({ adapter, offline: failing })
  await app.sync.waitForSync()
  await expect(app.dispose()).rejects.toThrow('store close failed')
  expect(disposeAdapter).toHaveBeenCalledTimes(1)
})

test('a clean dispose disposes the adapter once', async () => {
  const adapter = memory()
  const disposeAdapter = jest.spyOn(adapter, 'dispose')
  const app = createClient({ adapter, offline: offline({ store: memoryStore(), collections: { todos: {} } }) })
  await app.dispose()
  await app.dispose()
  expect(disposeAdapter).toHaveBeenCalledTimes(1)
})

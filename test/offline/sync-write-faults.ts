import { PortabaseError } from '../../src/errors.js'
import type { Adapter } from '../../src/spi.js'

/**
 * For backends without fault injection (Firestore): wraps the adapter's SyncService so that the
 * next `n` sync writes fail with the server's `internal` error before they reach the SDK.
 * Returns the suite's `failNextWrites`.
 */
export function failingSyncWrites(adapter: Adapter, provider: string): (n: number) => void {
  const sync = adapter.sync
  if (!sync) throw new Error(`${provider}: the adapter has no SyncService to inject failures into`)
  let failures = 0
  const write = sync.write.bind(sync)
  sync.write = async (ops, options) => {
    if (failures > 0) {
      failures--
      throw new PortabaseError('internal', 'injected sync write failure', { provider })
    }
    return write(ops, options)
  }
  return (n) => {
    failures += n
  }
}

/** The FIXTURES.md server side for a memory backend: functions, remote config, owned-collection rules. */
import { createMemoryBackend, type MemoryBackend, type MemoryBackendOptions } from '../../adapters/memory/index.js'
import { PortabaseError } from '../../src/errors.js'
import { FIXTURE_CONFIG } from './target.js'

export function createFixtureBackend(options: Pick<MemoryBackendOptions, 'indexes'> = {}): MemoryBackend {
  return createMemoryBackend({
    ...options,
    config: { ...FIXTURE_CONFIG },
    functions: {
      echo: (input) => input,
      whoami: (_input, { auth }) => ({ uid: auth?.uid ?? null }),
      fail: () => {
        throw new PortabaseError('invalid-argument', 'bad input')
      },
      // Honours the caller's abort so a timed-out call leaves no timer behind.
      slow: (input, { signal }) =>
        new Promise((resolve) => {
          const timer = setTimeout(() => resolve({ ok: true }), (input as { ms?: number } | null)?.ms ?? 0)
          signal?.addEventListener('abort', () => clearTimeout(timer), { once: true })
        }),
    },
    rules: {
      owned: {
        read: ({ auth, doc }) => auth !== null && doc?.data.owner === auth.uid,
        write: ({ auth, doc, existing }) => auth !== null && (existing ? existing.data.owner === auth.uid : doc?.data.owner === auth.uid),
      },
    },
  })
}

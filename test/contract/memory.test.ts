import { PortabaseError } from '../../src/errors.js'
import { createMemoryBackend, memory, type MemoryBackend } from '../../adapters/memory/index.js'
import { runContractSuite } from './suite.js'
import { FIXTURE_CONFIG } from './target.js'

let backend: MemoryBackend
let collections = 0

runContractSuite({
  name: 'memory',
  async setup() {
    backend = createMemoryBackend({
      config: { ...FIXTURE_CONFIG },
      functions: {
        echo: (input) => input,
        whoami: (_input, { auth }) => ({ uid: auth?.uid ?? null }),
        fail: () => {
          throw new PortabaseError('invalid-argument', 'bad input')
        },
        slow: async (input) => {
          const ms = (input as { ms?: number } | null)?.ms ?? 0
          await new Promise((resolve) => setTimeout(resolve, ms))
          return { ok: true }
        },
      },
      rules: {
        owned: {
          read: ({ auth, doc }) => auth !== null && doc?.data.owner === auth.uid,
          write: ({ auth, doc, existing }) => auth !== null && (existing ? existing.data.owner === auth.uid : doc?.data.owner === auth.uid),
        },
      },
    })
  },
  async teardown() {},
  async createAdapter() {
    return memory({ backend })
  },
  freshCollection: () => `c${++collections}`,
  ownedCollection: () => 'owned',
})

/**
 * The contract suite's core cases: input the client refuses before any adapter call (bad names,
 * ids, values, queries, storage paths and options). They test portabase itself, so they run once,
 * here, instead of once per adapter. The adapter underneath (memory) is wrapped so that any call
 * it receives while a refused call runs is recorded, and every test checks there was none.
 */
import { memory, type MemoryBackend } from '../../adapters/memory/index.js'
import type { Adapter } from '../../src/index.js'
import { refusalsInFlight } from './helpers.js'
import { createFixtureBackend } from './memory-fixtures.js'
import { runCoreSuite } from './suite.js'

let backend: MemoryBackend
let collections = 0
const reached: string[] = []

const SERVICES = ['auth', 'documents', 'storage', 'functions', 'config', 'sync'] as const

/** The adapter, with every service method noting a call made while a refused call is in flight. */
function tripwired(adapter: Adapter): Adapter {
  const services: PropertyDescriptorMap = {}
  for (const name of SERVICES) {
    const service = adapter[name] as unknown as Record<string, unknown> | undefined
    if (!service) continue
    const wrapped = Object.create(service) as Record<string, unknown>
    for (const key of methodsOf(service)) {
      wrapped[key] = (...args: unknown[]) => {
        if (refusalsInFlight.count > 0) reached.push(`${name}.${key}`)
        return (service[key] as (...a: unknown[]) => unknown).apply(service, args)
      }
    }
    services[name] = { value: wrapped }
  }
  return Object.create(adapter, services) as Adapter
}

function methodsOf(object: object): string[] {
  const names = new Set<string>()
  for (let o: object | null = object; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) if (key !== 'constructor' && typeof (object as Record<string, unknown>)[key] === 'function') names.add(key)
  }
  return [...names]
}

afterEach(() => {
  expect(reached.splice(0)).toEqual([])
})

runCoreSuite({
  name: 'memory',
  async setup() {
    backend = createFixtureBackend()
  },
  async teardown() {},
  async createAdapter() {
    return tripwired(memory({ backend }))
  },
  freshCollection: () => `core${++collections}`,
  ownedCollection: () => 'owned',
})

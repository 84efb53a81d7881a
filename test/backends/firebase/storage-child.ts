/**
 * Child-process entry: firebase-tools' own Node StorageEmulator with the rules runtime replaced by an
 * allow-all ruleset (the real runtime needs a Java 21 JAR download, unavailable here). TEST HARNESS
 * ONLY: reaches into firebase-tools internals, which may move on upgrades.
 *
 * argv[2]: { projectId, host, port } as JSON. → parent: { type: 'ready' } | { type: 'error', message }.
 * Stops on SIGINT/SIGTERM or when the IPC channel closes.
 */
import { createRequire } from 'node:module'
import * as path from 'node:path'

interface Emulator {
  start(): Promise<void>
  stop(): Promise<void>
}
interface Registry {
  start(instance: Emulator): Promise<void>
  stop(name: string): Promise<void>
}

const args = JSON.parse(process.argv[2] ?? '{}') as { projectId: string; host: string; port: number }
const require = createRequire(path.join(process.cwd(), 'package.json'))
const { StorageEmulator } = require('firebase-tools/lib/emulator/storage') as { StorageEmulator: new (args: object) => Emulator }
const { EmulatorRegistry } = require('firebase-tools/lib/emulator/registry') as { EmulatorRegistry: Registry }

const send = (message: object): Promise<void> => new Promise((resolve) => (process.send ? process.send(message, () => resolve()) : resolve()))

const allowAll = {
  verify: async () => ({ permitted: true, issues: { exist: () => false, all: [] } }),
}
// Rules are looked up per request through `_rulesManager`, so swapping these fields is enough.
const emulator = new StorageEmulator({ projectId: args.projectId, host: args.host, port: args.port, rules: 'unused', auto_download: false }) as Emulator & {
  _rulesRuntime: { start(): Promise<void>; stop(): Promise<void> }
  _rulesManager: { start(): Promise<void>; stop(): Promise<void>; getRuleset(): unknown }
}
emulator._rulesRuntime = { start: async () => undefined, stop: async () => undefined }
emulator._rulesManager = { start: async () => undefined, stop: async () => undefined, getRuleset: () => allowAll }

let stopping = false
const stop = (): void => {
  if (stopping) return
  stopping = true
  void EmulatorRegistry.stop('storage').finally(() => process.exit(0))
}
process.on('SIGINT', stop).on('SIGTERM', stop).on('disconnect', stop)

try {
  await EmulatorRegistry.start(emulator)
  await send({ type: 'ready' })
} catch (error) {
  await send({ type: 'error', message: error instanceof Error ? error.message : String(error) })
  process.exit(1)
}

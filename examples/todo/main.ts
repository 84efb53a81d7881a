/**
 * portabase todo example.
 *   npm run example                     # in-memory backend
 *   npm run example -- --adapter parse  # embedded Parse Server (PGlite), or PARSE_SERVER_URL=…
 *   npm run example -- --adapter firebase  # FIRESTORE_EMULATOR_HOST=… (+ local emulators) or FIREBASE_CONFIG=…
 */
import { parseArgs } from 'node:util'
import { createClient, retry, timeout } from '../../src/index.js'
import { runTodoApp } from './app.js'
import { backends } from './backends.js'

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { adapter: { type: 'string', default: 'memory' } } })
  const name = values.adapter ?? 'memory'
  const start = backends[name]
  if (!start) throw new Error(`Unknown adapter "${name}". Choose one of: ${Object.keys(backends).join(', ')}`)

  console.log(`portabase todo example on the ${name} adapter\n`)
  const backend = await start()
  const app = createClient({ adapter: backend.adapter, links: [retry(), timeout(15_000)] })
  try {
    await runTodoApp(app, (line) => console.log(line))
  } finally {
    await app.dispose()
    await backend.stop()
  }
  console.log('\ndone.')
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})

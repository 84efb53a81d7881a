/**
 * portabase todo example.
 *   npm run example                     # in-memory backend
 *   npm run example -- --adapter parse  # embedded Parse Server (PGlite), or PARSE_SERVER_URL=…
 *   npm run example -- --adapter firebase  # FIRESTORE_EMULATOR_HOST=… (+ local emulators) or FIREBASE_CONFIG=…
 *   npm run example -- --adapter supabase  # SUPABASE_URL=… SUPABASE_ANON_KEY=… (a project set up as adapters/supabase/README.md says)
 *   npm run example -- --adapter amplify   # local simulators (AppSync + dynalite, cognito-local, s3rver), or AMPLIFY_OUTPUTS=…/amplify_outputs.json
 *                                          # of a Gen 2 app deployed from examples/todo/amplify (adapters/amplify/README.md)
 *   npm run example -- --offline        # todos offline-first: served locally, writes queued and synced
 */
import { parseArgs } from 'node:util'
import { createClient, retry, timeout } from '../../src/index.js'
import { offline, memoryStore } from '../../src/offline/index.js'
import { runTodoApp } from './app.js'
import { backends } from './backends.js'

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { adapter: { type: 'string', default: 'memory' }, offline: { type: 'boolean', default: false } } })
  const name = values.adapter ?? 'memory'
  const start = backends[name]
  if (!start) throw new Error(`Unknown adapter "${name}". Choose one of: ${Object.keys(backends).join(', ')}`)

  console.log(`portabase todo example on the ${name} adapter${values.offline ? ', todos offline-first' : ''}\n`)
  const backend = await start()
  const app = createClient({
    adapter: backend.adapter,
    links: [retry(), timeout(15_000)],
    // A browser app would pass indexedDbStore({ name }), a Node one fileStore({ directory }).
    ...(values.offline ? { offline: offline({ store: memoryStore(), collections: { todos: { conflict: 'merge' as const } } }) } : {}),
  })
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

import { createClient } from '../../src/index.js'
import { offline, memoryStore } from '../../src/offline/index.js'
import { runTodoApp } from '../../examples/todo/app.js'
import { backends } from '../../examples/todo/backends.js'

test('the todo example runs end to end on the memory adapter', async () => {
  const backend = await backends.memory!()
  const app = createClient({ adapter: backend.adapter })
  const lines: string[] = []
  await runTodoApp(app, (line) => lines.push(line))
  await app.dispose()
  await backend.stop()
  const out = lines.join('\n')
  expect(out).toContain('config: welcome = "Hello from the memory backend"')
  expect(out).toContain('db: added 3 todos')
  expect(out).toMatch(/storage: attached attachments\/\w+\/report.txt \(25 bytes\)/)
  expect(out).toContain('functions: sendInvite → invited friend@example.com (by me)')
  expect(out).toContain('[x] Buy milk')
  expect(out).toContain('count of open todos: 2')
})

test('the todo example runs with todos offline-first: same output, nothing left pending', async () => {
  const backend = await backends.memory!()
  const app = createClient({ adapter: backend.adapter, offline: offline({ store: memoryStore(), collections: { todos: { conflict: 'merge' } } }) })
  const lines: string[] = []
  await runTodoApp(app, (line) => lines.push(line))
  await app.dispose()
  await backend.stop()
  const out = lines.join('\n')
  expect(out).toContain('db: added 3 todos')
  expect(out).toContain('[x] Buy milk')
  expect(out).toContain('count of open todos: 2')
  expect(out).toContain('sync: 0 writes pending')
})

test('the todo example on Firebase explains what it needs when Firestore cannot run here', async () => {
  const saved = { host: process.env.FIRESTORE_EMULATOR_HOST, config: process.env.FIREBASE_CONFIG }
  delete process.env.FIRESTORE_EMULATOR_HOST
  delete process.env.FIREBASE_CONFIG
  try {
    await expect(backends.firebase!()).rejects.toThrow(/FIRESTORE_EMULATOR_HOST.*FIREBASE_CONFIG/)
  } finally {
    if (saved.host !== undefined) process.env.FIRESTORE_EMULATOR_HOST = saved.host
    if (saved.config !== undefined) process.env.FIREBASE_CONFIG = saved.config
  }
})

import { createClient } from '../../src/index.js'
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

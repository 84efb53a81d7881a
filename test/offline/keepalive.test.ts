/**
 * Background sync never keeps a Node process alive by itself, but awaiting waitForSync() does:
 * a script that queues writes and awaits waitForSync() ends once they are synced, not before —
 * and not after its deadline either: the child that never syncs ends with deadline-exceeded.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

it('a Node script awaiting waitForSync() stays alive until the writes are synced', async () => {
  const root = join(__dirname, '..', '..')
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(__dirname, 'keepalive-child.ts')], { cwd: root, timeout: 30_000 })
  expect(stdout.trim()).toBe('synced 1')
})

it('a Node script awaiting waitForSync({ timeoutMs }) while the server stays unreachable gets deadline-exceeded and exits (nothing keeps it alive)', async () => {
  const root = join(__dirname, '..', '..')
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(__dirname, 'keepalive-failing-child.ts')], { cwd: root, timeout: 30_000 })
  expect(stdout.trim()).toBe('deadline-exceeded after ≥400ms, pending 1')
})

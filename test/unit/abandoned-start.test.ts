/** test/backends/abandoned.ts: a backend whose start outlives its test file is stopped once it is up. */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { stopAbandonedStarts, trackStart } from '../backends/abandoned.js'

/** A real child process that starts after `delayMs`: what a slow backend start looks like. */
function slowStart(delayMs: number): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  return new Promise((resolve) =>
    setTimeout(() => {
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
      const exited = once(child, 'exit')
      resolve({ child, stop: async () => void (child.kill(), await exited) })
    }, delayMs),
  )
}

test('a start still pending when the file ends is stopped as soon as it is up', async () => {
  const start = trackStart(slowStart(50), (backend) => backend.stop())
  stopAbandonedStarts() // the file's end, before the backend is up
  const backend = await start
  await once(backend.child, 'exit')
  expect(backend.child.exitCode !== null || backend.child.signalCode !== null).toBe(true)
})

test('a start that completed before the end is left to its test', async () => {
  const backend = await trackStart(slowStart(0), (b) => b.stop())
  stopAbandonedStarts()
  await new Promise((resolve) => setTimeout(resolve, 100))
  expect(backend.child.exitCode).toBeNull()
  expect(backend.child.signalCode).toBeNull()
  await backend.stop()
})

test('a failed start is forgotten: nothing to stop', async () => {
  const stop = jest.fn(async () => undefined)
  const start = trackStart(Promise.reject(new Error('no start')), stop)
  stopAbandonedStarts()
  await expect(start).rejects.toThrow('no start')
  expect(stop).not.toHaveBeenCalled()
})

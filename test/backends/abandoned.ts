/**
 * Backends whose start outlives the test file that asked for them. A `beforeAll` that times out
 * leaves its start running; if the start completes after the file's own `afterAll` ran, nothing
 * would ever stop that backend (a child process, a server) and Jest, which runs every file in one
 * process on a 2-core machine, would never exit. The starters register here; the setup file
 * (test/setup/stop-abandoned.ts) marks every start still pending at the end of the file, and each
 * is stopped as soon as it is up.
 */
interface Start {
  abandoned: boolean
}

const pending = new Set<Start>()

/** Resolves as `start` does; if the test file ends first, the backend is stopped once started. */
export function trackStart<T>(start: Promise<T>, stop: (backend: T) => Promise<unknown>): Promise<T> {
  const entry: Start = { abandoned: false }
  pending.add(entry)
  start
    .then(
      async (backend) => {
        pending.delete(entry)
        if (entry.abandoned) await stop(backend)
      },
      () => pending.delete(entry), // a failed start cleans up after itself
    )
    .catch(() => undefined)
  return start
}

/** The test file ended: every backend still starting is stopped as soon as it is up. */
export function stopAbandonedStarts(): void {
  for (const entry of pending) entry.abandoned = true
  pending.clear()
}

/** The conformance kit's waiting and error assertions (src/conformance/helpers.ts), for this repository's own tests too. */
export * from '../../src/conformance/helpers.js'

/** Polls until `check` holds, every `everyMs` (a macrotask between checks); fails after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

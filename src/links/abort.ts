import { cancelledError, listen, raceCancel, unlisten, type AbortListener, type Cancellation } from './cancel.js'

export { cancelledError }

/** Resolves after `ms`, or rejects with `cancelled` as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal | Cancellation): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelledError(signal))
    const onAbort: AbortListener = {
      handleEvent: () => {
        clearTimeout(timer)
        reject(cancelledError(signal!))
      },
    }
    const timer = setTimeout(() => {
      if (signal) unlisten(signal, onAbort)
      resolve()
    }, ms)
    if (signal) listen(signal, onAbort)
  })
}

/**
 * Rejects as soon as the signal aborts, otherwise settles with the promise. `onAbort` runs first when
 * the signal aborts (e.g. to release a shared request). Takes a real signal or a built-in link's
 * lazy cancellation.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | Cancellation | undefined, onAbort?: () => void): Promise<T> {
  return raceCancel(promise, signal, onAbort)
}

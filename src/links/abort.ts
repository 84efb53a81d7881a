import { PortabaseError } from '../errors.js'

/** Resolves after `ms`, or rejects with `cancelled` as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelledError(signal))
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(cancelledError(signal!))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** The error an aborted signal stands for: its reason when that is a PortabaseError. */
export function cancelledError(signal: AbortSignal): PortabaseError {
  const reason: unknown = signal.reason
  if (reason instanceof PortabaseError) return reason
  return new PortabaseError('cancelled', 'The operation was cancelled', { cause: reason })
}

/**
 * Rejects as soon as the signal aborts, otherwise settles with the promise. `onAbort` runs first when
 * the signal aborts (e.g. to release a shared request).
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort?: () => void): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) {
    onAbort?.()
    return Promise.reject(cancelledError(signal))
  }
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      onAbort?.()
      reject(cancelledError(signal))
    }
    signal.addEventListener('abort', abort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort)
        reject(error)
      },
    )
  })
}

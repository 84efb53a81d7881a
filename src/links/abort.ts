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

/** Rejects as soon as the signal aborts, otherwise settles with the promise. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) return Promise.reject(cancelledError(signal))
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelledError(signal))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

import { PortabaseError } from '../errors.js'
import { cancelledError, raceAbort } from './abort.js'
import { stableKey } from './key.js'
import type { Link, NextLink, Operation } from './link.js'
import { callNext } from './internal.js'

/**
 * Reads dedupe() shares by default: idempotent, side-effect free, and their `args` say everything
 * about the call. Left out: auth calls (the client keeps credentials out of args, so two calls look
 * alike), `storage.getUrl` and `storage.list` (expiresIn, limit and cursor are not in args).
 */
export const DEDUPE_READS: ReadonlySet<string> = new Set([
  'documents.get',
  'documents.query',
  'documents.count',
  'storage.download',
  'storage.getMetadata',
  'config.fetch',
])

/** Calls that change nothing; every other operation may, and closes in-flight reads to newcomers. */
const READ_ONLY: ReadonlySet<string> = new Set([...DEDUPE_READS, 'storage.getUrl', 'storage.list', 'auth.getIdToken'])

export interface DedupeOptions {
  /** Which operations may share a request. Default: idempotent operations named in DEDUPE_READS. */
  include?: (op: Operation) => boolean
}

interface Flight {
  readonly service: string
  /** The collection a documents read targets: writes to it detach this flight. */
  readonly collection: unknown
  readonly promise: Promise<unknown>
  readonly controller: AbortController
  /** Callers still waiting that could abort; the shared request is aborted when this reaches 0. */
  abortable: number
  /** A caller without a signal can never leave, so the request must run to the end. */
  pinned: boolean
}

const defaultInclude = (op: Operation): boolean => op.idempotent && DEDUPE_READS.has(`${op.service}.${op.method}`)

/**
 * Concurrent identical reads (same service, method and args, compared by value, Dates included)
 * share one request. Writes are never shared. One caller aborting only detaches that caller; the
 * shared request is aborted when every caller has.
 *
 * Read-your-writes: a write (any operation that is not a known read) closes the in-flight reads it
 * may affect to newcomers, at its start and when it settles, so a read issued after a write never
 * joins a request issued before it.
 */
export function dedupe(options: DedupeOptions = {}): Link {
  const include = options.include ?? defaultInclude
  const flights = new Map<string, Flight>()

  const detach = (write: Operation): void => {
    const collections = writtenCollections(write)
    for (const [key, flight] of flights) {
      if (collections === 'all' || (flight.service === 'documents' && collections.has(flight.collection))) flights.delete(key)
    }
  }

  const passWrite = (op: Operation, next: NextLink): Promise<unknown> => {
    detach(op)
    const result = callNext(() => next(op))
    const settled = (): void => detach(op)
    result.then(settled, settled)
    return result
  }

  const start = (key: string, op: Operation, next: NextLink): Flight => {
    const controller = new AbortController()
    const flight: Flight = {
      service: op.service,
      collection: op.service === 'documents' ? op.args[0] : undefined,
      // The shared request gets its own signal: no single caller may cancel it for the others.
      promise: callNext(() => next({ ...op, signal: controller.signal })),
      controller,
      abortable: 0,
      pinned: false,
    }
    flights.set(key, flight)
    const done = (): void => {
      if (flights.get(key) === flight) flights.delete(key)
    }
    flight.promise.then(done, done)
    return flight
  }

  const join = (key: string, flight: Flight, signal: AbortSignal | undefined, starter: boolean): Promise<unknown> => {
    // Joiners get their own copy of bytes, so one caller mutating a download cannot corrupt another's.
    const result = starter ? flight.promise : flight.promise.then(copyBytes)
    if (!signal) {
      flight.pinned = true
      return result
    }
    flight.abortable += 1
    return raceAbort(result, signal, () => {
      flight.abortable -= 1
      if (flight.abortable === 0 && !flight.pinned) {
        if (flights.get(key) === flight) flights.delete(key)
        flight.controller.abort(new PortabaseError('cancelled', 'Every caller of the shared request cancelled'))
      }
    })
  }

  return (op, next) => {
    const name = `${op.service}.${op.method}`
    if (!include(op)) return READ_ONLY.has(name) && op.idempotent ? next(op) : passWrite(op, next)
    const key = stableKey([name, op.args])
    if (key === undefined) return next(op)
    if (op.signal?.aborted) return Promise.reject(cancelledError(op.signal))
    const existing = flights.get(key)
    const flight = existing ?? start(key, op, next)
    return join(key, flight, op.signal, existing === undefined)
  }
}

/** Collections a write touches, or 'all' when it is not a recognisable documents.write. */
function writtenCollections(op: Operation): Set<unknown> | 'all' {
  if (op.service !== 'documents' || op.method !== 'write' || !Array.isArray(op.args[0])) return 'all'
  const collections = new Set<unknown>()
  for (const write of op.args[0] as unknown[]) {
    if (typeof write !== 'object' || write === null) return 'all'
    collections.add((write as { collection?: unknown }).collection)
  }
  return collections
}

function copyBytes(value: unknown): unknown {
  return value instanceof Uint8Array ? value.slice() : value
}

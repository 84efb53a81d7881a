import { PortabaseError } from '../errors.js'
import { builtinLink, Cancellation, cancelledError, cancelOf, listen, unlisten, withCancellation, type AbortListener } from './cancel.js'
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

/** DEDUPE_READS by service, then method: looked up without building a `service.method` string per call. */
const READS_BY_SERVICE: ReadonlyMap<string, ReadonlySet<string>> = byService(DEDUPE_READS)

export interface DedupeOptions {
  /** Which operations may share a request. Default: idempotent operations named in DEDUPE_READS. */
  include?: (op: Operation) => boolean
}

const defaultInclude = (op: Operation): boolean => op.idempotent && READS_BY_SERVICE.get(op.service)?.has(op.method) === true

/** One caller of a shared request. */
class Caller implements AbortListener {
  constructor(
    readonly flight: Flight,
    /** Undefined for a caller without a signal: it can never leave. */
    readonly cancel: Cancellation | AbortSignal | undefined,
    readonly resolve: (value: unknown) => void,
    readonly reject: (error: unknown) => void,
  ) {}

  /** This caller aborted: it leaves alone; the request is aborted when no caller is left. */
  handleEvent(): void {
    this.flight.leave(this)
    this.reject(cancelledError(this.cancel!))
  }
}

/** One shared request and the callers waiting for it. */
class Flight {
  /** The shared request's own cancellation: no single caller may cancel it for the others. */
  readonly cancel = new Cancellation()
  /** The caller that started the request, then the others in arrival order. */
  private first: Caller | undefined = undefined
  private others: Caller[] | undefined = undefined
  /** Callers without a signal: while there is one, the request must run to the end. */
  private pinned = 0
  private settled = false
  /** Whether this flight is in the table of flights: forgetting it then needs no lookup first. */
  registered = true

  constructor(
    readonly key: string,
    readonly service: string,
    /** The collection a documents read targets: writes to it detach this flight. */
    readonly collection: unknown,
    private readonly forget: (flight: Flight) => void,
  ) {}

  join(cancel: Cancellation | AbortSignal | undefined): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const caller = new Caller(this, cancel, resolve, reject)
      if (this.first === undefined && this.others === undefined) this.first = caller
      else (this.others ??= []).push(caller)
      if (cancel === undefined) this.pinned += 1
      else listen(cancel, caller)
    })
  }

  leave(caller: Caller): void {
    if (this.first === caller) this.first = undefined
    else if (this.others !== undefined) {
      const at = this.others.indexOf(caller)
      if (at >= 0) this.others.splice(at, 1)
    }
    if (this.pinned === 0 && this.first === undefined && (this.others === undefined || this.others.length === 0) && !this.settled) {
      this.forget(this)
      this.cancel.abort(new PortabaseError('cancelled', 'Every caller of the shared request cancelled'))
    }
  }

  finish(ok: boolean, outcome: unknown): void {
    this.settled = true
    this.forget(this)
    // One caller gets the value itself; every other one its own copy of bytes, so one caller mutating
    // a download cannot corrupt another's.
    let copy = false
    if (this.first !== undefined) {
      deliver(this.first, ok, outcome, copy)
      copy = true
    }
    if (this.others !== undefined) {
      for (const caller of this.others) {
        deliver(caller, ok, outcome, copy)
        copy = true
      }
    }
  }
}

function deliver(caller: Caller, ok: boolean, outcome: unknown, copy: boolean): void {
  if (caller.cancel !== undefined) unlisten(caller.cancel, caller)
  if (!ok) caller.reject(outcome)
  else caller.resolve(copy ? copyBytes(outcome) : outcome)
}

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
  const flights = new Flights()

  const forget = (flight: Flight): void => {
    if (!flight.registered) return
    flight.registered = false
    flights.remove(flight)
  }

  const detach = (write: Operation): void => {
    if (flights.size === 0) return
    const collections = writtenCollections(write)
    flights.forEach((flight) => {
      if (collections === 'all' || (flight.service === 'documents' && collections.has(flight.collection))) {
        flight.registered = false
        flights.remove(flight)
      }
    })
  }

  const passWrite = (op: Operation, next: NextLink): Promise<unknown> => {
    detach(op)
    const result = callNext(next, op)
    result.then(
      () => detach(op),
      () => detach(op),
    )
    return result
  }

  return builtinLink((op, next) => {
    if (!include(op)) return READ_ONLY.has(`${op.service}.${op.method}`) && op.idempotent ? next(op) : passWrite(op, next)
    const key = keyOf(op)
    if (key === undefined) return next(op)
    const cancel = cancelOf(op)
    if (cancel?.aborted) return Promise.reject(cancelledError(cancel))
    const existing = flights.get(key)
    if (existing !== undefined) return existing.join(cancel)
    const flight = new Flight(key, op.service, op.service === 'documents' ? op.args[0] : undefined, forget)
    flights.add(flight)
    const joined = flight.join(cancel)
    callNext(next, withCancellation(op, flight.cancel)).then(
      (value) => flight.finish(true, value),
      (error: unknown) => flight.finish(false, error),
    )
    return joined
  })
}

/** A key no request key equals (request keys are strings). */
const SENTINEL = {}

/**
 * The shared requests in flight, by key. Sequential callers have one flight at a time: it sits in a
 * slot, found by one string comparison, with no hashing. The rest go to a Map that never empties: in
 * V8 (Node 20) the delete that empties a Map shrinks its table and the next set grows it again, two
 * allocations and rehashes per call, about 0.5 µs, more than the rest of this link. A permanent
 * sentinel entry keeps the table as it is.
 */
class Flights {
  private solo: Flight | undefined = undefined
  private more: Map<unknown, Flight | undefined> | undefined = undefined

  get size(): number {
    return (this.solo === undefined ? 0 : 1) + (this.more === undefined ? 0 : this.more.size - 1)
  }

  get(key: string): Flight | undefined {
    const solo = this.solo
    if (solo !== undefined && solo.key === key) return solo
    return this.more?.get(key)
  }

  /** Adds a flight whose key is not in the table. */
  add(flight: Flight): void {
    if (this.solo === undefined) this.solo = flight
    else (this.more ??= new Map<unknown, Flight | undefined>([[SENTINEL, undefined]])).set(flight.key, flight)
  }

  /** Removes a flight that is in the table. */
  remove(flight: Flight): void {
    if (this.solo === flight) this.solo = undefined
    else this.more?.delete(flight.key)
  }

  /** Each flight; `visit` may remove the one it is given. */
  forEach(visit: (flight: Flight) => void): void {
    const solo = this.solo
    if (solo !== undefined) visit(solo)
    this.more?.forEach((flight) => {
      if (flight !== undefined) visit(flight)
    })
  }
}

/**
 * The identity of a request. Args that are all strings (`documents.get [collection, id]`, downloads)
 * take a fast path; anything else goes through stableKey. The two forms cannot collide: the fast one
 * starts with the service name, stableKey's with `[`.
 */
function keyOf(op: Operation): string | undefined {
  const { args } = op
  let key = `${op.service}.${op.method}`
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    // Length-prefixed, so ('a:b', 'c') and ('a', 'b:c') differ.
    if (typeof arg === 'string') key += `\u0000${arg.length}:${arg}`
    else return stableKey([`${op.service}.${op.method}`, args])
  }
  return key
}

function byService(names: Iterable<string>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  for (const name of names) {
    const dot = name.indexOf('.')
    const service = name.slice(0, dot)
    let methods = out.get(service)
    if (!methods) out.set(service, (methods = new Set()))
    methods.add(name.slice(dot + 1))
  }
  return out
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

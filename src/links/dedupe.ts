import { PortabaseError } from '../errors.js'
import { Cancellation, cancelledError, listen, unlisten, type AbortListener } from './cancel.js'
import { stableKey } from './key.js'
import type { Link, Operation } from './link.js'
import { stageLink, type Outlet } from './stage.js'

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
    readonly out: Outlet,
  ) {}

  /** This caller aborted: it leaves alone; the request is aborted when no caller is left. */
  handleEvent(): void {
    this.flight.leave(this)
    this.out.settle(false, cancelledError(this.cancel!))
  }
}

/**
 * One shared request (the outlet of the call below) and the callers waiting for it. It is also the
 * request's own cancellation, with no parent: no single caller may cancel it for the others.
 */
class Flight extends Cancellation implements Outlet {
  /** The caller that started the request, then the others in arrival order. */
  private firstCaller: Caller | undefined = undefined
  private otherCallers: Caller[] | undefined = undefined
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
  ) {
    super()
  }

  join(cancel: Cancellation | AbortSignal | undefined, out: Outlet): void {
    const caller = new Caller(this, cancel, out)
    if (this.firstCaller === undefined && this.otherCallers === undefined) this.firstCaller = caller
    else (this.otherCallers ??= []).push(caller)
    if (cancel === undefined) this.pinned += 1
    else listen(cancel, caller)
  }

  leave(caller: Caller): void {
    if (this.firstCaller === caller) this.firstCaller = undefined
    else if (this.otherCallers !== undefined) {
      const at = this.otherCallers.indexOf(caller)
      if (at >= 0) this.otherCallers.splice(at, 1)
    }
    if (this.pinned === 0 && this.firstCaller === undefined && (this.otherCallers === undefined || this.otherCallers.length === 0) && !this.settled) {
      this.forget(this)
      this.abort(new PortabaseError('cancelled', 'Every caller of the shared request cancelled'))
    }
  }

  /** The shared request settled. */
  settle(ok: boolean, outcome: unknown, at?: number): void {
    this.settled = true
    this.forget(this)
    // One caller gets the value itself; every other one its own copy of bytes, so one caller mutating
    // a download cannot corrupt another's.
    let copy = false
    if (this.firstCaller !== undefined) {
      deliver(this.firstCaller, ok, outcome, copy, at)
      copy = true
    }
    if (this.otherCallers !== undefined) {
      for (const caller of this.otherCallers) {
        deliver(caller, ok, outcome, copy, at)
        copy = true
      }
    }
  }
}

function deliver(caller: Caller, ok: boolean, outcome: unknown, copy: boolean, at: number | undefined): void {
  if (caller.cancel !== undefined) unlisten(caller.cancel, caller)
  caller.out.settle(ok, ok && copy ? copyBytes(outcome) : outcome, at)
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

  return stageLink((op, below, out, at, cancel) => {
    if (!include(op)) {
      if (READ_ONLY.has(`${op.service}.${op.method}`) && op.idempotent) return below.run(op, out, at, cancel)
      detach(op)
      return below.run(op, new Write(op, detach, out), at, cancel)
    }
    const key = keyOf(op)
    if (key === undefined) return below.run(op, out, at, cancel)
    if (cancel?.aborted) return out.settle(false, cancelledError(cancel))
    const existing = flights.get(key)
    if (existing !== undefined) return existing.join(cancel, out)
    const flight = new Flight(key, op.service, op.service === 'documents' ? op.args[0] : undefined, forget)
    flights.add(flight)
    flight.join(cancel, out)
    below.run(op, flight, at, flight)
  })
}

/** A write: closes in-flight reads again when it settles, before its caller learns the outcome. */
class Write implements Outlet {
  constructor(
    private readonly op: Operation,
    private readonly detach: (write: Operation) => void,
    private readonly out: Outlet,
  ) {}

  settle(ok: boolean, value: unknown, at?: number): void {
    this.detach(this.op)
    this.out.settle(ok, value, at)
  }
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

/**
 * watch() on AppSync subscriptions (`onCreate<Model>`, `onUpdate<Model>`, `onDelete<Model>`), raw
 * GraphQL through the adapter's `generateClient(ctx)` client.
 *
 * The events are only a trigger: the query runs again through the documents service's own
 * `query()` (filters, id order, limit, cursor and the owner rule applied by AppSync exactly as for
 * a one-off query), and a snapshot is emitted when the result differs from the last one (`changes`
 * from `diffResults`). Applying the events' items instead would be wrong: a delete here is an
 * UPDATE to a tombstone (`pbDeleted`), a limited window that loses a member cannot know which item
 * moves in, and events published while the socket was down are never re-sent.
 *
 * When the query runs:
 * - each time one of the watch's subscriptions is acknowledged by AppSync (`start_ack`, seen on
 *   Hub 'api' as `Subscription ack` with the operation's text): the first subscription and every
 *   re-subscription aws-amplify makes after a reconnect — what changed in between is read then;
 * - when aws-amplify's connection reports `Connected` (Hub 'api' `ConnectionStateChange`);
 * - on every event; and after a sign-in or sign-out (the subscriptions are made again: the auth
 *   mode and the owner argument change, and so does what the query may return).
 * The first snapshot comes after the first acknowledgement (or after `initialWaitMs` without
 * one), every document 'added'.
 *
 * Rate: runs are coalesced — a trigger waits `debounceMs` (default 50), at most one run is in
 * flight and one pending: a burst of writes costs one or two queries, whatever its size.
 *
 * Owner collections: the subscriptions pass `owner: "<sub>::<username>"` (the value the
 * transformer stores, from the access token's claims), which the subscription auth resolver
 * accepts as a valid owner argument; public and signed-in collections pass no argument. Signed
 * out, an owner collection's watch fails with permission-denied without subscribing (see
 * subscribeAll). Whatever the events say, the owner rule is applied by the re-run query.
 *
 * Errors, as PortabaseError on the observable: a refused subscription (Unauthorized →
 * permission-denied; no token → unauthenticated; a schema without these subscriptions →
 * failed-precondition; see errors.ts mapDataError); a failing query (before the first snapshot:
 * any failure; after it: a non-retryable one — retryable ones are retried with backoff).
 * A dropped socket is not an error: aws-amplify reconnects and re-subscribes, and the new
 * acknowledgement re-runs the query.
 */
import { fetchAuthSession } from 'aws-amplify/auth'
import { Hub } from 'aws-amplify/utils'
import { Observable, type Subscriber, type Subscription } from 'rxjs'
import { isAbortError, isPortabaseError, PortabaseError } from '../../src/errors.js'
import { RequeryView } from '../../src/query/requery.js'
import type { Doc, QuerySnapshot, User } from '../../src/types.js'
import type { AmplifyContext } from './context.js'
import { amplifyError, mapDataError, PROVIDER } from './errors.js'
import type { ModelInfo } from './graphql.js'
import { haltIdle } from './reconnect.js'

/** What the watches need of aws-amplify's client: `graphql()` of a subscription returns an observable. */
export interface SubscriptionClient {
  graphql(options: { query: string; variables?: Record<string, unknown>; authMode?: 'userPool' | 'apiKey' }): unknown
}

interface Subscribable {
  subscribe(observer: { next: (value: unknown) => void; error: (error: unknown) => void }): { unsubscribe(): void }
}

export interface AmplifyRealtimeOptions {
  /** How long a trigger waits before the query runs, gathering a burst into one request. Default 50. */
  debounceMs?: number
  /** Without an acknowledged subscription by then, the first snapshot is served anyway. Default 10,000. */
  initialWaitMs?: number
  /** First wait before re-running a query that failed with a retryable error; doubles up to 30 s. Default 1,000. */
  retryMs?: number
}

export interface AmplifySession {
  /** The auth mode of every request now ('userPool' when signed in). */
  authMode(): 'userPool' | 'apiKey'
  /** The signed-in user (changes make the subscriptions again). */
  user$: Observable<User | null>
}

const KINDS = ['Create', 'Update', 'Delete'] as const
/** Operation names are unique in the process: Hub's acknowledgements carry no context. */
let watchCount = 0

/** The owner value the transformer stores for the signed-in user of `ctx` (`<sub>::<username>`), or null. */
export async function ownerValueOf(ctx: AmplifyContext): Promise<string | null> {
  const payload = (await fetchAuthSession(ctx)).tokens?.accessToken.payload
  const sub = payload?.sub
  const username = payload?.username ?? payload?.['cognito:username']
  return typeof sub === 'string' && typeof username === 'string' ? `${sub}::${username}` : null
}

export class AmplifyRealtime {
  private readonly debounceMs: number
  private readonly initialWaitMs: number
  private readonly retryMs: number
  private readonly live = new Set<RequeryWatch>()
  private stopHub: (() => void) | undefined
  private disposed = false

  constructor(
    private readonly client: SubscriptionClient,
    private readonly ctx: AmplifyContext,
    private readonly session: AmplifySession,
    options: AmplifyRealtimeOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 50
    this.initialWaitMs = options.initialWaitMs ?? 10_000
    this.retryMs = options.retryMs ?? 1_000
  }

  /** The live result of `run` (the documents service's query of `m`): the first snapshot, then one per change of the result. */
  watch(m: ModelInfo, run: (signal: AbortSignal) => Promise<Doc[]>): Observable<QuerySnapshot> {
    return new Observable<QuerySnapshot>((subscriber) => {
      if (this.disposed) {
        subscriber.error(new PortabaseError('failed-precondition', 'Amplify: the adapter was disposed', { provider: PROVIDER }))
        return undefined
      }
      const watch = new RequeryWatch(this, m, run, subscriber)
      this.add(watch)
      watch.start()
      return () => {
        watch.stop()
        this.remove(watch)
      }
    })
  }

  /** Ends every watch (complete). */
  dispose(): void {
    this.disposed = true
    for (const watch of [...this.live]) watch.complete()
  }

  /** @internal */
  get settings(): { debounceMs: number; initialWaitMs: number; retryMs: number } {
    return { debounceMs: this.debounceMs, initialWaitMs: this.initialWaitMs, retryMs: this.retryMs }
  }

  /** @internal One subscription (an observable from aws-amplify). */
  subscribe(query: string, variables: Record<string, unknown>): Subscribable {
    return this.client.graphql({ query, variables, authMode: this.session.authMode() }) as Subscribable
  }

  /** @internal */
  ownerValue(): Promise<string | null> {
    return ownerValueOf(this.ctx)
  }

  /** @internal */
  get user$(): Observable<User | null> {
    return this.session.user$
  }

  /** @internal */
  remove(watch: RequeryWatch): void {
    this.live.delete(watch)
    if (this.live.size === 0) {
      this.stopHub?.()
      this.stopHub = undefined
    }
  }

  private add(watch: RequeryWatch): void {
    this.live.add(watch)
    // One Hub listener while any watch is live: acknowledgements name the watch by its operation.
    this.stopHub ??= Hub.listen('api', ({ payload }) => {
      const data = payload.data as { connectionState?: string; query?: string } | undefined
      if (payload.event === 'ConnectionStateChange' && data?.connectionState === 'Connected') {
        for (const w of this.live) w.trigger()
      } else if (payload.event === 'Subscription ack' && typeof data?.query === 'string') {
        for (const w of this.live) if (w.owns(data.query)) w.trigger()
      }
    })
  }
}

/** One watch(): its three subscriptions trigger the query's re-runs (src/query/requery.ts). */
class RequeryWatch {
  private readonly tag = `W${++watchCount}`
  private subscriptions: { unsubscribe(): void }[] = []
  /** Bumped by each (re)subscription: a late owner lookup of an older one is dropped. */
  private generation = 0
  private auth: Subscription | undefined
  private readonly view: RequeryView

  constructor(
    private readonly realtime: AmplifyRealtime,
    private readonly m: ModelInfo,
    run: (signal: AbortSignal) => Promise<Doc[]>,
    subscriber: Subscriber<QuerySnapshot>,
  ) {
    this.view = new RequeryView(run, subscriber, realtime.settings, toPortabaseError, () => {
      this.generation++
      this.auth?.unsubscribe()
      this.auth = undefined
      this.unsubscribeAll()
      this.realtime.remove(this)
    })
  }

  /** True when a subscription's text (as aws-amplify prints it) is one of this watch's. */
  owns(query: string): boolean {
    return KINDS.some((kind) => query.includes(this.operationName(kind)))
  }

  private operationName(kind: (typeof KINDS)[number]): string {
    return `PbOn${kind}${this.m.model}${this.tag}`
  }

  start(): void {
    let first = true
    this.auth = this.realtime.user$.subscribe((user) => {
      // The current user comes first (BehaviorSubject): only changes make the subscriptions again.
      if (first) {
        first = false
        return
      }
      void user
      void this.subscribeAll()
      this.view.trigger()
    })
    void this.subscribeAll()
    this.view.start()
  }

  private async subscribeAll(): Promise<void> {
    const generation = ++this.generation
    this.unsubscribeAll()
    let owner: string | null = null
    if (this.m.owner) {
      try {
        owner = await this.realtime.ownerValue()
      } catch {
        owner = null // no session
      }
      if (this.view.stopped || generation !== this.generation) return
      // Signed out: AppSync would refuse the subscription, and aws-amplify 6.22 answers a refused
      // subscription by closing the shared socket (every other watch reconnects) and leaves its
      // siblings' 15 s start-ack timers armed. The query would be refused too: say so here.
      if (owner === null) return this.view.fail(amplifyError('permission-denied', `watch ${this.m.collection}: the owner rule needs a signed-in user`))
    }
    const withOwner = owner !== null
    const selection = this.m.owner ? 'id updatedAt owner' : 'id updatedAt'
    for (const kind of KINDS) {
      const field = `on${kind}${this.m.model}`
      const query = withOwner
        ? `subscription ${this.operationName(kind)}($owner: String) { ${field}(owner: $owner) { ${selection} } }`
        : `subscription ${this.operationName(kind)} { ${field} { ${selection} } }`
      try {
        const subscription = this.realtime.subscribe(query, withOwner ? { owner } : {}).subscribe({
          next: () => this.view.trigger(),
          error: (error: unknown) => this.view.fail(mapDataError(error, { what: `watch ${this.m.collection} (${field})` })),
        })
        if (this.view.stopped || generation !== this.generation) subscription.unsubscribe()
        else this.subscriptions.push(subscription)
      } catch (error) {
        return this.view.fail(mapDataError(error, { what: `watch ${this.m.collection} (${field})` }))
      }
    }
  }

  private unsubscribeAll(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe()
    haltIdle()
  }

  trigger(): void {
    this.view.trigger()
  }

  stop(): void {
    this.view.stop()
  }

  complete(): void {
    this.view.complete()
  }
}

function toPortabaseError(error: unknown): PortabaseError {
  if (isPortabaseError(error)) return error
  if (isAbortError(error)) return amplifyError('cancelled', 'the query was cancelled', error)
  return amplifyError('internal', error instanceof Error ? error.message : 'the live query failed', error)
}

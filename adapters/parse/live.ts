/**
 * watch() on Parse LiveQuery. One LiveQueryClient per adapter (opened with the first watch, closed
 * with the last); one subscription per watch, carrying the adapter's session token so the server
 * applies ACLs and afterLiveQueryEvent triggers for this user.
 *
 * A subscription covers the whole class (or one objectId for a document watch): the LiveQuery
 * server matches with its own, Mongo-style matcher, which differs from PostgreSQL and from
 * portabase on nulls and types, so membership is decided here, by LiveView and the neutral
 * evaluator. Cost: every change in the class reaches every watcher of it.
 *
 * Order of work, one step at a time per watch: subscribe → wait until the server confirms →
 * run the query (the first snapshot) → apply events as they come, skipping ones older than what
 * the view holds. When a limited window loses a member (LiveView.apply returns null), after a
 * reconnect (the SDK re-subscribes by itself; each re-subscription emits `open`) and when the
 * signed-in user changes, the query runs again and the difference is emitted.
 */
import { Observable, skip, type Subscriber, type Subscription } from 'rxjs'
import { PortabaseError } from '../../src/errors.js'
import { LiveView, type ViewChange } from '../../src/query/live.js'
import { DOC_ID, type Query } from '../../src/query/model.js'
import type { Doc, QuerySnapshot } from '../../src/types.js'
import type { Session } from './auth.js'
import { decodeDoc } from './codec.js'
import type { ParseDocuments } from './documents.js'
import { mapParseError, PROVIDER } from './errors.js'
import type { FieldCatalog } from './fields.js'
import type { LiveQueryClientLike, LiveQuerySubscriptionLike, ParseObjectLike, ParseRest } from './sdk.js'

export interface LiveOptions {
  liveQueryServerURL: string
  appId: string
  javascriptKey?: string
  /** How long the first snapshot waits for the server to confirm the subscription. */
  subscribeTimeoutMs: number
}

export interface LiveContext {
  rest: ParseRest
  session: Session
  catalog: FieldCatalog
  documents: ParseDocuments
}

export class ParseLive {
  private client: LiveQueryClientLike | undefined
  private closing: Promise<unknown> | undefined
  private readonly watches = new Set<LiveWatch>()
  private readonly sessionChanges: Subscription
  private disposed = false

  constructor(
    readonly ctx: LiveContext,
    readonly options: LiveOptions,
  ) {
    // Another user: every live query is re-subscribed with the new token and re-run.
    this.sessionChanges = ctx.session.tokenChanges$.pipe(skip(1)).subscribe(() => {
      for (const watch of this.watches) watch.restart()
    })
  }

  watch(collection: string, query: Query): Observable<QuerySnapshot> {
    return new Observable<QuerySnapshot>((subscriber) => {
      const watch = new LiveWatch(this, collection, query, subscriber)
      this.watches.add(watch)
      watch.start()
      return () => {
        watch.stop()
        this.watches.delete(watch)
        if (this.watches.size === 0) void this.closeClient()
      }
    })
  }

  /** The LiveQueryClient, opened on first use. */
  async getClient(): Promise<LiveQueryClientLike> {
    if (this.client) return this.client
    await this.closing
    const Parse = await this.ctx.rest.sdk()
    if (this.client) return this.client
    // Every watch stopped (or the adapter was disposed) while this one was starting: a client opened
    // now would be closed by nobody, and would reconnect for ever once the server goes away.
    if (this.disposed || this.watches.size === 0) throw new PortabaseError('cancelled', 'The live query was stopped while it started', { provider: PROVIDER })
    const { liveQueryServerURL, appId, javascriptKey } = this.options
    const client = new Parse.LiveQueryClient({ applicationId: appId, serverURL: liveQueryServerURL, javascriptKey, installationId: this.ctx.rest.installationId })
    const { connection } = this.ctx.rest
    client.on('open', () => {
      if (this.client === client) connection.set('online')
      // The SDK emits 'open' before it sets its state to connected: close once it has.
      else queueMicrotask(() => void keepClosed(client))
    })
    client.on('close', () => {
      // The SDK reconnects with backoff, and re-subscribes once connected.
      if (this.client === client) connection.set('connecting')
      else keepClosed(client)
    })
    client.on('error', () => {
      if (this.client !== client) keepClosed(client)
    })
    client.open()
    this.client = client
    return client
  }

  private closeClient(): Promise<unknown> {
    const client = this.client
    this.client = undefined
    if (!client) return Promise.resolve()
    this.closing = keepClosed(client)
    return this.closing
  }

  async dispose(): Promise<void> {
    this.disposed = true
    this.sessionChanges.unsubscribe()
    for (const watch of [...this.watches]) watch.complete()
    this.watches.clear()
    await this.closeClient()
  }
}

/**
 * Closes a LiveQueryClient for good; called again by its event listeners whenever it comes back.
 * The SDK's close() can be undone by the SDK itself: a server's `connected` reply that arrives
 * after close() sets the state to connected again, and the socket's close then schedules a
 * reconnect, which, with the server gone, retries for ever (seen in the offline property test: a
 * watch stopped while its client was connecting). Its 'open', 'close' and 'error' events come
 * before any reconnect is scheduled, so closing again there stops it.
 */
function keepClosed(client: LiveQueryClientLike): Promise<unknown> {
  if (client.state === 'disconnected') return Promise.resolve()
  const closed = client.close().catch(() => undefined)
  // close() does not clear a reconnect timer already pending (reconnectHandle).
  clearTimeout(client.reconnectHandle)
  // close() resets the client with a fresh connectPromise that nobody awaits; a server error still
  // in flight on the closing socket (e.g. "Cannot find subscription" for a last unsubscribe) would
  // reject it as an unhandled rejection.
  client.connectPromise?.catch(() => undefined)
  return closed
}

interface LiveEvent {
  id: string
  /** Undefined when deleted. */
  doc: Doc | undefined
}

/** One watch(): its subscription, its LiveView, and a queue that runs its steps one at a time. */
class LiveWatch {
  private view: LiveView<Doc> | undefined
  private subscription: { client: LiveQueryClientLike; subscription: LiveQuerySubscriptionLike } | undefined
  /** Bumped on every (re)subscription: events of older subscriptions are dropped. */
  private generation = 0
  /** The first `open` after a confirmed subscription is the confirmation itself, not a reconnect. */
  private skipNextOpen = false
  private queue: Promise<void> = Promise.resolve()
  private stopped = false
  /** Ends a subscription's wait for its confirmation (set while subscribe() waits). */
  private endWait: (() => void) | undefined

  constructor(
    private readonly live: ParseLive,
    private readonly collection: string,
    private readonly query: Query,
    private readonly subscriber: Subscriber<QuerySnapshot>,
  ) {}

  start(): void {
    this.enqueue(() => this.load())
  }

  /** Re-subscribes (new session token) and re-runs the query. */
  restart(): void {
    this.unsubscribe()
    this.enqueue(() => this.load())
  }

  stop(): void {
    this.stopped = true
    this.endWait?.()
    this.unsubscribe()
  }

  complete(): void {
    this.stop()
    this.subscriber.complete()
  }

  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(() => (this.stopped ? undefined : step())).catch((error: unknown) => this.fail(error))
  }

  private fail(error: unknown): void {
    if (this.stopped) return
    this.stop()
    this.subscriber.error(error instanceof PortabaseError ? error : mapParseError(error, 'live'))
  }

  private async subscribe(): Promise<boolean> {
    const client = await this.live.getClient()
    const Parse = await this.live.ctx.rest.sdk()
    if (this.stopped) throw new PortabaseError('cancelled', 'The live query was stopped while it started', { provider: PROVIDER })
    const query = new Parse.Query(this.collection)
    const id = watchedId(this.query)
    if (id !== undefined) query.equalTo('objectId', id)
    const subscription = client.subscribe(query, this.live.ctx.session.token ?? undefined)
    if (!subscription) throw new PortabaseError('internal', 'The Parse LiveQuery client refused the subscription', { provider: PROVIDER })
    const generation = ++this.generation
    this.subscription = { client, subscription }
    const onObject =
      (deleted: boolean) =>
      (...args: unknown[]): void => {
        const object = args[0]
        if (generation !== this.generation || this.stopped || !isParseObject(object)) return
        this.onEvent(object, deleted)
      }
    subscription.on('create', onObject(false))
    subscription.on('update', onObject(false))
    subscription.on('enter', onObject(false))
    // Leaving the subscription's (wider) query means leaving this query too: LiveView removes it.
    subscription.on('leave', onObject(false))
    subscription.on('delete', onObject(true))
    subscription.on('open', () => {
      if (generation !== this.generation || this.stopped) return
      if (this.skipNextOpen) this.skipNextOpen = false
      // Re-subscribed after a reconnect: catch up with what happened meanwhile.
      else this.enqueue(() => this.load())
    })
    subscription.on('error', (...args: unknown[]) => {
      // Socket errors come as objects (the SDK reconnects); the server's refusals as strings.
      const error = args[0]
      if (generation === this.generation && typeof error === 'string') this.fail(subscriptionError(error))
    })
    const { subscribeTimeoutMs } = this.live.options
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), subscribeTimeoutMs)
      // stop() ends the wait at once: a stopped watch keeps no timer running.
      this.endWait = () => resolve(false)
    })
    try {
      return await Promise.race([subscription.subscribePromise.then(() => true), timeout])
    } catch (error) {
      throw mapParseError(error, 'live')
    } finally {
      clearTimeout(timer)
      this.endWait = undefined
    }
  }

  private unsubscribe(): void {
    const current = this.subscription
    this.subscription = undefined
    this.generation++
    if (current) current.client.unsubscribe(current.subscription).catch(() => undefined)
  }

  /** (Re)subscribes if needed, runs the query, and emits the first snapshot or the difference. */
  private async load(): Promise<void> {
    if (!this.subscription) {
      const confirmed = await this.subscribe()
      if (this.stopped) return
      // Not confirmed in time (LiveQuery unreachable): serve the query now, catch up on `open`.
      this.skipNextOpen = confirmed
    }
    let docs: Doc[]
    try {
      docs = await this.live.ctx.documents.query(this.collection, this.query)
    } catch (error) {
      // A reconnect's catch-up that cannot reach the server waits for the next `open`.
      if (this.view && error instanceof PortabaseError && error.retryable) return
      throw error
    }
    if (this.stopped) return
    if (!this.view) {
      this.view = new LiveView<Doc>(this.query, docs)
      const changes = docs.map((doc, newIndex) => ({ type: 'added' as const, doc, oldIndex: -1, newIndex }))
      this.emit(changes, true)
      return
    }
    this.emit(this.view.reset(docs))
  }

  private onEvent(object: ParseObjectLike, deleted: boolean): void {
    const json = object.toJSON()
    const id = String(json.objectId ?? object.id)
    let doc: Doc | undefined
    if (!deleted) {
      this.live.ctx.catalog.learnObject(this.collection, json)
      doc = decodeDoc(json)
    }
    this.enqueue(() => this.apply({ id, doc }))
  }

  private async apply({ id, doc }: LiveEvent): Promise<void> {
    const view = this.view
    if (!view) return
    if (doc) {
      const current = view.current.find((d) => d.id === id)
      // Already seen, or older than what the last query returned.
      if (current && (current.meta.version === doc.meta.version || current.meta.updateTime.getTime() > doc.meta.updateTime.getTime())) return
    }
    const changes = view.apply(id, doc)
    if (changes !== null) return this.emit(changes)
    // A limited window lost a member: only the server knows what moves in.
    const docs = await this.live.ctx.documents.query(this.collection, this.query)
    if (!this.stopped) this.emit(view.reset(docs))
  }

  private emit(changes: ViewChange<Doc>[], always = false): void {
    if (this.stopped || !this.view || (changes.length === 0 && !always)) return
    this.subscriber.next(Object.freeze({ docs: this.view.current, changes: Object.freeze(changes), fromCache: false, hasPendingWrites: false }))
  }
}

function isParseObject(value: unknown): value is ParseObjectLike {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function'
}

/** The id a document watch (`__id__ == id`) is about, to narrow its subscription. */
function watchedId(query: Query): string | undefined {
  for (const filter of query.filters) {
    if (filter.kind === 'field' && filter.field === DOC_ID && filter.op === '==' && typeof filter.value === 'string') return filter.value
  }
  return undefined
}

function subscriptionError(message: string): PortabaseError {
  const code = /session/i.test(message) ? 'unauthenticated' : /permission|forbidden|not allowed/i.test(message) ? 'permission-denied' : 'internal'
  return new PortabaseError(code, `Parse LiveQuery refused the subscription: ${message}`, { provider: PROVIDER })
}

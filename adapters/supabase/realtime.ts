/**
 * watch() on Supabase Realtime `postgres_changes`, through supabase-js's own realtime client.
 *
 * The change events are only a trigger: on every (re)subscription and on every event the query runs
 * again through PostgREST, and a snapshot is emitted when the result differs from the last one.
 * Applying the events' rows to the result instead would be wrong in ways only the server can fix:
 * - a DELETE event carries only the primary key (without REPLICA IDENTITY FULL, and always when the
 *   table has RLS: Realtime's `apply_rls` keeps only the key of a deleted row);
 * - RLS is not applied to DELETE events (a watcher may hear of rows it never could read);
 * - events have no ordering, limit or cursor semantics: a limited window that loses a member cannot
 *   know which row moves in;
 * - events committed while the socket was down, or before Realtime's CDC subscription was live, are
 *   never sent: re-querying on every SUBSCRIBED (first join and every rejoin after a reconnect) and
 *   on the server's "Subscribed to PostgreSQL" message closes both gaps.
 * PostgREST applies the query's filters, order, limit and cursor, and RLS, exactly as get() does.
 *
 * Rate: runs are coalesced — at most one in flight and one pending; a trigger waits `debounceMs`
 * (default 50) so a burst of events (a batch write) costs one request, and events arriving while a
 * request runs cost one more, whatever their number.
 *
 * Errors, as PortabaseError on the observable (messages without tokens):
 * - the join refused (`phx_reply` status error): a token problem → unauthenticated, a permission
 *   problem → permission-denied, at once; other reasons (Realtime restarting, rate limits, its
 *   database unreachable) are retried by realtime-js, and fail as unavailable after
 *   `maxJoinFailures` refusals or timeouts in a row;
 * - the table not enabled for Realtime (not in the `supabase_realtime` publication): the server says
 *   so in a `system` message and does not retry → failed-precondition;
 * - the channel closed by the server (`phx_close`: token expired, permissions revoked, rate limit),
 *   with the reason of the `system` message before it;
 * - a query that fails (before the first snapshot: any failure; after: a non-retryable one;
 *   retryable ones are retried with backoff).
 * A dropped socket is not an error: realtime-js reconnects and rejoins, and the rejoin re-runs the query.
 */
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js'
import { Observable, type Subscriber, type Subscription } from 'rxjs'
import { isAbortError, isPortabaseError, PortabaseError, type ErrorCode } from '../../src/errors.js'
import type { Query } from '../../src/query/model.js'
import { RequeryView } from '../../src/query/requery.js'
import type { Doc, QuerySnapshot } from '../../src/types.js'
import { PROVIDER, withoutTokens } from './errors.js'

/** 'subscribed': the channel (re)joined. 'change': the table may have changed (a row event, or the CDC subscription just became live). */
export type TableSignal = 'subscribed' | 'change'

export interface SupabaseRealtimeOptions {
  /** How long a trigger waits before the query runs, gathering a burst into one request. Default 50. */
  debounceMs?: number
  /** Without a confirmed subscription by then, the first snapshot is served anyway (it catches up on SUBSCRIBED). Default 10,000. */
  initialWaitMs?: number
  /** Refusals or timeouts of the join in a row before a watch fails with `unavailable`. Default 3. */
  maxJoinFailures?: number
  /** First wait before re-running a query that failed with a retryable error; doubles up to 30 s. Default 1,000. */
  retryMs?: number
}

/** The collection tables' schema (sql.ts). */
const SCHEMA = 'public'
let channelCount = 0

/** The subset of a watch the adapter reaches: re-run (auth change) and end (dispose). */
interface Live {
  trigger(): void
  complete(): void
}

export class SupabaseRealtime {
  private readonly debounceMs: number
  private readonly initialWaitMs: number
  private readonly maxJoinFailures: number
  private readonly retryMs: number
  private readonly live = new Set<Live>()
  private readonly removals = new Set<Promise<unknown>>()
  private readonly authSubscription: { unsubscribe(): void } | undefined
  private disposed = false

  constructor(
    private readonly client: SupabaseClient,
    options: SupabaseRealtimeOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 50
    this.initialWaitMs = options.initialWaitMs ?? 10_000
    this.maxJoinFailures = Math.max(1, options.maxJoinFailures ?? 3)
    this.retryMs = options.retryMs ?? 1_000
    // Another user sees other rows (RLS) and no event says so: every watch runs again.
    try {
      this.authSubscription = client.auth.onAuthStateChange((event) => {
        if (event === 'SIGNED_IN' || event === 'SIGNED_OUT' || event === 'USER_UPDATED') for (const live of this.live) live.trigger()
      }).data.subscription
    } catch {
      // A client made with its own `accessToken` has no auth client (supabase-js throws on access).
      this.authSubscription = undefined
    }
  }

  /**
   * One Realtime channel on `postgres_changes` for every change of `public.<table>`. Emits
   * 'subscribed' each time the channel joins (first join and every rejoin), 'change' per event.
   * Unsubscribing removes the channel.
   */
  tableChanges(table: string): Observable<TableSignal> {
    return new Observable<TableSignal>((subscriber) => {
      if (this.disposed) {
        subscriber.error(disposedError())
        return undefined
      }
      const stream = new TableStream(this, table, subscriber)
      const live: Live = { trigger: () => undefined, complete: () => stream.complete() }
      this.live.add(live)
      stream.start()
      return () => {
        this.live.delete(live)
        stream.close()
      }
    })
  }

  /**
   * The live result of `run` (the query through PostgREST): the first snapshot, then one per change
   * of the result. `query` is the one `run` executes (kept for symmetry with DocumentsService.watch).
   */
  watch(collection: string, _query: Query, run: (signal: AbortSignal) => Promise<Doc[]>): Observable<QuerySnapshot> {
    return new Observable<QuerySnapshot>((subscriber) => {
      if (this.disposed) {
        subscriber.error(disposedError())
        return undefined
      }
      const watch = new RequeryWatch(this, collection, run, subscriber)
      this.live.add(watch)
      watch.start()
      return () => {
        this.live.delete(watch)
        watch.stop()
      }
    })
  }

  /** Ends every watch (complete) and removes their channels. */
  async dispose(): Promise<void> {
    this.disposed = true
    this.authSubscription?.unsubscribe()
    for (const live of [...this.live]) live.complete()
    this.live.clear()
    await Promise.allSettled([...this.removals])
  }

  /** @internal */
  get settings(): { debounceMs: number; initialWaitMs: number; maxJoinFailures: number; retryMs: number } {
    return { debounceMs: this.debounceMs, initialWaitMs: this.initialWaitMs, maxJoinFailures: this.maxJoinFailures, retryMs: this.retryMs }
  }

  /** @internal The channel for one stream: a topic of its own (realtime-js reuses a channel per topic). */
  async openChannel(table: string): Promise<RealtimeChannel> {
    // The join carries the current access token: realtime-js builds the join payload when subscribe()
    // is called, and otherwise fetches the token only as the socket connects, after that. A join
    // without it would be evaluated as the anon role (RLS would hide the signed-in user's rows).
    await this.client.realtime.setAuth().catch(() => undefined)
    const suffix = `${++channelCount}-${Math.random().toString(36).slice(2, 8)}`
    return this.client.channel(`portabase:${table}:${suffix}`)
  }

  /** @internal Leaves and tears down a channel; dispose() waits for it. */
  removeChannel(channel: RealtimeChannel): void {
    const removal: Promise<unknown> = this.client
      .removeChannel(channel)
      .catch(() => undefined)
      .finally(() => this.removals.delete(removal))
    this.removals.add(removal)
  }
}

/** System message payload (realtime_channel.ex push_system_message). */
interface SystemPayload {
  extension?: string
  status?: string
  message?: string
}

/** One channel and its subscriber. */
class TableStream {
  private channel: RealtimeChannel | undefined
  private closed = false
  /** Refusals and timeouts of the join since the last SUBSCRIBED. */
  private joinFailures = 0
  /** The last error the server told in a `system` message (it precedes a server-side close). */
  private serverMessage: string | undefined

  constructor(
    private readonly realtime: SupabaseRealtime,
    private readonly table: string,
    private readonly subscriber: Subscriber<TableSignal>,
  ) {}

  start(): void {
    this.realtime.openChannel(this.table).then(
      (channel) => this.subscribe(channel),
      (error: unknown) => this.fail(realtimeError('unavailable', `could not open a Realtime channel for ${this.table}`, error)),
    )
  }

  private subscribe(channel: RealtimeChannel): void {
    if (this.closed) {
      // Closed while the token was fetched: the channel was created but never joined.
      this.realtime.removeChannel(channel)
      return
    }
    this.channel = channel
    const { table } = this
    channel.on('postgres_changes', { event: '*', schema: SCHEMA, table }, () => {
      if (!this.closed) this.subscriber.next('change')
    })
    channel.on('system', {}, (payload: SystemPayload) => this.onSystem(payload))
    channel.subscribe((status) => {
      if (this.closed) return
      if (status === 'SUBSCRIBED') {
        this.joinFailures = 0
        this.subscriber.next('subscribed')
      } else if (status === 'TIMED_OUT') {
        // realtime-js leaves and rejoins by itself; while the socket is down there is one timeout per attempt.
        if (++this.joinFailures >= this.realtime.settings.maxJoinFailures) {
          this.fail(realtimeError('unavailable', `Realtime did not confirm the subscription to ${table} (${this.joinFailures} attempts timed out)`))
        }
      } else if (status === 'CLOSED') {
        // Not ours (close() sets `closed` first): the server stopped the channel (`phx_close`).
        const reason = this.serverMessage
        this.fail(realtimeError(reason ? classify(reason) : 'unavailable', `Realtime closed the channel for ${table}${reason ? `: ${reason}` : ''}`))
      }
      // CHANNEL_ERROR: either the socket failed (realtime-js reconnects and rejoins, SUBSCRIBED follows)
      // or the join was refused — read from the join reply itself below, since realtime-js reports
      // both the same way (and Phoenix's `phx_error` for a crashed channel carries a `reason` too).
    })
    // A refused join: `phx_reply` with status "error" and `{ reason }` (realtime_channel.ex join/3 → Logging.log_error).
    channel.joinPush.receive('error', (response: unknown) => {
      if (this.closed) return
      const reason = reasonOf(response)
      const code = classify(reason)
      this.joinFailures++
      if (code === 'unauthenticated' || code === 'permission-denied' || this.joinFailures >= this.realtime.settings.maxJoinFailures) {
        this.fail(realtimeError(code, `Realtime refused the subscription to ${table}: ${reason}`, response))
      }
    })
  }

  private onSystem(payload: SystemPayload): void {
    if (this.closed || typeof payload !== 'object' || payload === null) return
    const message = typeof payload.message === 'string' ? payload.message : ''
    if (payload.extension === 'postgres_changes') {
      // "Subscribed to PostgreSQL": changes are streamed from now on; whatever was committed between
      // the join and now was not, so the table counts as changed.
      if (payload.status === 'ok') this.subscriber.next('change')
      else if (payload.status === 'error') {
        // Parameters the server cannot subscribe with (the table is not in the publication, or bad
        // filter params): it does not retry those (realtime_channel.ex handle_info(:postgres_subscribe),
        // subscriptions.ex create/5, cdc_rls.ex subscription_list/1). Other failures it retries.
        if (/^(Unable to subscribe to changes with given parameters|Error parsing `filter` params|No subscription params provided)/.test(message)) {
          this.fail(
            realtimeError('failed-precondition', `Realtime cannot stream changes of ${this.table} (is the table in the supabase_realtime publication? see setup.sql): ${message}`),
          )
        } else this.serverMessage = message
      }
    } else if (payload.status === 'error') {
      // shutdown_response/2: the server stops the channel right after this message (phx_close follows).
      this.serverMessage = message
    }
  }

  private fail(error: PortabaseError): void {
    if (this.closed) return
    this.close()
    this.subscriber.error(error)
  }

  complete(): void {
    if (this.closed) return
    this.close()
    this.subscriber.complete()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    const channel = this.channel
    this.channel = undefined
    if (channel) this.realtime.removeChannel(channel)
  }
}

/** One watch(): the table's signals trigger the query's re-runs (src/query/requery.ts). */
class RequeryWatch implements Live {
  private signals: Subscription | undefined
  private readonly view: RequeryView

  constructor(
    private readonly realtime: SupabaseRealtime,
    private readonly collection: string,
    run: (signal: AbortSignal) => Promise<Doc[]>,
    subscriber: Subscriber<QuerySnapshot>,
  ) {
    this.view = new RequeryView(run, subscriber, realtime.settings, toPortabaseError, () => {
      this.signals?.unsubscribe()
      this.signals = undefined
    })
  }

  start(): void {
    this.signals = this.realtime.tableChanges(this.collection).subscribe({
      next: () => this.view.trigger(),
      error: (error: unknown) => this.view.fail(toPortabaseError(error)),
    })
    // Realtime unreachable (or slow to confirm): the view serves the query anyway after initialWaitMs.
    this.view.start()
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

/**
 * The neutral code for a reason Realtime gives (join refusals, `system` errors). Realtime sends no
 * machine-readable code here, only these sentences (realtime_channel.ex join/3, handle_info(:confirm_token),
 * handle_in("access_token"), shutdown_response/2; channels_authorization.ex; jwt_verification.ex).
 */
function classify(reason: string): ErrorCode {
  if (/signer/i.test(reason)) return 'unavailable' // the project's JWT secret/JWKS: server configuration
  if (/jwt|token/i.test(reason)) return 'unauthenticated' // expired, malformed, bad signature, missing claims
  if (/permission|unauthorized|private channels/i.test(reason)) return 'permission-denied'
  if (/too many|rate ?limit/i.test(reason)) return 'resource-exhausted'
  return 'unavailable'
}

function reasonOf(response: unknown): string {
  if (typeof response === 'object' && response !== null) {
    const { reason } = response as { reason?: unknown }
    if (typeof reason === 'string' && reason) return reason
    const values = Object.values(response).filter((v) => typeof v === 'string')
    if (values.length > 0) return values.join(', ')
  }
  return typeof response === 'string' && response ? response : 'no reason given'
}

function realtimeError(code: ErrorCode, message: string, cause?: unknown): PortabaseError {
  return new PortabaseError(code, `Supabase: ${withoutTokens(message)}`, { provider: PROVIDER, cause })
}

function toPortabaseError(error: unknown): PortabaseError {
  if (isPortabaseError(error)) return error
  if (isAbortError(error)) return realtimeError('cancelled', 'the query was cancelled', error)
  return realtimeError('internal', error instanceof Error ? error.message : 'the live query failed', error)
}

function disposedError(): PortabaseError {
  return new PortabaseError('failed-precondition', 'Supabase: the realtime service was disposed', { provider: PROVIDER })
}

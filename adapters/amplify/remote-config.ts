/**
 * Remote config on Amplify Gen 2: the `PortabaseConfig` model (`portabaseConfigModel(a)` in
 * schema.ts: `{ key, value: a.json() }`, key = identifier; read with the API key or by signed-in
 * users, written by an admin group only).
 *
 * fetch(): `listPortabaseConfigs` pages of 1,000, following `nextToken` until it is null (a Scan:
 * pages may come back short). Strings, numbers and booleans are served as they are, other JSON
 * values as JSON text, nulls not at all (as the Supabase adapter does).
 *
 * changes(): the model's `onCreate/onUpdate/onDelete` subscriptions are triggers (the client
 * fetches on each emission). It also emits when AppSync acknowledges one of them (the first
 * subscription and each re-subscription after a reconnect: what changed meanwhile is fetched
 * then), when aws-amplify's connection reports `Connected`, and after a sign-in or sign-out (the
 * subscriptions are made again with the new auth mode). Only writes through the GraphQL API reach
 * the subscriptions: an item written straight into the DynamoDB table notifies no one.
 * Each key is its own item, so a change of several keys is several writes and events: emissions
 * wait until no event came for `debounceMs` (default 100), so a batch written at once is fetched
 * once, as a whole. Writes further apart than that can be seen in steps (no atomic replace).
 */
import { Hub } from 'aws-amplify/utils'
import { debounceTime, Observable } from 'rxjs'
import { PortabaseError } from '../../src/errors.js'
import type { CallOptions, ConfigService } from '../../src/spi.js'
import type { ConfigScalar } from '../../src/types.js'
import { amplifyError, graphQLErrorOf, mapDataError } from './errors.js'
import type { AmplifySession } from './realtime.js'
import { CONFIG_MODEL } from './schema.js'

/** What the service needs of aws-amplify's client: a query returns a promise, a subscription an observable. */
export interface ConfigClient {
  graphql(options: { query: string; variables?: Record<string, unknown>; authMode?: 'userPool' | 'apiKey' }): unknown
  cancel(promise: Promise<unknown>, message?: string): boolean
}

interface Subscribable {
  subscribe(observer: { next: (value: unknown) => void; error: (error: unknown) => void }): { unsubscribe(): void }
}

type Page = { items: ({ key: string; value: unknown } | null)[]; nextToken: string | null } | null

const PAGE = 1000
const KINDS = ['Create', 'Update', 'Delete'] as const
export const listConfig = `query PbConfig($limit: Int, $nextToken: String) { list${CONFIG_MODEL}s(limit: $limit, nextToken: $nextToken) { items { key value } nextToken } }`

/** Operation names are unique in the process: Hub's acknowledgements carry no context. */
let listenerCount = 0

function mapConfigError(error: unknown): PortabaseError {
  if (/Cannot query field|FieldUndefined|Unknown type|Validation error/.test(graphQLErrorOf(error)?.message ?? '')) {
    return amplifyError('failed-precondition', `remote config: the data API has no ${CONFIG_MODEL} model (add portabaseConfigModel(a) to the schema)`, error)
  }
  return mapDataError(error, { what: 'remote config' })
}

/** A stored value as served: scalars as they are, other JSON as text, null as absent. */
function scalarOf(raw: unknown): ConfigScalar | undefined {
  const value = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw // AWSJSON text
  if (value === null || value === undefined) return undefined
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : JSON.stringify(value)
}

export interface AmplifyConfigOptions {
  /** Items per list request (DynamoDB caps a page at 1 MB as well). Default 1,000. */
  pageSize?: number
  /** changes() emits once no event came for this long (see the file comment). Default 100. */
  debounceMs?: number
}

export class AmplifyConfig implements ConfigService {
  private readonly pageSize: number
  private readonly debounceMs: number

  constructor(
    private readonly client: ConfigClient,
    private readonly session: AmplifySession,
    options: AmplifyConfigOptions = {},
  ) {
    this.pageSize = options.pageSize ?? PAGE
    this.debounceMs = options.debounceMs ?? 100
  }

  async fetch(options?: CallOptions): Promise<Record<string, ConfigScalar>> {
    const values: Record<string, ConfigScalar> = {}
    let nextToken: string | null = null
    do {
      const page: Page = (await this.send({ limit: this.pageSize, nextToken }, options?.signal))[`list${CONFIG_MODEL}s`] ?? null
      for (const item of page?.items ?? []) {
        const value = item ? scalarOf(item.value) : undefined
        if (item && value !== undefined) values[item.key] = value
      }
      nextToken = page?.nextToken ?? null
    } while (nextToken)
    return values
  }

  private async send(variables: Record<string, unknown>, signal?: AbortSignal): Promise<Record<string, Page>> {
    if (signal?.aborted) throw amplifyError('cancelled', 'remote config: cancelled', signal.reason)
    const request = this.client.graphql({ query: listConfig, variables, authMode: this.session.authMode() }) as Promise<{ data?: Record<string, Page> }>
    const abort = (): void => void this.client.cancel(request, 'cancelled')
    signal?.addEventListener('abort', abort, { once: true })
    try {
      return (await request).data ?? {}
    } catch (error) {
      if (signal?.aborted) throw amplifyError('cancelled', 'remote config: cancelled', error)
      throw mapConfigError(error)
    } finally {
      signal?.removeEventListener('abort', abort)
    }
  }

  changes(): Observable<void> {
    return new Observable<void>((subscriber) => {
      const tag = `PbConfig${++listenerCount}`
      const names = KINDS.map((kind) => `${tag}On${kind}`)
      let subscriptions: { unsubscribe(): void }[] = []
      const unsubscribeAll = (): void => subscriptions.splice(0).forEach((s) => s.unsubscribe())
      const subscribeAll = (): void => {
        unsubscribeAll()
        for (const [i, kind] of KINDS.entries()) {
          const query = `subscription ${names[i]} { on${kind}${CONFIG_MODEL} { key } }`
          try {
            const events = this.client.graphql({ query, authMode: this.session.authMode() }) as Subscribable
            subscriptions.push(events.subscribe({ next: () => subscriber.next(), error: (error) => subscriber.error(mapConfigError(error)) }))
          } catch (error) {
            subscriber.error(mapConfigError(error))
            return
          }
        }
      }
      const stopHub = Hub.listen('api', ({ payload }) => {
        const data = payload.data as { connectionState?: string; query?: string } | undefined
        if (payload.event === 'ConnectionStateChange' && data?.connectionState === 'Connected') subscriber.next()
        else if (payload.event === 'Subscription ack' && names.some((name) => data?.query?.includes(name))) subscriber.next()
      })
      let first = true
      // The current user comes first (BehaviorSubject): only changes make the subscriptions again.
      const auth = this.session.user$.subscribe(() => {
        if (first) return void (first = false)
        subscribeAll()
        subscriber.next()
      })
      subscribeAll()
      return () => {
        auth.unsubscribe()
        stopHub()
        unsubscribeAll()
        subscriptions = []
      }
    }).pipe(debounceTime(this.debounceMs))
  }
}

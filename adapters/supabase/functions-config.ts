/**
 * Functions: Supabase Edge Functions through `functions.invoke` (POST /functions/v1/<name>, the
 * session's access token as bearer). The input is always sent as a JSON body, so falsy inputs
 * (`0`, `false`, `''`, `null`) reach the function too (supabase-js would send no body for them); a
 * JSON answer comes back parsed, any other as text. A function that fails with a neutral code
 * answers a non-2xx status and `{ code, message }` (see functions/ in the live setup).
 *
 * Remote config: the `portabase_config (key, value jsonb)` table, read through PostgREST (readable
 * by everyone, writable by the service role only: see sql.ts). Strings, numbers and booleans are
 * served as they are; other JSON values as JSON text. With realtime, changes to the table reach
 * `app.config.updates()` through Realtime's `postgres_changes` (the table is in its publication).
 */
import type { SupabaseClient } from '@supabase/supabase-js'
import { map, throwError, type Observable } from 'rxjs'
import { PortabaseError } from '../../src/errors.js'
import type { CallOptions, ConfigService, FunctionsService } from '../../src/spi.js'
import type { ConfigScalar } from '../../src/types.js'
import { mapFunctionsError, mapPostgrestError, PROVIDER, type FunctionsErrorLike } from './errors.js'

export const CONFIG_TABLE = 'portabase_config'

/** The JSON error body a failed function sent, if any (the Response is the error's context). */
async function errorBody(error: FunctionsErrorLike): Promise<Record<string, unknown> | undefined> {
  const response = error.context
  if (!(response instanceof Response) || response.bodyUsed) return undefined
  try {
    const body: unknown = await response.json()
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

export class SupabaseFunctions implements FunctionsService {
  constructor(private readonly client: SupabaseClient) {}

  async call(name: string, input: unknown, options: CallOptions): Promise<unknown> {
    const { data, error } = await this.client.functions.invoke(name, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(input ?? null),
      signal: options.signal,
    })
    if (error) throw mapFunctionsError(error as FunctionsErrorLike, await errorBody(error as FunctionsErrorLike))
    return data ?? null
  }
}

export class SupabaseConfig implements ConfigService {
  constructor(
    private readonly client: SupabaseClient,
    /** Realtime's signals for a table (realtime.ts); without it there are no live updates. */
    private readonly tableChanges?: (table: string) => Observable<'subscribed' | 'change'>,
  ) {}

  /** Realtime `postgres_changes` on the config table; every (re)subscription too, as a change may have been missed. */
  changes(): Observable<void> {
    if (!this.tableChanges) return throwError(() => new PortabaseError('unsupported', 'Supabase: realtime is off for this adapter', { provider: PROVIDER }))
    return this.tableChanges(CONFIG_TABLE).pipe(map(() => undefined))
  }

  async fetch(options?: CallOptions): Promise<Record<string, ConfigScalar>> {
    // No retries inside postgrest-js: the links retry (see documents.ts read()).
    const builder = this.client.from(CONFIG_TABLE).select('key,value').retry(false)
    const { data, error, status } = await (options?.signal ? builder.abortSignal(options.signal) : builder)
    if (error) throw mapPostgrestError(error, status)
    const values: Record<string, ConfigScalar> = {}
    for (const { key, value } of (data ?? []) as Array<{ key: string; value: unknown }>) {
      if (value === null || value === undefined) continue
      values[key] = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : JSON.stringify(value)
    }
    return values
  }
}

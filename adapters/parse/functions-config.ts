/**
 * Functions: Parse Cloud Code functions (`Parse.Cloud.define`), called over REST
 * (`POST functions/<name>`, what Parse.Cloud.run sends) with the adapter's session token.
 *
 * Parse passes a function its input as `request.params`, which must be an object. A plain-object
 * input is sent as the params themselves; any other input (string, number, boolean, array, Date,
 * null) is wrapped as `{ __input: value }`. Portabase inputs never have keys starting with `__`, so
 * the wrapper cannot be confused with an object input. A cloud function reads its input with:
 *
 *   const input = '__input' in request.params ? request.params.__input : request.params
 *
 * The result is returned as the function returned it (Dates decoded).
 *
 * Remote config: `GET config` (what Parse.Config.get sends, without its global cache); string,
 * number and boolean params are served as they are, Dates as ISO strings, other JSON values
 * (arrays, objects) as JSON text; master-key-only params are never visible to clients.
 */
import { isPlainObject } from '../../src/values.js'
import type { CallOptions, ConfigService, FunctionsService } from '../../src/spi.js'
import type { ConfigScalar, Value } from '../../src/types.js'
import type { Session } from './auth.js'
import { decodeValue, encodeValue } from './codec.js'
import type { ParseRest } from './sdk.js'

export const INPUT_KEY = '__input'

/** The params Parse receives for a portabase input. */
export function functionParams(input: unknown): Record<string, unknown> {
  const value = (input ?? null) as Value
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Array.isArray(value) && isPlainObject(value)) {
    return encodeValue(value) as Record<string, unknown>
  }
  return { [INPUT_KEY]: encodeValue(value) }
}

export class ParseFunctions implements FunctionsService {
  constructor(
    private readonly rest: ParseRest,
    private readonly session: Session,
  ) {}

  async call(name: string, input: unknown, options: CallOptions): Promise<unknown> {
    const response = await this.rest.request<{ result?: unknown }>('POST', `functions/${encodeURIComponent(name)}`, functionParams(input), {
      sessionToken: this.session.token,
      signal: options.signal,
      context: 'function',
    })
    return decodeValue(response.result ?? null)
  }
}

export class ParseConfigService implements ConfigService {
  constructor(
    private readonly rest: ParseRest,
    private readonly session: Session,
  ) {}

  async fetch(options?: CallOptions): Promise<Record<string, ConfigScalar>> {
    const response = await this.rest.request<{ params?: Record<string, unknown> }>('GET', 'config', undefined, {
      sessionToken: this.session.token,
      signal: options?.signal,
      context: 'config',
    })
    const values: Record<string, ConfigScalar> = {}
    for (const [key, raw] of Object.entries(response.params ?? {})) {
      const value = decodeValue(raw)
      if (value === null) continue
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') values[key] = value
      else if (value instanceof Date) values[key] = value.toISOString()
      else values[key] = JSON.stringify(raw)
    }
    return values
  }
}

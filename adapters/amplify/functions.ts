/**
 * Functions on Amplify Gen 2: one custom query per portabase function, named after it, taking and
 * returning JSON, with a Lambda as its handler (`portabaseFunction(a, fn)` in schema.ts writes it):
 *
 *   echo: a.query().arguments({ input: a.json() }).returns(a.json()).handler(a.handler.function(echoFn))
 *     .authorization((allow) => [allow.publicApiKey(), allow.authenticated()])
 *
 * `call(name, input)` sends `query PbCall($input: AWSJSON) { <name>(input: $input) }` through the
 * adapter's `generateClient(ctx)` client, with the session's auth mode (the user-pool token when
 * signed in, else the API key): the Lambda sees the caller as `event.identity`. The input travels
 * as AWSJSON text (so 0, false, '' and null reach the function as themselves) and AppSync hands
 * the Lambda the parsed value; the result comes back as AWSJSON text and is parsed here.
 *
 * Errors: a Lambda that throws reaches the caller as an AppSync error whose `message` is the
 * thrown error's (its `errorType` is Lambda's, e.g. `Lambda:Unhandled`, whatever was thrown). So
 * the neutral code travels in the message: a function fails with `[<code>] <message>`, which
 * `functionError(code, message)` builds. An `errorType` that is itself a neutral code (a custom
 * resolver's `util.error(message, 'not-found')`) counts too. Anything else → `internal`.
 * A name the schema has no query field for → `not-found`; a field of another shape →
 * `failed-precondition`; a name that cannot be a GraphQL field (`-`) → `invalid-argument`.
 *
 * `timeoutMs` and `signal` cancel the request (`client.cancel`) → `deadline-exceeded` /
 * `cancelled`. Only the client stops waiting: the Lambda runs on to its own timeout.
 */
import { ERROR_CODES, PortabaseError, type ErrorCode } from '../../src/errors.js'
import type { CallOptions, FunctionsService } from '../../src/spi.js'
import type { GraphQLClient } from './documents.js'
import { amplifyError, dataErrorTypeOf, graphQLErrorOf, mapDataError } from './errors.js'

/** A GraphQL field name; `__…` names are GraphQL's own. */
const GRAPHQL_NAME = /^(?!__)[_A-Za-z][_0-9A-Za-z]*$/
/** `[invalid-argument] bad input`: the message a function fails with (functionError). */
const CODED_MESSAGE = /^\[([a-z-]+)\]\s?([\s\S]*)$/

function isErrorCode(value: string | undefined): value is ErrorCode {
  return value !== undefined && (ERROR_CODES as readonly string[]).includes(value)
}

/**
 * For Lambda handlers: the error to throw so the caller gets `code` and `message`
 * (`throw functionError('invalid-argument', 'bad input')`). Only its message crosses AppSync.
 */
export function functionError(code: ErrorCode, message: string): Error {
  if (!isErrorCode(code)) throw new TypeError(`functionError(): unknown code ${JSON.stringify(code)}`)
  const error = new Error(`[${code}] ${message}`)
  error.name = 'PortabaseFunctionError'
  return error
}

export const callFunction = (name: string): string => `query PbCall($input: AWSJSON) { ${name}(input: $input) }`

/** A failed call, as a PortabaseError (see the file comment). */
export function mapFunctionError(error: unknown, name: string): PortabaseError {
  if (error instanceof PortabaseError) return error
  const first = graphQLErrorOf(error)
  const type = dataErrorTypeOf(error)
  const message = first?.message ?? ''
  const details = type ? { vendorCode: type } : undefined
  const coded = CODED_MESSAGE.exec(message)
  if (coded && isErrorCode(coded[1])) return amplifyError(coded[1], coded[2]!, error, details)
  if (isErrorCode(type)) return amplifyError(type, message, error, details)
  // AppSync: "Validation error of type FieldUndefined: Field 'x' in type 'Query' is undefined"; graphql-js (the simulator): 'Cannot query field "x" on type "Query".'
  if (/FieldUndefined|Cannot query field/.test(message)) return amplifyError('not-found', `no function "${name}" (the data API has no query field of that name)`, error, details)
  if (/^Validation error|Unknown argument|must have a selection|Unknown type/.test(message)) {
    return amplifyError('failed-precondition', `the query field "${name}" is not a portabase function (input: AWSJSON, returns AWSJSON): ${message}`, error, details)
  }
  // Lambda's own timeout (its message); AppSync's errorType for it is Lambda's.
  if (/Task timed out after/.test(message)) return amplifyError('deadline-exceeded', `function ${name}: ${message}`, error, details)
  return mapDataError(error, { what: `function ${name}` })
}

function encodeInput(input: unknown): string {
  try {
    return JSON.stringify(input ?? null)
  } catch (error) {
    throw amplifyError('invalid-argument', `the input is not JSON (${error instanceof Error ? error.message : String(error)})`, error)
  }
}

export class AmplifyFunctions implements FunctionsService {
  constructor(
    private readonly client: GraphQLClient,
    private readonly authMode: () => 'userPool' | 'apiKey',
  ) {}

  async call(name: string, input: unknown, options: CallOptions & { timeoutMs?: number } = {}): Promise<unknown> {
    if (!GRAPHQL_NAME.test(name)) throw amplifyError('invalid-argument', `"${name}" cannot be an Amplify function: a function is the custom query of that name (letters, digits, _)`)
    const variables = { input: encodeInput(input) }
    const { signal, timeoutMs } = options
    if (signal?.aborted) throw amplifyError('cancelled', `function ${name}: cancelled`, signal.reason)

    const request = this.client.graphql({ query: callFunction(name), variables, authMode: this.authMode() })
    let timedOut = false
    const expire = (): void => {
      timedOut = true
      this.client.cancel(request, 'deadline exceeded')
    }
    const timer = timeoutMs === undefined ? undefined : setTimeout(expire, timeoutMs)
    const abort = (): void => void this.client.cancel(request, 'cancelled')
    signal?.addEventListener('abort', abort, { once: true })
    try {
      const result = (await request) as { data?: Record<string, unknown> | null }
      return decodeResult(name, result.data?.[name])
    } catch (error) {
      if (timedOut) throw amplifyError('deadline-exceeded', `function ${name} took longer than ${timeoutMs} ms`, error)
      if (signal?.aborted) throw amplifyError('cancelled', `function ${name}: cancelled`, error)
      throw mapFunctionError(error, name)
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', abort)
    }
  }
}

/** The field's AWSJSON text, parsed (AppSync serialises every result, strings included, as JSON). */
function decodeResult(name: string, raw: unknown): unknown {
  if (raw === null || raw === undefined) return null
  if (typeof raw !== 'string') return raw
  try {
    return JSON.parse(raw) as unknown
  } catch (error) {
    throw amplifyError('internal', `function ${name}: the result is not JSON`, error)
  }
}

/**
 * Functions and remote config on Supabase, at the HTTP level: what the real supabase-js sends for
 * `functions.call` (POST /functions/v1/<name>, functions-js) and `config.fetch` (GET
 * /rest/v1/portabase_config, postgrest-js), answered by msw in the documented formats: an Edge
 * Function's own status and JSON body, the relay's `x-relay-error` header (functions-js), and
 * PostgREST's JSON rows and error body `{ code, message, details, hint }`. Not an Edge Runtime or
 * PostgREST server (none runs here): the live target runs the real ones.
 */
import { http, HttpResponse } from 'msw'
import WebSocket from 'ws'
import { recordingServer } from './recording-server.js'
import { supabase } from '../../adapters/supabase/index.js'
import { createClient, type PortabaseClient } from '../../src/index.js'
import { FIXTURE_CONFIG } from '../contract/target.js'

const URL_ = 'http://project.supabase.test'
const ANON_KEY = 'anon-key-for-tests'

const { server, requests } = recordingServer()

const apps: PortabaseClient[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.dispose()))
})
function app(): PortabaseClient {
  const client = createClient({ adapter: supabase({ url: URL_, anonKey: ANON_KEY, WebSocket, realtime: false }) })
  apps.push(client)
  return client
}

/** An Edge Function answering like the contract fixtures (FIXTURES.md). */
const fixtureFunctions = http.post(`${URL_}/functions/v1/:name`, async ({ request, params }) => {
  const input: unknown = JSON.parse(await request.text())
  switch (params.name) {
    case 'echo':
      return HttpResponse.json(input as never)
    case 'fail':
      return HttpResponse.json({ code: 'invalid-argument', message: 'bad input' }, { status: 400 })
    case 'slow':
      // Stops waiting when the client gives up, as a server sees the connection close.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, (input as { ms: number }).ms)
        request.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()))
      })
      return HttpResponse.json({ ok: true })
    default:
      // The Edge Runtime's answer for a function that is not deployed.
      return HttpResponse.json({ code: 'NOT_FOUND', message: 'Requested function was not found' }, { status: 404 })
  }
})

describe('supabase functions over the Edge Functions endpoint (requests and documented responses, msw)', () => {
  it('posts the input as a JSON body with the anon key, and returns the parsed JSON answer', async () => {
    server.use(fixtureFunctions)
    const input = { a: 1, nested: { list: [1, 'two', null, true] } }
    expect(await app().functions.call('echo', input)).toEqual(input)
    const [call] = requests
    expect(call!.method).toBe('POST')
    expect(call!.url.pathname).toBe('/functions/v1/echo')
    expect(call!.headers.get('content-type')).toBe('application/json')
    expect(call!.headers.get('authorization')).toBe(`Bearer ${ANON_KEY}`)
    expect(call!.body).toEqual(input)
  })

  it('falsy inputs (0, false, empty string, null) still reach the function as JSON', async () => {
    server.use(fixtureFunctions)
    const client = app()
    for (const input of [0, false, '', null]) expect(await client.functions.call('echo', input)).toEqual(input)
    expect(requests.map((r) => r.body)).toEqual([0, false, '', null])
    expect(requests.map((r) => r.headers.get('content-type'))).toEqual(Array(4).fill('application/json'))
  })

  it("a function's own { code, message } error keeps its neutral code; a missing function is not-found", async () => {
    server.use(fixtureFunctions)
    const client = app()
    await expect(client.functions.call('fail', {})).rejects.toMatchObject({ code: 'invalid-argument', provider: 'supabase', message: expect.stringContaining('bad input') })
    await expect(client.functions.call('nope', {})).rejects.toMatchObject({ code: 'not-found', provider: 'supabase' })
  })

  it('a relay error (x-relay-error: true) is unavailable; an unreachable endpoint is unavailable', async () => {
    server.use(http.post(`${URL_}/functions/v1/echo`, () => new HttpResponse('relay failure', { status: 502, headers: { 'x-relay-error': 'true' } })))
    await expect(app().functions.call('echo', {})).rejects.toMatchObject({ code: 'unavailable', provider: 'supabase' })
    server.use(http.post(`${URL_}/functions/v1/echo`, () => HttpResponse.error()))
    await expect(app().functions.call('echo', {})).rejects.toMatchObject({ code: 'unavailable', provider: 'supabase' })
  })

  it('timeoutMs aborts the request: deadline-exceeded', async () => {
    server.use(fixtureFunctions)
    await expect(app().functions.call('slow', { ms: 2_000 }, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'deadline-exceeded' })
  })
})

describe('supabase remote config over PostgREST (requests and documented responses, msw)', () => {
  it('reads key and value from portabase_config; JSON scalars as they are, other JSON as text', async () => {
    const rows = [...Object.entries(FIXTURE_CONFIG).map(([key, value]) => ({ key, value })), { key: 'list', value: [1, 2] }, { key: 'unset', value: null }]
    server.use(http.get(`${URL_}/rest/v1/portabase_config`, () => HttpResponse.json(rows)))
    const client = app()
    client.config.setDefaults({ welcome: 'default' })
    expect(await client.config.fetchAndActivate()).toBe(true)
    expect(client.config.get('welcome').asString()).toBe('hello')
    expect(client.config.get('maxItems').asNumber()).toBe(20)
    expect(client.config.get('featureX').asBoolean()).toBe(true)
    expect(client.config.get('ratio').asNumber()).toBe(0.5)
    expect(client.config.get('list').asString()).toBe('[1,2]')
    expect(client.config.get('unset').source).toBe('static')
    const [read] = requests
    expect(read!.url.searchParams.get('select')).toBe('key,value')
    expect(read!.headers.get('apikey')).toBe(ANON_KEY)
  })

  it('a missing config table (PostgREST 404, PGRST205) is a clear PortabaseError, not a raw vendor error', async () => {
    server.use(
      http.get(`${URL_}/rest/v1/portabase_config`, () =>
        HttpResponse.json({ code: 'PGRST205', details: null, hint: null, message: "Could not find the table 'public.portabase_config' in the schema cache" }, { status: 404 }),
      ),
    )
    await expect(app().config.fetch()).rejects.toMatchObject({ code: 'failed-precondition', provider: 'supabase' })
  })
})

/**
 * Supabase watch() (adapters/supabase/realtime.ts) through the real supabase-js + realtime-js
 * (@supabase/realtime-js 2.119, Phoenix protocol vsn 2.0.0, JSON text frames) against a WebSocket
 * server WRITTEN HERE from Realtime's and Phoenix's sources — not a Realtime server. What this
 * proves: the frames realtime-js sends for the adapter's channels, and the adapter's handling of
 * the frames a Realtime server sends (join replies, system messages, change events, closes,
 * dropped sockets). Realtime itself runs in the live target only.
 *
 * Formats, from github:supabase/realtime (commit 833cf36) and github:phoenixframework/phoenix:
 * - frames are V2 arrays `[join_ref, ref, topic, event, payload]` (lib/realtime_web/socket/v2_serializer.ex
 *   encode!/decode_text; the client's side: realtime-js src/lib/serializer.ts);
 * - heartbeat: `[null, ref, "phoenix", "heartbeat", {}]` answered `[null, ref, "phoenix", "phx_reply",
 *   {status: "ok", response: {}}]` (phoenix lib/phoenix/socket.ex handle_in "heartbeat");
 * - join reply `{status: "ok", response: {postgres_changes: [{...params, id}]}}` where id is
 *   `:erlang.phash2(params)`, an integer (lib/realtime_web/channels/realtime_channel.ex join/3,
 *   add_id_to_postgres_changes/1); a refusal `{status: "error", response: {reason}}` (same file +
 *   realtime_channel/logging.ex log_error/3);
 * - `system` pushes `[join_ref, null, topic, "system", {extension, status, message, channel}]`
 *   (realtime_channel.ex push_system_message/5; "Subscribed to PostgreSQL" in handle_info(:postgres_subscribe));
 * - change events are fastlane broadcasts `[null, null, topic, "postgres_changes", {ids, data}]`
 *   (extensions/postgres_cdc_rls/message_dispatcher.ex, v2_serializer.ex fastlane!/1) whose data is
 *   `{type, schema, table, commit_timestamp, columns, record?, old_record?, errors}`
 *   (lib/realtime/adapters/changes.ex, replication_poller.ex generate_record/1,
 *   priv/repo/tenant_schema/realtime/functions/apply_rls.sql: columns `{name, type}`, a DELETE's
 *   old_record keeps only the primary key under RLS, errors null when none);
 * - leaving: `phx_leave` answered by an ok reply, then `phx_close` with the join ref
 *   (phoenix lib/phoenix/channel/server.ex handle_info "phx_leave", lib/phoenix/socket.ex encode_close/3);
 *   a server-side stop: a `system` error (realtime_channel.ex shutdown_response/2) then `phx_close`.
 *
 * PostgREST is answered by msw (rows shaped like rows.ts DocRow). msw's ClientRequest interceptor
 * also sees the HTTP upgrade request the `ws` client sends: left unhandled (no `ws` handler is
 * registered) it passes through to the real server below; only the `onUnhandledRequest: 'error'`
 * strategy must spare it, or msw fails the handshake.
 */
import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import type { AddressInfo } from 'node:net'
import WebSocket, { WebSocketServer } from 'ws'
import { SupabaseDocuments } from '../../adapters/supabase/documents.js'
import { SupabaseRealtime, type SupabaseRealtimeOptions, type TableSignal } from '../../adapters/supabase/realtime.js'
import { DOC_COLUMNS, type DocRow } from '../../adapters/supabase/rows.js'
import { isPortabaseError, type PortabaseError } from '../../src/errors.js'
import { DOC_ID, type Query } from '../../src/query/model.js'
import type { QuerySnapshot } from '../../src/types.js'
import { Recorder, sleep } from '../contract/helpers.js'
import { supabase } from '../../adapters/supabase/index.js'
import { createClient as createPortabase } from '../../src/index.js'

jest.setTimeout(20_000)

/** A JWT-shaped anon key (realtime-js sends it as the join's access_token when no user is signed in). */
const ANON_KEY = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYW5vbiIsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJl'

const USER = { id: 'u1', aud: 'authenticated', role: 'authenticated', email: 'u1@example.test', app_metadata: { provider: 'email' }, user_metadata: {}, created_at: '2024-01-01T00:00:00Z' }
const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
/** A signed-in user's access token (JWT-shaped; nothing here verifies its signature). */
const USER_TOKEN = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: 'u1', role: 'authenticated', exp: 4102444800 })}.c2ln`

type Frame = [string | null, string | null, string, string, Record<string, unknown>]
type JoinAnswer = { status: 'ok' } | { status: 'error'; reason: string } | 'hold' | 'silent'

interface Joined {
  ws: WebSocket
  joinRef: string
  ids: number[]
  table: string
}

/** Realtime's wire protocol, as its sources define it (see the header). */
class RealtimeWire {
  readonly wss: WebSocketServer
  /** Every frame a client sent, in order. */
  readonly frames: Frame[] = []
  readonly urls: string[] = []
  readonly sockets = new Set<WebSocket>()
  connections = 0
  heartbeats = 0
  /** How the next joins are answered, in order; the last one repeats. */
  private queue: JoinAnswer[] = [{ status: 'ok' }]
  /** After a successful join: the CDC subscription's `system` message (ok, or an error text). */
  afterJoin: 'subscribed' | { error: string } | 'nothing' = 'subscribed'
  readonly joined = new Map<string, Joined>()
  private readonly held: (() => void)[] = []
  private joins = 0

  set answers(answers: JoinAnswer[]) {
    this.queue = answers
    this.joins = 0
  }

  private constructor(wss: WebSocketServer) {
    this.wss = wss
    wss.on('connection', (ws, request) => {
      this.connections++
      this.urls.push(request.url ?? '')
      this.sockets.add(ws)
      ws.on('close', () => {
        this.sockets.delete(ws)
        for (const [topic, channel] of this.joined) if (channel.ws === ws) this.joined.delete(topic)
      })
      ws.on('message', (data) => this.receive(ws, JSON.parse(String(data)) as Frame))
    })
  }

  static async start(): Promise<RealtimeWire> {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
    return new RealtimeWire(wss)
  }

  get port(): number {
    return (this.wss.address() as AddressInfo).port
  }

  framesOf(event: string, topic?: string): Frame[] {
    return this.frames.filter((f) => f[3] === event && (topic === undefined || f[2] === topic))
  }

  private send(ws: WebSocket, frame: Frame): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame))
  }

  private receive(ws: WebSocket, frame: Frame): void {
    this.frames.push(frame)
    const [joinRef, ref, topic, event] = frame
    if (topic === 'phoenix' && event === 'heartbeat') {
      this.heartbeats++
      return this.send(ws, [null, ref, 'phoenix', 'phx_reply', { status: 'ok', response: {} }])
    }
    if (event === 'phx_join') return this.join(ws, frame)
    if (event === 'phx_leave') {
      // Joined: the channel stops ({:shutdown, :left}) → ok reply, then phx_close. Not joined: an ok reply only.
      const joined = this.joined.get(topic)
      this.send(ws, [joinRef, ref, topic, 'phx_reply', { status: 'ok', response: {} }])
      if (!joined || joined.ws !== ws) return
      this.joined.delete(topic)
      return this.send(ws, [joined.joinRef, joined.joinRef, topic, 'phx_close', {}])
    }
    // access_token and anything else: no reply (realtime_channel.ex handle_in/3 → :noreply).
  }

  private join(ws: WebSocket, frame: Frame): void {
    const [joinRef, ref, topic, , payload] = frame
    const answer = this.queue[Math.min(this.joins++, this.queue.length - 1)]!
    if (answer === 'silent') return
    if (answer !== 'hold' && answer.status === 'error') {
      return this.send(ws, [joinRef, ref, topic, 'phx_reply', { status: 'error', response: { reason: answer.reason } }])
    }
    const accept = (): void => {
      const params = ((payload.config as { postgres_changes?: Record<string, unknown>[] }).postgres_changes ?? []).map((p): Record<string, unknown> & { id: number } => ({ ...p, id: phash(p) }))
      this.joined.set(topic, { ws, joinRef: joinRef!, ids: params.map((p) => p.id), table: String(params[0]?.table) })
      this.send(ws, [joinRef, ref, topic, 'phx_reply', { status: 'ok', response: { postgres_changes: params } }])
      // Then the CDC subscription's outcome (realtime_channel.ex handle_info(:postgres_subscribe)).
      const channel = topic.replace(/^realtime:/, '')
      if (this.afterJoin === 'subscribed') this.send(ws, [joinRef, null, topic, 'system', { extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL', channel }])
      else if (this.afterJoin !== 'nothing') this.send(ws, [joinRef, null, topic, 'system', { extension: 'postgres_changes', status: 'error', message: this.afterJoin.error, channel }])
    }
    if (answer === 'hold') this.held.push(accept)
    else accept()
  }

  /** Answers the joins held back by a 'hold' answer. */
  release(): void {
    for (const answer of this.held.splice(0)) answer()
  }

  /** A change of `table` to every channel subscribed to it (the CDC fan-out). */
  change(table: string, type: 'INSERT' | 'UPDATE' | 'DELETE', row: DocRow, old?: Partial<DocRow>): void {
    const data: Record<string, unknown> = { schema: 'public', table, commit_timestamp: new Date().toISOString(), type, columns: COLUMNS, errors: null }
    if (type !== 'DELETE') data.record = row
    if (type === 'UPDATE') data.old_record = old ?? { id: row.id }
    if (type === 'DELETE') data.old_record = old ?? { id: row.id }
    for (const [topic, channel] of this.joined) {
      if (channel.table === table) this.send(channel.ws, [null, null, topic, 'postgres_changes', { ids: channel.ids, data }])
    }
  }

  /** The server stopping a channel: its `system` error, then `phx_close`. */
  shutdown(topic: string, message: string): void {
    const channel = this.joined.get(topic)
    if (!channel) throw new Error(`no channel ${topic}`)
    this.joined.delete(topic)
    this.send(channel.ws, [channel.joinRef, null, topic, 'system', { extension: 'system', status: 'error', message, channel: topic.replace(/^realtime:/, '') }])
    this.send(channel.ws, [channel.joinRef, channel.joinRef, topic, 'phx_close', {}])
  }

  /** The channel process crashing: `phx_error` with the join ref (phoenix lib/phoenix/socket.ex encode_on_exit/4). */
  crash(topic: string): void {
    const channel = this.joined.get(topic)
    if (!channel) throw new Error(`no channel ${topic}`)
    this.joined.delete(topic)
    this.send(channel.ws, [channel.joinRef, channel.joinRef, topic, 'phx_error', { reason: 'channel_crash' }])
  }

  /** Drops every connection without a close handshake (a network failure). */
  dropAll(): void {
    for (const ws of this.sockets) ws.terminate()
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate()
    await new Promise<void>((resolve) => this.wss.close(() => resolve()))
  }
}

/** Stands in for `:erlang.phash2(params)`: an integer derived from the params. */
function phash(params: Record<string, unknown>): number {
  let h = 0
  for (const ch of JSON.stringify(params)) h = (h * 31 + ch.charCodeAt(0)) >>> 0
  return h % 2 ** 27
}

/** A collection table's columns as apply_rls.sql lists them (`{name, type: typname}`, sql.ts collectionSql). */
const COLUMNS = [
  { name: 'id', type: 'text' },
  { name: 'data', type: 'jsonb' },
  { name: 'nulls', type: '_text' },
  { name: 'created_at', type: 'timestamptz' },
  { name: 'updated_at', type: 'timestamptz' },
  { name: 'version', type: 'int8' },
  { name: 'write_id', type: 'text' },
  { name: 'change_xid', type: 'xid8' },
]

// ---------------------------------------------------------------------------------------------
// PostgREST (msw): the rows of each table, and every GET the re-queries send.

const tables = new Map<string, Map<string, DocRow>>()
let xid = 100
const gets: URL[] = []
/** The Authorization header of each GET. */
const bearers: (string | null)[] = []
/** While set, GETs wait for it (a request "in flight"). */
let gate: Promise<void> | undefined
/** PostgREST errors the next GETs answer, in order. */
const failures: { status: number; body: Record<string, unknown> }[] = []

function put(table: string, id: string, data: Record<string, unknown>): DocRow {
  const row: DocRow = { id, data: data as DocRow['data'], nulls: [], updated_at: new Date().toISOString(), change_xid: String(++xid) }
  if (!tables.has(table)) tables.set(table, new Map())
  tables.get(table)!.set(id, row)
  return row
}
function remove(table: string, id: string): DocRow {
  const row = tables.get(table)!.get(id)!
  tables.get(table)!.delete(id)
  return row
}
const getsOf = (table: string): URL[] => gets.filter((u) => u.pathname === `/rest/v1/${table}`)

let wire: RealtimeWire
let base: string
const msw = setupServer(
  http.get(/^http:\/\/127\.0\.0\.1:\d+\/rest\/v1\/\w+$/, async ({ request }) => {
    const url = new URL(request.url)
    gets.push(url)
    bearers.push(request.headers.get('authorization'))
    if (gate) await gate
    const failure = failures.shift()
    if (failure) return HttpResponse.json(failure.body, { status: failure.status })
    const rows = [...(tables.get(url.pathname.split('/').pop()!)?.values() ?? [])].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    const limit = url.searchParams.get('limit')
    return HttpResponse.json(limit ? rows.slice(0, Number(limit)) : rows)
  }),
  // GoTrue's password grant (auth-js signInWithPassword → POST /auth/v1/token?grant_type=password).
  http.post(/^http:\/\/127\.0\.0\.1:\d+\/auth\/v1\/token$/, () =>
    HttpResponse.json({ access_token: USER_TOKEN, token_type: 'bearer', expires_in: 3600, expires_at: Math.floor(Date.now() / 1000) + 3600, refresh_token: 'r1', user: USER }),
  ),
)

beforeAll(async () => {
  wire = await RealtimeWire.start()
  base = `http://127.0.0.1:${wire.port}`
  msw.listen({
    onUnhandledRequest: (request, print) => {
      if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') print.error()
    },
  })
})
afterAll(async () => {
  msw.close()
  await wire.close()
})

const clients: SupabaseClient[] = []
const services: SupabaseRealtime[] = []
afterEach(async () => {
  gate = undefined
  failures.length = 0
  wire.answers = [{ status: 'ok' }]
  wire.afterJoin = 'subscribed'
  for (const service of services.splice(0)) await service.dispose()
  for (const client of clients.splice(0)) await closeClient(client)
})

/**
 * Closes a client's socket. realtime-js 2.119's SocketAdapter.disconnect() races the close against a
 * 10 s setTimeout it never clears (supabase/supabase-js#2666, open): the timer created synchronously
 * by that call is unref'd so this test process exits as soon as its tests are done.
 */
async function closeClient(client: SupabaseClient): Promise<void> {
  await Promise.all(client.getChannels().map((channel) => client.removeChannel(channel)))
  const original = globalThis.setTimeout
  globalThis.setTimeout = ((handler: () => void, ms?: number, ...args: unknown[]) => {
    const timer = original(handler, ms, ...args)
    if (ms === 10_000) (timer as unknown as { unref(): void }).unref()
    return timer
  }) as typeof setTimeout
  let closed: Promise<unknown>
  try {
    closed = client.realtime.disconnect()
  } finally {
    globalThis.setTimeout = original
  }
  await closed
}

let tableCount = 0
const freshTable = (): string => `rt${++tableCount}`
const byId: Query = { filters: [], orderBy: [{ field: DOC_ID, direction: 'asc' }] }
const ids = (s: QuerySnapshot): string => s.docs.map((d) => d.id).join(',')

function setup(options: SupabaseRealtimeOptions = {}, realtime: Record<string, unknown> = {}): { client: SupabaseClient; service: SupabaseRealtime; documents: SupabaseDocuments } {
  const client = createClient(base, ANON_KEY, {
    auth: { persistSession: false, autoRefreshToken: false },
    // Quick reconnects and heartbeats; the socket closes when the test says so (closeClient), not when its channels are gone.
    realtime: { transport: WebSocket as never, reconnectAfterMs: () => 50, heartbeatIntervalMs: 100, disconnectOnEmptyChannelsAfterMs: 60_000, ...realtime },
  })
  const service = new SupabaseRealtime(client, { initialWaitMs: 10_000, ...options })
  clients.push(client)
  services.push(service)
  return { client, service, documents: new SupabaseDocuments(client, service) }
}

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

/** Waits until no GET has been sent for `quietMs` (the re-queries a subscription starts have settled). */
async function settled(quietMs = 200): Promise<number> {
  let seen = -1
  while (seen !== gets.length) {
    seen = gets.length
    await sleep(quietMs)
  }
  return gets.length
}

async function failure(recorder: Recorder<unknown>, what: string): Promise<PortabaseError> {
  const error = await recorder.waitForError(what)
  if (!isPortabaseError(error)) throw new Error(`not a PortabaseError: ${String(error)}`)
  return error
}

describe('Supabase realtime watch against a server speaking Realtime’s documented protocol (not Realtime)', () => {
  it('sends the postgres_changes join realtime-js builds, with the access token, and serves the first snapshot only after the join is confirmed', async () => {
    const table = freshTable()
    put(table, 'b', { n: 2 })
    put(table, 'a', { n: 1 })
    wire.answers = ['hold']
    const { documents } = setup()
    const connectionsBefore = wire.connections
    const snaps = new Recorder(documents.watch(table, byId))

    await until(() => wire.framesOf('phx_join').some((f) => f[2].startsWith(`realtime:portabase:${table}:`)), 'the join')
    const join = wire.framesOf('phx_join').find((f) => f[2].startsWith(`realtime:portabase:${table}:`))!
    const [joinRef, ref, topic, , payload] = join
    expect(topic).toMatch(new RegExp(`^realtime:portabase:${table}:`)) // a topic per watch
    expect(joinRef).toBe(ref) // Phoenix: a join's ref is its join_ref
    expect(payload).toEqual({
      config: {
        broadcast: { ack: false, self: false },
        presence: { key: '', enabled: false },
        postgres_changes: [{ event: '*', schema: 'public', table }],
        private: false,
      },
      access_token: ANON_KEY,
    })
    // One socket, on Supabase's path, with the API key and protocol 2.0.0 (msw let the upgrade through).
    expect(wire.connections).toBe(connectionsBefore + 1)
    expect(wire.urls[wire.urls.length - 1]).toBe(`/realtime/v1/websocket?apikey=${ANON_KEY}&vsn=2.0.0`)

    // Not confirmed yet: no query, no snapshot.
    await sleep(300)
    expect(getsOf(table)).toHaveLength(0)
    expect(snaps.values).toHaveLength(0)

    wire.release()
    const first = await snaps.waitFor(() => true, 'the first snapshot')
    expect(ids(first)).toBe('a,b')
    expect(first.changes.map((c) => [c.type, c.doc.id, c.oldIndex, c.newIndex])).toEqual([
      ['added', 'a', -1, 0],
      ['added', 'b', -1, 1],
    ])
    expect(first.docs[0]?.data).toEqual({ n: 1 })
    expect(first).toMatchObject({ fromCache: false, hasPendingWrites: false })
    // The re-query is the adapter's own PostgREST read.
    expect(getsOf(table)[0]?.searchParams.get('select')).toBe(DOC_COLUMNS)
    snaps.stop()
  })

  it('re-runs the query on INSERT, UPDATE and DELETE events and emits the difference', async () => {
    const table = freshTable()
    put(table, 'a', { n: 1 })
    put(table, 'b', { n: 2 })
    const { documents } = setup()
    const snaps = new Recorder(documents.watch(table, byId))
    await snaps.waitFor((s) => ids(s) === 'a,b', 'the first snapshot')
    await settled()

    wire.change(table, 'INSERT', put(table, 'c', { n: 3 }))
    const inserted = await snaps.waitFor((s) => ids(s) === 'a,b,c', 'c after INSERT')
    expect(inserted.changes.map((c) => [c.type, c.doc.id, c.newIndex])).toEqual([['added', 'c', 2]])

    const before = tables.get(table)!.get('a')!
    wire.change(table, 'UPDATE', put(table, 'a', { n: 10 }), before)
    const updated = await snaps.waitFor((s) => s.docs[0]?.data.n === 10, 'a after UPDATE')
    expect(updated.changes.map((c) => [c.type, c.doc.id, c.oldIndex, c.newIndex])).toEqual([['modified', 'a', 0, 0]])

    // Under RLS a DELETE carries only the primary key (apply_rls.sql): the re-query is what tells.
    wire.change(table, 'DELETE', remove(table, 'b'), { id: 'b' })
    const deleted = await snaps.waitFor((s) => ids(s) === 'a,c', 'b gone after DELETE')
    expect(deleted.changes.map((c) => [c.type, c.doc.id, c.oldIndex])).toEqual([['removed', 'b', 1]])
    expect(snaps.failed).toBe(false)
    snaps.stop()
  })

  it('an event that leaves the result unchanged re-queries but emits nothing', async () => {
    const table = freshTable()
    put(table, 'a', { n: 1 })
    const { documents } = setup()
    const snaps = new Recorder(documents.watch(table, byId))
    await snaps.waitFor(() => true, 'the first snapshot')
    const before = await settled()
    const emitted = snaps.values.length
    wire.change(table, 'UPDATE', tables.get(table)!.get('a')!)
    await until(() => gets.length > before, 'the re-query')
    await settled()
    expect(snaps.values).toHaveLength(emitted)
    snaps.stop()
  })

  it('coalesces a burst of events: one request per burst, at most one more for events during a request', async () => {
    const table = freshTable()
    const { documents } = setup({ debounceMs: 30 })
    const snaps = new Recorder(documents.watch(table, byId))
    await snaps.waitFor(() => true, 'the first snapshot')
    let count = await settled()

    // 25 events at once: one request.
    for (let i = 0; i < 25; i++) wire.change(table, 'INSERT', put(table, `k${String(i).padStart(2, '0')}`, { i }))
    await snaps.waitFor((s) => s.docs.length === 25, 'the 25 rows')
    expect((await settled()) - count).toBe(1)
    count = gets.length

    // A request in flight, 24 more events meanwhile: exactly one more request after it.
    let open!: () => void
    gate = new Promise<void>((resolve) => (open = resolve))
    wire.change(table, 'DELETE', remove(table, 'k00'))
    await until(() => gets.length === count + 1, 'the request in flight')
    for (let i = 1; i < 25; i++) wire.change(table, 'DELETE', remove(table, `k${String(i).padStart(2, '0')}`))
    await sleep(150)
    expect(gets.length).toBe(count + 1)
    gate = undefined
    open()
    await snaps.waitFor((s) => s.docs.length === 0, 'every row deleted')
    expect((await settled()) - count).toBe(2)
    snaps.stop()
  })

  it('after a dropped socket realtime-js reconnects and rejoins, and the rejoin re-runs the query: a change made while disconnected appears', async () => {
    const table = freshTable()
    put(table, 'a', { n: 1 })
    // No "Subscribed to PostgreSQL" after the joins: the re-runs here come from SUBSCRIBED alone.
    wire.afterJoin = 'nothing'
    const { documents } = setup()
    const connections = wire.connections
    const snaps = new Recorder(documents.watch(table, byId))
    await snaps.waitFor((s) => ids(s) === 'a', 'the first snapshot')
    await settled()
    const joins = wire.framesOf('phx_join').length

    wire.dropAll()
    // Written while no socket is up: Realtime never streams it.
    put(table, 'b', { n: 2 })
    const caught = await snaps.waitFor((s) => ids(s) === 'a,b', 'b after the rejoin')
    expect(caught.changes.map((c) => [c.type, c.doc.id])).toEqual([['added', 'b']])
    expect(wire.connections).toBe(connections + 2)
    expect(wire.framesOf('phx_join').length).toBe(joins + 1)
    expect(snaps.failed).toBe(false)

    // And the new channel streams again.
    wire.change(table, 'INSERT', put(table, 'c', { n: 3 }))
    await snaps.waitFor((s) => ids(s) === 'a,b,c', 'c after the rejoin')
    snaps.stop()
  })

  it('a crashed channel (phx_error) is rejoined by realtime-js on the same socket, and the rejoin re-runs the query', async () => {
    const table = freshTable()
    put(table, 'a', {})
    wire.afterJoin = 'nothing'
    const { documents } = setup()
    const snaps = new Recorder(documents.watch(table, byId))
    await snaps.waitFor((s) => ids(s) === 'a', 'the first snapshot')
    const connections = wire.connections
    const topic = [...wire.joined.keys()].find((t) => t.includes(`:${table}:`))!
    wire.crash(topic)
    put(table, 'b', {})
    // Phoenix's rejoin timer: 1 s after the error (realtime-js does not expose rejoinAfterMs).
    await snaps.waitFor((s) => ids(s) === 'a,b', 'b after the rejoin')
    expect(wire.connections).toBe(connections)
    expect(wire.framesOf('phx_join', topic)).toHaveLength(2)
    expect(snaps.failed).toBe(false)
    snaps.stop()
  })

  it('answers heartbeats: the socket stays up over several heartbeat intervals', async () => {
    const table = freshTable()
    const { service } = setup()
    const signals = new Recorder<TableSignal>(service.tableChanges(table))
    await signals.waitFor((s) => s === 'subscribed', 'SUBSCRIBED')
    const connections = wire.connections
    const heartbeats = wire.heartbeats
    await sleep(600)
    expect(wire.heartbeats - heartbeats).toBeGreaterThanOrEqual(3)
    expect(wire.connections).toBe(connections)
    expect(signals.values.filter((s) => s === 'subscribed')).toHaveLength(1)
    signals.stop()
  })

  it('tableChanges: subscribed on the join, change per event and on “Subscribed to PostgreSQL”, subscribed again on a rejoin', async () => {
    const table = freshTable()
    const { service } = setup()
    const signals = new Recorder<TableSignal>(service.tableChanges(table))
    await signals.waitFor((s) => s === 'subscribed', 'SUBSCRIBED')
    await signals.waitFor((s) => s === 'change', 'the system message')
    wire.change(table, 'INSERT', put(table, 'x', {}))
    await signals.waitFor((s) => s === 'change', 'the INSERT')
    wire.dropAll()
    await signals.waitFor((s) => s === 'subscribed', 'SUBSCRIBED after the rejoin')
    expect(signals.values.slice(0, 3)).toEqual(['subscribed', 'change', 'change'])
    signals.stop()
  })

  it('a join refused for permissions fails the watch with permission-denied, and the channel is left', async () => {
    const table = freshTable()
    wire.answers = [{ status: 'error', reason: `You do not have permissions to read from this Channel topic: portabase:${table}` }]
    const { documents } = setup()
    const snaps = new Recorder(documents.watch(table, byId))
    const error = await failure(snaps, 'the refusal')
    expect(error.code).toBe('permission-denied')
    expect(error.provider).toBe('supabase')
    expect(error.message).toContain('You do not have permissions to read')
    await until(() => wire.framesOf('phx_leave').some((f) => f[2].includes(`:${table}:`)), 'phx_leave')
    expect(getsOf(table)).toHaveLength(0)
  })

  it('a join refused for the token fails with unauthenticated, without the token in the message', async () => {
    const table = freshTable()
    wire.answers = [{ status: 'error', reason: `InvalidJWTToken: Token has expired 12 seconds ago (${ANON_KEY})` }]
    const { documents } = setup()
    const error = await failure(new Recorder(documents.watch(table, byId)), 'the refusal')
    expect(error.code).toBe('unauthenticated')
    expect(error.message).toContain('Token has expired 12 seconds ago')
    expect(error.message).not.toContain(ANON_KEY)
    expect(error.message).toContain('[token]')
  })

  it('a transient refusal is retried by realtime-js; refusals in a row fail as unavailable', async () => {
    const table = freshTable()
    put(table, 'a', {})
    wire.answers = [{ status: 'error', reason: 'Realtime is restarting, please standby' }, { status: 'ok' }]
    const { documents } = setup({ maxJoinFailures: 2 })
    const snaps = new Recorder(documents.watch(table, byId))
    await snaps.waitFor((s) => ids(s) === 'a', 'the snapshot after the rejoin')
    expect(snaps.failed).toBe(false)
    expect(wire.framesOf('phx_join').filter((f) => f[2].includes(`:${table}:`))).toHaveLength(2)
    snaps.stop()

    const other = freshTable()
    wire.answers = [{ status: 'error', reason: 'Realtime was unable to connect to the project database' }]
    const error = await failure(new Recorder(documents.watch(other, byId)), 'two refusals')
    expect(error.code).toBe('unavailable')
    expect(error.retryable).toBe(true)
    expect(error.message).toContain('unable to connect to the project database')
  })

  it('joins that time out again and again fail as unavailable', async () => {
    const table = freshTable()
    wire.answers = ['silent']
    const { documents } = setup({ maxJoinFailures: 2 }, { timeout: 150 })
    const error = await failure(new Recorder(documents.watch(table, byId)), 'the timeouts')
    expect(error.code).toBe('unavailable')
    expect(error.message).toContain('timed out')
    // realtime-js sent the join twice (a rejoin after the first timeout).
    expect(wire.framesOf('phx_join').filter((f) => f[2].includes(`:${table}:`)).length).toBeGreaterThanOrEqual(2)
  })

  it('a table Realtime cannot stream (not in the publication) fails the watch with failed-precondition', async () => {
    const table = freshTable()
    wire.afterJoin = {
      error: `Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [event: *, schema: public, table: ${table}, filters: []]`,
    }
    const { documents } = setup()
    const error = await failure(new Recorder(documents.watch(table, byId)), 'the system error')
    expect(error.code).toBe('failed-precondition')
    expect(error.message).toContain('supabase_realtime publication')
  })

  it('the server closing the channel (token expired) fails the watch with unauthenticated', async () => {
    const table = freshTable()
    put(table, 'a', {})
    const { documents } = setup()
    const snaps = new Recorder(documents.watch(table, byId))
    await snaps.waitFor(() => true, 'the first snapshot')
    const topic = [...wire.joined.keys()].find((t) => t.includes(`:${table}:`))!
    wire.shutdown(topic, 'Token has expired 3 seconds ago')
    const error = await failure(snaps, 'the close')
    expect(error.code).toBe('unauthenticated')
    expect(error.message).toContain('Realtime closed the channel')
    expect(error.message).toContain('Token has expired 3 seconds ago')
  })

  it('unsubscribing sends phx_leave and stops the requests', async () => {
    const table = freshTable()
    put(table, 'a', {})
    const { documents, client } = setup()
    const snaps = new Recorder(documents.watch(table, byId))
    await snaps.waitFor(() => true, 'the first snapshot')
    await settled()
    const topic = [...wire.joined.keys()].find((t) => t.includes(`:${table}:`))!
    const joined = wire.joined.get(topic)!
    const count = gets.length
    snaps.stop()
    await until(() => wire.framesOf('phx_leave', topic).length === 1, 'phx_leave')
    expect(wire.framesOf('phx_leave', topic)[0]![0]).toBe(joined.joinRef)
    await until(() => client.getChannels().length === 0, 'the channel removed')
    // An event for the old topic (a late fan-out) reaches no channel.
    joined.ws.send(JSON.stringify([null, null, topic, 'postgres_changes', { ids: joined.ids, data: { type: 'INSERT', schema: 'public', table, commit_timestamp: new Date().toISOString(), columns: COLUMNS, record: { id: 'z' }, errors: null } }]))
    await sleep(200)
    expect(gets.length).toBe(count)
  })

  it('dispose completes every watch and removes its channel', async () => {
    const table = freshTable()
    const { documents, service, client } = setup()
    const one = new Recorder(documents.watch(table, byId))
    const two = new Recorder(documents.watch(table, byId))
    await one.waitFor(() => true, 'watch 1')
    await two.waitFor(() => true, 'watch 2')
    expect(client.getChannels()).toHaveLength(2)
    await service.dispose()
    await one.waitForComplete('watch 1 completed')
    await two.waitForComplete('watch 2 completed')
    expect(client.getChannels()).toHaveLength(0)
    const error = await failure(new Recorder(documents.watch(table, byId)), 'a watch after dispose')
    expect(error.code).toBe('failed-precondition')
  })

  it('without a confirmed subscription, the first snapshot is served after initialWaitMs and the join still catches up', async () => {
    const table = freshTable()
    put(table, 'a', {})
    wire.answers = ['hold']
    const { documents } = setup({ initialWaitMs: 200 })
    const snaps = new Recorder(documents.watch(table, byId))
    const first = await snaps.waitFor(() => true, 'the first snapshot without a join')
    expect(ids(first)).toBe('a')
    put(table, 'b', {})
    wire.release()
    await snaps.waitFor((s) => ids(s) === 'a,b', 'b once the join is confirmed')
    snaps.stop()
  })
  it('a query failing after the first snapshot is retried when retryable, and fails the watch when not', async () => {
    const table = freshTable()
    put(table, 'a', {})
    const { documents } = setup({ retryMs: 50 })
    const snaps = new Recorder(documents.watch(table, byId))
    await snaps.waitFor(() => true, 'the first snapshot')
    await settled()
    // PostgREST timed out once (PGRST003, HTTP 504 — a status postgrest-js does not retry itself,
    // unlike 503/520): the watch retries after retryMs, then serves.
    const count = gets.length
    failures.push({ status: 504, body: { code: 'PGRST003', message: 'Timed out acquiring connection from connection pool.', details: null, hint: null } })
    wire.change(table, 'INSERT', put(table, 'b', {}))
    await snaps.waitFor((s) => ids(s) === 'a,b', 'b after the retry')
    expect(gets.length - count).toBe(2)
    expect(snaps.failed).toBe(false)
    // A refusal (42501) is not retried: the watch fails with it.
    failures.push({ status: 403, body: { code: '42501', message: `permission denied for table ${table}`, details: null, hint: null } })
    wire.change(table, 'INSERT', put(table, 'c', {}))
    const error = await failure(snaps, 'the refused query')
    expect(error.code).toBe('permission-denied')
  })

  it('a first query that fails fails the watch', async () => {
    const table = freshTable()
    failures.push({ status: 504, body: { code: 'PGRST003', message: 'Timed out acquiring connection from connection pool.', details: null, hint: null } })
    const { documents } = setup()
    const error = await failure(new Recorder(documents.watch(table, byId)), 'the failed first query')
    expect(error.code).toBe('deadline-exceeded')
    expect(getsOf(table)).toHaveLength(1)
  })

  it('signing in re-runs every watch as the new user, and realtime-js hands the user’s token to the channel', async () => {
    const table = freshTable()
    put(table, 'a', {})
    // The access_token push gets no reply (the server answers :noreply), so its push timer runs for the
    // client's `timeout`: 1 s here rather than 10, for the test process to exit promptly.
    const { documents, client } = setup({}, { timeout: 1_000 })
    const snaps = new Recorder(documents.watch(table, byId))
    await snaps.waitFor(() => true, 'the first snapshot')
    const before = await settled()
    const topic = [...wire.joined.keys()].find((t) => t.includes(`:${table}:`))!
    const { error } = await client.auth.signInWithPassword({ email: USER.email, password: 'pw' })
    expect(error).toBeNull()
    expect(bearers[before - 1]).toBe(`Bearer ${ANON_KEY}`)
    await until(() => gets.length > before && gets[gets.length - 1]!.pathname === `/rest/v1/${table}`, 'the re-run')
    expect(bearers[bearers.length - 1]).toBe(`Bearer ${USER_TOKEN}`)
    // The access_token push (realtime_channel.ex handle_in("access_token")): the server re-authorizes the channel's changes.
    await until(() => wire.framesOf('access_token', topic).some((f) => f[4].access_token === USER_TOKEN), 'the token on the channel')
    snaps.stop()
  })
  it('remote config: a change to portabase_config re-fetches the config, and config.updates() activates it', async () => {
    // The config table's rows are { key, value } (sql.ts configSql), served by the same PostgREST stand-in.
    const configRows = new Map<string, DocRow>()
    const setRow = (key: string, value: unknown): DocRow => {
      const row = { key, value } as unknown as DocRow
      configRows.set(key, row)
      return row
    }
    tables.set('portabase_config', configRows)
    setRow('welcome', 'hello')
    const { client, service } = setup()
    const app = createPortabase({ adapter: supabase({ client, realtime: true }) })
    // The adapter's own realtime service: this test's `service` only keeps the socket's lifecycle.
    void service
    const updates = new Recorder(app.config.updates())
    expect(await updates.waitFor((keys) => keys.includes('welcome'), 'the first activation')).toEqual(['welcome'])
    await until(() => wire.framesOf('phx_join').some((f) => JSON.stringify(f[4]).includes('"table":"portabase_config"')), 'the config table’s join')
    await settled()
    wire.change('portabase_config', 'UPDATE', setRow('welcome', 'changed'))
    expect(await updates.waitFor((keys) => keys.length > 0 && app.config.get('welcome').asString() === 'changed', 'the update')).toEqual(['welcome'])
    expect(app.config.get('welcome').source).toBe('remote')
    updates.stop()
    await app.dispose()
    tables.delete('portabase_config')
  })
})

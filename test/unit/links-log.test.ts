import fc from 'fast-check'
import { inspect } from 'node:util'
import { PortabaseError } from '../../src/errors.js'
import { chain, log, REDACTED, retry, type LogEntry, type LogLevel, type NextLink, type Operation } from '../../src/links/index.js'
import { arrayUnion } from '../../src/sentinels.js'
import { createTestClient } from '../../adapters/memory/testing.js'

const op = (overrides: Partial<Operation> = {}): Operation => ({ service: 'documents', method: 'get', args: ['todos', 't1'], idempotent: true, context: {}, ...overrides })

/** A function logger that keeps every entry with its level. */
function sink(): { logger: (entry: LogEntry, level: LogLevel) => void; entries: { entry: LogEntry; level: LogLevel }[]; text: () => string } {
  const entries: { entry: LogEntry; level: LogLevel }[] = []
  return {
    logger: (entry, level) => entries.push({ entry, level }),
    entries,
    // Everything a logger could possibly print, hidden properties included.
    text: () => JSON.stringify(entries) + inspect(entries, { showHidden: true, depth: null }),
  }
}

const ok: NextLink = async () => 'result'
const failWith =
  (error: unknown): NextLink =>
  async () => {
    throw error
  }

describe('log()', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }))
  afterEach(() => jest.useRealTimers())

  it('writes one entry per operation: service, method, duration, outcome, args', async () => {
    const out = sink()
    const link = log({ logger: out.logger })
    const slow: NextLink = () => new Promise((resolve) => setTimeout(() => resolve('done'), 25))
    const result = link(op(), slow)
    await jest.advanceTimersByTimeAsync(25)
    await expect(result).resolves.toBe('done')
    expect(out.entries).toEqual([
      {
        level: 'debug',
        entry: { message: 'documents.get ok 25 ms', service: 'documents', method: 'get', durationMs: 25, outcome: 'ok', args: ['todos', 't1'] },
      },
    ])
  })

  it('logs failures at error (cancelled at warn) with the code and the error, never its cause', async () => {
    const out = sink()
    const link = log({ logger: out.logger, level: 'info' })
    const cause = { response: { headers: { authorization: 'Bearer CAUSE-TOKEN' } }, body: 'CAUSE-BODY' }
    const failure = new PortabaseError('permission-denied', 'Access rules deny reading todos/t1', { provider: 'memory', cause })
    await expect(link(op(), failWith(failure))).rejects.toBe(failure)
    await expect(link(op(), failWith(new PortabaseError('cancelled', 'stop')))).rejects.toMatchObject({ code: 'cancelled' })
    await link(op(), ok)
    expect(out.entries.map((e) => [e.level, e.entry.outcome, e.entry.code])).toEqual([
      ['error', 'error', 'permission-denied'],
      ['warn', 'error', 'cancelled'],
      ['info', 'ok', undefined],
    ])
    expect(out.entries[0]!.entry.error).toEqual({ code: 'permission-denied', message: '[permission-denied] Access rules deny reading todos/t1', provider: 'memory', retryable: false })
    expect(out.entries[0]!.entry.message).toBe('documents.get failed permission-denied 0 ms')
    expect(out.text()).not.toContain('CAUSE-')
  })

  it('logs a raw error by code and name only: its message may carry vendor data', async () => {
    const out = sink()
    const link = log({ logger: out.logger })
    await expect(link(op(), failWith(new TypeError('fetch https://x.test/?apiKey=RAW-SECRET failed')))).rejects.toThrow(TypeError)
    const abort = Object.assign(new Error('aborted RAW-SECRET'), { name: 'AbortError' })
    await expect(link(op(), failWith(abort))).rejects.toBe(abort)
    expect(out.entries.map((e) => e.entry.error)).toEqual([
      { code: 'internal', name: 'TypeError' },
      { code: 'cancelled', name: 'AbortError' },
    ])
    expect(out.text()).not.toContain('RAW-SECRET')
  })

  it('calls an object logger as a method (console, pino and winston need `this`)', async () => {
    class Recorder {
      readonly seen: string[] = []
      debug(entry: LogEntry): void {
        this.seen.push(`debug ${entry.message}`)
      }
      info(entry: LogEntry): void {
        this.seen.push(`info ${entry.message}`)
      }
      warn(entry: LogEntry): void {
        this.seen.push(`warn ${entry.message}`)
      }
      error(entry: LogEntry): void {
        this.seen.push(`error ${entry.message}`)
      }
    }
    const recorder = new Recorder()
    const link = log({ logger: recorder })
    await link(op(), ok)
    await expect(link(op({ method: 'query' }), failWith(new PortabaseError('unavailable', 'down')))).rejects.toThrow()
    expect(recorder.seen).toEqual(['debug documents.get ok 0 ms', 'error documents.query failed unavailable 0 ms'])
  })

  it('accepts console (and console-like loggers) as the logger object', () => {
    expect(typeof log({ logger: console })).toBe('function')
  })

  it('a logger that throws never changes the outcome', async () => {
    const link = log({
      logger: () => {
        throw new Error('disk full')
      },
    })
    await expect(link(op(), ok)).resolves.toBe('result')
    await expect(link(op(), failWith(new PortabaseError('not-found', 'x')))).rejects.toMatchObject({ code: 'not-found' })
  })

  it('redacts secret-named fields at any depth, in write data, arrays, sentinels and dotted update paths', async () => {
    const out = sink()
    const link = log({ logger: out.logger, redact: ['SSN'] })
    const writes = [
      {
        type: 'set',
        collection: 'users',
        id: 'u1',
        data: {
          name: 'Ada',
          password: 'pw-1',
          profile: { apiKey: 'k-1', links: [{ url: 'https://a.test', accessToken: 'tok-1' }], ssn: 'ssn-1' },
          devices: arrayUnion({ pushToken: 'tok-2', model: 'pixel' }),
        },
      },
      { type: 'update', collection: 'users', id: 'u1', data: { 'settings.clientSecret': 'sec-1', 'settings.theme': 'dark' } },
    ]
    await link(op({ method: 'write', args: [writes] }), ok)
    const args = out.entries[0]!.entry.args as [{ data: Record<string, unknown> }[]]
    expect(args[0][0]!.data).toEqual({
      name: 'Ada',
      password: REDACTED,
      profile: { apiKey: REDACTED, links: [{ url: 'https://a.test', accessToken: REDACTED }], ssn: REDACTED },
      devices: { kind: 'arrayUnion', values: [{ pushToken: REDACTED, model: 'pixel' }] },
    })
    expect(args[0][1]!.data).toEqual({ 'settings.clientSecret': REDACTED, 'settings.theme': 'dark' })
    expect(out.text()).not.toMatch(/pw-1|k-1|tok-1|tok-2|ssn-1|sec-1/)
  })

  it('redacts query values filtering on a secret field, and never shows cursors', async () => {
    const out = sink()
    const link = log({ logger: out.logger })
    const query = {
      filters: [
        { kind: 'field', field: 'email', op: '==', value: 'ada@example.com' },
        { kind: 'or', filters: [{ kind: 'field', field: 'auth.sessionToken', op: 'in', value: ['st-1', 'st-2'] }] },
        { kind: 'field', field: 'meta', op: '==', value: { apiKey: 'k-2', plan: 'pro' } },
      ],
      orderBy: [{ field: 'resetToken', direction: 'asc' }],
      startAfter: { values: ['rt-1'], id: 'u9' },
    }
    await link(op({ method: 'query', args: ['users', query] }), ok)
    expect(out.entries[0]!.entry.args).toEqual([
      'users',
      {
        filters: [
          { kind: 'field', field: 'email', op: '==', value: 'ada@example.com' },
          { kind: 'or', filters: [{ kind: 'field', field: 'auth.sessionToken', op: 'in', value: REDACTED }] },
          { kind: 'field', field: 'meta', op: '==', value: { apiKey: REDACTED, plan: 'pro' } },
        ],
        orderBy: [{ field: 'resetToken', direction: 'asc' }],
        startAfter: '[cursor]',
      },
    ])
    expect(out.text()).not.toMatch(/st-1|st-2|k-2|rt-1/)
  })

  it('summarises large args: long strings, long arrays, deep nesting, bytes, dates, cycles', async () => {
    const out = sink()
    const link = log({ logger: out.logger, limits: { maxString: 10, maxItems: 4, maxDepth: 3 } })
    await link(op({ service: 'functions', method: 'call', args: ['x'.repeat(25), [1, 2, 3, 4, 5, 6], { a: { b: { c: { d: 1 } } } }, { k1: 1, k2: 2, k3: 3, k4: 4, k5: 5 }] }), ok)
    expect(out.entries[0]!.entry.args).toEqual(['xxxxxxxxxx…(+15 chars)', [1, 2, 3, 4, '…(+2 items)'], { a: { b: '[Object]' } }, { k1: 1, k2: 2, k3: 3, k4: 4, '…': '+1 keys' }])

    const cyclic: Record<string, unknown> = { name: 'c' }
    cyclic.self = cyclic
    await link(op({ service: 'functions', method: 'call', args: [new Uint8Array(2048), new Date(0), cyclic, new Map([['token', 'x']])] }), ok)
    expect(out.entries[1]!.entry.args).toEqual(['[Uint8Array 2048 bytes]', '1970-01-01T00:00:00.000Z', { name: 'c', self: '[Circular]' }, '[Map(1)]'])
  })

  it('a flat list of scalars (the fast path) is summarised exactly like the general walk', async () => {
    const out = sink()
    const link = log({ logger: out.logger, limits: { maxString: 10, maxItems: 4, maxDepth: 3 } })
    const flat = ['x'.repeat(25), Number.NaN, Number.POSITIVE_INFINITY, true]
    await link(op({ service: 'functions', method: 'call', args: flat }), ok)
    // The same values one level down go through the general walk.
    await link(op({ service: 'functions', method: 'call', args: [flat] }), ok)
    expect(out.entries[0]!.entry.args).toEqual(['xxxxxxxxxx…(+15 chars)', 'NaN', 'Infinity', true])
    expect(out.entries[1]!.entry.args).toEqual([out.entries[0]!.entry.args])
    // Past maxItems, or at maxDepth 0, the general rules apply.
    await link(op({ service: 'functions', method: 'call', args: ['a', 'b', 'c', 'd', 'e'] }), ok)
    expect(out.entries[2]!.entry.args).toEqual(['a', 'b', 'c', 'd', '…(+1 items)'])
    const flatLink = log({ logger: out.logger, limits: { maxDepth: 0 } })
    await flatLink(op({ args: ['todos', 't1'] }), ok)
    expect(out.entries[3]!.entry.args).toBe('[Array(2)]')
  })

  it('logs what was sent: the args summary is a copy, taken before the call', async () => {
    const out = sink()
    const link = log({ logger: out.logger })
    const data: Record<string, unknown> = { title: 'before' }
    const mutating: NextLink = async () => {
      data.title = 'after'
      data.password = 'late-secret'
    }
    await link(op({ service: 'functions', method: 'call', args: ['f', data] }), mutating)
    expect(out.entries[0]!.entry.args).toEqual(['f', { title: 'before' }])
  })

  it.each<[string, unknown]>([
    ['no logger', {}],
    ['a logger missing a level', { logger: { debug() {}, info() {}, warn() {} } }],
    ['an unknown level', { logger: () => undefined, level: 'trace' }],
    ['non-string redact names', { logger: () => undefined, redact: [1] }],
  ])('refuses %s with invalid-argument', (_, options) => {
    expect(() => log(options as Parameters<typeof log>[0])).toThrow(expect.objectContaining({ code: 'invalid-argument' }))
  })

  it('one entry per operation, outside retry(): attempts are not logged separately', async () => {
    const out = sink()
    let attempts = 0
    const next: NextLink = async () => {
      if (++attempts < 3) throw new PortabaseError('unavailable', 'blip')
      return 'ok'
    }
    const result = chain([log({ logger: out.logger }), retry({ random: () => 0 })], next)(op())
    await jest.runAllTimersAsync()
    await expect(result).resolves.toBe('ok')
    expect(out.entries).toHaveLength(1)
    expect(out.entries[0]!.entry.outcome).toBe('ok')
  })

  it('in a client: credentials never reach the logger', async () => {
    const out = sink()
    const kit = createTestClient({ links: [log({ logger: out.logger })] })
    await kit.app.auth.signUp({ email: 'ada@example.com', password: 'correct-horse-battery' })
    await expect(kit.app.auth.signIn({ email: 'ada@example.com', password: 'wrong-password-123' })).rejects.toMatchObject({ code: 'unauthenticated' })
    await kit.app.auth.signIn({ email: 'ada@example.com', password: 'correct-horse-battery' })
    const token = await kit.app.auth.getIdToken()
    await kit.app.db.collection('secrets').doc('s1').set({ apiKey: 'db-api-key-1', label: 'prod' })
    expect(token).toBeTruthy()
    expect(out.entries.map((e) => `${e.entry.service}.${e.entry.method}:${e.entry.outcome}`)).toEqual([
      'auth.signUp:ok',
      'auth.signIn:error',
      'auth.signIn:ok',
      'auth.getIdToken:ok',
      'documents.write:ok',
    ])
    const text = out.text()
    for (const secret of ['correct-horse-battery', 'wrong-password-123', token!, 'db-api-key-1']) expect(text).not.toContain(secret)
    expect(text).toContain('prod')
    await kit.dispose()
  })

  describe('property: no secret value ever reaches the logger', () => {
    // Secrets carry a marker no other generated text can contain, so "not in the output" is exact.
    const secretValue = fc.stringMatching(/^[A-Za-z0-9]{6,16}$/).map((s) => `S3CR3T${s}`)
    const configured = ['ssn', 'cvv']
    const secretWord = fc.constantFrom(
      'token',
      'password',
      'passwd',
      'secret',
      'authorization',
      'sessionToken',
      'apiKey',
      'api_key',
      'x-api-key',
      'accessToken',
      'refresh_token',
      'id_token',
      'privateKey',
      'clientSecret',
      'dbPassword',
      'Authorization',
      'key',
      'credentials',
      ...configured,
    )
    // Random per-character case: matching must be case-insensitive.
    const secretKey = fc
      .tuple(secretWord, fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }))
      .map(([word, flips]) => [...word].map((ch, i) => (flips[i] ? ch.toUpperCase() : ch.toLowerCase())).join(''))
    const plainKey = fc.constantFrom('title', 'done', 'items', 'count', 'meta', 'profile', 'value', 'field', 'tags', 'owner', 'address', 'notes')
    const plainLeaf = fc.oneof(fc.stringMatching(/^[a-z ]{0,12}$/), fc.integer(), fc.boolean(), fc.constant(null), fc.date({ noInvalidDate: true }))
    const secretPayload = fc.oneof(
      secretValue,
      fc.array(secretValue, { minLength: 1, maxLength: 3 }),
      fc.record({ nested: secretValue, other: plainLeaf }),
      fc.array(fc.record({ deeper: secretValue }), { minLength: 1, maxLength: 2 }),
    )
    const { node } = fc.letrec<{ node: unknown; object: Record<string, unknown>; array: unknown[] }>((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, plainLeaf, tie('object'), tie('array')),
      object: fc
        .array(fc.oneof(fc.tuple(plainKey, tie('node')), fc.tuple(secretKey, secretPayload)), { maxLength: 6 })
        .map((entries) => Object.fromEntries(entries)),
      array: fc.array(tie('node'), { maxLength: 4 }),
    }))
    const data = fc
      .array(fc.oneof(fc.tuple(plainKey, node), fc.tuple(secretKey, secretPayload)), { maxLength: 6 })
      .map((entries) => Object.fromEntries(entries))
      .chain((d) =>
      // Every document gets at least one secret, so each run tests something.
      fc.tuple(secretKey, secretPayload).map(([k, v]) => ({ ...d, [k]: v })),
    )
    const query = fc.tuple(secretKey, secretValue, plainKey, node, secretValue).map(([sk, sv, pk, value, cursorValue]) => ({
      filters: [
        { kind: 'field', field: sk, op: '==', value: sv },
        { kind: 'or', filters: [{ kind: 'field', field: `profile.${sk}`, op: 'in', value: [sv] }, { kind: 'field', field: pk, op: '==', value }] },
      ],
      orderBy: [{ field: sk, direction: 'asc' }],
      startAfter: { values: [cursorValue], id: 'x' },
    }))
    const operation = fc.oneof(
      fc.tuple(data, data, secretKey, secretValue).map(([a, b, sk, sv]) =>
        op({
          method: 'write',
          args: [
            [
              { type: 'set', collection: 'c', id: '1', data: a },
              { type: 'update', collection: 'c', id: '2', data: { ...b, [`nested.${sk}`]: sv } },
            ],
          ],
        }),
      ),
      query.map((q) => op({ method: 'query', args: ['c', q] })),
      query.map((q) => op({ method: 'count', args: ['c', q] })),
      data.map((d) => op({ service: 'functions', method: 'call', args: ['fn', d], idempotent: false })),
      fc.array(data, { minLength: 1, maxLength: 3 }).map((list) => op({ service: 'functions', method: 'call', args: ['fn', { list }], idempotent: false })),
    )

    const secretsIn = (value: unknown, found: string[] = []): string[] => {
      if (typeof value === 'string' && value.startsWith('S3CR3T')) found.push(value)
      else if (Array.isArray(value)) value.forEach((v) => secretsIn(v, found))
      else if (value !== null && typeof value === 'object' && !(value instanceof Date)) Object.values(value).forEach((v) => secretsIn(v, found))
      return found
    }

    it('holds for random nested data, write ops and queries, on success and on failure', async () => {
      await fc.assert(
        fc.asyncProperty(operation, fc.boolean(), secretValue, async (o, fails, causeSecret) => {
          const secrets = secretsIn(o.args)
          expect(secrets.length).toBeGreaterThan(0)
          const out = sink()
          const link = log({ logger: out.logger, redact: configured })
          const next: NextLink = fails
            ? failWith(new PortabaseError('unavailable', 'backend down', { cause: { token: causeSecret, echo: o.args } }))
            : ok
          await link(o, next).catch(() => undefined)
          expect(out.entries).toHaveLength(1)
          const text = out.text()
          for (const secret of [...secrets, causeSecret]) expect(text).not.toContain(secret)
        }),
        { numRuns: 300 },
      )
    })
  })
})

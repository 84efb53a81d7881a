/**
 * Differential test of the Amplify adapter's documents service (adapters/amplify/documents.ts,
 * graphql.ts) against the memory adapter, the reference of the neutral semantics: random sequences
 * of writes (create, set, update with nulls and deleteField(), delete; batches that stop at the
 * first failure) and reads (get; id-ordered queries, ascending and descending, with == != < <= >
 * >= in not-in and and/or trees on string, number, integer, boolean and date fields; limit;
 * cursors; count) run on both, and every answer — documents and their data, counts, error codes —
 * must be the memory adapter's. Expected values come from the memory adapter only.
 *
 * One collection on the local Amplify backend (the AppSync simulator over dynalite) holds every
 * sequence: before each one, the documents the previous one wrote are deleted (tombstones, which
 * must stay invisible) and the memory adapter starts empty. So fast-check can shrink a failure.
 *
 * Values avoid what the simulator cannot filter on (DESIGN.md "Simulator gaps": numbers whose JS
 * form has an exponent); integers are 32-bit (GraphQL Int), dates within years 0–9999. Strings
 * include "" (the harness stores it as AppSync does, not as NULL) and characters beyond ASCII and
 * the BMP (DynamoDB compares UTF-8 bytes, i.e. code points, as the neutral order does). Filter values
 * are mostly of the field's type, with some nulls and some of another type (the adapter folds those
 * as the evaluator decides).
 */
import fc from 'fast-check'
import { amplify, type AmplifyAdapter } from '../../adapters/amplify/index.js'
import type { AmplifyCollection } from '../../adapters/amplify/schema.js'
import { memory, type MemoryAdapter } from '../../adapters/memory/index.js'
import { DOC_ID, type Cursor, type FieldFilter, type Filter, type FilterOp, type Query } from '../../src/query/model.js'
import { deleteField, type WriteData } from '../../src/sentinels.js'
import type { Adapter, WriteOp } from '../../src/spi.js'
import type { Doc, DocumentData, Value } from '../../src/types.js'
import { startAmplifyBackend, type AmplifyTestBackend } from '../backends/amplify/server.js'

const NUM_RUNS = Number(process.env.AMPLIFY_DIFF_RUNS ?? 30)
// About 1 s per sequence on an idle machine (the backend start aside); room for load and shrinking.
jest.setTimeout(120_000 + NUM_RUNS * 6_000)
const COLLECTION = 'diff'
const COLLECTIONS: AmplifyCollection[] = [{ name: COLLECTION, access: 'public', fields: { s: 'string', n: 'number', i: 'integer', b: 'boolean', d: 'date' } }]

let backend: AmplifyTestBackend | undefined
let remote: AmplifyAdapter

beforeAll(async () => {
  try {
    backend = await startAmplifyBackend({ collections: COLLECTIONS })
  } catch (error) {
    throw new Error(`The Amplify test backend did not start, so the differential test cannot run: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
  // Signed out: the API key (the collection is public).
  remote = amplify({ outputs: backend.outputs, userPoolEndpoint: backend.cognitoEndpoint, authFlowType: 'USER_PASSWORD_AUTH', collections: COLLECTIONS })
})

afterAll(async () => {
  await remote?.dispose()
  await backend?.stop()
})

// ------------------------------------------------------------------ values

const IDS = ['a', 'b', 'c', 'D', 'e1', 'f_', 'g-', 'Zz', '0', 'h']
const STRINGS = ['', 'a', 'b', 'B', 'A', 'ab', 'a b', 'zz', '0', '10', '9', 'é', 'ß', '中', '～', '😀', '"q"']
const NUMBERS = [-100.125, -3, -1.5, 0, 0.25, 1, 2, 7.5, 100, 123456.5]
const INTEGERS = [-2147483648, -5, -1, 0, 1, 2, 3, 42, 2147483647]
const DATES = ['0001-01-01T00:00:00.000Z', '1999-12-31T23:59:59.999Z', '2020-01-01T00:00:00.000Z', '2020-01-01T00:00:00.001Z', '2024-02-29T12:00:00.000Z', '9999-12-31T23:59:59.999Z'].map((iso) => new Date(iso))

const valueOf = {
  s: fc.constantFrom(...STRINGS),
  n: fc.constantFrom(...NUMBERS),
  i: fc.constantFrom(...INTEGERS),
  b: fc.boolean(),
  d: fc.constantFrom(...DATES),
} satisfies Record<string, fc.Arbitrary<Value>>
type Field = keyof typeof valueOf
const FIELDS = Object.keys(valueOf) as Field[]

/** Per field: missing (often), null, or a value of the field's type. */
const dataArb: fc.Arbitrary<DocumentData> = fc
  .record(Object.fromEntries(FIELDS.map((f) => [f, fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 5, arbitrary: valueOf[f] as fc.Arbitrary<Value> })])))
  .map((record) => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as DocumentData)

/** An update: some fields, each a value, null or deleteField(); at least one. */
const updateArb: fc.Arbitrary<WriteData> = fc
  .record(Object.fromEntries(FIELDS.map((f) => [f, fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constant('delete' as const) }, { weight: 4, arbitrary: valueOf[f] as fc.Arbitrary<Value> })])))
  .map((record) => Object.fromEntries(Object.entries(record).flatMap(([k, v]) => (v === undefined ? [] : [[k, v === 'delete' ? deleteField() : v]]))) as WriteData)
  .filter((data) => Object.keys(data).length > 0)

const idArb = fc.constantFrom(...IDS)
const opArb: fc.Arbitrary<WriteOp> = fc.oneof(
  fc.record({ type: fc.constant('create' as const), collection: fc.constant(COLLECTION), id: idArb, data: dataArb }),
  fc.record({ type: fc.constant('set' as const), collection: fc.constant(COLLECTION), id: idArb, data: dataArb }),
  fc.record({ type: fc.constant('update' as const), collection: fc.constant(COLLECTION), id: idArb, data: updateArb }),
  fc.record({ type: fc.constant('delete' as const), collection: fc.constant(COLLECTION), id: idArb }),
)

// ------------------------------------------------------------------ queries

const field = (name: string, op: FilterOp, value: Value): FieldFilter => ({ kind: 'field', field: name, op, value })
/** Values for a filter on `f`: its type (mostly), null, or another type. */
const filterValue = (f: Field): fc.Arbitrary<Value> =>
  fc.oneof(
    { weight: 8, arbitrary: valueOf[f] as fc.Arbitrary<Value> },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constantFrom<Value>('x', 1, 1.5, true, DATES[2]!) },
    // Integer fields: bounds between integers.
    ...(f === 'i' ? [{ weight: 2, arbitrary: fc.constantFrom<Value>(-1.5, 0.5, 2.5) }] : []),
  )
const fieldFilterArb: fc.Arbitrary<Filter> = fc.constantFrom(...FIELDS).chain((f) =>
  fc.oneof(
    fc.tuple(fc.constantFrom<FilterOp>('==', '!='), filterValue(f)).map(([op, v]) => field(f, op, v)),
    // Range bounds are not null (the client refuses them).
    fc.tuple(fc.constantFrom<FilterOp>('<', '<=', '>', '>='), filterValue(f).filter((v) => v !== null)).map(([op, v]) => field(f, op, v)),
    fc.tuple(fc.constantFrom<FilterOp>('in', 'not-in'), fc.array(filterValue(f), { minLength: 1, maxLength: 4 })).map(([op, v]) => field(f, op, v)),
  ),
)
const filterArb: fc.Arbitrary<Filter> = fc.letrec<{ filter: Filter }>((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fieldFilterArb,
    fc.tuple(fc.constantFrom<'and' | 'or'>('and', 'or'), fc.array(tie('filter'), { minLength: 2, maxLength: 3 })).map(([kind, filters]) => ({ kind, filters })),
  ),
})).filter

/** A cursor is the id a page ended at (any id: one that exists, one that does not, between two). */
const cursorArb: fc.Arbitrary<Cursor | undefined> = fc.option(
  fc.constantFrom(...IDS, 'c5', 'Z', '~').map((id): Cursor => ({ values: [], id })),
  { nil: undefined, freq: 3 },
)
const queryArb: fc.Arbitrary<Query> = fc
  .record({
    filters: fc.array(filterArb, { maxLength: 2 }),
    direction: fc.constantFrom<'asc' | 'desc'>('asc', 'desc'),
    limit: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
    startAfter: cursorArb,
  })
  .map(({ filters, direction, limit, startAfter }) => ({
    filters,
    orderBy: [{ field: DOC_ID, direction }],
    ...(limit !== undefined ? { limit } : {}),
    ...(startAfter !== undefined ? { startAfter } : {}),
  }))

// ------------------------------------------------------------------ commands

type Command = { kind: 'write'; ops: WriteOp[] } | { kind: 'get'; id: string } | { kind: 'query'; query: Query }
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: fc.array(opArb, { minLength: 1, maxLength: 3 }).map((ops): Command => ({ kind: 'write', ops })) },
  { weight: 1, arbitrary: idArb.map((id): Command => ({ kind: 'get', id })) },
  { weight: 4, arbitrary: queryArb.map((query): Command => ({ kind: 'query', query })) },
)

const shape = (docs: readonly Doc[]) => docs.map((d) => ({ id: d.id, data: d.data }))
const codeOf = (error: unknown): string => (error as { code?: string } | null)?.code ?? `not a PortabaseError: ${String(error)}`

async function attempt<T>(run: () => Promise<T>): Promise<{ ok: T } | { error: string }> {
  try {
    return { ok: await run() }
  } catch (error) {
    return { error: codeOf(error) }
  }
}

/** What a command answers on one adapter: for a write, ok or the error code, then what the written documents read as. */
async function answer(adapter: Adapter, command: Command): Promise<unknown> {
  const db = adapter.documents
  switch (command.kind) {
    case 'write': {
      const outcome = await attempt(() => db.write(command.ops, { atomic: false }))
      const ids = [...new Set(command.ops.map((op) => op.id))]
      const after = await Promise.all(ids.map(async (id) => [id, (await db.get(COLLECTION, id))?.data ?? null]))
      return { outcome, after }
    }
    case 'get':
      return attempt(async () => (await db.get(COLLECTION, command.id))?.data ?? null)
    case 'query':
      return {
        docs: await attempt(async () => shape(await db.query(COLLECTION, command.query))),
        count: await attempt(() => db.count(COLLECTION, command.query)),
      }
  }
}

/** Ids the previous sequence left on the backend: deleted before the next one. */
let written = new Set<string>()
const tally = { sequences: 0, writes: 0, failedWrites: 0, queries: 0, nonEmpty: 0 }

test(`${NUM_RUNS} random sequences of writes and id-ordered queries: Amplify answers exactly like the memory adapter`, async () => {
  const started = Date.now()
  await fc.assert(
    fc.asyncProperty(fc.array(commandArb, { minLength: 1, maxLength: 14 }), async (commands) => {
      // Deleted in parallel (one request each): tombstones, which no later answer may show.
      await Promise.all([...written].map((id) => remote.documents.write([{ type: 'delete', collection: COLLECTION, id }], { atomic: false })))
      written = new Set()
      const reference: MemoryAdapter = memory()
      try {
        tally.sequences++
        for (const [step, command] of commands.entries()) {
          if (command.kind === 'write') for (const op of command.ops) written.add(op.id)
          const expected = await answer(reference, command)
          const actual = await answer(remote, command)
          const context = { step, command }
          expect({ ...context, answer: actual }).toEqual({ ...context, answer: expected })
          if (command.kind === 'write') {
            tally.writes += command.ops.length
            if ('error' in (expected as { outcome: object }).outcome) tally.failedWrites++
          }
          if (command.kind === 'query') {
            tally.queries++
            const docs = (expected as { docs: { ok?: unknown[] } }).docs.ok
            if (docs && docs.length > 0) tally.nonEmpty++
          }
        }
      } finally {
        await reference.dispose()
      }
    }),
    // A failure shrinks for as long as the test's time allows, then reports its counterexample and
    // seed (a CI run hit Jest's 300 s timeout instead, with no input to replay); a sequence
    // that hangs fails after 30 s.
    { numRuns: NUM_RUNS, timeout: 30_000, interruptAfterTimeLimit: 60_000 + NUM_RUNS * 4_000, markInterruptAsFailure: true },
  )
  console.log(
    `amplify differential: ${tally.sequences} sequences (with shrinking, if any), ${tally.writes} writes (${tally.failedWrites} batches refused as the reference refused them), ` +
      `${tally.queries} queries (${tally.nonEmpty} with results) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  )
  // Bounded, but not vacuous.
  expect(tally.queries).toBeGreaterThanOrEqual(NUM_RUNS)
  expect(tally.nonEmpty).toBeGreaterThan(0)
})

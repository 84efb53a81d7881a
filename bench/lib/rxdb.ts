/**
 * RxDB 17 as the comparison point: memory storage, no dev-mode plugin (dev-mode adds schema and
 * query checks that make every call slower; production apps run without it), no schema validator.
 *
 * The open-source build allows at most 13 collections open at once across the process
 * (NON_PREMIUM_COLLECTION_LIMIT; more need the premium flag, `setPremiumFlag()`, sold by RxDB).
 * Each suite opens one database with one collection and removes it when done, so the limit is never
 * reached and no premium flag is used.
 */
import { createRxDatabase, type RxCollection, type RxDatabase, type RxJsonSchema } from 'rxdb'
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory'
import type { FlatTodo, Row } from '../datasets.js'

export type TodoCollection = RxCollection<FlatTodo>

export interface RxdbHandle {
  db: RxDatabase<{ todos: TodoCollection }>
  todos: TodoCollection
  /** Closes the database and drops its in-memory data. */
  close(): Promise<void>
}

/**
 * The schema an app would write for these figures: the compound index serves the figure-3 query
 * (`done == false` ordered by priority, createdAt), the best RxDB's memory storage can do for it
 * (measured on this machine at 100k: ≈33 ms with it, ≈80 ms without). Indexed numbers need bounds.
 */
export const todoSchema: RxJsonSchema<FlatTodo> = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 32 },
    title: { type: 'string' },
    done: { type: 'boolean' },
    priority: { type: 'integer', minimum: 0, maximum: 10, multipleOf: 1 },
    createdAt: { type: 'integer', minimum: 0, maximum: 10_000_000_000_000, multipleOf: 1 },
    score: { type: 'integer', minimum: 0, maximum: 1000, multipleOf: 1 },
    owner: { type: 'string' },
  },
  required: ['id', 'title', 'done', 'priority', 'createdAt', 'score', 'owner'],
  indexes: [['done', 'priority', 'createdAt']],
}

let dbCounter = 0

export interface RxdbOptions {
  /**
   * RxDB's EventReduce: updates a query's cached result from change events instead of re-running it.
   * On (the default) for live-query figures. The query figure turns it off so that each `exec()`
   * after a write really runs the query over the storage (see suites/query-top20.ts).
   */
  eventReduce?: boolean
}

export async function openRxdb(options: RxdbOptions = {}): Promise<RxdbHandle> {
  dbCounter += 1
  const db = await createRxDatabase<{ todos: TodoCollection }>({
    name: `bench${process.pid}n${dbCounter}`,
    storage: getRxStorageMemory(),
    multiInstance: false,
    eventReduce: options.eventReduce ?? true,
    ignoreDuplicate: false,
  })
  await db.addCollections({ todos: { schema: todoSchema } })
  return {
    db,
    todos: db.todos,
    async close() {
      await db.remove()
    },
  }
}

export function toRxdbDocs(rows: readonly Row[]): FlatTodo[] {
  return rows.map((row) => ({ id: row.id, ...row.data }))
}

/** Inserts rows with one bulkInsert (RxDB's fastest write path) and fails loudly on any error. */
export async function fillRxdb(todos: TodoCollection, rows: readonly Row[]): Promise<void> {
  const result = await todos.bulkInsert(toRxdbDocs(rows))
  if (result.error.length > 0) throw new Error(`RxDB bulkInsert failed for ${result.error.length} documents (first: ${JSON.stringify(result.error[0])})`)
}

/** portabase as an app uses it: the public client over the in-memory adapter. */
import { memory } from '../../adapters/memory/index.js'
import { createClient, type CollectionRef, type PortabaseClient } from '../../src/index.js'
import { chunks, type Row, type Todo } from '../datasets.js'

/** Writes per `db.batch`: Firestore's limit (FIRESTORE_LIMITS.maxBatchWrites), the lowest an adapter declares. */
const MAX_BATCH_WRITES = 500

export interface PortabaseHandle {
  app: PortabaseClient
  todos: CollectionRef<Todo>
  close(): Promise<void>
}

export function openPortabase(): PortabaseHandle {
  const app = createClient({ adapter: memory() })
  return {
    app,
    todos: app.db.collection<Todo>('todos'),
    close: () => app.dispose(),
  }
}

/** Writes rows with `db.batch`, MAX_BATCH_WRITES (500) writes per batch, batches one after another. */
export async function batchWrite(handle: PortabaseHandle, rows: readonly Row[], size = MAX_BATCH_WRITES): Promise<void> {
  const { app, todos } = handle
  for (const chunk of chunks(rows, size)) {
    await app.db.batch((batch) => {
      for (const row of chunk) batch.set(todos.doc(row.id), row.data)
    })
  }
}

/** Writes rows with one awaited `doc(id).set(data)` each. */
export async function sequentialSet(handle: PortabaseHandle, rows: readonly Row[]): Promise<void> {
  const { todos } = handle
  for (const row of rows) await todos.doc(row.id).set(row.data)
}

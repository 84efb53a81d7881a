/** One recorded SDK call: its name and arguments. */
export type Call = { $: string; args: unknown[] }

/**
 * A mocked `writeBatch()` for translation tests: each batch records its set/update/delete calls as a
 * new list in `batches()` (a getter: tests may replace the list), and `commit` settles as the test decides. Loaded inside jest.mock factories
 * with `jest.requireActual('./recording-batch')`.
 */
export function recordingBatch(batches: () => Call[][], commit: () => Promise<void>): () => { set(...args: unknown[]): void; update(...args: unknown[]): void; delete(...args: unknown[]): void; commit(): Promise<void> } {
  return () => {
    const ops: Call[] = []
    batches().push(ops)
    return {
      set: (...args: unknown[]) => void ops.push({ $: 'set', args }),
      update: (...args: unknown[]) => void ops.push({ $: 'update', args }),
      delete: (...args: unknown[]) => void ops.push({ $: 'delete', args }),
      commit,
    }
  }
}

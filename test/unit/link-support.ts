/** Shared by the link unit tests: operations, and the PortabaseError a promise rejects with. */
import { PortabaseError } from '../../src/errors.js'
import type { Operation } from '../../src/links/index.js'

/** A read operation (documents.get by default), with overrides. */
export const op = (overrides: Partial<Operation> = {}, args: unknown[] = []): Operation => ({
  service: 'documents',
  method: 'get',
  args,
  idempotent: true,
  context: {},
  ...overrides,
})

/** Awaits a promise that must reject with a PortabaseError, and returns that error. */
export async function rejection(promise: Promise<unknown>): Promise<PortabaseError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(PortabaseError)
    return error as PortabaseError
  }
  throw new Error('expected a rejection')
}

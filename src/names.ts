/** Collection names and document ids every vendor accepts (used by validation and by `Reference`). */
import { invalidArgument } from './errors.js'

const COLLECTION_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/
const DOC_ID = /^[A-Za-z0-9_-]{1,128}$/

export function assertCollectionName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !COLLECTION_NAME.test(name) || name.startsWith('_')) {
    throw invalidArgument(`Invalid collection name ${describe(name)}: use a letter then letters, digits or _ (max 64)`)
  }
}

export function assertDocId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !DOC_ID.test(id)) {
    throw invalidArgument(`Invalid document id ${describe(id)}: use 1–128 of A–Z a–z 0–9 _ -`)
  }
}

/** A short, safe rendering of a rejected input for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  return typeof value
}

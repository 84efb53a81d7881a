/**
 * A Firestore document reference as a neutral value, for the web SDK's references (the adapter) and
 * firebase-admin's (the migrate driver) alike: both have this shape, and neither SDK is imported here.
 */
import type { Value } from '../../src/types.js'
import { Reference } from '../../src/value-types.js'

export interface FirestoreReferenceLike {
  readonly id: string
  readonly path: string
  readonly parent: { readonly id: string; readonly parent: unknown }
}

/** A reference to a document of a top-level collection; others (subcollections, foreign ids) as `{ path }`. */
export function fromFirestoreReference(ref: FirestoreReferenceLike): Value {
  if (ref.parent.parent === null) {
    try {
      return new Reference(ref.parent.id, ref.id)
    } catch {
      // An id or collection name portabase refuses: written by another tool.
    }
  }
  return { path: ref.path }
}

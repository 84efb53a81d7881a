/**
 * Rewriting uids in documents after a users import that gave accounts new ids (Cognito assigns
 * `sub`s, GoTrue takes UUIDs only). Owner rules compare a document field with the signed-in uid
 * (memory's and Parse's `ownerField`, Supabase's `data->>'owner'`, Amplify's `owner`), so a
 * document keeping an old uid would no longer be its owner's. The target names those top-level
 * fields (`uidFields`); a field holding a uid of the map is replaced by the new uid, any other
 * value is kept. The same rewrite runs when documents are written, reconciled on resume, and
 * hashed for `--verify`, so all three compare the documents as the target should hold them.
 */
import { PortabaseError } from '../errors.js'
import type { Doc } from '../types.js'

export type IdMap = Readonly<Record<string, string>>

export function assertUidFields(fields: unknown, where: string): readonly string[] {
  if (fields === undefined) return []
  if (!Array.isArray(fields) || !fields.every((f) => typeof f === 'string' && f.length > 0 && !f.includes('.'))) {
    throw new PortabaseError('invalid-argument', `${where}: uidFields must be an array of top-level field names (['owner'])`, { details: { option: 'uidFields' } })
  }
  return fields as string[]
}

/** The document with its uid fields rewritten; the same object when nothing changes. */
export function remapDoc(doc: Doc, fields: readonly string[], idMap: IdMap): Doc {
  let data: Doc['data'] | undefined
  for (const field of fields) {
    const value = doc.data[field]
    if (typeof value !== 'string' || !Object.hasOwn(idMap, value)) continue
    data ??= { ...doc.data }
    data[field] = idMap[value]!
  }
  return data ? { ...doc, data } : doc
}

/** A rewrite for pages of documents, or null when there is nothing to rewrite. */
export function docRemapper(fields: readonly string[] | undefined, idMap: IdMap | undefined): ((doc: Doc) => Doc) | null {
  if (!fields || fields.length === 0 || !idMap || Object.keys(idMap).length === 0) return null
  return (doc) => remapDoc(doc, fields, idMap)
}

import { invalidArgument } from '../errors.js'
import { fromTaggedJson, toTaggedJson } from '../values.js'
import type { Cursor, OrderBy } from './model.js'

/** Which ordering a cursor belongs to: a cursor only makes sense for the ordering that made it. */
export function orderSignature(orderBy: readonly OrderBy[]): string {
  return orderBy.map((o) => `${o.field}:${o.direction}`).join(',')
}

/** Cursors travel to app code as opaque strings (base64url JSON), valid on any adapter. */
export function encodeCursor(cursor: Cursor, orderBy: readonly OrderBy[]): string {
  const json = JSON.stringify([cursor.id, toTaggedJson(cursor.values), orderSignature(orderBy)])
  const bytes = new TextEncoder().encode(json)
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Decodes a cursor made for `orderBy`; `invalid-argument` for garbage or another ordering's cursor. */
export function decodeCursor(token: string, orderBy: readonly OrderBy[]): Cursor {
  let decoded: [unknown, unknown, unknown]
  try {
    const binary = atob(token.replace(/-/g, '+').replace(/_/g, '/'))
    decoded = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))) as [unknown, unknown, unknown]
  } catch {
    throw invalidArgument('Invalid pagination cursor: pass the nextCursor a query returned')
  }
  const [id, values, signature] = Array.isArray(decoded) ? decoded : []
  if (typeof id !== 'string' || !Array.isArray(values) || typeof signature !== 'string') {
    throw invalidArgument('Invalid pagination cursor: pass the nextCursor a query returned')
  }
  if (signature !== orderSignature(orderBy)) throw invalidArgument('This cursor was made by a query with a different orderBy')
  return { id, values: fromTaggedJson(values) as Cursor['values'] }
}

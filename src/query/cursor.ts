import { invalidArgument } from '../errors.js'
import { fromTaggedJson, toTaggedJson } from '../values.js'
import type { Cursor } from './model.js'

/** Cursors travel to app code as opaque strings (base64url JSON), valid on any adapter. */
export function encodeCursor(cursor: Cursor): string {
  const json = JSON.stringify([cursor.id, toTaggedJson(cursor.values)])
  const bytes = new TextEncoder().encode(json)
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export function decodeCursor(token: string): Cursor {
  try {
    const binary = atob(token.replace(/-/g, '+').replace(/_/g, '/'))
    const json = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))
    const [id, values] = JSON.parse(json) as [unknown, unknown]
    if (typeof id !== 'string' || !Array.isArray(values)) throw new Error('shape')
    return { id, values: fromTaggedJson(values) as Cursor['values'] }
  } catch {
    throw invalidArgument('Invalid pagination cursor: pass the nextCursor a query returned')
  }
}

/** Rows of a collection table (and of portabase_fetch/portabase_changes) as neutral documents and sync records. */
import type { SyncRecord } from '../../src/spi.js'
import type { Doc } from '../../src/types.js'
import { decodeData, type Json } from './codec.js'

/** What a read selects: the document, its null fields, and the bookkeeping the meta comes from. */
export const DOC_COLUMNS = 'id,data,nulls,updated_at,change_xid'

export interface DocRow {
  id: string
  data: Json
  nulls?: string[] | null
  updated_at: string
  change_xid: string | number
}

export interface FeedRow {
  id: string
  data: Json | null
  updated_at: string
  write_id: string | null
  change_xid: string | number
  deleted: boolean
}

/** The document with its null fields back (sql.ts keeps top-level nulls apart). */
function withNulls(data: Json, nulls: readonly string[] | null | undefined): Json {
  if (!nulls || nulls.length === 0) return data
  return { ...(data as Record<string, Json>), ...Object.fromEntries(nulls.map((n) => [n, null])) }
}

/** The version is the writing transaction's id: it changes on every write, also across delete + re-create. */
const versionOf = (xid: string | number): string => `x${String(xid)}`

export function docOf(row: DocRow): Doc {
  return {
    id: row.id,
    data: decodeData(withNulls(row.data, row.nulls)),
    meta: { updateTime: new Date(row.updated_at), version: versionOf(row.change_xid), fromCache: false, hasPendingWrites: false },
  }
}

export function recordOf(row: FeedRow): SyncRecord {
  return {
    id: row.id,
    data: row.deleted || row.data === null ? null : decodeData(row.data),
    version: versionOf(row.change_xid),
    updateTime: new Date(row.updated_at),
    writeId: row.write_id,
    position: `${String(row.change_xid)}:${row.id}`,
  }
}

/**
 * What the mirror queues for the secondary, and its JSON form in the LocalStore.
 *
 * Writes are replayed as the app made them (`document`, `upload`, `file-delete`); when the
 * secondary's copy of a document or file may differ from the primary's (a crash between the
 * primary's write and the queue, a secondary that says the document is missing or already there),
 * the entry becomes a copy of the primary's current state instead (`document-copy`, `file-copy`),
 * which is idempotent.
 */
import { PortabaseError } from '../../src/errors.js'
import { decodeWriteData, encodeWriteData } from '../../src/offline/codec.js'
import type { StoredValue } from '../../src/offline/store.js'
import type { WriteOp } from '../../src/spi.js'
import { Bytes } from '../../src/value-types.js'

/** One queued write, in the form `refused$` and `refused()` report it. */
export type MirrorWrite =
  /** A document write as the app sent it to the primary (sentinels included). */
  | { kind: 'document'; op: WriteOp }
  /** Copy the document's current state from the primary (a delete when the primary has none). */
  | { kind: 'document-copy'; collection: string; id: string }
  /** An upload whose bytes are queued with it (up to `storage.maxQueuedBytes`). */
  | { kind: 'upload'; path: string; bytes: Uint8Array; contentType: string; metadata: Record<string, string> }
  /** Copy the file from the primary (larger uploads; a delete when the primary has none). */
  | { kind: 'file-copy'; path: string }
  | { kind: 'file-delete'; path: string }

/** Entries with the same key reach the secondary in the order they were queued. */
export function entryKey(write: MirrorWrite): string {
  switch (write.kind) {
    case 'document':
      return docKey(write.op.collection, write.op.id)
    case 'document-copy':
      return docKey(write.collection, write.id)
    default:
      return fileKey(write.path)
  }
}

export const docKey = (collection: string, id: string): string => `d ${collection} ${id}`
export const fileKey = (path: string): string => `f ${path}`

/** The copy that brings the secondary's document or file to the primary's state. */
export function copyOf(write: MirrorWrite): MirrorWrite {
  switch (write.kind) {
    case 'document':
      return { kind: 'document-copy', collection: write.op.collection, id: write.op.id }
    case 'document-copy':
    case 'file-copy':
      return write
    default:
      return { kind: 'file-copy', path: write.path }
  }
}

export function encodeWrite(write: MirrorWrite): StoredValue {
  switch (write.kind) {
    case 'document': {
      const { op } = write
      const base: Record<string, StoredValue> = { kind: 'document', type: op.type, collection: op.collection, id: op.id }
      if (op.type !== 'delete') base.data = encodeWriteData(op.data)
      if (op.type === 'create' && op.generatedId) base.generatedId = true
      return base
    }
    case 'upload':
      return { kind: 'upload', path: write.path, bytes: Bytes.fromUint8Array(write.bytes).toBase64(), contentType: write.contentType, metadata: { ...write.metadata } }
    case 'document-copy':
      return { kind: write.kind, collection: write.collection, id: write.id }
    default:
      return { kind: write.kind, path: write.path }
  }
}

export function decodeWrite(json: StoredValue): MirrorWrite {
  const v = json as Record<string, StoredValue>
  const str = (field: string): string => {
    const value = v[field]
    if (typeof value !== 'string') throw corrupt(`${field} is not a string`)
    return value
  }
  switch (v.kind) {
    case 'document': {
      const type = str('type')
      const collection = str('collection')
      const id = str('id')
      if (type === 'delete') return { kind: 'document', op: { type, collection, id } }
      if (type !== 'create' && type !== 'set' && type !== 'update') throw corrupt(`unknown write type ${type}`)
      const data = decodeWriteData(v.data ?? {})
      const op: WriteOp = type === 'create' && v.generatedId === true ? { type, collection, id, data, generatedId: true } : { type, collection, id, data }
      return { kind: 'document', op }
    }
    case 'document-copy':
      return { kind: 'document-copy', collection: str('collection'), id: str('id') }
    case 'upload':
      return {
        kind: 'upload',
        path: str('path'),
        bytes: Bytes.fromBase64(str('bytes')).toUint8Array(),
        contentType: str('contentType'),
        metadata: { ...(v.metadata as Record<string, string>) },
      }
    case 'file-copy':
    case 'file-delete':
      return { kind: v.kind, path: str('path') }
    default:
      throw corrupt(`unknown entry kind ${String(v.kind)}`)
  }
}

const corrupt = (what: string): PortabaseError => new PortabaseError('internal', `The mirror's queue holds an entry it cannot read: ${what}`, { provider: 'mirror' })

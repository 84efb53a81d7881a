/**
 * Any adapter as a migration endpoint, through the SPI alone: documents by keyset on the id, files
 * one at a time and whole (the SPI takes and returns whole bodies: a download is one chunk, an
 * upload gathers its chunks first, so memory holds one file), remote config read-only. What it reads and writes is
 * what the adapter's signed-in user (or none) may: for a whole backend, use an endpoint with admin
 * access (parse with its master key, memory) or sign the adapter in as an account the rules let
 * through. Timestamps are the target's own.
 */
import { PortabaseError } from '../../errors.js'
import { DOC_ID, type Query } from '../../query/model.js'
import type { Adapter } from '../../spi.js'
import type { StoredFile } from '../../types.js'
import { collect, oneChunk, type Chunks } from '../chunks.js'
import type { Endpoint, FileReader, FileWriter } from '../endpoint.js'

const BY_ID = [{ field: DOC_ID, direction: 'asc' as const }]

export function pageQuery(cursor: string | null, limit: number): Query {
  return { filters: [], orderBy: BY_ID, limit, ...(cursor === null ? {} : { startAfter: { values: [], id: cursor } }) }
}

/** Storage through the SPI, the adapter loaded on first use. */
export function adapterFiles(load: () => Promise<Adapter>): FileReader & FileWriter {
  return {
    async list(prefix, cursor, limit) {
      const { items, nextCursor } = await (await load()).storage.list(prefix, { limit, cursor })
      return { items, cursor: nextCursor }
    },
    async download(path) {
      return oneChunk(await (await load()).storage.download(path))
    },
    async upload(file: StoredFile, chunks: Chunks) {
      await (await load()).storage.upload({ path: file.path, bytes: await collect(chunks), contentType: file.contentType, metadata: file.metadata, onProgress: () => undefined })
    },
  }
}

export function adapterEndpoint(adapter: Adapter, options: { dispose?: boolean } = {}): Endpoint {
  const documents = adapter.documents
  return {
    label: adapter.name,
    capabilities: { timestamps: 'server-assigned', resume: 'reconcile' },
    documents: {
      async readPage(collection, cursor, limit) {
        const docs = await documents.query(collection, pageQuery(cursor, limit))
        return { docs, cursor: docs.length < limit ? null : docs[docs.length - 1]!.id }
      },
      count: (collection) => documents.count(collection, { filters: [], orderBy: BY_ID }),
      async writePage(collection, docs) {
        if (docs.length === 0) return
        await documents.write(
          docs.map((doc) => ({ type: 'set' as const, collection, id: doc.id, data: doc.data })),
          { atomic: false },
        )
      },
      async readByIds(collection, ids) {
        const found = await Promise.all(ids.map((id) => documents.get(collection, id)))
        return new Map(found.filter((doc) => doc !== null).map((doc) => [doc.id, doc]))
      },
    },
    files: adapter.capabilities.storage ? adapterFiles(async () => adapter) : undefined,
    config: adapter.capabilities.remoteConfig ? { read: () => adapter.config.fetch() } : undefined,
    async close() {
      if (options.dispose) await adapter.dispose()
    },
  }
}

export function notWritable(label: string, what: string): PortabaseError {
  return new PortabaseError('unsupported', `${label} cannot write ${what} (no admin access for it; see docs/migrate.md)`)
}

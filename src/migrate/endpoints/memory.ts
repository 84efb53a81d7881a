/**
 * The memory adapter as a migration endpoint with admin access: it works on the adapter's
 * MemoryBackend directly, past access rules and the simulated network. Documents keep their
 * `updateTime`, files their `updated` time; users move with their PBKDF2-SHA256 hashes, which a
 * memory backend accepts when its `passwordIterations` match (other hashes: must-reset).
 */
import { freezeDoc, type MemoryBackend } from '../../../adapters/memory/backend.js'
import type { MemoryAdapter } from '../../../adapters/memory/index.js'
import type { Doc } from '../../types.js'
import { cloneValue } from '../../values.js'
import { collect } from '../chunks.js'
import type { Endpoint, MigratedUser, UserImportResult } from '../endpoint.js'
import { adapterEndpoint, pageQuery } from './adapter.js'

const BY_ID = pageQuery(null, 1).orderBy
const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')
const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'))

export function isMemoryAdapter(adapter: unknown): adapter is MemoryAdapter {
  const backend = (adapter as { backend?: unknown } | null)?.backend
  return (adapter as { name?: unknown } | null)?.name === 'memory' && typeof (backend as MemoryBackend | undefined)?.commitEvents === 'function'
}

export function memoryEndpoint(adapter: MemoryAdapter): Endpoint {
  const { backend } = adapter
  const spi = adapterEndpoint(adapter)
  return {
    ...spi,
    label: 'memory',
    capabilities: { timestamps: 'preserved', resume: 'reconcile' },
    documents: {
      ...spi.documents,
      async readPage(collection, cursor, limit) {
        const ordered = backend.orderedDocs(collection, BY_ID, cursor === null ? undefined : { values: [], id: cursor })
        if (!ordered) return spi.documents.readPage(collection, cursor, limit)
        const docs: Doc[] = []
        for (const doc of ordered) {
          if (cursor !== null && doc.id <= cursor) continue
          docs.push(doc)
          if (docs.length === limit) break
        }
        return { docs, cursor: docs.length < limit ? null : docs[docs.length - 1]!.id }
      },
      async count(collection) {
        return backend.collections.get(collection)?.size ?? 0
      },
      async writePage(collection, docs) {
        backend.commitEvents(docs.map((doc) => ({ collection, id: doc.id, after: freezeDoc(doc.id, cloneValue(doc.data), new Date(doc.meta.updateTime), backend.nextVersion()) })))
      },
      async readByIds(collection, ids) {
        const stored = backend.collections.get(collection)
        return new Map(ids.flatMap((id) => (stored?.has(id) ? [[id, stored.get(id)!] as const] : [])))
      },
    },
    files: {
      ...spi.files,
      // The memory backend holds whole files: the chunks are gathered (into a fresh array).
      async upload(file, chunks) {
        backend.files.set(file.path, { bytes: await collect(chunks), contentType: file.contentType, metadata: { ...file.metadata }, updated: new Date(file.updated) })
      },
    },
    config: {
      read: async () => ({ ...backend.config }),
      write: async (values) => backend.setConfig({ ...backend.config, ...values }),
    },
    users: {
      async list(cursor, limit) {
        const uids = [...backend.users.keys()].filter((uid) => cursor === null || uid > cursor).sort().slice(0, limit)
        const users = uids.map((uid): MigratedUser => {
          const { user, salt, passwordHash } = backend.users.get(uid)!
          const password = salt && passwordHash ? { algorithm: 'pbkdf2-sha256' as const, iterations: backend.passwordIterations, salt: base64(salt), hash: base64(passwordHash) } : undefined
          return { ...user, ...(password ? { password } : {}) }
        })
        return { users, cursor: users.length < limit ? null : uids[uids.length - 1]! }
      },
      async import(users) {
        const result: UserImportResult = { imported: 0, mustReset: [] }
        for (const { password, ...user } of users) {
          const usable = password?.algorithm === 'pbkdf2-sha256' && password.iterations === backend.passwordIterations
          backend.users.set(user.uid, usable ? { user, salt: fromBase64(password.salt), passwordHash: fromBase64(password.hash) } : { user })
          if (user.email) backend.uidByEmail.set(user.email.toLowerCase(), user.uid)
          result.imported += 1
          if (!usable && !user.isAnonymous && user.providerId === 'password') {
            const reason = password ? `a ${password.algorithm} hash${password.algorithm === 'pbkdf2-sha256' ? ` of ${password.iterations} iterations` : ''}, which this memory backend (${backend.passwordIterations} PBKDF2 iterations) cannot verify` : 'the source exported no password hash'
            result.mustReset.push({ uid: user.uid, email: user.email, reason })
          }
        }
        return result
      },
    },
  }
}

/**
 * `--verify`: reads both sides again and compares, per collection, the document count and the set
 * digest of document hashes (hash.ts); per file, size and SHA-256; the selected config keys; and the
 * users' uids and emails. When a collection differs and the target can be read by id, a keyed pass
 * names up to 20 documents that are missing or different.
 */
import type { ConfigScalar } from '../types.js'
import type { Endpoint } from './endpoint.js'
import { bytesHash, canonicalJson, documentHash, SetDigest } from './hash.js'
import type { ProgressSink } from './progress.js'
import type { Selection } from './selection.js'

const MAX_EXAMPLES = 20

export interface CollectionVerification {
  collection: string
  source: { count: number; sha256sum: string }
  target: { count: number; sha256sum: string }
  ok: boolean
  /** Ids missing from the target or different there (at most 20), when a keyed pass could run. */
  differences: string[]
}

export interface VerifyReport {
  ok: boolean
  collections: CollectionVerification[]
  files: { checked: number; ok: boolean; extraInTarget: number; differences: { path: string; reason: string }[] }
  config: { ok: boolean; differingKeys: string[] } | null
  /** Source accounts, and how many of them the target holds with the same uid and email. */
  users: { ok: boolean; source: number; found: number } | null
}

async function digestOf(endpoint: Endpoint, collection: string, pageSize: number, onPage: (n: number) => void): Promise<SetDigest> {
  const digest = new SetDigest()
  let cursor: string | null = null
  do {
    const page = await endpoint.documents.readPage(collection, cursor, pageSize)
    for (const doc of page.docs) digest.add(documentHash(doc.id, doc.data))
    onPage(page.docs.length)
    cursor = page.cursor
  } while (cursor !== null)
  return digest
}

async function differences(source: Endpoint, target: Endpoint, collection: string, pageSize: number): Promise<string[]> {
  const readByIds = target.documents.readByIds
  if (!readByIds) return []
  const out: string[] = []
  let cursor: string | null = null
  do {
    const page = await source.documents.readPage(collection, cursor, pageSize)
    const stored = await readByIds(collection, page.docs.map((d) => d.id))
    for (const doc of page.docs) {
      const there = stored.get(doc.id)
      if (!there) out.push(`${doc.id} (missing)`)
      else if (documentHash(there.id, there.data) !== documentHash(doc.id, doc.data)) out.push(`${doc.id} (different)`)
      if (out.length >= MAX_EXAMPLES) return out
    }
    cursor = page.cursor
  } while (cursor !== null)
  return out
}

async function verifyFiles(source: Endpoint, target: Endpoint, prefixes: readonly string[]): Promise<VerifyReport['files']> {
  const result: VerifyReport['files'] = { checked: 0, ok: true, extraInTarget: 0, differences: [] }
  if (prefixes.length === 0) return result
  if (!source.files?.list || !source.files.download || !target.files?.list || !target.files.download) {
    return { ...result, ok: false, differences: [{ path: '*', reason: 'files cannot be listed and read on both sides' }] }
  }
  for (const prefix of prefixes) {
    let sourceCount = 0
    let cursor: string | null = null
    do {
      const page = await source.files.list(prefix, cursor, 100)
      for (const file of page.items) {
        sourceCount += 1
        result.checked += 1
        const expected = bytesHash(await source.files.download(file.path))
        const actual = await target.files.download(file.path).then(bytesHash, () => null)
        if (actual !== expected) result.differences.push({ path: file.path, reason: actual === null ? 'missing' : 'different bytes' })
      }
      cursor = page.cursor
    } while (cursor !== null)
    let targetCount = 0
    cursor = null
    do {
      const page = await target.files.list(prefix, cursor, 1000)
      targetCount += page.items.length
      cursor = page.cursor
    } while (cursor !== null)
    result.extraInTarget += Math.max(0, targetCount - sourceCount)
  }
  result.ok = result.differences.length === 0 && result.extraInTarget === 0
  return result
}

/** Every user as uid → email; null when the endpoint cannot list users. */
async function usersOf(endpoint: Endpoint): Promise<Map<string, string | null> | null> {
  const list = endpoint.users?.list
  if (!list) return null
  const users = new Map<string, string | null>()
  let cursor: string | null = null
  do {
    const page = await list(cursor, 500)
    for (const user of page.users) users.set(user.uid, user.email)
    cursor = page.cursor
  } while (cursor !== null)
  return users
}

export async function verify(source: Endpoint, target: Endpoint, selection: Selection, pageSize: number, progress: ProgressSink): Promise<VerifyReport> {
  const collections: CollectionVerification[] = []
  for (const collection of selection.collections) {
    const task = `verify ${collection}`
    progress.start(task, undefined)
    const [a, b] = await Promise.all([
      digestOf(source, collection, pageSize, (n) => progress.advance(task, n)),
      digestOf(target, collection, pageSize, () => undefined),
    ])
    progress.finish(task)
    const ok = a.count === b.count && a.hex === b.hex
    collections.push({
      collection,
      source: { count: a.count, sha256sum: a.hex },
      target: { count: b.count, sha256sum: b.hex },
      ok,
      differences: ok ? [] : await differences(source, target, collection, pageSize),
    })
  }
  const files = await verifyFiles(source, target, selection.storagePrefixes)

  let config: VerifyReport['config'] = null
  if (selection.configKeys !== null) {
    const none: Record<string, ConfigScalar> = {}
    const [a, b] = await Promise.all([source.config?.read?.() ?? none, target.config?.read?.() ?? null])
    const keys = selection.configKeys === 'all' ? Object.keys(a) : selection.configKeys.filter((k) => k in a)
    const differingKeys = b === null ? keys : keys.filter((k) => canonicalJson(a[k]) !== canonicalJson(b[k]))
    config = { ok: differingKeys.length === 0, differingKeys }
  }

  let users: VerifyReport['users'] = null
  if (selection.users) {
    // Every source account in the target with its email (a target may hold other accounts too).
    const [a, b] = await Promise.all([usersOf(source), usersOf(target)])
    const found = a && b ? [...a].filter(([uid, email]) => b.has(uid) && b.get(uid) === email).length : 0
    users = { ok: a !== null && b !== null && found === a.size, source: a?.size ?? 0, found }
  }

  const ok = collections.every((c) => c.ok) && files.ok && (config?.ok ?? true) && (users?.ok ?? true)
  return { ok, collections, files, config, users }
}

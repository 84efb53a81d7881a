/**
 * `--verify`: reads both sides again and compares, per collection, the document count and the set
 * digest of document hashes (hash.ts); per file, size and SHA-256; the selected config keys; and the
 * users' emails and profiles. When a collection differs and the target can be read by id, a keyed
 * pass names up to 20 documents that are missing or different.
 *
 * After an import that gave accounts new uids, a source account is looked for under its new uid
 * (the id map), and source documents are hashed with their uid fields rewritten through it
 * (uid-map.ts), as the migration wrote them. Accounts the import listed as not imported are
 * counted apart, not as differences: the report names them with the reason.
 */
import type { ConfigScalar, Doc } from '../types.js'
import { chunksHash } from './chunks.js'
import type { Endpoint, MigratedUser } from './endpoint.js'
import { canonicalJson, documentHash, SetDigest } from './hash.js'
import type { ProgressSink } from './progress.js'
import type { Selection } from './selection.js'
import { docRemapper, type IdMap } from './uid-map.js'

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
  /**
   * Source accounts, and how many of them the target holds with the same email and profile
   * (display name, photo URL) under their uid, or the new uid of the id map. Present only when
   * not zero: `mapped`, the accounts found under a new uid; `notImported`, the accounts the import
   * could not create (not counted as missing); `differences`, up to 20 uids missing or different.
   */
  users: { ok: boolean; source: number; found: number; mapped?: number; notImported?: number; differences?: string[] } | null
}

/** What the migration learned that verify must account for. */
export interface VerifyContext {
  idMap?: IdMap
  /** Source uids the users import listed as not imported. */
  notImported?: readonly string[]
  uidFields?: readonly string[]
}

type Rewrite = ((doc: Doc) => Doc) | null

async function digestOf(endpoint: Endpoint, collection: string, pageSize: number, onPage: (n: number) => void, rewrite: Rewrite = null): Promise<SetDigest> {
  const digest = new SetDigest()
  let cursor: string | null = null
  do {
    const page = await endpoint.documents.readPage(collection, cursor, pageSize)
    for (const read of page.docs) {
      const doc = rewrite ? rewrite(read) : read
      digest.add(documentHash(doc.id, doc.data))
    }
    onPage(page.docs.length)
    cursor = page.cursor
  } while (cursor !== null)
  return digest
}

async function differences(source: Endpoint, target: Endpoint, collection: string, pageSize: number, rewrite: Rewrite): Promise<string[]> {
  const readByIds = target.documents.readByIds
  if (!readByIds) return []
  const out: string[] = []
  let cursor: string | null = null
  do {
    const page = await source.documents.readPage(collection, cursor, pageSize)
    const stored = await readByIds(collection, page.docs.map((d) => d.id))
    for (const read of page.docs) {
      const doc = rewrite ? rewrite(read) : read
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
        const expected = await chunksHash(await source.files.download(file.path))
        const actual = await target.files.download(file.path).then(chunksHash).catch(() => null)
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

/** Every user by uid (hashes dropped); null when the endpoint cannot list users. */
async function usersOf(endpoint: Endpoint): Promise<Map<string, MigratedUser> | null> {
  const list = endpoint.users?.list
  if (!list) return null
  const users = new Map<string, MigratedUser>()
  let cursor: string | null = null
  do {
    const page = await list(cursor, 500)
    for (const { password: _hash, ...user } of page.users) users.set(user.uid, user)
    cursor = page.cursor
  } while (cursor !== null)
  return users
}

/** What a migrated account must keep. Emails compare case-insensitively: GoTrue stores them lower-cased. */
const sameAccount = (a: MigratedUser, b: MigratedUser): boolean =>
  (a.email ?? '').toLowerCase() === (b.email ?? '').toLowerCase() && (a.displayName ?? null) === (b.displayName ?? null) && (a.photoURL ?? null) === (b.photoURL ?? null)

function compareUsers(a: Map<string, MigratedUser> | null, b: Map<string, MigratedUser> | null, context: VerifyContext): NonNullable<VerifyReport['users']> {
  const idMap = context.idMap ?? {}
  const skipped = new Set(context.notImported ?? [])
  let found = 0
  let mapped = 0
  let notImported = 0
  const differences: string[] = []
  for (const [uid, user] of a ?? []) {
    if (skipped.has(uid) && !Object.hasOwn(idMap, uid)) {
      notImported += 1
      continue
    }
    const targetUid = Object.hasOwn(idMap, uid) ? idMap[uid]! : uid
    const there = b?.get(targetUid)
    if (there && sameAccount(user, there)) {
      found += 1
      if (targetUid !== uid) mapped += 1
    } else if (differences.length < MAX_EXAMPLES) {
      differences.push(`${uid}${targetUid !== uid ? ` → ${targetUid}` : ''} (${there ? 'different email or profile' : 'missing'})`)
    }
  }
  const source = a?.size ?? 0
  return {
    ok: a !== null && b !== null && found + notImported === source,
    source,
    found,
    ...(mapped > 0 ? { mapped } : {}),
    ...(notImported > 0 ? { notImported } : {}),
    ...(b !== null && differences.length > 0 ? { differences } : {}),
  }
}

export async function verify(source: Endpoint, target: Endpoint, selection: Selection, pageSize: number, progress: ProgressSink, context: VerifyContext = {}): Promise<VerifyReport> {
  const rewrite = docRemapper(context.uidFields, context.idMap)
  const collections: CollectionVerification[] = []
  for (const collection of selection.collections) {
    const task = `verify ${collection}`
    progress.start(task, undefined)
    const [a, b] = await Promise.all([
      digestOf(source, collection, pageSize, (n) => progress.advance(task, n), rewrite),
      digestOf(target, collection, pageSize, () => undefined),
    ])
    progress.finish(task)
    const ok = a.count === b.count && a.hex === b.hex
    collections.push({
      collection,
      source: { count: a.count, sha256sum: a.hex },
      target: { count: b.count, sha256sum: b.hex },
      ok,
      differences: ok ? [] : await differences(source, target, collection, pageSize, rewrite),
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
    // Every source account in the target (a target may hold other accounts too).
    const [a, b] = await Promise.all([usersOf(source), usersOf(target)])
    users = compareUsers(a, b, context)
  }

  const ok = collections.every((c) => c.ok) && files.ok && (config?.ok ?? true) && (users?.ok ?? true)
  return { ok, collections, files, config, users }
}

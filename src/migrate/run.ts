/**
 * The migration engine: documents page by page, files one at a time, remote config, users; a
 * durable checkpoint after every page; optional verification.
 *
 * Exactly once, across crashes: a page is read, written to the target (set semantics, by id), and
 * only then checkpointed with the source cursor after it. A crash can therefore leave at most one
 * page written beyond the checkpoint, wholly or partly. On resume that page is read again and
 * either reconciled (targets that can be read by id: documents already stored with the same
 * content are not written again) or truncated away (append-only backups: their files go back to
 * the sizes the checkpoint recorded). So every document is written once, except one whose write
 * was cut off inside the target itself (which a set then repeats harmlessly). Memory stays bounded:
 * one page in flight plus one read ahead.
 *
 * Users move before documents when the target rewrites uid fields (`uidFields`, uid-map.ts): the
 * users import yields the id map those documents are rewritten with, and the checkpoint keeps it.
 */
import { PortabaseError } from '../errors.js'
import { ByteDigest, drain, through } from './chunks.js'
import { assertNoCheckpoint, emptyCheckpoint, loadCheckpoint, removeCheckpoint, saveCheckpoint } from './checkpoint.js'
import type { Endpoint, UserNote } from './endpoint.js'
import type { BackupSummary } from './endpoints/backup.js'
import { documentHash, SetDigest } from './hash.js'
import { silentProgress, type ProgressSink } from './progress.js'
import type { Selection } from './selection.js'
import { assertUidFields, docRemapper } from './uid-map.js'
import { verify, type VerifyReport } from './verify.js'

export const DEFAULT_PAGE_SIZE = 500

export interface MigrationOptions {
  from: Endpoint
  to: Endpoint
  selection: Selection
  /** Reads and counts everything, writes nothing (no checkpoint either). */
  dryRun?: boolean
  /** Checkpoint file; without one a crashed run starts over. */
  checkpoint?: string
  /** Continue from `checkpoint`. */
  resume?: boolean
  verify?: boolean
  pageSize?: number
  progress?: ProgressSink
  /** The target for reading back (verify), when it is not `to` itself (a backup being written). */
  targetReader?: () => Promise<Endpoint>
  /** Document fields holding uids, rewritten through the users' id map; default: the target's `uidFields`. */
  uidFields?: readonly string[]
}

export interface CollectionReport {
  collection: string
  read: number
  written: number
  /** Found already written when a resumed page was reconciled. */
  skipped: number
  sha256sum: string
}

export interface MigrationReport {
  from: string
  to: string
  dryRun: boolean
  resumed: boolean
  timestamps: 'preserved' | 'server-assigned'
  collections: CollectionReport[]
  files: { count: number; bytes: number }
  config: { keys: number } | null
  users: UsersReport | null
  verify?: VerifyReport
  durationMs: number
}

export interface UsersReport {
  count: number
  withPasswordHash: number
  mustReset: UserNote[]
  /** Accounts the target cannot hold, not created (with the reason). */
  notImported: UserNote[]
  /** Source uid → target uid for accounts the target gave another id. */
  idMap: Record<string, string>
  /** The document fields rewritten through `idMap`. */
  uidFields: string[]
  /** Why no account moved. */
  note?: string
  /** New uids, but no `uidFields`: documents may still name the old ones. */
  warning?: string
}

export async function migrate(options: MigrationOptions): Promise<MigrationReport> {
  const { from, to, selection, dryRun = false, resume = false } = options
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000) throw new PortabaseError('invalid-argument', 'pageSize must be an integer from 1 to 10000')
  const progress = options.progress ?? silentProgress
  const started = Date.now()
  const uidFields = assertUidFields(options.uidFields ?? to.uidFields, to.label)
  if (uidFields.length > 0 && !selection.users && !dryRun) {
    throw new PortabaseError('invalid-argument', `uidFields (${uidFields.join(', ')}) needs the users moved in the same run (users: true): their id map is what rewrites those fields`)
  }
  const identity = JSON.stringify({ from: from.label, to: to.label, selection, ...(uidFields.length > 0 ? { uidFields } : {}) })

  let checkpoint = emptyCheckpoint(identity)
  const file = dryRun ? undefined : options.checkpoint
  if (resume) {
    if (!file) throw new PortabaseError('invalid-argument', '--resume needs a checkpoint file')
    checkpoint = await loadCheckpoint(file, identity)
    await to.restoreResumeState?.(checkpoint.target ?? {})
  } else if (!dryRun) {
    if (file) await assertNoCheckpoint(file)
    await to.restoreResumeState?.(null)
  }
  const save = async (): Promise<void> => {
    if (!file) return
    checkpoint.target = await to.resumeState?.()
    await saveCheckpoint(file, checkpoint)
  }

  const report: MigrationReport = {
    from: from.label,
    to: to.label,
    dryRun,
    resumed: resume,
    timestamps: to.capabilities.timestamps,
    collections: [],
    files: { count: 0, bytes: 0 },
    config: null,
    users: null,
    durationMs: 0,
  }

  // Users first when documents are rewritten with their id map.
  const usersFirst = selection.users && uidFields.length > 0
  if (usersFirst) report.users = await copyUsers()
  for (const collection of selection.collections) {
    report.collections.push(await copyCollection(collection))
  }
  if (selection.storagePrefixes.length > 0) report.files = await copyFiles()
  if (selection.configKeys !== null) report.config = await copyConfig()
  if (selection.users && !usersFirst) report.users = await copyUsers()

  if (!dryRun) {
    const finish = (to as Endpoint & { finish?: (summary: BackupSummary) => Promise<void> }).finish
    await finish?.({
      source: from.label,
      collections: Object.fromEntries(report.collections.map((c) => [c.collection, { count: c.read, sha256sum: c.sha256sum }])),
      files: report.files,
      config: { keys: report.config?.keys ?? 0 },
      users: { count: report.users?.count ?? 0, withPasswordHash: report.users?.withPasswordHash ?? 0 },
    })
  }
  progress.stop()

  if (options.verify && !dryRun) {
    const target = options.targetReader ? await options.targetReader() : to
    try {
      const users = checkpoint.users
      report.verify = await verify(from, target, selection, pageSize, progress, { idMap: users.idMap, notImported: users.notImported.map((n) => n.uid), uidFields })
    } finally {
      if (target !== to) await target.close()
    }
    progress.stop()
  }
  if (file && !dryRun) await removeCheckpoint(file)
  report.durationMs = Date.now() - started
  return report

  async function copyCollection(collection: string): Promise<CollectionReport> {
    const state = (checkpoint.collections[collection] ??= { cursor: null, done: false, digest: new SetDigest().toJSON(), written: 0, skipped: 0 })
    const digest = SetDigest.from(state.digest)
    const result = (): CollectionReport => ({ collection, read: digest.count, written: state.written, skipped: state.skipped, sha256sum: digest.hex })
    if (state.done) return result()
    const write = to.documents.writePage
    if (!dryRun && !write) throw new PortabaseError('unsupported', `${to.label} cannot be written to`)
    // The page after the checkpoint (even a collection's first) may have been written, wholly or partly, before a crash.
    let reconcile = resume && to.capabilities.resume === 'reconcile'
    // Documents as the target is to hold them: uid fields rewritten (the users moved first).
    const remap = docRemapper(uidFields, checkpoint.users.idMap)
    progress.start(collection, await from.documents.count?.(collection).catch(() => undefined))
    progress.advance(collection, digest.count)
    let next = from.documents.readPage(collection, state.cursor, pageSize)
    for (;;) {
      const page = await next
      // Read ahead while this page is written.
      if (page.cursor !== null) next = from.documents.readPage(collection, page.cursor, pageSize)
      const all = remap ? page.docs.map(remap) : page.docs
      let docs = all
      if (reconcile && docs.length > 0) {
        reconcile = false
        const stored = await to.documents.readByIds!(collection, docs.map((d) => d.id))
        docs = docs.filter((doc) => {
          const there = stored.get(doc.id)
          return !there || documentHash(there.id, there.data) !== documentHash(doc.id, doc.data)
        })
        state.skipped += all.length - docs.length
      }
      if (!dryRun && docs.length > 0) await write!(collection, docs)
      // The digest of what the target should hold (a backup's manifest records it).
      for (const doc of all) digest.add(documentHash(doc.id, doc.data))
      state.written += dryRun ? 0 : docs.length
      state.cursor = page.cursor
      state.digest = digest.toJSON()
      state.done = page.cursor === null
      await save()
      progress.advance(collection, page.docs.length)
      if (state.done) break
    }
    progress.finish(collection)
    return result()
  }

  async function copyFiles(): Promise<MigrationReport['files']> {
    const source = from.files
    const upload = to.files?.upload
    if (!source?.list || !source.download) throw new PortabaseError('unsupported', `${from.label} has no storage to read files from`)
    if (!dryRun && !upload) throw new PortabaseError('unsupported', `${to.label} has no storage to write files to`)
    progress.start('files', undefined)
    progress.advance('files', checkpoint.files.count)
    for (const prefix of selection.storagePrefixes) {
      const state = (checkpoint.files.prefixes[prefix] ??= { cursor: null, done: false })
      while (!state.done) {
        const page = await source.list(prefix, state.cursor, 20)
        for (const item of page.items) {
          // One file at a time, chunk by chunk: between streaming endpoints memory holds a chunk;
          // an endpoint whose vendor API moves whole bodies holds one file (chunks.ts).
          const digest = new ByteDigest()
          const chunks = through(await source.download(item.path), digest)
          await (dryRun ? drain(chunks) : upload!(item, chunks))
          checkpoint.files.count += 1
          checkpoint.files.bytes += digest.bytes
          progress.advance('files', 1)
        }
        state.cursor = page.cursor
        state.done = page.cursor === null
        await save()
      }
    }
    progress.finish('files')
    return { count: checkpoint.files.count, bytes: checkpoint.files.bytes }
  }

  async function copyConfig(): Promise<{ keys: number }> {
    if (checkpoint.config.done) return { keys: checkpoint.config.keys }
    const read = from.config?.read
    const write = to.config?.write
    if (!read) throw new PortabaseError('unsupported', `${from.label} has no remote config to read`)
    if (!dryRun && !write) throw new PortabaseError('unsupported', `${to.label} cannot write remote config (it needs admin access; see docs/migrate.md)`)
    const values = await read()
    const keys = selection.configKeys === 'all' ? Object.keys(values) : (selection.configKeys ?? []).filter((k) => k in values)
    const picked = Object.fromEntries(keys.map((k) => [k, values[k]!]))
    if (!dryRun && keys.length > 0) await write!(picked)
    checkpoint.config = { done: true, keys: keys.length }
    await save()
    progress.log(`config: ${keys.length} key(s)${dryRun ? ' (dry run)' : ''}`)
    return { keys: keys.length }
  }

  async function copyUsers(): Promise<UsersReport> {
    const state = checkpoint.users
    const summary = (): UsersReport => {
      const renamed = Object.keys(state.idMap).length
      const warning =
        renamed > 0 && uidFields.length === 0
          ? `${renamed} account(s) got a new uid: documents naming their old uids (owner fields, references) keep them; set the target's uidFields (e.g. ['owner']) to rewrite those fields, or rewrite them with the id map`
          : undefined
      return { count: state.count, withPasswordHash: state.withPasswordHash, mustReset: state.mustReset, notImported: state.notImported, idMap: state.idMap, uidFields: [...uidFields], ...(warning ? { warning } : {}) }
    }
    const list = from.users?.list
    const importUsers = to.users?.import
    if (!list) return { ...summary(), note: `${from.label} cannot export users (no admin user access): no account was moved` }
    if (!dryRun && !importUsers) return { ...summary(), note: `${to.label} cannot import users (no admin user access): no account was moved` }
    progress.start('users', undefined)
    progress.advance('users', state.count)
    while (!state.done) {
      const page = await list(state.cursor, 100)
      if (!dryRun && page.users.length > 0) {
        const result = await importUsers!(page.users)
        state.mustReset.push(...result.mustReset)
        state.notImported.push(...(result.notImported ?? []))
        Object.assign(state.idMap, result.idMap)
      }
      state.count += page.users.length
      state.withPasswordHash += page.users.filter((u) => u.password !== undefined).length
      state.cursor = page.cursor
      state.done = page.cursor === null
      await save()
      progress.advance('users', page.users.length)
    }
    progress.finish('users')
    return summary()
  }
}

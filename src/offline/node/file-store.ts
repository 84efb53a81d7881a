/// <reference types="node" />
/**
 * Node LocalStore in plain files: crash-safe, with no native dependency.
 *
 * Why not SQLite: `node:sqlite` needs Node 22.5+ (this package supports Node 20), and
 * better-sqlite3 is a native addon whose binary is downloaded at install time, which fails offline
 * and on locked-down machines (it does on ours). A write-ahead log plus atomic renames gives what
 * the LocalStore contract asks for, all-or-nothing commits that are durable once acknowledged,
 * with nothing but node:fs.
 *
 * Files in `directory`:
 *   snapshot      the state at the last compaction, rows in checked batches (snapshot.ts); only
 *                 replaced by rename
 *   log           one record per commit since: that commit's changes, appended and fdatasync'ed
 *                 before commit() resolves. One line per commit is what makes a commit atomic.
 *   snapshot.tmp  a compaction in progress; deleted on open (incomplete, or not yet renamed)
 *   lock          pid of the process that has the directory open (lock.ts)
 *
 * State = snapshot, then the log replayed in order. Replay stops at the first line that is torn or
 * fails its checks, and truncates the log there: every append is synced before the next one is
 * written, so only the last line can be torn by a crash, and that commit was never acknowledged.
 *
 * Memory: the snapshot stays on disk (reads stream it a batch at a time); what is held is the rows
 * changed since the last compaction, as JSON text (at most the log's size: 4 MiB or the snapshot's
 * size, see compactAfterBytes), and the snapshot's batch index. The engine's cache is the one decoded copy of the data.
 *
 * Group commit: commits arriving while an append + fdatasync is under way wait for it to end, then
 * go out together, one line each, with one fdatasync, and each resolves after it. A lone commit
 * goes out at once (no commit window by default: the window only delays sequential writes).
 *
 * Compaction (when the log passes the threshold, and at close() past 1 MiB), and what a crash at
 * each step leaves:
 *   1. stream snapshot.tmp (old snapshot + changed rows), fsync it → tmp deleted on open; old snapshot + whole log
 *   2. rename it over snapshot        → old snapshot + whole log, or new snapshot + whole log
 *   3. fsync the directory            → (makes 2 durable before 4 may happen)
 *   4. truncate the log, fsync it     → new snapshot + whole or empty log
 * "New snapshot + whole log" is right because replaying the log is idempotent: every entry is a put
 * or a delete of a whole value, so replaying the sequence over a state that already includes it
 * leaves each key as the last entry for it set it, which is what the snapshot holds. Never add an
 * entry kind that depends on the previous value (an increment): it would be applied twice.
 * A failed compaction loses nothing (the log holds every commit); it is reported to `onError`
 * listeners (the engine shows it on `status$.error`) and tried again after the next commit.
 */
import { Buffer } from 'node:buffer'
import { open, realpath, rename, rm, type FileHandle } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { invalidArgument, PortabaseError } from '../../errors.js'
import { checkChanges, checkPrefix, checkTable, notOpen } from '../stores/changes.js'
import { STORE_TABLES, type EntriesOptions, type LocalStore, type StoreChange, type StoredValue, type StoreErrorListener, type StoreTable } from '../store.js'
import { fsError, makeDirectory, readIfExists, syncDirectory } from './fs.js'
import { acquireLock, type DirectoryLock } from './lock.js'
import { decodeRecords, encodeRecordPayload } from './records.js'
import { EMPTY_INDEX, readBatch, readBatches, readSnapshotHead, SnapshotWriter, writeAllOf, type SnapshotIndex } from './snapshot.js'

export interface FileStoreOptions {
  /** Where the store keeps its files; created if missing. One store (one process) at a time. */
  directory: string
  /**
   * Compact (fold the log into the snapshot) once the log is larger than this. Default: 4 MiB or
   * the snapshot's size, whichever is larger: the snapshot at least doubles between rewrites, so a
   * store filled from empty is rewritten a few times in all (a quarter rewrote it every 4 MiB), and
   * the rows held stay below the snapshot's size. With the default, close() also folds a log over
   * 1 MiB, so the next open reads one file. An explicit value is the only threshold.
   */
  compactAfterBytes?: number
  /**
   * Milliseconds a commit waits for others to join its fdatasync. Default 0: commits that arrive
   * during an fdatasync share the next one anyway; a window only slows sequential writes.
   */
  commitWindowMs?: number
}

export const SNAPSHOT_FILE = 'snapshot'
export const SNAPSHOT_TMP_FILE = 'snapshot.tmp'
export const LOG_FILE = 'log'
const DEFAULT_COMPACT_AFTER = 4 * 1024 * 1024
/** With the default threshold, the log may grow to this share of the snapshot before compacting. */
const DEFAULT_LOG_SHARE = 1
/**
 * close() folds a log over this size into the snapshot (with the default threshold): the next open
 * then reads one file instead of replaying the log (a replayed row is parsed, re-serialised and
 * parsed again). Smaller logs are left: their replay costs less than rewriting the snapshot.
 */
const CLOSE_COMPACT_AFTER = 1024 * 1024
/** A row deleted since the snapshot. */
const DELETED = null

/** Per table: rows changed since the snapshot, as JSON text, or DELETED. */
type Changed = Record<StoreTable, Map<string, string | typeof DELETED>>

interface PendingCommit {
  changes: StoreChange[]
  /** Per change, its value's JSON text (DELETED for a deletion): written once, kept as the changed row. */
  texts: Array<string | typeof DELETED>
  record: Buffer
  resolve: () => void
  reject: (error: unknown) => void
}

/** What exists while the store is open. */
interface Session {
  /** The real path of the directory. */
  directory: string
  /** Rows changed since the snapshot (bounded by the log's size, which compaction bounds). */
  changed: Changed
  log: FileHandle
  /** Bytes of sound records in the log: where a failed append is truncated back to. */
  logSize: number
  index: SnapshotIndex
  lock: DirectoryLock
  /** Commits waiting for the next append + fdatasync. */
  pending: PendingCommit[]
  flushQueued: boolean
  /** close() was called: refuse new calls. */
  closing: boolean
  /** Files handed back: queued work must not touch them. */
  closed: boolean
  /** Set when the log may hold a partial line we could not remove: commits refused until reopen. */
  broken?: PortabaseError
}

/**
 * The offline engine's local store for Node: a snapshot plus a write-ahead log in `directory`.
 * A commit is durable (fdatasync'ed) when its promise resolves; a crash at any point leaves the
 * state of some prefix of the commits, with every acknowledged one in it. One process at a time:
 * a second open of the directory fails with `failed-precondition`.
 */
export function fileStore(options: FileStoreOptions): LocalStore {
  return new FileStore(options)
}

class FileStore implements LocalStore {
  readonly name: string
  private readonly directory: string
  private readonly compactAfter: number | undefined
  private readonly commitWindowMs: number
  private readonly listeners = new Set<StoreErrorListener>()
  private session: Session | undefined
  private opening: Promise<void> | undefined
  private closing: Promise<void> | undefined
  /** Appends, reads and compactions run one at a time, in call order: appends never interleave. */
  private tail: Promise<unknown> = Promise.resolve()

  constructor(options: FileStoreOptions) {
    if (typeof options?.directory !== 'string' || options.directory === '') throw invalidArgument('fileStore: options.directory is required')
    const compactAfter = options.compactAfterBytes
    if (compactAfter !== undefined && (typeof compactAfter !== 'number' || !(compactAfter >= 0))) throw invalidArgument('fileStore: compactAfterBytes must be a number ≥ 0')
    const window = options.commitWindowMs ?? 0
    if (typeof window !== 'number' || !(window >= 0)) throw invalidArgument('fileStore: commitWindowMs must be a number ≥ 0')
    this.directory = resolve(options.directory)
    this.compactAfter = compactAfter
    this.commitWindowMs = window
    this.name = `fileStore(${JSON.stringify(this.directory)})`
  }

  open(): Promise<void> {
    return (this.opening ??= this.load().finally(() => (this.opening = undefined)))
  }

  close(): Promise<void> {
    return (this.closing ??= this.unload().finally(() => (this.closing = undefined)))
  }

  onError(listener: StoreErrorListener): () => void {
    this.listeners.add(listener)
    return () => void this.listeners.delete(listener)
  }

  async entries(table: StoreTable, options?: EntriesOptions): Promise<Array<[string, StoredValue]>> {
    checkTable(table, this.name)
    const prefix = checkPrefix(options, this.name)
    const session = this.current()
    // Queued, so a read sees every commit called before it, as on IndexedDB.
    return this.enqueue(() => this.read(session, table, prefix))
  }

  commit(changes: readonly StoreChange[]): Promise<void> {
    let checked: StoreChange[]
    let session: Session
    try {
      // All validated before anything is written; not copied: serialised here, before returning.
      checked = checkChanges(changes, this.name, false)
      session = this.current()
    } catch (error) {
      return Promise.reject(error)
    }
    if (checked.length === 0) return Promise.resolve()
    const texts = checked.map((change) => ('delete' in change ? DELETED : JSON.stringify(change.value)))
    const record = encodeRecordPayload(recordJson(checked, texts))
    return new Promise<void>((resolve, reject) => {
      session.pending.push({ changes: checked, texts, record, resolve, reject })
      if (session.flushQueued) return
      session.flushQueued = true
      this.enqueue(() => this.flush(session)).catch(() => undefined)
    })
  }

  private current(): Session {
    if (!this.session || this.session.closing) throw notOpen(this.name)
    return this.session
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task)
    this.tail = run.catch(() => undefined)
    return run
  }

  private report(error: unknown, doing: string): void {
    const failure = fsError(error, this.name, doing)
    for (const listener of this.listeners) {
      try {
        listener(failure)
      } catch {
        // a listener's own failure is not the store's
      }
    }
  }

  private async load(): Promise<void> {
    await this.closing?.catch(() => undefined)
    if (this.session) return
    let lock: DirectoryLock | undefined
    try {
      await makeDirectory(this.directory)
      // Real path: two spellings of one directory must meet the same in-process lock.
      const directory = await realpath(this.directory)
      lock = await acquireLock(directory, this.name)
      await rm(join(directory, SNAPSHOT_TMP_FILE), { force: true })
      const index = await this.readSnapshot(directory)
      const logPath = join(directory, LOG_FILE)
      const logData = await readIfExists(logPath)
      const changed = emptyChanged()
      const logSize = logData ? replay(logData, changed, this.name) : 0
      // a+: appends, and reads (none today, but truncate needs write access anyway).
      const log = await open(logPath, 'a+')
      try {
        if (!logData) await syncDirectory(directory) // a new file: make its name durable
        else if (logSize < logData.length) {
          // Cut the torn or damaged tail, so the next append starts on a sound line.
          await log.truncate(logSize)
          await log.sync()
        }
      } catch (error) {
        await log.close()
        throw error
      }
      this.session = { directory, changed, log, logSize, index, lock, pending: [], flushQueued: false, closing: false, closed: false }
    } catch (error) {
      await lock?.release()
      throw fsError(error, this.name, 'open')
    }
  }

  private async unload(): Promise<void> {
    await this.opening?.catch(() => undefined)
    const session = this.session
    if (!session) return
    session.closing = true
    // Behind every commit already queued. A compaction they asked for may be queued behind us:
    // run it here (or it would wait for the next session), then mark closed so that one skips.
    await this.enqueue(async () => {
      await this.compact(session, true).catch((error: unknown) => this.report(error, 'compaction'))
      session.closed = true
    })
    this.session = undefined
    try {
      await session.log.close()
    } finally {
      await session.lock.release()
    }
  }

  /** The snapshot's batch index; a format-1 snapshot (one record) is rewritten as format 2 first. */
  private async readSnapshot(directory: string): Promise<SnapshotIndex> {
    const path = join(directory, SNAPSHOT_FILE)
    let file: FileHandle
    try {
      file = await open(path, 'r')
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return EMPTY_INDEX
      throw error
    }
    let head: Awaited<ReturnType<typeof readSnapshotHead>>
    try {
      head = await readSnapshotHead(file, () => this.damaged(path), (format) => this.newer(path, format))
    } finally {
      await file.close()
    }
    if (head.format === 2) return head.index
    // Format 1: fold it into a format-2 snapshot (the log is left as it is: replay is idempotent).
    const legacy = (head.value as { tables: Partial<Record<StoreTable, Array<[string, StoredValue]>>> }).tables
    const rows = emptyChanged()
    for (const table of STORE_TABLES) for (const [key, value] of legacy[table] ?? []) rows[table].set(key, JSON.stringify(value))
    return this.writeSnapshot(directory, EMPTY_INDEX, rows)
  }

  private damaged(path: string): PortabaseError {
    return new PortabaseError(
      'internal',
      `${this.name}: the snapshot file ${path} is damaged (it is never written in place, so this is disk damage or an outside edit); restore it from a backup, or delete the directory to start empty`,
      { details: { store: this.name, path } },
    )
  }

  private newer(path: string, format: number): PortabaseError {
    return new PortabaseError('failed-precondition', `${this.name}: the snapshot was written by a newer version of portabase (format ${format})`, {
      details: { store: this.name, path },
    })
  }

  /** One table's rows in key order: the snapshot's, streamed, merged with the rows changed since. */
  private async read(session: Session, table: StoreTable, prefix: string): Promise<Array<[string, StoredValue]>> {
    const changed = session.changed[table]
    const keys = [...changed.keys()].filter((key) => key.startsWith(prefix)).sort()
    const out: Array<[string, StoredValue]> = []
    let next = 0
    const takeChangedBefore = (key: string | undefined): void => {
      for (; next < keys.length && (key === undefined || keys[next]! <= key); next++) {
        const changedKey = keys[next]!
        const json = changed.get(changedKey)!
        if (json !== DELETED) out.push([changedKey, JSON.parse(json) as StoredValue])
      }
    }
    if (session.index.batches.some((b) => b.table === table)) {
      const path = join(session.directory, SNAPSHOT_FILE)
      const file = await open(path, 'r')
      try {
        for await (const rows of readBatches(file, session.index.batches, table, prefix, () => this.damaged(path))) {
          for (const row of rows) {
            const key = row[0]
            if (!key.startsWith(prefix)) continue
            if (keys.length > 0) {
              takeChangedBefore(key)
              if (changed.has(key)) continue // taken (or dropped) above
            }
            out.push(row)
          }
        }
      } finally {
        await file.close()
      }
    }
    takeChangedBefore(undefined)
    return out
  }

  /** Appends every pending commit, one line each, with one fdatasync; resolves them after it. */
  private async flush(session: Session): Promise<void> {
    if (this.commitWindowMs > 0) await new Promise((resolve) => setTimeout(resolve, this.commitWindowMs))
    session.flushQueued = false
    const batch = session.pending.splice(0)
    if (batch.length === 0) return
    const fail = (error: unknown): void => {
      for (const commit of batch) commit.reject(error)
    }
    if (session.broken) return fail(session.broken)
    const records = batch.map((c) => c.record)
    let bytes = 0
    for (const record of records) bytes += record.length
    try {
      await writeAllOf(session.log, records)
      // datasync: the bytes and the new file size, which is all a later read needs.
      await session.log.datasync()
    } catch (error) {
      await this.rollBack(session, error)
      return fail(fsError(error, this.name, 'commit'))
    }
    // Visible only once durable: a read never sees what a crash could still take back.
    session.logSize += bytes
    for (const { changes, texts } of batch) changes.forEach((change, i) => session.changed[change.table].set(change.key, texts[i] ?? DELETED))
    for (const commit of batch) commit.resolve()
    if (this.shouldCompact(session)) {
      // Its own queued task: these commits are acknowledged now; a failed compaction loses nothing
      // (the log still holds every commit) and the next commit tries again.
      this.enqueue(() => this.compact(session)).catch((error: unknown) => this.report(error, 'compaction'))
    }
  }

  /** Removes a partly written group; if even that fails, the store refuses commits until reopened. */
  private async rollBack(session: Session, cause: unknown): Promise<void> {
    try {
      await session.log.truncate(session.logSize)
      await session.log.datasync()
    } catch {
      session.broken = new PortabaseError('internal', `${this.name}: a write to the log failed and could not be undone; close and reopen the store`, {
        cause,
        details: { store: this.name },
      })
    }
  }

  private shouldCompact(session: Session, closing = false): boolean {
    if (this.compactAfter !== undefined) return session.logSize > this.compactAfter
    const threshold = Math.max(DEFAULT_COMPACT_AFTER, session.index.size * DEFAULT_LOG_SHARE)
    return session.logSize > (closing ? Math.min(threshold, CLOSE_COMPACT_AFTER) : threshold)
  }

  private async compact(session: Session, closing = false): Promise<void> {
    if (session.closed || session.broken || !this.shouldCompact(session, closing)) return
    const directory = session.directory
    session.index = await this.writeSnapshot(directory, session.index, session.changed)
    session.changed = emptyChanged()
    try {
      await session.log.truncate(0)
      session.logSize = 0
      // Durable before the next append: a lost truncation under new lines would replay old ones after them.
      await session.log.sync()
    } catch (error) {
      session.broken = fsError(error, this.name, 'compaction (truncating the log); close and reopen the store')
      throw session.broken
    }
  }

  /**
   * Streams a new snapshot (the current one merged with `changed`) to snapshot.tmp, syncs it and
   * renames it into place, then syncs the directory. Batches no changed key falls into are copied
   * as they are. Nothing changes on failure: the old snapshot and the whole log still hold the state.
   */
  private async writeSnapshot(directory: string, index: SnapshotIndex, changed: Changed): Promise<SnapshotIndex> {
    const path = join(directory, SNAPSHOT_FILE)
    const tmp = join(directory, SNAPSHOT_TMP_FILE)
    let written: SnapshotIndex
    try {
      const source = index.batches.length > 0 ? await open(path, 'r') : undefined
      try {
        const file = await open(tmp, 'w')
        try {
          const writer = new SnapshotWriter(file)
          await writer.start()
          for (const table of STORE_TABLES) await this.mergeTable(writer, source, index, table, changed[table], () => this.damaged(path))
          written = await writer.finish()
          await file.sync()
        } finally {
          await file.close()
        }
      } finally {
        await source?.close()
      }
      await rename(tmp, path)
    } catch (error) {
      await rm(tmp, { force: true }).catch(() => undefined)
      throw error
    }
    // The rename must be durable before the log loses what the old snapshot lacks.
    await syncDirectory(directory)
    return written
  }

  private async mergeTable(
    writer: SnapshotWriter,
    source: FileHandle | undefined,
    index: SnapshotIndex,
    table: StoreTable,
    changed: Map<string, string | typeof DELETED>,
    damaged: () => PortabaseError,
  ): Promise<void> {
    const keys = [...changed.keys()].sort()
    let next = 0
    /** Writes the changed rows (deletions: nothing) whose keys pass `before`, in order. */
    const writeChanged = async (before: (key: string) => boolean): Promise<void> => {
      for (; next < keys.length && before(keys[next]!); next++) {
        const json = changed.get(keys[next]!)!
        if (json !== DELETED) await writer.row(table, keys[next]!, json)
      }
    }
    for (const batch of index.batches) {
      if (batch.table !== table || !source) continue
      await writeChanged((key) => key < batch.firstKey)
      if (next >= keys.length || keys[next]! > batch.lastKey) {
        await writer.rawBatch(batch, await readBatch(source, batch)) // untouched: copied, not decoded
        continue
      }
      for await (const rows of readBatches(source, [batch], table, '', damaged)) {
        for (const [key, value] of rows) {
          await writeChanged((changedKey) => changedKey <= key) // a changed key equal to `key` replaces its row
          if (!changed.has(key)) await writer.row(table, key, JSON.stringify(value))
        }
      }
    }
    await writeChanged(() => true)
  }
}

function emptyChanged(): Changed {
  return Object.fromEntries(STORE_TABLES.map((table) => [table, new Map()])) as Changed
}

/** The log record of checked changes: what JSON.stringify(changes) gives, the values' text made once. */
function recordJson(changes: readonly StoreChange[], texts: ReadonlyArray<string | typeof DELETED>): string {
  const parts: string[] = []
  for (let i = 0; i < changes.length; i++) {
    const { table, key } = changes[i]!
    const text = texts[i]
    parts.push(text === DELETED ? JSON.stringify({ table, key, delete: true }) : `{"table":${JSON.stringify(table)},"key":${JSON.stringify(key)},"value":${text}}`)
  }
  return `[${parts.join(',')}]`
}

function applyChanges(changed: Changed, changes: readonly StoreChange[]): void {
  for (const change of changes) changed[change.table].set(change.key, 'delete' in change ? DELETED : JSON.stringify(change.value))
}

/** Applies the log's sound records to `changed`; returns the byte length of that sound prefix. */
function replay(data: Buffer, changed: Changed, label: string): number {
  let sound = 0
  for (const { value, end } of decodeRecords(data)) {
    let changes: StoreChange[]
    try {
      changes = checkChanges(value, label, false) // fresh from JSON.parse: checked, no copy needed
    } catch {
      break // checksum right but not a commit: treat as damage, like a bad checksum
    }
    applyChanges(changed, changes)
    sound = end
  }
  return sound
}

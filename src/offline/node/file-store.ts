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
 *   snapshot      the state at the last compaction, one record (records.ts); only replaced by rename
 *   log           one record per commit since: that commit's changes, appended and fdatasync'ed
 *                 before commit() resolves. One line per commit is what makes a commit atomic.
 *   snapshot.tmp  a compaction in progress; deleted on open (incomplete, or not yet renamed)
 *   lock          pid of the process that has the directory open (lock.ts)
 *
 * State = snapshot, then the log replayed in order. Replay stops at the first line that is torn or
 * fails its checks, and truncates the log there: every append is synced before the next one is
 * written, so only the last line can be torn by a crash, and that commit was never acknowledged.
 *
 * Compaction (when the log passes compactAfterBytes), and what a crash at each step leaves:
 *   1. write snapshot.tmp, fsync it   → tmp deleted on open; old snapshot + whole log
 *   2. rename it over snapshot        → old snapshot + whole log, or new snapshot + whole log
 *   3. fsync the directory            → (makes 2 durable before 4 may happen)
 *   4. truncate the log, fsync it     → new snapshot + whole or empty log
 * "New snapshot + whole log" is right because replaying the log is idempotent: every entry is a put
 * or a delete of a whole value, so replaying the sequence over a state that already includes it
 * leaves each key as the last entry for it set it, which is what the snapshot holds. Never add an
 * entry kind that depends on the previous value (an increment): it would be applied twice.
 */
import { open, realpath, rename, rm, type FileHandle } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { invalidArgument, PortabaseError } from '../../errors.js'
import { applyChange, checkChanges, checkTable, copyValue, notOpen } from '../stores/changes.js'
import { STORE_TABLES, type LocalStore, type StoreChange, type StoredValue, type StoreTable } from '../store.js'
import { fsError, makeDirectory, readIfExists, syncDirectory } from './fs.js'
import { acquireLock, type DirectoryLock } from './lock.js'
import { decodeRecords, encodeRecord } from './records.js'

export interface FileStoreOptions {
  /** Where the store keeps its files; created if missing. One store (one process) at a time. */
  directory: string
  /** Compact (fold the log into the snapshot) once the log is larger than this. Default 4 MiB. */
  compactAfterBytes?: number
}

export const SNAPSHOT_FILE = 'snapshot'
export const SNAPSHOT_TMP_FILE = 'snapshot.tmp'
export const LOG_FILE = 'log'
const SNAPSHOT_FORMAT = 1
const DEFAULT_COMPACT_AFTER = 4 * 1024 * 1024

type Tables = Record<StoreTable, Map<string, StoredValue>>

interface Snapshot {
  format: number
  tables: Record<StoreTable, Array<[string, StoredValue]>>
}

/** What exists while the store is open. */
interface Session {
  /** The real path of the directory. */
  directory: string
  tables: Tables
  log: FileHandle
  /** Bytes of sound records in the log: where a failed append is truncated back to. */
  logSize: number
  lock: DirectoryLock
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
  private readonly compactAfter: number
  private session: Session | undefined
  private opening: Promise<void> | undefined
  private closing: Promise<void> | undefined
  /** Commits, reads and compactions run one at a time, in call order: appends never interleave. */
  private tail: Promise<unknown> = Promise.resolve()

  constructor(options: FileStoreOptions) {
    if (typeof options?.directory !== 'string' || options.directory === '') throw invalidArgument('fileStore: options.directory is required')
    const compactAfter = options.compactAfterBytes ?? DEFAULT_COMPACT_AFTER
    if (typeof compactAfter !== 'number' || !(compactAfter >= 0)) throw invalidArgument('fileStore: compactAfterBytes must be a number ≥ 0')
    this.directory = resolve(options.directory)
    this.compactAfter = compactAfter
    this.name = `fileStore(${JSON.stringify(this.directory)})`
  }

  open(): Promise<void> {
    return (this.opening ??= this.load().finally(() => (this.opening = undefined)))
  }

  close(): Promise<void> {
    return (this.closing ??= this.unload().finally(() => (this.closing = undefined)))
  }

  async entries(table: StoreTable): Promise<Array<[string, StoredValue]>> {
    checkTable(table, this.name)
    const session = this.current()
    // Queued, so a read sees every commit called before it, as on IndexedDB.
    return this.enqueue(async () => {
      const rows = session.tables[table]
      return [...rows.keys()].sort().map((key): [string, StoredValue] => [key, copyValue(rows.get(key), key, this.name)])
    })
  }

  async commit(changes: readonly StoreChange[]): Promise<void> {
    const checked = checkChanges(changes, this.name) // all validated before anything is written
    const session = this.current()
    if (checked.length === 0) return
    return this.enqueue(() => this.append(session, checked))
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
      const tables = await this.readSnapshot(directory)
      const logPath = join(directory, LOG_FILE)
      const logData = await readIfExists(logPath)
      const logSize = logData ? replay(logData, tables, this.name) : 0
      const log = await open(logPath, 'a')
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
      this.session = { directory, tables, log, logSize, lock, closing: false, closed: false }
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
      await this.compact(session).catch(() => undefined)
      session.closed = true
    })
    this.session = undefined
    try {
      await session.log.close()
    } finally {
      await session.lock.release()
    }
  }

  private async readSnapshot(directory: string): Promise<Tables> {
    const tables = Object.fromEntries(STORE_TABLES.map((table) => [table, new Map()])) as Tables
    const path = join(directory, SNAPSHOT_FILE)
    const data = await readIfExists(path)
    if (!data) return tables
    // Written whole and renamed into place, so it is never torn: a bad one is damage, not a crash.
    const [record] = decodeRecords(data)
    const snapshot = record?.end === data.length ? (record.value as Snapshot) : undefined
    if (!snapshot || typeof snapshot.format !== 'number' || typeof snapshot.tables !== 'object' || snapshot.tables === null) {
      throw new PortabaseError(
        'internal',
        `${this.name}: the snapshot file ${path} is damaged (it is never written in place, so this is disk damage or an outside edit); restore it from a backup, or delete the directory to start empty`,
        { details: { store: this.name, path } },
      )
    }
    if (snapshot.format > SNAPSHOT_FORMAT) {
      throw new PortabaseError('failed-precondition', `${this.name}: the snapshot was written by a newer version of portabase (format ${snapshot.format})`, {
        details: { store: this.name, path },
      })
    }
    for (const table of STORE_TABLES) for (const [key, value] of snapshot.tables[table] ?? []) tables[table].set(key, value)
    return tables
  }

  private async append(session: Session, changes: StoreChange[]): Promise<void> {
    if (session.broken) throw session.broken
    const line = encodeRecord(changes)
    try {
      await writeAll(session.log, line)
      // datasync: the bytes and the new file size, which is all a later read needs.
      await session.log.datasync()
    } catch (error) {
      await this.rollBack(session, error)
      throw fsError(error, this.name, 'commit')
    }
    // Visible only once durable: a read never sees what a crash could still take back.
    session.logSize += line.length
    for (const change of changes) applyChange(session.tables[change.table], change)
    if (session.logSize > this.compactAfter) {
      // Its own queued task: this commit is acknowledged now; a failed compaction loses nothing
      // (the log still holds every commit) and the next commit tries again.
      this.enqueue(() => this.compact(session)).catch(() => undefined)
    }
  }

  /** Removes a partly written line; if even that fails, the store refuses commits until reopened. */
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

  private async compact(session: Session): Promise<void> {
    if (session.closed || session.broken || session.logSize <= this.compactAfter) return
    const directory = session.directory
    const tmp = join(directory, SNAPSHOT_TMP_FILE)
    try {
      const file = await open(tmp, 'w')
      try {
        await writeAll(file, encodeRecord(snapshotOf(session.tables)))
        await file.sync()
      } finally {
        await file.close()
      }
      await rename(tmp, join(directory, SNAPSHOT_FILE))
    } catch (error) {
      await rm(tmp, { force: true }).catch(() => undefined)
      throw error // nothing changed: the old snapshot and the whole log still hold the state
    }
    // The rename must be durable before the log loses what the old snapshot lacks.
    await syncDirectory(directory)
    try {
      await session.log.truncate(0)
      session.logSize = 0
      // Durable before the next append: a lost truncation under new lines would replay old ones after them.
      await session.log.sync()
    } catch (error) {
      session.broken = fsError(error, this.name, 'compaction (truncating the log); close and reopen the store')
    }
  }
}

/** Applies the log's sound records to `tables`; returns the byte length of that sound prefix. */
function replay(data: Buffer, tables: Tables, label: string): number {
  let sound = 0
  for (const { value, end } of decodeRecords(data)) {
    let changes: StoreChange[]
    try {
      changes = checkChanges(value, label)
    } catch {
      break // checksum right but not a commit: treat as damage, like a bad checksum
    }
    for (const change of changes) applyChange(tables[change.table], change)
    sound = end
  }
  return sound
}

function snapshotOf(tables: Tables): Snapshot {
  const out = {} as Snapshot['tables']
  for (const table of STORE_TABLES) out[table] = [...tables[table]]
  return { format: SNAPSHOT_FORMAT, tables: out }
}

async function writeAll(file: FileHandle, data: Uint8Array): Promise<void> {
  for (let offset = 0; offset < data.length; ) {
    const { bytesWritten } = await file.write(data, offset, data.length - offset)
    offset += bytesWritten
  }
}

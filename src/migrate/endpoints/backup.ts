/**
 * The neutral backup format (docs/migrate.md): a directory of NDJSON files.
 *
 *   manifest.json                 format, version, source, counts and content hashes (written last)
 *   collections/<name>.ndjson     {"id","updateTime","data"} per line, data in tagged JSON
 *   files.ndjson                  {"path","size","contentType","metadata","updated","sha256"} per line
 *   files/<path>                  each file's bytes
 *   config.json                   {"values": {key: scalar}}
 *   users.ndjson                  one user per line, with its password hash when the source gave one
 *
 * Writing appends lines. Its resume state is the size of every NDJSON file at the checkpoint
 * (fsynced first); resuming truncates each file back to it, so a line written after the checkpoint
 * is dropped and written again once: every document ends up in its file exactly once.
 */
import { createReadStream } from 'node:fs'
import { mkdir, open, readdir, readFile, rename, stat, type FileHandle } from 'node:fs/promises'
import * as path from 'node:path'
import { createInterface } from 'node:readline'
import { PortabaseError } from '../../errors.js'
import { assertCollectionName } from '../../names.js'
import type { Doc, DocumentData, StoredFile } from '../../types.js'
import { fromTaggedJson, toTaggedJson } from '../../values.js'
import type { Endpoint, MigratedUser } from '../endpoint.js'
import { ByteDigest, through, type Chunks } from '../chunks.js'

export const BACKUP_FORMAT = 'portabase-backup'
export const BACKUP_VERSION = 1

export interface BackupManifest {
  format: typeof BACKUP_FORMAT
  version: typeof BACKUP_VERSION
  createdAt: string
  /** The source's label (adapter and where; no secret). */
  source: string
  /** Per collection: documents and the set digest of their hashes (src/migrate/hash.ts). */
  collections: Record<string, { count: number; sha256sum: string }>
  files: { count: number; bytes: number }
  config: { keys: number }
  users: { count: number; withPasswordHash: number }
}

/** What the migration hands a backup target when it is done: the manifest's content. */
export type BackupSummary = Omit<BackupManifest, 'format' | 'version' | 'createdAt'>

const collectionFile = (name: string): string => {
  assertCollectionName(name)
  return `collections/${name}.ndjson`
}

/** The local path of a stored file: its path's segments under files/, never outside. */
function blobPath(dir: string, filePath: string): string {
  const segments = filePath.split('/')
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\\') || s.includes('\0'))) {
    throw new PortabaseError('invalid-argument', `File path ${JSON.stringify(filePath.slice(0, 80))} cannot be stored in a backup (empty, '.' or '..' segments)`)
  }
  return path.join(dir, 'files', ...segments)
}

function docLine(doc: Doc): string {
  return `${JSON.stringify({ id: doc.id, updateTime: doc.meta.updateTime.toISOString(), data: toTaggedJson(doc.data) })}\n`
}

function docOf(line: string): Doc {
  const { id, updateTime, data } = JSON.parse(line) as { id: string; updateTime: string; data: unknown }
  const time = new Date(updateTime)
  return { id, data: fromTaggedJson(data) as DocumentData, meta: { updateTime: time, version: updateTime, fromCache: false, hasPendingWrites: false } }
}

function fileOf(line: string): StoredFile & { sha256: string } {
  const json = JSON.parse(line) as StoredFile & { updated: string; sha256: string }
  return { ...json, updated: new Date(json.updated) }
}

/**
 * Lines of one NDJSON file from a byte offset: one open stream reused while pages follow each
 * other, reopened when asked for another offset. Offsets are the cursors a migration checkpoints.
 */
class LineReader {
  private lines: AsyncIterator<string> | undefined
  private position = -1
  private close: (() => void) | undefined

  constructor(private readonly file: string) {}

  async page(offset: number, limit: number, keep: (line: string) => boolean = () => true): Promise<{ lines: string[]; next: number | null }> {
    if (this.position !== offset || !this.lines) this.open(offset)
    const out: string[] = []
    while (out.length < limit) {
      const { value, done } = await this.lines!.next()
      if (done) {
        this.dispose()
        return { lines: out, next: null }
      }
      this.position += Buffer.byteLength(value) + 1
      if (value.length > 0 && keep(value)) out.push(value)
    }
    return { lines: out, next: this.position }
  }

  private open(offset: number): void {
    this.dispose()
    const stream = createReadStream(this.file, { start: offset })
    const rl = createInterface({ input: stream, crlfDelay: Infinity })
    this.lines = rl[Symbol.asyncIterator]()
    this.position = offset
    this.close = () => {
      rl.close()
      stream.destroy()
    }
  }

  dispose(): void {
    this.close?.()
    this.close = undefined
    this.lines = undefined
    this.position = -1
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  )
}

/** A backup directory to write (export, or a migration's target). */
export function backupWriter(dir: string): Endpoint & { finish(summary: BackupSummary): Promise<void> } {
  const handles = new Map<string, FileHandle>()
  const sizes = new Map<string, number>()

  async function append(relative: string, text: string): Promise<void> {
    let handle = handles.get(relative)
    if (!handle) {
      const file = path.join(dir, relative)
      await mkdir(path.dirname(file), { recursive: true })
      // users.ndjson holds password hashes: readable by its owner only.
      handle = await open(file, 'a', relative === 'users.ndjson' ? 0o600 : 0o644)
      handles.set(relative, handle)
      sizes.set(relative, (await handle.stat()).size)
    }
    const bytes = Buffer.from(text)
    await handle.write(bytes)
    sizes.set(relative, sizes.get(relative)! + bytes.byteLength)
  }

  async function closeFiles(): Promise<void> {
    const open = [...handles.values()]
    handles.clear()
    await Promise.all(open.map((h) => h.close()))
  }

  /** Writes to a temporary file, fsyncs it, then renames it in place; chunks are written as they come. */
  async function writeDurably(file: string, bytes: Uint8Array | string | Chunks): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true })
    const tmp = `${file}.tmp`
    const handle = await open(tmp, 'w')
    try {
      if (typeof bytes === 'string' || bytes instanceof Uint8Array) await handle.writeFile(bytes)
      else {
        for await (const chunk of bytes) {
          for (let at = 0; at < chunk.byteLength; ) at += (await handle.write(chunk, at)).bytesWritten
        }
      }
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(tmp, file)
  }

  const unreadable = (): never => {
    throw new PortabaseError('unsupported', 'A backup being written is not read back during the same run')
  }

  return {
    label: `backup (${dir})`,
    capabilities: { timestamps: 'preserved', resume: 'truncate' },
    documents: {
      readPage: unreadable,
      async writePage(collection, docs) {
        if (docs.length > 0) await append(collectionFile(collection), docs.map(docLine).join(''))
      },
      readByIds: unreadable,
    },
    files: {
      async upload(file, chunks) {
        const digest = new ByteDigest()
        await writeDurably(blobPath(dir, file.path), through(chunks, digest))
        const entry = { path: file.path, size: digest.bytes, contentType: file.contentType, metadata: file.metadata, updated: new Date(file.updated).toISOString(), sha256: digest.hex() }
        await append('files.ndjson', `${JSON.stringify(entry)}\n`)
      },
    },
    config: {
      async write(values) {
        const file = path.join(dir, 'config.json')
        const current = (await exists(file)) ? ((JSON.parse(await readFile(file, 'utf8')) as { values: object }).values ?? {}) : {}
        await writeDurably(file, `${JSON.stringify({ values: { ...current, ...values } }, null, 2)}\n`)
      },
    },
    users: {
      async import(users) {
        await append('users.ndjson', users.map((u) => `${JSON.stringify(u)}\n`).join(''))
        return { imported: users.length, mustReset: [] }
      },
    },
    /** Every NDJSON file's size, after an fsync: a checkpoint may now count on these lines. */
    async resumeState() {
      await Promise.all([...handles.values()].map((h) => h.sync()))
      return Object.fromEntries(sizes)
    },
    /** null: a fresh run, which needs a directory without a backup in it (appending would duplicate). */
    async restoreResumeState(state) {
      if (state === null) {
        for (const relative of ['manifest.json', 'collections', 'files.ndjson', 'users.ndjson', 'config.json']) {
          if (await exists(path.join(dir, relative))) throw new PortabaseError('failed-precondition', `${dir} already holds a backup (${relative}); choose an empty directory, or pass --resume to finish an interrupted one`)
        }
        return
      }
      const recorded = state as Record<string, number>
      const present = [
        ...((await exists(path.join(dir, 'collections'))) ? (await readdir(path.join(dir, 'collections'))).map((f) => `collections/${f}`) : []),
        'files.ndjson',
        'users.ndjson',
      ]
      for (const relative of present) {
        const file = path.join(dir, relative)
        if (!relative.endsWith('.ndjson') || !(await exists(file))) continue
        const handle = await open(file, 'r+')
        try {
          await handle.truncate(recorded[relative] ?? 0)
          await handle.sync()
        } finally {
          await handle.close()
        }
      }
    },
    async finish(summary) {
      await Promise.all([...handles.values()].map((h) => h.sync()))
      const manifest: BackupManifest = { format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: new Date().toISOString(), ...summary }
      await writeDurably(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
      // The backup is complete: its files are closed now, not left to the caller's close() (or to the GC).
      await closeFiles()
    },
    close: closeFiles,
  }
}

/** A complete backup directory to read (import, or a migration's source). */
export async function backupReader(dir: string): Promise<Endpoint & { manifest: BackupManifest }> {
  const manifestFile = path.join(dir, 'manifest.json')
  if (!(await exists(manifestFile))) {
    throw new PortabaseError('failed-precondition', `${dir} is not a complete portabase backup: manifest.json is missing (an export that did not finish; resume it)`)
  }
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as BackupManifest
  if (manifest.format !== BACKUP_FORMAT || manifest.version !== BACKUP_VERSION) {
    throw new PortabaseError('failed-precondition', `${dir}/manifest.json is not a ${BACKUP_FORMAT} v${BACKUP_VERSION} manifest`)
  }
  const readers = new Map<string, LineReader>()
  const reader = (relative: string): LineReader => {
    let r = readers.get(relative)
    if (!r) readers.set(relative, (r = new LineReader(path.join(dir, relative))))
    return r
  }
  const offset = (cursor: string | null): number => (cursor === null ? 0 : Number(cursor))
  const cursorOf = (next: number | null): string | null => (next === null ? null : String(next))
  const present = (relative: string): Promise<boolean> => exists(path.join(dir, relative))

  return {
    manifest,
    label: `backup (${dir})`,
    capabilities: { timestamps: 'preserved', resume: 'truncate' },
    documents: {
      async listCollections() {
        return Object.keys(manifest.collections)
      },
      async count(collection) {
        return manifest.collections[collection]?.count ?? 0
      },
      async readPage(collection, cursor, limit) {
        const relative = collectionFile(collection)
        if (!(await present(relative))) return { docs: [], cursor: null }
        const { lines, next } = await reader(relative).page(offset(cursor), limit)
        return { docs: lines.map(docOf), cursor: cursorOf(next) }
      },
    },
    files: {
      async list(prefix, cursor, limit) {
        if (!(await present('files.ndjson'))) return { items: [], cursor: null }
        const { lines, next } = await reader('files.ndjson').page(offset(cursor), limit, (line) => fileOf(line).path.startsWith(prefix))
        return { items: lines.map(fileOf), cursor: cursorOf(next) }
      },
      // Streamed from disk in 64 KiB chunks (a missing file fails on the first read).
      async download(filePath) {
        return createReadStream(blobPath(dir, filePath))
      },
    },
    config: {
      async read() {
        return (await present('config.json')) ? ((JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as { values: Record<string, string | number | boolean> }).values ?? {}) : {}
      },
    },
    users: {
      async list(cursor, limit) {
        if (!(await present('users.ndjson'))) return { users: [], cursor: null }
        const { lines, next } = await reader('users.ndjson').page(offset(cursor), limit)
        return { users: lines.map((line) => JSON.parse(line) as MigratedUser), cursor: cursorOf(next) }
      },
    },
    async close() {
      readers.forEach((r) => r.dispose())
    },
  }
}

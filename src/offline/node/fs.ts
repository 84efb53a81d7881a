/// <reference types="node" />
/** File-system steps the file store needs to be durable, and the mapping of their errors. */
import { mkdir, open, readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { PortabaseError, type ErrorCode } from '../../errors.js'

/**
 * fsync of a directory: makes a file created, renamed or deleted in it survive a power cut (the
 * file's own fsync covers its content, not its name). Windows cannot open a directory for this and
 * NTFS journals the names itself, so there it is skipped.
 */
export async function syncDirectory(directory: string): Promise<void> {
  if (process.platform === 'win32') return
  const handle = await open(directory, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** mkdir -p, then fsync the parent of every directory it created, so the new names are durable. */
export async function makeDirectory(directory: string): Promise<void> {
  const target = resolve(directory)
  const created = await mkdir(target, { recursive: true })
  if (created === undefined) return
  const top = resolve(created)
  for (let dir = target; ; dir = dirname(dir)) {
    await syncDirectory(dirname(dir))
    if (dir === top || dirname(dir) === dir) break
  }
}

/** The file's bytes, or null when it does not exist. */
export async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path)
  } catch (error) {
    if (errno(error) === 'ENOENT') return null
    throw error
  }
}

export function errno(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** A file-system error as a PortabaseError, with a code an app can act on. */
export function fsError(error: unknown, label: string, doing: string): PortabaseError {
  if (error instanceof PortabaseError) return error
  const code = errno(error)
  const mapped: ErrorCode =
    code === 'ENOSPC' || code === 'EDQUOT' || code === 'EMFILE' || code === 'ENFILE'
      ? 'resource-exhausted'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? 'permission-denied'
        : 'internal'
  const message = error instanceof Error ? error.message : String(error)
  return new PortabaseError(mapped, `${label}: ${doing} failed: ${message}`, { cause: error, details: { store: label, errno: code } })
}

/// <reference types="node" />
/**
 * One process at a time per directory: two writers appending to one log would interleave and each
 * would compact away the other's commits. The lock is a file holding the owner's pid, created with
 * 'wx' (fails if it exists); a lock whose pid is no longer running was left by a crash and is
 * taken over.
 */
import { randomBytes } from 'node:crypto'
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PortabaseError } from '../../errors.js'
import { errno } from './fs.js'

export const LOCK_FILE = 'lock'

export interface DirectoryLock {
  release(): Promise<void>
}

/**
 * Directories held by stores of this process. On globalThis so the ESM and CJS copies of the
 * package share it, and keyed by real path. It is what tells our own live lock from a stale one
 * carrying our pid (a container restarted with the same pid 1).
 */
const HELD_KEY = Symbol.for('portabase.fileStore.heldDirectories')
const held: Set<string> = ((globalThis as Record<symbol, Set<string> | undefined>)[HELD_KEY] ??= new Set())

export async function acquireLock(directory: string, label: string): Promise<DirectoryLock> {
  if (held.has(directory)) throw inUse(label, directory, 'another store of this process has it open')
  // Claimed before the first await, so two stores of this process opening at once cannot both pass.
  held.add(directory)
  try {
    const path = join(directory, LOCK_FILE)
    const pid = String(process.pid)
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await writeFile(path, `${pid}\n`, { flag: 'wx' })
        return { release: () => release(directory, path, pid) }
      } catch (error) {
        if (errno(error) !== 'EEXIST') throw error
      }
      const owner = await readOwner(path)
      if (owner === 'gone') continue // released meanwhile: try again
      // Our own pid here is stale: no store of this process holds the directory (checked above).
      if (owner !== null && owner !== process.pid && isRunning(owner)) {
        throw inUse(label, directory, `process ${owner} has it open (lock file ${path}); if no such process uses it, delete the lock file`)
      }
      await takeOver(path, owner)
    }
    throw inUse(label, directory, `could not take over the lock file ${path}`)
  } catch (error) {
    held.delete(directory)
    throw error
  }
}

async function release(directory: string, path: string, pid: string): Promise<void> {
  held.delete(directory)
  // Only our own lock: never delete one another process took over meanwhile.
  const content = await readFile(path, 'utf8').catch(() => null)
  if (content?.trim() === pid) await unlink(path).catch(() => {})
}

/** The pid in the lock file; null when unreadable (a crash between create and write); 'gone' if deleted. */
async function readOwner(path: string): Promise<number | null | 'gone'> {
  for (let attempt = 0; ; attempt++) {
    let content: string
    try {
      content = await readFile(path, 'utf8')
    } catch (error) {
      if (errno(error) === 'ENOENT') return 'gone'
      throw error
    }
    if (/^\d+\s*$/.test(content)) return Number(content.trim())
    // Its creator writes the pid right after creating it: give a live one the time to do so.
    if (attempt === 2) return null
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** True while a process with this pid exists (EPERM: it exists but belongs to another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return errno(error) === 'EPERM'
  }
}

/**
 * Removes a stale lock without racing another process doing the same: rename is atomic, so only
 * one taker moves the file; if what it moved is not the stale lock it inspected (another taker
 * already replaced it with a live one), it links it back (link fails if a lock exists again).
 */
async function takeOver(path: string, stalePid: number | null): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    await rename(path, aside)
  } catch (error) {
    if (errno(error) === 'ENOENT') return
    throw error
  }
  const moved = await readOwner(aside)
  if (moved !== stalePid && moved !== 'gone') await link(aside, path).catch(() => {})
  await unlink(aside).catch(() => {})
}

function inUse(label: string, directory: string, why: string): PortabaseError {
  return new PortabaseError('failed-precondition', `${label}: the directory ${directory} is in use: ${why}`, { details: { store: label, directory } })
}

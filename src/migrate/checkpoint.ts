/**
 * The checkpoint file of a migration: what is done, as of the last page. Saved durably after every
 * page (written to a temporary file, fsynced, renamed over the old one, directory fsynced), so a
 * crash leaves either the previous or the new checkpoint, never a torn one.
 */
import { open, readFile, rename, rm } from 'node:fs/promises'
import * as path from 'node:path'
import { PortabaseError } from '../errors.js'
import type { UserNote } from './endpoint.js'

export interface CollectionProgress {
  /** The source cursor after the last page written; null before the first. */
  cursor: string | null
  done: boolean
  /** Set digest of the source documents read so far (hash.ts). */
  digest: { count: number; sum: string }
  /** Documents written to the target (reconciled ones not counted). */
  written: number
  /** Documents the resumed page found already written. */
  skipped: number
}

export interface UsersProgress {
  done: boolean
  cursor: string | null
  count: number
  withPasswordHash: number
  mustReset: UserNote[]
  notImported: UserNote[]
  /** Source uid → target uid so far: a resumed run rewrites documents with the same map. */
  idMap: Record<string, string>
}

export interface Checkpoint {
  version: 1
  /** from label, to label and the selection: a resume must run the same migration. */
  identity: string
  collections: Record<string, CollectionProgress>
  files: { prefixes: Record<string, { cursor: string | null; done: boolean }>; count: number; bytes: number }
  config: { done: boolean; keys: number }
  users: UsersProgress
  /** The target's own resume state (a backup: its files' sizes). */
  target?: unknown
}

export function emptyCheckpoint(identity: string): Checkpoint {
  return {
    version: 1,
    identity,
    collections: {},
    files: { prefixes: {}, count: 0, bytes: 0 },
    config: { done: false, keys: 0 },
    users: { done: false, cursor: null, count: 0, withPasswordHash: 0, mustReset: [], notImported: [], idMap: {} },
  }
}

export async function loadCheckpoint(file: string, identity: string): Promise<Checkpoint> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new PortabaseError('failed-precondition', `--resume: no checkpoint at ${file}`)
  }
  const checkpoint = JSON.parse(text) as Checkpoint
  if (checkpoint.version !== 1 || checkpoint.identity !== identity) {
    throw new PortabaseError('failed-precondition', `The checkpoint at ${file} belongs to another migration (other endpoints or selection); delete it to start over`)
  }
  // Written before id maps existed.
  checkpoint.users.notImported ??= []
  checkpoint.users.idMap ??= {}
  return checkpoint
}

export async function assertNoCheckpoint(file: string): Promise<void> {
  const present = await readFile(file).then(
    () => true,
    () => false,
  )
  if (present) throw new PortabaseError('failed-precondition', `A checkpoint exists at ${file}: pass --resume to continue that run, or delete it to start over`)
}

export async function saveCheckpoint(file: string, checkpoint: Checkpoint): Promise<void> {
  const tmp = `${file}.tmp`
  const handle = await open(tmp, 'w')
  try {
    await handle.writeFile(JSON.stringify(checkpoint))
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(tmp, file)
  const dir = await open(path.dirname(path.resolve(file)), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

export async function removeCheckpoint(file: string): Promise<void> {
  await rm(file, { force: true })
}

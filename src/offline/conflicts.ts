/** Conflict detection and the built-in strategies: pure functions over the three versions of a document. */
import { valuesEqual } from '../query/compare.js'
import type { SyncRecord } from '../spi.js'
import type { DocumentData } from '../types.js'
import type { BaseState, QueuedWrite } from './cache.js'
import type { ConflictInput, ConflictStrategy } from './types.js'

/**
 * A decision on a conflict:
 * - `patch`: (field level) send the queued updates without the `drop` fields, whose server values stay;
 * - `keep-server`: (document level) drop the queued writes, the server's document stays;
 * - `write`: (document level) one write of `data` (null deletes) replaces the queued writes;
 * - `manual`: wait for a decision through `conflicts$`.
 */
export type Decision =
  | { kind: 'patch'; drop: string[] }
  | { kind: 'keep-server' }
  | { kind: 'write'; data: DocumentData | null }
  | { kind: 'manual' }

/** True when the server still holds the state the queued writes started from. */
export function baseMatches(base: BaseState, server: SyncRecord | undefined): boolean {
  const serverExists = server !== undefined && server.data !== null
  if (base.data === null && !serverExists) return true
  if (server === undefined) return false
  if (base.writeId !== null && server.writeId === base.writeId) return true
  return base.version !== null && server.version === base.version
}

/**
 * What a conflict is about. Queued updates of a document that still exists on the server conflict
 * only over the fields both sides changed since the base (`fields` may be empty: no conflict at
 * all); anything else — a set, create or delete, or a document deleted meanwhile — is a
 * document-level conflict, and `fields` lists where local and server differ.
 */
export function analyse(writes: readonly QueuedWrite[], local: DocumentData | null, server: DocumentData | null): Pick<ConflictInput, 'level' | 'fields'> {
  const base = writes[0]!.base.data
  if (base !== null && server !== null && writes.every((w) => w.op.type === 'update')) {
    const changed = changedFields(base, server)
    return { level: 'field', fields: [...touchedFields(writes)].filter((f) => changed.has(f)).sort() }
  }
  return { level: 'document', fields: [...changedFields(local ?? {}, server ?? {})].sort() }
}

/** Fields the queued writes name (an update's keys; a set's or delete's: every field). */
export function touchedFields(writes: readonly QueuedWrite[]): Set<string> {
  const fields = new Set<string>()
  for (const w of writes) if (w.op.type !== 'delete') for (const field of Object.keys(w.op.data)) fields.add(field)
  return fields
}

export async function decide(strategy: ConflictStrategy, input: ConflictInput, writes: readonly QueuedWrite[]): Promise<Decision> {
  const field = input.level === 'field'
  if (field && input.fields.length === 0) return { kind: 'patch', drop: [] }
  switch (strategy) {
    case 'server-wins':
      return field ? { kind: 'patch', drop: input.fields } : { kind: 'keep-server' }
    case 'client-wins':
      return field ? { kind: 'patch', drop: [] } : { kind: 'write', data: input.local }
    case 'last-write-wins': {
      const deviceNewer = (at: Date) => input.serverTime === null || at.getTime() > input.serverTime.getTime()
      if (field) return { kind: 'patch', drop: input.fields.filter((f) => !deviceNewer(lastWriteTo(writes, f))) }
      return deviceNewer(input.localTime) ? { kind: 'write', data: input.local } : { kind: 'keep-server' }
    }
    case 'merge':
      return field ? { kind: 'patch', drop: [] } : { kind: 'write', data: mergeFields(input.base, input.local, input.server) }
    case 'manual':
      return { kind: 'manual' }
    default: {
      const result = await strategy(input)
      return result === undefined ? { kind: 'manual' } : { kind: 'write', data: result }
    }
  }
}

/** Client time of the last queued write that names `field`. */
function lastWriteTo(writes: readonly QueuedWrite[], field: string): Date {
  for (let i = writes.length - 1; i >= 0; i--) {
    const { op, createdAt } = writes[i]!
    if (op.type !== 'delete' && Object.prototype.hasOwnProperty.call(op.data, field)) return createdAt
  }
  return writes[writes.length - 1]!.createdAt
}

/**
 * Three-way, field by field: a field changed on one side only takes that side's value; changed on
 * both, the local value. A deletion loses to an edit on the other side (nothing typed is lost).
 */
export function mergeFields(base: DocumentData | null, local: DocumentData | null, server: DocumentData | null): DocumentData | null {
  if (local === null) return server !== null && changedSince(base, server) ? server : null
  if (server === null) return changedSince(base, local) ? local : null
  const from = base ?? {}
  const merged: DocumentData = {}
  for (const field of new Set([...Object.keys(server), ...Object.keys(local), ...Object.keys(from)])) {
    const localChanged = !sameField(from[field], local[field])
    const value = localChanged ? local[field] : server[field]
    if (value !== undefined) merged[field] = value
  }
  return merged
}

/** Fields whose values differ between two versions of a document. */
export function changedFields(a: DocumentData, b: DocumentData): Set<string> {
  const changed = new Set<string>()
  for (const field of new Set([...Object.keys(a), ...Object.keys(b)])) if (!sameField(a[field], b[field])) changed.add(field)
  return changed
}

function changedSince(base: DocumentData | null, data: DocumentData): boolean {
  return base === null || changedFields(base, data).size > 0
}

function sameField(a: DocumentData[string] | undefined, b: DocumentData[string] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return valuesEqual(a, b)
}

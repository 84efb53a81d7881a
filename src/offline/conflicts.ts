/** Conflict detection and the built-in strategies: pure functions over the three versions of a document. */
import { valuesEqual } from '../query/compare.js'
import type { SyncRecord } from '../spi.js'
import type { DocumentData } from '../types.js'
import type { BaseState } from './cache.js'
import type { ConflictInput, ConflictStrategy } from './types.js'

/** A decision: keep the server's document, or write this one (null deletes), or wait for `conflicts$`. */
export type Decision = { kind: 'keep-server' } | { kind: 'write'; data: DocumentData | null } | { kind: 'manual' }

/** True when the server still holds the state the queued writes started from. */
export function baseMatches(base: BaseState, server: SyncRecord | undefined): boolean {
  const serverExists = server !== undefined && server.data !== null
  if (base.data === null && !serverExists) return true
  if (server === undefined) return false
  if (base.writeId !== null && server.writeId === base.writeId) return true
  return base.version !== null && server.version === base.version
}

export async function decide(strategy: ConflictStrategy, input: ConflictInput): Promise<Decision> {
  switch (strategy) {
    case 'server-wins':
      return { kind: 'keep-server' }
    case 'client-wins':
      return { kind: 'write', data: input.local }
    case 'last-write-wins':
      return input.serverTime === null || input.localTime.getTime() > input.serverTime.getTime() ? { kind: 'write', data: input.local } : { kind: 'keep-server' }
    case 'merge':
      return { kind: 'write', data: mergeFields(input.base, input.local, input.server) }
    case 'manual':
      return { kind: 'manual' }
    default: {
      const result = await strategy(input)
      return result === undefined ? { kind: 'manual' } : { kind: 'write', data: result }
    }
  }
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

function changedSince(base: DocumentData | null, data: DocumentData): boolean {
  if (base === null) return true
  const fields = new Set([...Object.keys(base), ...Object.keys(data)])
  for (const field of fields) if (!sameField(base[field], data[field])) return true
  return false
}

function sameField(a: DocumentData[string] | undefined, b: DocumentData[string] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return valuesEqual(a, b)
}

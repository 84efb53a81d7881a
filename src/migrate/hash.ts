/**
 * Content hashes for `--verify` and the backup manifest. A document hashes as the SHA-256 of its id
 * and its data in canonical tagged JSON (keys sorted, Dates as ISO strings, neutral value types
 * tagged: src/values.ts); a collection as the count and the sum of its documents' hashes mod 2^256,
 * which does not depend on the order documents are read in (vendors sort ids differently).
 */
import { createHash } from 'node:crypto'
import type { DocumentData, Value } from '../types.js'
import { toTaggedJson } from '../values.js'

const MOD = 1n << 256n

/** JSON with object keys sorted at every depth: equal data, equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
      .join(',')}}`
  }
  return JSON.stringify(value)
}

export function documentHash(id: string, data: DocumentData): string {
  return createHash('sha256')
    .update(canonicalJson([id, toTaggedJson(data as Value)]))
    .digest('hex')
}

/** An order-independent digest of a set of hashes, resumable from its JSON form (checkpoints). */
export class SetDigest {
  constructor(
    public count = 0,
    private sum = 0n,
  ) {}

  static from(state: { count: number; sum: string } | undefined): SetDigest {
    return state ? new SetDigest(state.count, BigInt(`0x${state.sum}`)) : new SetDigest()
  }

  add(hexHash: string): void {
    this.count += 1
    this.sum = (this.sum + BigInt(`0x${hexHash}`)) % MOD
  }

  /** 64 hex digits. */
  get hex(): string {
    return this.sum.toString(16).padStart(64, '0')
  }

  toJSON(): { count: number; sum: string } {
    return { count: this.count, sum: this.hex }
  }
}

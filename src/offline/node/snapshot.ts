/// <reference types="node" />
/**
 * The file store's snapshot file, format 2: rows in batches, written and read a batch at a time so
 * that neither a compaction nor a read ever builds the whole store as one string or buffer (format 1
 * was one JSON record, past V8's ~512 MB string limit a compaction failed).
 *
 *     record  {"format":2}                                   header
 *     record  {"t":"docs","r":[[key, value], …]}             batches: ≤ BATCH_BYTES of payload each (one
 *     …                                                       row may exceed it), tables in STORE_TABLES
 *                                                             order, keys ascending within a table
 *     record  {"format":2,"batches":[[table, start, end, firstKey, lastKey], …]}   the index
 *     record  {"indexAt": <offset of the index record>}     footer: found from the file's end
 *
 * Records are records.ts lines (length + CRC-32), so each batch is checked when read. The file is
 * written whole and renamed into place: a missing or bad footer/index is damage, not a crash.
 */
import { Buffer } from 'node:buffer'
import type { FileHandle } from 'node:fs/promises'
import { PortabaseError } from '../../errors.js'
import { STORE_TABLES, type StoredValue, type StoreTable } from '../store.js'
import { decodeRecords, encodeRecordPayload } from './records.js'

export const SNAPSHOT_FORMAT = 2
/** Target payload of one batch: the unit of reading, checking and skipping. */
const BATCH_BYTES = 256 * 1024
/** Bytes of adjacent batches read with one read(). */
const READ_CHUNK = 4 * 1024 * 1024
/** Bytes gathered before one write() during a compaction. */
const WRITE_CHUNK = 1024 * 1024

export interface BatchEntry {
  table: StoreTable
  start: number
  end: number
  firstKey: string
  lastKey: string
}

export interface SnapshotIndex {
  batches: BatchEntry[]
  /** Bytes of the file. */
  size: number
}

export const EMPTY_INDEX: SnapshotIndex = { batches: [], size: 0 }

/** Writes a snapshot row by row (tables in STORE_TABLES order, keys ascending), in bounded chunks. */
export class SnapshotWriter {
  private readonly batches: BatchEntry[] = []
  private pending: Buffer[] = []
  private pendingBytes = 0
  private offset = 0
  private rows: string[] = []
  private rowBytes = 0
  private table: StoreTable | undefined
  private firstKey = ''
  private lastKey = ''

  constructor(private readonly file: FileHandle) {}

  async start(): Promise<void> {
    await this.emit(encodeRecordPayload(JSON.stringify({ format: SNAPSHOT_FORMAT })))
  }

  /** `json`: the value's JSON text. */
  async row(table: StoreTable, key: string, json: string): Promise<void> {
    if (table !== this.table) await this.closeBatch()
    const text = `[${JSON.stringify(key)},${json}]`
    if (this.rows.length > 0 && this.rowBytes + text.length > BATCH_BYTES) await this.closeBatch()
    if (this.rows.length === 0) {
      this.table = table
      this.firstKey = key
    }
    this.rows.push(text)
    this.rowBytes += text.length + 1
    this.lastKey = key
  }

  /** Copies a batch of the previous snapshot as it is (its rows must come next in order). */
  async rawBatch(batch: BatchEntry, bytes: Buffer): Promise<void> {
    await this.closeBatch()
    const start = this.offset
    await this.emit(bytes)
    this.batches.push({ ...batch, start, end: this.offset })
  }

  /** Writes the index and the footer, flushes; the caller syncs and closes the file. */
  async finish(): Promise<SnapshotIndex> {
    await this.closeBatch()
    const indexAt = this.offset
    const batches = this.batches.map((b) => [STORE_TABLES.indexOf(b.table), b.start, b.end, b.firstKey, b.lastKey])
    await this.emit(encodeRecordPayload(JSON.stringify({ format: SNAPSHOT_FORMAT, batches })))
    await this.emit(encodeRecordPayload(JSON.stringify({ indexAt })))
    await this.flush()
    return { batches: this.batches, size: this.offset }
  }

  private async closeBatch(): Promise<void> {
    if (this.rows.length === 0) return
    const start = this.offset
    await this.emit(encodeRecordPayload(`{"t":${JSON.stringify(this.table)},"r":[${this.rows.join(',')}]}`))
    this.batches.push({ table: this.table!, start, end: this.offset, firstKey: this.firstKey, lastKey: this.lastKey })
    this.rows = []
    this.rowBytes = 0
    this.table = undefined
  }

  private async emit(record: Buffer): Promise<void> {
    this.pending.push(record)
    this.pendingBytes += record.length
    this.offset += record.length
    if (this.pendingBytes >= WRITE_CHUNK) await this.flush()
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return
    const pieces = this.pending
    this.pending = []
    this.pendingBytes = 0
    await writeAllOf(this.file, pieces)
  }
}

export async function writeAll(file: FileHandle, data: Uint8Array): Promise<void> {
  for (let offset = 0; offset < data.length; ) {
    const { bytesWritten } = await file.write(data, offset, data.length - offset)
    offset += bytesWritten
  }
}

/** Writes the buffers in order with one writev (no copy into one buffer); a short write finishes piecewise. */
export async function writeAllOf(file: FileHandle, pieces: readonly Buffer[]): Promise<void> {
  if (pieces.length === 1) return writeAll(file, pieces[0]!)
  let { bytesWritten } = await file.writev(pieces as Buffer[])
  for (const piece of pieces) {
    if (bytesWritten >= piece.length) bytesWritten -= piece.length
    else {
      await writeAll(file, piece.subarray(bytesWritten))
      bytesWritten = 0
    }
  }
}

/**
 * What the snapshot file is: `{ format: 2, index }`, or `{ format: 1, value }` for a file written by
 * an earlier version (one record holding every table, read whole once and then rewritten), or
 * undefined when damaged. Throws failed-precondition for a format newer than this code's.
 */
export async function readSnapshotHead(
  file: FileHandle,
  describe: () => PortabaseError,
  newer: (format: number) => PortabaseError,
): Promise<{ format: 2; index: SnapshotIndex } | { format: 1; value: unknown }> {
  const { size } = await file.stat()
  if (size === 0) throw describe()
  const head = await readRange(file, 0, Math.min(size, 64 * 1024))
  const newline = head.indexOf(0x0a)
  const [first] = newline < 0 ? [] : [...decodeRecords(head.subarray(0, newline + 1))]
  const format = (first?.value as { format?: unknown } | undefined)?.format
  if (typeof format === 'number' && format > SNAPSHOT_FORMAT) throw newer(format)
  if (format === SNAPSHOT_FORMAT) return { format: 2, index: await readIndex(file, size, describe) }
  // Format 1: the whole file is one record.
  const data = await readRange(file, 0, size)
  const [record] = decodeRecords(data)
  const value = record?.value as { format?: unknown; tables?: unknown } | undefined
  if (record?.end !== size || typeof value?.format !== 'number' || typeof value.tables !== 'object' || value.tables === null) throw describe()
  if (value.format > SNAPSHOT_FORMAT) throw newer(value.format)
  return { format: 1, value }
}

async function readIndex(file: FileHandle, size: number, describe: () => PortabaseError): Promise<SnapshotIndex> {
  // The footer is the last line, short: found in the file's last bytes.
  const tailStart = Math.max(0, size - 128)
  const tail = await readRange(file, tailStart, size)
  if (tail[tail.length - 1] !== 0x0a) throw describe()
  const lineStart = tail.lastIndexOf(0x0a, tail.length - 2) + 1
  const [footer] = decodeRecords(tail.subarray(lineStart))
  const indexAt = (footer?.value as { indexAt?: unknown } | undefined)?.indexAt
  const indexEnd = tailStart + lineStart
  if (typeof indexAt !== 'number' || !(indexAt >= 0 && indexAt < indexEnd)) throw describe()
  const [record] = decodeRecords(await readRange(file, indexAt, indexEnd))
  const batches = (record?.value as { batches?: unknown } | undefined)?.batches
  if (record?.end !== indexEnd - indexAt || !Array.isArray(batches)) throw describe()
  return {
    size,
    batches: batches.map((b: unknown) => {
      const [table, start, end, firstKey, lastKey] = b as [number, number, number, string, string]
      const name = STORE_TABLES[table]
      if (!name || !(start >= 0 && end > start && end <= indexAt)) throw describe()
      return { table: name, start, end, firstKey, lastKey }
    }),
  }
}

/**
 * The rows of `table` whose keys may start with `prefix`, in key order, a batch (an array of rows)
 * at a time: batches whose key range cannot hold the prefix are skipped unread. Rows outside the
 * prefix inside a read batch are included: the caller filters.
 */
export async function* readBatches(
  file: FileHandle,
  batches: readonly BatchEntry[],
  table: StoreTable,
  prefix: string,
  describe: () => PortabaseError,
): AsyncGenerator<Array<[string, StoredValue]>> {
  const wanted = batches.filter(
    (batch) => batch.table === table && !(prefix !== '' && (batch.lastKey < prefix || (batch.firstKey > prefix && !batch.firstKey.startsWith(prefix)))),
  )
  for (let i = 0; i < wanted.length; ) {
    // Adjacent batches are read together, up to READ_CHUNK: one read per few megabytes, not per batch.
    let j = i + 1
    while (j < wanted.length && wanted[j]!.start === wanted[j - 1]!.end && wanted[j]!.end - wanted[i]!.start <= READ_CHUNK) j++
    const base = wanted[i]!.start
    const data = await readRange(file, base, wanted[j - 1]!.end)
    for (; i < j; i++) {
      const batch = wanted[i]!
      const bytes = data.subarray(batch.start - base, batch.end - base)
      const [record] = decodeRecords(bytes)
      const rows = (record?.value as { t?: unknown; r?: unknown } | undefined)?.r
      if (record?.end !== bytes.length || !Array.isArray(rows)) throw describe()
      yield rows as Array<[string, StoredValue]>
    }
  }
}

/** The raw bytes of one batch (a compaction copies a batch no change touches without decoding it). */
export function readBatch(file: FileHandle, batch: BatchEntry): Promise<Buffer> {
  return readRange(file, batch.start, batch.end)
}

export async function readRange(file: FileHandle, start: number, end: number): Promise<Buffer> {
  const out = Buffer.allocUnsafe(end - start)
  for (let done = 0; done < out.length; ) {
    const { bytesRead } = await file.read(out, done, out.length - done, start + done)
    if (bytesRead === 0) return out.subarray(0, done)
    done += bytesRead
  }
  return out
}

/**
 * The record format of the file store's log and snapshot: one line per record,
 *
 *     <payload byte length> <crc32 of the payload, 8 hex digits> <payload: JSON>\n
 *
 * JSON.stringify never emits a raw newline, so a line is a record. The length and checksum tell a
 * complete line from one torn by a crash mid-append (or damaged on disk); the trailing newline is
 * written last, so a line without it never counts, even if its checksum happens to match.
 */
/// <reference types="node" />
import { Buffer } from 'node:buffer'
import * as zlib from 'node:zlib'

const NEWLINE = 0x0a
const SPACE = 0x20

export function encodeRecord(value: unknown): Buffer {
  return encodeRecordPayload(JSON.stringify(value))
}

/**
 * A record of JSON text already made (the caller's JSON.stringify, or pieces of it joined). One
 * buffer, the payload encoded into it in place: no intermediate buffers to copy and concatenate.
 */
export function encodeRecordPayload(json: string): Buffer {
  const length = Buffer.byteLength(json, 'utf8')
  const headerLength = String(length).length + 10 // "<length> <8 hex digits> "
  const out = Buffer.allocUnsafe(headerLength + length + 1)
  out.write(json, headerLength, length, 'utf8')
  out.write(`${length} ${hex(crc32(out.subarray(headerLength, headerLength + length)))} `, 0, headerLength, 'latin1')
  out[out.length - 1] = NEWLINE
  return out
}

/**
 * The records of `data` in order, each with the offset just past it; stops silently at the first
 * line that is incomplete or fails its checks: everything before that offset is sound.
 */
export function* decodeRecords(data: Uint8Array): Generator<{ value: unknown; end: number }> {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  let start = 0
  while (start < buf.length) {
    const newline = buf.indexOf(NEWLINE, start)
    if (newline < 0) return
    const value = decodeLine(buf.subarray(start, newline))
    if (value === INVALID) return
    start = newline + 1
    yield { value, end: start }
  }
}

const INVALID = Symbol('invalid')

function decodeLine(line: Buffer): unknown {
  const lengthEnd = line.indexOf(SPACE)
  const crcEnd = lengthEnd < 0 ? -1 : line.indexOf(SPACE, lengthEnd + 1)
  if (crcEnd < 0) return INVALID
  const lengthText = line.toString('latin1', 0, lengthEnd)
  const crcText = line.toString('latin1', lengthEnd + 1, crcEnd)
  const payload = line.subarray(crcEnd + 1)
  if (!/^\d{1,15}$/.test(lengthText) || Number(lengthText) !== payload.length) return INVALID
  if (crcText !== hex(crc32(payload))) return INVALID
  try {
    return JSON.parse(payload.toString('utf8')) as unknown
  } catch {
    return INVALID
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0')
}

/**
 * CRC-32 (the zlib/PNG one). zlib.crc32 exists from Node 20.15 / 22.2; older Node 20 uses the table
 * version below, which computes the same value, so files move freely between Node versions.
 */
export function crc32(data: Uint8Array): number {
  const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32
  return native ? native(data) : crc32Js(data)
}

let table: Uint32Array | undefined

export function crc32Js(data: Uint8Array): number {
  table ??= makeTable()
  let crc = 0xffffffff
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

function makeTable(): Uint32Array {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
}

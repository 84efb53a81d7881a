/**
 * Sort keys for declared orderings. DynamoDB orders a query only by the sort key of the index it
 * reads, and compares string keys byte by byte (UTF-8, so by code point). Each declared ordering
 * (`orderBy: [['due'], ['n', 'title']]`) gets one string attribute, `pbBy_<fields>`, holding its
 * fields' values and the id, encoded so that byte order is portabase's order:
 * - per field: `1` + the value for a present value, `2` for null or missing (last, ascending);
 * - numbers (and integers, and Dates as epoch ms): 16 hex digits of the IEEE 754 bits, sign-adjusted
 *   (positives with the sign bit set, negatives inverted), so -Infinity < … < -0 = 0 < … < Infinity;
 * - booleans: `0` (false) < `1` (true);
 * - strings: their first STRING_PREFIX code points with characters up to `!` escaped, then a space
 *   as terminator (a shorter string sorts first, as a prefix should). Longer strings that share
 *   those code points are tied and fall back to the id (declared in the README): DynamoDB caps
 *   a sort key at 1,024 bytes;
 * - then the id (escaped, no terminator).
 */
import type { DocumentData, Value } from '../../src/types.js'
import type { AmplifyFieldType } from './schema.js'

/** Code points of a string value that take part in an ordering. */
export const STRING_PREFIX = 100

const PRESENT = '1'
const ABSENT = '2'
/** Above every key that starts with a given prefix (for "everything up to this prefix"). */
export const AFTER_PREFIX = '\u{10FFFF}'

function escaped(s: string): string {
  let out = ''
  for (const ch of s) {
    const code = ch.codePointAt(0)!
    out += code <= 0x21 ? `!${String.fromCharCode(0x40 + code)}` : ch
  }
  return out
}

function numberKey(n: number): string {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, n === 0 ? 0 : n) // -0 orders as 0
  const hi = view.getUint32(0)
  const lo = view.getUint32(4)
  const negative = hi >>> 31 === 1
  const h = negative ? ~hi >>> 0 : (hi | 0x80000000) >>> 0
  const l = negative ? ~lo >>> 0 : lo
  return h.toString(16).padStart(8, '0') + l.toString(16).padStart(8, '0')
}

function valueKey(type: AmplifyFieldType, value: Value | undefined): string {
  if (value === null || value === undefined) return ABSENT
  switch (type) {
    case 'number':
    case 'integer':
      return PRESENT + numberKey(value as number)
    case 'date':
      return PRESENT + numberKey((value as Date).getTime())
    case 'boolean':
      return PRESENT + (value ? '1' : '0')
    case 'string':
      return `${PRESENT}${escaped([...(value as string)].slice(0, STRING_PREFIX).join(''))} `
    default:
      throw new TypeError(`a ${type} field cannot be part of an ordering`)
  }
}

/** The fields' part of a key: equal for documents tied on every field. */
export function orderPrefix(fields: readonly string[], types: Readonly<Record<string, AmplifyFieldType>>, data: DocumentData): string {
  return fields.map((f) => valueKey(types[f]!, data[f])).join('')
}

/** The whole sort key: the fields' part, then the id. */
export function orderKey(fields: readonly string[], types: Readonly<Record<string, AmplifyFieldType>>, data: DocumentData, id: string): string {
  return orderPrefix(fields, types, data) + escaped(id)
}

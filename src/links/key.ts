import { valueTypeOf } from '../value-types.js'

/**
 * A deterministic string for a value, used to recognise identical requests: equal for structurally
 * equal JSON + Date values (and neutral value types) whatever their key order, different across types (`'1'` vs `1`, a Date vs
 * its ISO string). Undefined when the value cannot be keyed safely (functions, symbols, class
 * instances, cycles): callers then skip sharing rather than risk merging two different requests.
 */
export function stableKey(value: unknown): string | undefined {
  // The objects being visited, outermost first: a cycle points back into it. Only a cycle is
  // refused; the same object reached twice by different branches is fine.
  return keyOf(value, [])
}

/** Characters JSON.stringify escapes: without any, quoting is a plain concatenation (3× faster). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be detected
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/

/** JSON.stringify(s), faster for the common case. */
function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`
}

function keyOf(v: unknown, path: object[]): string | undefined {
  switch (typeof v) {
    case 'string':
      return quote(v)
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v)
    case 'boolean':
      return v ? 'true' : 'false'
    case 'undefined':
      return 'undefined'
    case 'bigint':
      return `${v}n`
    case 'function':
    case 'symbol':
      return undefined
  }
  if (v === null) return 'null'
  const obj = v as object
  if (obj instanceof Date) return `Date(${obj.getTime()})`
  if (obj instanceof Uint8Array) return `Bytes(${obj.join(',')})`
  // Neutral values (immutable, compared by content): their kind, then their JSON (toJSON).
  const kind = valueTypeOf(obj)
  if (kind !== undefined) return `${kind}${JSON.stringify(obj)}`
  if (path.includes(obj)) return undefined
  if (Array.isArray(obj)) {
    path.push(obj)
    let out = '['
    for (let i = 0; i < obj.length; i++) {
      const part = keyOf(obj[i], path)
      if (part === undefined) return undefined
      out += i === 0 ? part : `,${part}`
    }
    path.pop()
    return `${out}]`
  }
  const proto: unknown = Object.getPrototypeOf(obj)
  if (proto !== Object.prototype && proto !== null) return undefined
  const record = obj as Record<string, unknown>
  const keys = Object.keys(record)
  if (keys.length > 1) keys.sort()
  path.push(obj)
  let out = '{'
  let first = true
  for (const key of keys) {
    const field = record[key]
    // Absent and undefined-valued properties mean the same to every adapter, as in JSON.
    if (field === undefined) continue
    const part = keyOf(field, path)
    if (part === undefined) return undefined
    out += `${first ? '' : ','}${quote(key)}:${part}`
    first = false
  }
  path.pop()
  return `${out}}`
}

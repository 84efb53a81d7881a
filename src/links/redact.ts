/** Stands in for every value under a secret-looking name. */
export const REDACTED = '[REDACTED]'

/**
 * Name fragments that mark a secret, matched case-insensitively with separators ignored, so
 * `apiKey`, `X-API-KEY`, `refresh_token` and `dbPassword` all match. Over-redacting a harmless field
 * costs a log detail; under-redacting leaks a credential.
 */
const SECRET_FRAGMENTS = ['token', 'password', 'passwd', 'passphrase', 'secret', 'authorization', 'apikey', 'privatekey', 'credential', 'cookie', 'signature']
const SECRET_NAMES = new Set(['auth', 'pwd', 'pass', 'key', 'keys', 'otp', 'pin'])

export interface SummaryLimits {
  /** Deeper values print as `[Object]` / `[Array(n)]`. Counted from the args list: a write's data starts at depth 3. */
  maxDepth: number
  /** Longer strings are cut, with the count of characters left out. */
  maxString: number
  /** Items or properties past this are counted, not shown. */
  maxItems: number
}

export const DEFAULT_LIMITS: SummaryLimits = { maxDepth: 8, maxString: 120, maxItems: 20 }

/** Builds a predicate for secret names: the built-in fragments plus `extra` names (case-insensitive). */
export function secretMatcher(extra: readonly string[] = []): (name: string) => boolean {
  const configured = new Set(extra.map((n) => n.toLowerCase()))
  const isSecretSegment = (segment: string): boolean => {
    const lower = segment.toLowerCase()
    if (configured.has(lower)) return true
    const compact = lower.replace(/[^a-z0-9]/g, '')
    return SECRET_NAMES.has(compact) || compact.endsWith('key') || compact.endsWith('keys') || SECRET_FRAGMENTS.some((f) => compact.includes(f))
  }
  // Field paths (`profile.apiKey`, update keys, filter fields) are secret if any segment is.
  const decide = (name: string): boolean => configured.has(name.toLowerCase()) || name.split('.').some(isSecretSegment)
  // The same few names (query keys, document fields) come back on every call: remember the answers,
  // within a bound so arbitrary keys (ids as map keys) cannot grow it without limit.
  const known = new Map<string, boolean>()
  return (name) => {
    let secret = known.get(name)
    if (secret === undefined) {
      secret = decide(name)
      if (known.size >= MEMO_LIMIT) known.clear()
      known.set(name, secret)
    }
    return secret
  }
}

const MEMO_LIMIT = 2_048

/**
 * A bounded, JSON-safe copy of `value` for logs, with every value under a secret name replaced by
 * REDACTED at any depth, in objects and arrays alike. Query-aware: a filter on a secret field
 * (`{ field: 'password', value }`) has its value redacted, and a cursor (`startAfter`, the sort values
 * of a document) is never shown. Never returns references into `value`, so a logger that serialises
 * later cannot see data changed or added after the call.
 */
export function summarise(value: unknown, isSecret: (name: string) => boolean, limits: SummaryLimits = DEFAULT_LIMITS): unknown {
  // A flat list of strings and numbers (most args lists: a collection and an id) needs no walk state.
  if (Array.isArray(value) && limits.maxDepth > 0 && value.length <= limits.maxItems) {
    const flat = flatScalars(value, limits)
    if (flat !== undefined) return flat
  }
  // The objects being visited, outermost first (at most maxDepth deep): a cycle points back into it.
  return visit(value, 0, { isSecret, limits, path: [] })
}

/** The summary of a list of scalars, in one pass and without a closure; undefined if any item is not one. */
function flatScalars(list: readonly unknown[], limits: SummaryLimits): unknown[] | undefined {
  const out: unknown[] = new Array<unknown>(list.length)
  for (let i = 0; i < list.length; i++) {
    const v = list[i]
    if (!isPlainScalar(v)) return undefined
    out[i] = scalar(v as string | number | boolean, limits)
  }
  return out
}

function isPlainScalar(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
}

function scalar(v: string | number | boolean, limits: SummaryLimits): unknown {
  if (typeof v === 'string') return v.length > limits.maxString ? `${v.slice(0, limits.maxString)}…(+${v.length - limits.maxString} chars)` : v
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v)
  return v
}

interface Walk {
  readonly isSecret: (name: string) => boolean
  readonly limits: SummaryLimits
  readonly path: object[]
}

function visit(v: unknown, depth: number, walk: Walk): unknown {
  const { limits } = walk
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
      return scalar(v, limits)
    case 'undefined':
      return null
    case 'bigint':
      return `${v}n`
    case 'function':
      return '[Function]'
    case 'symbol':
      return '[Symbol]'
  }
  if (v === null) return null
  const obj = v as object
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString()
  if (ArrayBuffer.isView(obj)) return `[${obj.constructor.name} ${obj.byteLength} bytes]`
  if (obj instanceof ArrayBuffer) return `[ArrayBuffer ${obj.byteLength} bytes]`
  // Errors carry causes, stacks and vendor payloads: name only.
  if (obj instanceof Error) return `[${obj.name}]`
  if (obj instanceof Map || obj instanceof Set) return `[${obj.constructor.name}(${obj.size})]`
  const { path } = walk
  if (path.includes(obj)) return '[Circular]'
  if (depth >= limits.maxDepth) return Array.isArray(obj) ? `[Array(${obj.length})]` : '[Object]'
  path.push(obj)
  try {
    if (Array.isArray(obj)) {
      const shown = Math.min(obj.length, limits.maxItems)
      const out: unknown[] = new Array<unknown>(shown)
      for (let i = 0; i < shown; i++) out[i] = visit(obj[i], depth + 1, walk)
      if (obj.length > limits.maxItems) out.push(`…(+${obj.length - limits.maxItems} items)`)
      return out
    }
    const { isSecret } = walk
    const record = obj as Record<string, unknown>
    const keys = Object.keys(record)
    const secretFilter = record.kind === 'field' && typeof record.field === 'string' && isSecret(record.field)
    const out: Record<string, unknown> = {}
    const shown = Math.min(keys.length, limits.maxItems)
    for (let i = 0; i < shown; i++) {
      const key = keys[i]!
      if (isSecret(key) || (secretFilter && key === 'value')) out[key] = REDACTED
      else if (key === 'startAfter' && record[key] !== null && typeof record[key] === 'object') out[key] = '[cursor]'
      else out[key] = visit(record[key], depth + 1, walk)
    }
    if (keys.length > limits.maxItems) out['…'] = `+${keys.length - limits.maxItems} keys`
    return out
  } finally {
    path.pop()
  }
}

/**
 * A deterministic string for a value, used to recognise identical requests: equal for structurally
 * equal JSON + Date values whatever their key order, different across types (`'1'` vs `1`, a Date vs
 * its ISO string). Undefined when the value cannot be keyed safely (functions, symbols, class
 * instances, cycles): callers then skip sharing rather than risk merging two different requests.
 */
export function stableKey(value: unknown): string | undefined {
  const path = new Set<object>()
  const visit = (v: unknown): string | undefined => {
    switch (typeof v) {
      case 'string':
        return JSON.stringify(v)
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
    // Only a cycle is refused; the same object reached twice by different branches is fine.
    if (path.has(obj)) return undefined
    path.add(obj)
    try {
      if (Array.isArray(obj)) {
        const parts: string[] = []
        for (const item of obj) {
          const part = visit(item)
          if (part === undefined) return undefined
          parts.push(part)
        }
        return `[${parts.join(',')}]`
      }
      const proto: unknown = Object.getPrototypeOf(obj)
      if (proto !== Object.prototype && proto !== null) return undefined
      const record = obj as Record<string, unknown>
      const parts: string[] = []
      // Absent and undefined-valued properties mean the same to every adapter, as in JSON.
      for (const key of Object.keys(record).sort()) {
        if (record[key] === undefined) continue
        const part = visit(record[key])
        if (part === undefined) return undefined
        parts.push(`${JSON.stringify(key)}:${part}`)
      }
      return `{${parts.join(',')}}`
    } finally {
      path.delete(obj)
    }
  }
  return visit(value)
}

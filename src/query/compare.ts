import type { Value } from '../types.js'
import { compareValueTypes, valueTypeOf, type ValueType } from '../value-types.js'

/**
 * The one ordering every adapter agrees to (documented in docs/semantics.md):
 * - a missing field equals `null`;
 * - non-null values order by type first: boolean < number < Date < string < bytes < reference <
 *   geo point < array < object (Firestore's order, null aside);
 * - `null` sorts after every value ascending (and first descending), as PostgreSQL does;
 * - strings compare by Unicode code point (UTF-8 byte order), not by locale; bytes, references and
 *   geo points as value-types.ts says (bytewise; collection then id; latitude then longitude).
 */
export const TypeRank = { Boolean: 0, Number: 1, Date: 2, String: 3, Bytes: 4, Reference: 5, GeoPoint: 6, Array: 7, Object: 8, Null: 9 } as const
export type TypeRank = (typeof TypeRank)[keyof typeof TypeRank]

export function typeRank(value: Value | undefined): TypeRank {
  if (value === null || value === undefined) return TypeRank.Null
  switch (typeof value) {
    case 'boolean':
      return TypeRank.Boolean
    case 'number':
      return TypeRank.Number
    case 'string':
      return TypeRank.String
    default:
      if (value instanceof Date) return TypeRank.Date
      if (Array.isArray(value)) return TypeRank.Array
      switch (valueTypeOf(value)) {
        case 'bytes':
          return TypeRank.Bytes
        case 'reference':
          return TypeRank.Reference
        case 'geoPoint':
          return TypeRank.GeoPoint
        default:
          return TypeRank.Object
      }
  }
}

/** Code point order; JS `<` compares UTF-16 units, which misorders astral characters against U+E000–U+FFFF. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i)
    const cb = b.charCodeAt(i)
    if (ca !== cb) {
      // Only surrogates (0xD800–0xDFFF) disagree between UTF-16 and code point order.
      const sa = ca >= 0xd800 && ca <= 0xdfff
      const sb = cb >= 0xd800 && cb <= 0xdfff
      if (sa !== sb) return sa ? 1 : -1
      return ca < cb ? -1 : 1
    }
  }
  return a.length - b.length
}

/** Total order over values, consistent with `valuesEqual`. */
export function compareValues(a: Value | undefined, b: Value | undefined): number {
  const ra = typeRank(a)
  const rb = typeRank(b)
  if (ra !== rb) return ra - rb
  switch (ra) {
    case TypeRank.Null:
      return 0
    case TypeRank.Boolean:
      return a === b ? 0 : a ? 1 : -1
    case TypeRank.Number:
      return (a as number) - (b as number)
    case TypeRank.Date:
      return (a as Date).getTime() - (b as Date).getTime()
    case TypeRank.String:
      return compareStrings(a as string, b as string)
    case TypeRank.Bytes:
    case TypeRank.Reference:
    case TypeRank.GeoPoint:
      return compareValueTypes(a as ValueType, b as ValueType)
    case TypeRank.Array: {
      const xa = a as Value[]
      const xb = b as Value[]
      const n = Math.min(xa.length, xb.length)
      for (let i = 0; i < n; i++) {
        const c = compareValues(xa[i], xb[i])
        if (c !== 0) return c
      }
      return xa.length - xb.length
    }
    default: {
      const oa = a as Record<string, Value>
      const ob = b as Record<string, Value>
      const ka = Object.keys(oa).sort(compareStrings)
      const kb = Object.keys(ob).sort(compareStrings)
      const n = Math.min(ka.length, kb.length)
      for (let i = 0; i < n; i++) {
        const kc = compareStrings(ka[i]!, kb[i]!)
        if (kc !== 0) return kc
        const vc = compareValues(oa[ka[i]!], ob[kb[i]!])
        if (vc !== 0) return vc
      }
      return ka.length - kb.length
    }
  }
}

export function valuesEqual(a: Value | undefined, b: Value | undefined): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object') return (a ?? null) === (b ?? null)
  return compareValues(a, b) === 0
}

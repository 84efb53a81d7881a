/**
 * Neutral values against `capabilities.valueTypes`, checked once here for every adapter: a write
 * holding a type the adapter does not store, or a query comparing with one it cannot query, fails
 * with `unsupported` before the adapter is called, so no adapter stores something else in its place.
 */
import { PortabaseError } from '../errors.js'
import { fieldFilters, type Query } from '../query/model.js'
import { isSentinel, type WriteData } from '../sentinels.js'
import type { Adapter, ValueTypeSupport } from '../spi.js'
import type { Value } from '../types.js'
import { valueTypeOf, type ValueTypeName } from '../value-types.js'

const LABEL: Record<ValueTypeName, string> = { geoPoint: 'GeoPoint', reference: 'Reference', bytes: 'Bytes' }

interface Found {
  type: ValueTypeName
  path: string
}

/** The first neutral value in `value`, at any depth, whose type `accepts` refuses. */
function findRefused(value: Value, path: string, accepts: (type: ValueTypeName) => boolean): Found | undefined {
  if (value === null || typeof value !== 'object' || value instanceof Date) return undefined
  const type = valueTypeOf(value)
  if (type !== undefined) return accepts(type) ? undefined : { type, path }
  const entries: [string, Value][] = Array.isArray(value) ? value.map((v, i) => [`${path}[${i}]`, v]) : Object.entries(value).map(([k, v]) => [`${path}.${k}`, v])
  for (const [childPath, child] of entries) {
    const found = findRefused(child, childPath, accepts)
    if (found) return found
  }
  return undefined
}

const at = (adapter: Adapter, level: ValueTypeSupport) => (type: ValueTypeName): boolean => {
  const support = adapter.capabilities.valueTypes[type]
  return level === 'stored' ? support !== 'none' : support === 'queryable'
}

/** Refuses write data (values and arrayUnion/arrayRemove operands) holding a type the adapter does not store. */
export function assertStorableValueTypes(adapter: Adapter, data: WriteData): void {
  const stores = at(adapter, 'stored')
  for (const [field, value] of Object.entries(data)) {
    const values = isSentinel(value) ? (value.kind === 'arrayUnion' || value.kind === 'arrayRemove' ? value.values : []) : [value]
    for (const v of values) {
      const found = findRefused(v, field, stores)
      if (found) {
        throw new PortabaseError('unsupported', `${LABEL[found.type]} values (field ${found.path}) are not supported by the ${adapter.name} adapter`, {
          provider: adapter.name,
          details: { field: found.path, valueType: found.type },
        })
      }
    }
  }
}

/** Refuses a query whose filters or cursor compare with a type the adapter cannot query. */
export function assertQueryableValueTypes(adapter: Adapter, query: Query): void {
  const queries = at(adapter, 'queryable')
  const compared: [string, Value][] = fieldFilters(query.filters).map((f) => [f.field, f.value])
  for (const v of query.startAfter?.values ?? []) compared.push(['the cursor', v])
  for (const [field, value] of compared) {
    const found = findRefused(value, field, queries)
    if (found) {
      const stored = adapter.capabilities.valueTypes[found.type] === 'stored' ? ' (it stores them, but cannot query them)' : ''
      throw new PortabaseError('unsupported', `Queries comparing with ${LABEL[found.type]} values (${found.path}) are not supported by the ${adapter.name} adapter${stored}`, {
        provider: adapter.name,
        details: { field: found.path, valueType: found.type },
      })
    }
  }
}

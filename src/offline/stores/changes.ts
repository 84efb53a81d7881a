/**
 * Checks shared by every LocalStore: a commit is validated (and copied) in full before anything is
 * applied, which is what makes a commit with one bad change apply nothing, on every store alike.
 */
import { invalidArgument, PortabaseError } from '../../errors.js'
import { STORE_TABLES, type StoreChange, type StoredValue, type StoreTable } from '../store.js'

/**
 * Validated deep copies of `changes`; throws `invalid-argument` naming the first bad change.
 * `copy: false`: the values are checked the same way but not copied, for a store that serialises
 * them before commit() returns (a copy of 100k documents would be thrown away at once).
 */
export function checkChanges(changes: unknown, store: string, copy = true): StoreChange[] {
  if (!Array.isArray(changes)) throw invalidArgument(`${store}: commit() takes an array of changes`, { store })
  return changes.map((change: unknown, index) => checkChange(change, `changes[${index}]`, store, copy))
}

export function checkTable(table: unknown, store: string): StoreTable {
  if (!STORE_TABLES.includes(table as StoreTable)) {
    throw invalidArgument(`${store}: unknown table ${describe(table)}; tables are ${STORE_TABLES.join(', ')}`, { store })
  }
  return table as StoreTable
}

/** The `prefix` of entries() options ('' when none); throws `invalid-argument` for a non-string. */
export function checkPrefix(options: unknown, store: string): string {
  const prefix = (options as { prefix?: unknown } | undefined)?.prefix ?? ''
  if (typeof prefix !== 'string') throw invalidArgument(`${store}: entries() options.prefix must be a string`, { store })
  return prefix
}

/** The least string greater than every string starting with `prefix` (undefined: none, all \uffff). */
export function prefixEnd(prefix: string): string | undefined {
  let end = prefix
  while (end.length > 0 && end.charCodeAt(end.length - 1) === 0xffff) end = end.slice(0, -1)
  if (end === '') return undefined
  return end.slice(0, -1) + String.fromCharCode(end.charCodeAt(end.length - 1) + 1)
}

/**
 * A copy of a JSON value, refusing what JSON would silently change (undefined, NaN, functions,
 * Dates, class instances, sparse arrays, cycles): every store must give back exactly what it took.
 */
export function copyValue(value: unknown, path: string, store: string): StoredValue {
  return copy(value, path, store, [])
}

/** Applies one checked change to a table's rows. */
export function applyChange(rows: Map<string, StoredValue>, change: StoreChange): void {
  if ('delete' in change) rows.delete(change.key)
  else rows.set(change.key, change.value)
}

/** The error for calls on a store that is not open (never opened, or closed). */
export function notOpen(store: string): PortabaseError {
  return new PortabaseError('failed-precondition', `${store}: the store is not open (call open() first, or again after close())`, {
    details: { store },
  })
}

function checkChange(change: unknown, path: string, store: string, copying: boolean): StoreChange {
  if (!isPlainObject(change)) throw invalidArgument(`${store}: ${path} is not a change object`, { store, path })
  const table = checkTable(change.table, store)
  const key = change.key
  if (typeof key !== 'string') throw invalidArgument(`${store}: ${path}.key must be a string`, { store, path })
  if ('delete' in change) {
    if (change.delete !== true || 'value' in change) {
      throw invalidArgument(`${store}: ${path} must be either { value } or { delete: true }`, { store, path })
    }
    return { table, key, delete: true }
  }
  if (!('value' in change)) throw invalidArgument(`${store}: ${path} has neither a value nor delete: true`, { store, path })
  if (!copying) {
    check(change.value, `${path}.value`, store, [])
    return { table, key, value: change.value as StoredValue }
  }
  return { table, key, value: copy(change.value, `${path}.value`, store, []) }
}

/**
 * Where a value sits, built as a chain and spelt out only for an error message: a commit of many
 * documents would otherwise build a path string per field it copies.
 */
type Path = string | { parent: Path; key: string | number }

function pathText(path: Path): string {
  if (typeof path === 'string') return path
  const parent = pathText(path.parent)
  return typeof path.key === 'number' ? `${parent}[${path.key}]` : `${parent}.${path.key}`
}

function copy(value: unknown, path: Path, store: string, ancestors: object[]): StoredValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      if (!Number.isFinite(value)) throw notJson(pathText(path), store, String(value))
      return value === 0 ? 0 : value // -0 would come back as 0 from a JSON file: normalise everywhere
    case 'object':
      if (value === null) return null
      if (ancestors.includes(value)) throw notJson(pathText(path), store, 'a circular reference')
      ancestors.push(value)
      try {
        if (Array.isArray(value)) {
          const out: StoredValue[] = []
          for (let i = 0; i < value.length; i++) {
            if (!(i in value)) throw notJson(pathText({ parent: path, key: i }), store, 'a hole in a sparse array')
            const item: unknown = value[i]
            out.push(isPlainScalar(item) ? item : copy(item, { parent: path, key: i }, store, ancestors))
          }
          return out
        }
        if (!isPlainObject(value)) throw notJson(pathText(path), store, `an instance of ${value.constructor?.name ?? 'a class'}`)
        const out: { [key: string]: StoredValue } = {}
        for (const key of Object.keys(value)) {
          const item = value[key]
          const field = isPlainScalar(item) ? item : copy(item, { parent: path, key }, store, ancestors)
          // defineProperty for "__proto__": a plain assignment would change the copy's prototype.
          if (key === '__proto__') Object.defineProperty(out, key, { value: field, enumerable: true, writable: true, configurable: true })
          else out[key] = field
        }
        return out
      } finally {
        ancestors.pop()
      }
    default:
      throw notJson(pathText(path), store, typeof value)
  }
}

/** What `copy` refuses, refused the same way, without copying. */
function check(value: unknown, path: Path, store: string, ancestors: object[]): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return
    case 'number':
      if (!Number.isFinite(value)) throw notJson(pathText(path), store, String(value))
      return
    case 'object':
      if (value === null) return
      if (ancestors.includes(value)) throw notJson(pathText(path), store, 'a circular reference')
      ancestors.push(value)
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) throw notJson(pathText({ parent: path, key: i }), store, 'a hole in a sparse array')
          if (!isPlainScalar(value[i])) check(value[i], { parent: path, key: i }, store, ancestors)
        }
      } else {
        if (!isPlainObject(value)) throw notJson(pathText(path), store, `an instance of ${value.constructor?.name ?? 'a class'}`)
        for (const key in value) if (Object.hasOwn(value, key) && !isPlainScalar(value[key])) check(value[key], { parent: path, key }, store, ancestors)
      }
      ancestors.pop()
      return
    default:
      throw notJson(pathText(path), store, typeof value)
  }
}

/**
 * A scalar kept as it is: string, boolean, null, a finite number other than -0. Checked inline by
 * the walks, so most fields cost no call and no path object (-0 and the rest take the full path).
 */
function isPlainScalar(value: unknown): value is string | boolean | number | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0)
    default:
      return value === null
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function notJson(path: string, store: string, what: string): PortabaseError {
  return invalidArgument(`${store}: ${path} is ${what}, which is not a JSON value`, { store, path })
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : typeof value
}

/**
 * What one adapter knows about the columns of each class: which exist and their Parse type.
 * Learned for free from every object read or written; probed (one small query per field) only when
 * a query or write needs a field it has never seen. Only positive knowledge is kept: a column, once
 * it exists, keeps its type (unless someone deletes it from the schema with the master key).
 */
import { NULLS_COLUMN, parseTypeOf, type FieldType, type ParseObjectJSON } from './codec.js'
import type { FieldKnowledge } from './query-translate.js'

type Known = FieldType | 'untyped'

export class FieldCatalog {
  private readonly classes = new Map<string, Map<string, Known>>()

  private columns(className: string): Map<string, Known> {
    let map = this.classes.get(className)
    if (!map) this.classes.set(className, (map = new Map()))
    return map
  }

  /** The column's knowledge, or undefined when the adapter has not seen it. */
  known(className: string, column: string): FieldKnowledge | undefined {
    const known = this.classes.get(className)?.get(column)
    if (known === undefined) return undefined
    return known === 'untyped' ? { state: 'untyped' } : { state: 'typed', type: known }
  }

  exists(className: string, column: string): boolean {
    return this.classes.get(className)?.has(column) ?? false
  }

  learnColumn(className: string, column: string, type: Known): void {
    const columns = this.columns(className)
    if (type !== 'untyped' || !columns.has(column)) columns.set(column, type)
  }

  /** Every non-null column of a stored object exists, with the type of its value. */
  learnObject(className: string, json: ParseObjectJSON): void {
    for (const [column, value] of Object.entries(json)) {
      const type = parseTypeOf(value)
      if (type !== null) this.learnColumn(className, column, type)
    }
  }

  /** After a successful write: columns written with a value or an op that creates them. */
  learnWrite(className: string, body: Record<string, unknown>): void {
    for (const [key, value] of Object.entries(body)) {
      if (key === 'objectId') continue
      if (key.includes('.')) {
        this.learnColumn(className, key.slice(0, key.indexOf('.')), 'Object')
        continue
      }
      const op = value !== null && typeof value === 'object' ? (value as { __op?: unknown }).__op : undefined
      if (op === 'Increment') this.learnColumn(className, key, 'Number')
      else if (op === 'Add' || op === 'AddUnique' || op === 'Remove') this.learnColumn(className, key, 'Array')
      else if (op === undefined) {
        const type = parseTypeOf(value)
        if (type !== null) this.learnColumn(className, key, type)
      }
    }
  }

  /** The `pb_nulls` column exists (so dotted deletes under it are accepted). */
  hasNullMarkers(className: string): boolean {
    return this.exists(className, NULLS_COLUMN)
  }
}

/**
 * Neutral value types: what document vendors share beyond JSON and `Date`, defined once here and
 * mapped by each adapter's codec (capability `valueTypes` says which an adapter stores and queries).
 *
 * Instances are immutable (frozen) and validated when made, so a value
 * that exists is storable everywhere its type is. Equality is by content (`isEqual`, and the same
 * in queries). They are recognised by a registered symbol rather than `instanceof`, as sentinels and
 * PortabaseError are, so a value made by another copy of portabase (an ESM and a CJS build in one
 * app) is still recognised.
 */
import { invalidArgument } from './errors.js'
import { assertCollectionName, assertDocId } from './names.js'

const KIND = Symbol.for('portabase.valueType')

export const VALUE_TYPES = ['geoPoint', 'reference', 'bytes'] as const
export type ValueTypeName = (typeof VALUE_TYPES)[number]
export type ValueType = GeoPoint | Reference | Bytes

/** Which neutral type a value is, or undefined for anything else. */
export function valueTypeOf(value: unknown): ValueTypeName | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  return (value as { [KIND]?: ValueTypeName })[KIND]
}

function coordinate(name: string, value: unknown, limit: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < -limit || value > limit) {
    throw invalidArgument(`A GeoPoint's ${name} must be a number from -${limit} to ${limit}; got ${typeof value === 'number' ? value : typeof value}`)
  }
  // -0 becomes 0: JSON and every vendor lose the sign, so a round trip must not change the value.
  return value + 0
}

/** A point on Earth: latitude −90…90 and longitude −180…180, in degrees (WGS 84). */
export class GeoPoint {
  readonly latitude: number
  readonly longitude: number

  constructor(latitude: number, longitude: number) {
    this.latitude = coordinate('latitude', latitude, 90)
    this.longitude = coordinate('longitude', longitude, 180)
    Object.freeze(this)
  }

  isEqual(other: unknown): boolean {
    return valueTypeOf(other) === 'geoPoint' && compareValueTypes(this, other as GeoPoint) === 0
  }

  toJSON(): { latitude: number; longitude: number } {
    return { latitude: this.latitude, longitude: this.longitude }
  }

  toString(): string {
    return `GeoPoint(${this.latitude}, ${this.longitude})`
  }
}

/**
 * A pointer to a document of a top-level collection, stored as the vendor's own reference type
 * (Firestore DocumentReference, Parse Pointer). Nothing checks that the document exists.
 */
export class Reference {
  readonly collection: string
  readonly id: string

  constructor(collection: string, id: string) {
    assertCollectionName(collection)
    assertDocId(id)
    this.collection = collection
    this.id = id
    Object.freeze(this)
  }

  /** The reference to a document you hold a ref of: `Reference.of(app.db.collection('users').doc(uid))`. */
  static of(doc: { readonly collection: string; readonly id: string }): Reference {
    return new Reference(doc.collection, doc.id)
  }

  get path(): string {
    return `${this.collection}/${this.id}`
  }

  isEqual(other: unknown): boolean {
    return valueTypeOf(other) === 'reference' && compareValueTypes(this, other as Reference) === 0
  }

  toJSON(): { collection: string; id: string } {
    return { collection: this.collection, id: this.id }
  }

  toString(): string {
    return `Reference(${this.path})`
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

function isUint8Array(value: unknown): value is Uint8Array {
  // Not instanceof: typed arrays from another realm (a worker, a test VM) are Uint8Arrays too.
  return ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === '[object Uint8Array]'
}

/**
 * A byte string (Firestore Bytes, Parse Bytes). Holds its content as canonical base64 in an own
 * property, so deep-equality helpers (jest's toEqual, node:assert) compare content, a copy of the
 * caller's array is never kept, and freezing works (a typed array with elements cannot be frozen).
 */
export class Bytes {
  private readonly base64: string

  private constructor(base64: string) {
    this.base64 = base64
    Object.freeze(this)
  }

  static fromUint8Array(bytes: Uint8Array): Bytes {
    if (!isUint8Array(bytes)) throw invalidArgument(`Bytes.fromUint8Array() needs a Uint8Array; got ${typeof bytes}`)
    return new Bytes(encodeBase64(bytes))
  }

  static fromBase64(base64: string): Bytes {
    if (typeof base64 !== 'string' || !BASE64.test(base64)) {
      throw invalidArgument('Bytes.fromBase64() needs standard, padded base64 (A–Z a–z 0–9 + /)')
    }
    // Re-encoded: two spellings of the same bytes (unused low bits set) become one.
    return new Bytes(encodeBase64(decodeBase64(base64)))
  }

  get length(): number {
    const padding = this.base64.endsWith('==') ? 2 : this.base64.endsWith('=') ? 1 : 0
    return (this.base64.length / 4) * 3 - padding
  }

  /** A new array holding the bytes. */
  toUint8Array(): Uint8Array {
    return decodeBase64(this.base64)
  }

  toBase64(): string {
    return this.base64
  }

  isEqual(other: unknown): boolean {
    return valueTypeOf(other) === 'bytes' && (other as Bytes).toBase64() === this.base64
  }

  toJSON(): { base64: string } {
    return { base64: this.base64 }
  }

  toString(): string {
    return `Bytes(${this.length} bytes)`
  }
}

function encodeBase64(bytes: Uint8Array): string {
  let binary = ''
  // In slices: String.fromCharCode takes its arguments on the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

function decodeBase64(base64: string): Uint8Array {
  const binary = atob(base64)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

for (const [type, kind] of [
  [GeoPoint, 'geoPoint'],
  [Reference, 'reference'],
  [Bytes, 'bytes'],
] as const) {
  Object.defineProperty(type.prototype, KIND, { value: kind })
}

/**
 * Order of two values of the same neutral type, as Firestore orders them: geo points by latitude
 * then longitude; references by collection then id; bytes byte by byte (unsigned), a prefix first.
 */
export function compareValueTypes(a: ValueType, b: ValueType): number {
  switch (valueTypeOf(a)) {
    case 'geoPoint': {
      const x = a as GeoPoint
      const y = b as GeoPoint
      return x.latitude - y.latitude || x.longitude - y.longitude
    }
    case 'reference': {
      const x = a as Reference
      const y = b as Reference
      // Names and ids are ASCII (names.ts), where UTF-16 order is code point order.
      if (x.collection !== y.collection) return x.collection < y.collection ? -1 : 1
      return x.id === y.id ? 0 : x.id < y.id ? -1 : 1
    }
    default: {
      const x = (a as Bytes).toUint8Array()
      const y = (b as Bytes).toUint8Array()
      const n = Math.min(x.length, y.length)
      for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!
      return x.length - y.length
    }
  }
}

/**
 * Documents as the DynamoDB items the Amplify adapter's resolvers store (measured against the
 * transformer's VTL on the AppSync simulator): `id`, `__typename`, `pbPart: 'all'`, `pbDeleted`,
 * `createdAt`/`updatedAt` (ISO), the composite sort key `updatedAt#id` of the `pbFeed` index,
 * each field in its attribute (schema.ts `attributeOf`), top-level nulls listed in `pbNulls`,
 * each declared ordering's key (order-key.ts). AWSJSON fields hold the parsed value (a map, list
 * or scalar), as AppSync stores it. The owner of an `owner` collection is written as the adapter
 * writes a document that names its owner: the bare uid.
 */
import type { Doc } from '../../types.js'
import { decodeItem, encodeWrite, orderKeysOf, type Item, type ModelInfo } from '../../../adapters/amplify/graphql.js'
import { OWNER, PARTITION } from '../../../adapters/amplify/schema.js'

/** Scan filter: live items only (a deletion is a tombstone, `pbDeleted = true`). */
export const LIVE_FILTER = {
  FilterExpression: 'attribute_not_exists(#deleted) OR #deleted <> :deleted',
  ExpressionAttributeNames: { '#deleted': 'pbDeleted' },
  ExpressionAttributeValues: { ':deleted': { BOOL: true } },
} as const

export function itemOfDoc(m: ModelInfo, doc: Doc): Record<string, unknown> {
  const encoded = encodeWrite(m, doc.data, false)
  const values: Record<string, unknown> = {}
  for (const [attribute, value] of Object.entries(encoded.values)) {
    if (value === null) continue // listed in pbNulls
    values[attribute] = m.fields[fieldOf(m, attribute)] === 'json' ? JSON.parse(value as string) : value
  }
  const updated = new Date(doc.meta.updateTime).toISOString()
  return {
    ...values,
    ...(m.owner && encoded.owner !== undefined ? { [OWNER]: encoded.owner } : {}),
    ...orderKeysOf(m, doc.data, doc.id),
    ...(encoded.nulls.length > 0 ? { pbNulls: encoded.nulls } : {}),
    id: doc.id,
    __typename: m.model,
    pbPart: PARTITION,
    pbDeleted: false,
    createdAt: updated,
    updatedAt: updated,
    'updatedAt#id': `${updated}#${doc.id}`,
  }
}

export function docOfItem(m: ModelInfo, item: Record<string, unknown>): Doc {
  // decodeItem reads AWSJSON as AppSync serves it (text); DynamoDB holds the parsed value.
  const served: Item = { ...(item as Item) }
  for (const [field, type] of Object.entries(m.fields)) {
    const attribute = m.attributes[field]!
    if (type === 'json' && served[attribute] !== undefined && served[attribute] !== null) served[attribute] = JSON.stringify(served[attribute])
  }
  return decodeItem(m, served)
}

const fieldOf = (m: ModelInfo, attribute: string): string => Object.keys(m.attributes).find((f) => m.attributes[f] === attribute) ?? attribute

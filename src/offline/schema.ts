/**
 * The local store's schema version and its migrations. Each migration turns the store's contents
 * at version n−1 into version n, as one atomic commit with the new version number, so a crash
 * during an upgrade leaves the old version intact and the upgrade simply runs again.
 */
import { PortabaseError } from '../errors.js'
import { LEGACY_PREFIX } from './partition.js'
import type { LocalStore, StoreChange, StoredValue, StoreTable } from './store.js'

export const SCHEMA_VERSION_KEY = 'schemaVersion'

export interface StoreSnapshot {
  docs: Array<[string, StoredValue]>
  outbox: Array<[string, StoredValue]>
  meta: Array<[string, StoredValue]>
}

export interface Migration {
  /** The version this migration produces. */
  to: number
  describe: string
  migrate(snapshot: StoreSnapshot): StoreChange[]
}

/** Keys at the top level of `meta` that belong to the store, not to a user's partition. */
const STORE_META = new Set([SCHEMA_VERSION_KEY, 'openedBy'])

/**
 * Version 1: the first layout (docs keyed `collection/id`, outbox keyed by a zero-padded sequence).
 * Version 2: one partition per user (partition.ts); a version-1 store's contents move to the legacy
 * partition, which the first user to open the store adopts (a store used to belong to one user).
 * Version 3: a queued write whose base is its document's stored row refers to the row instead of
 * repeating it (cache.ts, `BASE_IS_ROW`). Nothing to convert: full bases still read. The number
 * changes so that an earlier portabase, which would misread such a write, refuses the store.
 * Version 4: a document row keeps its version and update time as one string (cache.ts,
 * `StoredState`) and its write id only when set. Nothing to convert: older rows still read, and
 * are written anew as their documents change; the number changes for the same reason as 3's.
 */
export const MIGRATIONS: readonly Migration[] = [
  { to: 1, describe: 'initial layout', migrate: () => [] },
  {
    to: 2,
    describe: 'one partition per user',
    migrate: (snapshot) => {
      const changes: StoreChange[] = []
      for (const table of ['docs', 'outbox', 'meta'] as const) {
        for (const [key, value] of snapshot[table]) {
          if (table === 'meta' && STORE_META.has(key)) continue
          changes.push({ table, key, delete: true }, { table, key: LEGACY_PREFIX + key, value })
        }
      }
      return changes
    },
  },
  { to: 3, describe: 'queued writes may refer to their document row for their base', migrate: () => [] },
  { to: 4, describe: "document rows keep version and update time as one string", migrate: () => [] },
]

export const CURRENT_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.to

async function snapshotOf(store: LocalStore): Promise<StoreSnapshot> {
  const read = (table: StoreTable): Promise<Array<[string, StoredValue]>> => store.entries(table)
  return { docs: await read('docs'), outbox: await read('outbox'), meta: await read('meta') }
}

/** Opens the store and brings it to the newest schema version. Returns the snapshot after migrating. */
export async function openAndMigrate(store: LocalStore, migrations: readonly Migration[] = MIGRATIONS): Promise<StoreSnapshot> {
  await store.open()
  let snapshot = await snapshotOf(store)
  const stored = snapshot.meta.find(([key]) => key === SCHEMA_VERSION_KEY)?.[1]
  let version = typeof stored === 'number' ? stored : 0
  const newest = migrations[migrations.length - 1]?.to ?? 0
  if (version > newest) {
    throw new PortabaseError(
      'failed-precondition',
      `The local store "${store.name}" has schema version ${version}, newer than this portabase (${newest}). Upgrade portabase or clear the store.`,
    )
  }
  for (const migration of migrations) {
    if (migration.to <= version) continue
    const changes = migration.migrate(snapshot)
    await store.commit([...changes, { table: 'meta', key: SCHEMA_VERSION_KEY, value: migration.to }])
    version = migration.to
    snapshot = await snapshotOf(store)
  }
  return snapshot
}

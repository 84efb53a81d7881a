/** What a migration moves, from the source's config file (and CLI overrides). */
export interface Selection {
  collections: string[]
  /** Storage path prefixes ('' = every file); empty: no files. */
  storagePrefixes: string[]
  /** Remote config keys, 'all', or null for none. */
  configKeys: string[] | 'all' | null
  users: boolean
}

/**
 * What `adapters/supabase/setup.sql` is generated from: the contract fixtures (test/contract/
 * FIXTURES.md) — the owner-only `owned` collection and the config table. An app generates its own
 * with `supabaseSetupSql({ collections: [...] })`. Regenerate the file with `npm run supabase:sql`.
 */
import type { SupabaseSetupOptions } from './sql.js'

export const SETUP_OPTIONS: SupabaseSetupOptions = {
  collections: [{ name: 'owned', access: 'owner' }],
  config: true,
}

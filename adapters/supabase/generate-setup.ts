/**
 * `npm run supabase:sql`: writes adapters/supabase/setup.sql from setup-options.ts.
 * `npm run supabase:sql -- todos:owner notes`: prints the SQL for those collections instead
 * (`name` or `name:owner` / `name:public`), to run in the SQL editor or with psql.
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { SETUP_OPTIONS } from './setup-options.js'
import { supabaseSetupSql, type SupabaseCollection } from './sql.js'

const args = process.argv.slice(2)
if (args.length === 0) {
  writeFileSync(fileURLToPath(new URL('./setup.sql', import.meta.url)), supabaseSetupSql(SETUP_OPTIONS))
} else {
  const collections = args.map((arg): SupabaseCollection => {
    const [name = '', access = 'public'] = arg.split(':')
    if (access !== 'public' && access !== 'owner') throw new Error(`"${arg}": access must be public or owner`)
    return { name, access }
  })
  process.stdout.write(supabaseSetupSql({ collections }))
}

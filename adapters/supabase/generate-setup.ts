/** `npm run supabase:sql`: writes adapters/supabase/setup.sql from setup-options.ts. */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { SETUP_OPTIONS } from './setup-options.js'
import { supabaseSetupSql } from './sql.js'

writeFileSync(fileURLToPath(new URL('./setup.sql', import.meta.url)), supabaseSetupSql(SETUP_OPTIONS))

/** Live migrate target or source: the Supabase project, with the service-role key from the environment. */
import { liveNames } from './names.js'

export default () => {
  const names = liveNames(process.env.MIGRATE_RUN!)
  return {
    adapter: 'supabase',
    options: { url: process.env.SUPABASE_URL, serviceRoleKey: process.env.SUPABASE_SERVICE_ROLE_KEY },
    collections: [names.todos, names.lists],
    storage: { prefixes: [names.prefix] },
    config: { keys: ['theme', 'maxItems', 'beta'].map((k) => `${names.configPrefix}${k}`) },
    users: false,
  }
}

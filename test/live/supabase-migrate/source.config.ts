/** Live migrate source: a memory backend with the fixtures under this run's names (env MIGRATE_RUN). */
import { pbkdf2Sync, randomBytes } from 'node:crypto'
import { memory } from '../../../adapters/memory/index.js'
import { FIXTURE_CONFIG, FIXTURE_FILES, FIXTURE_LISTS, fixtureDocs } from '../../migrate/fixtures.js'
import { liveNames } from './names.js'

export default async () => {
  const names = liveNames(process.env.MIGRATE_RUN!)
  const adapter = memory()
  adapter.backend.seed(names.todos, fixtureDocs(300))
  adapter.backend.seed(names.lists, FIXTURE_LISTS)
  for (const [path, file] of Object.entries(FIXTURE_FILES)) {
    adapter.backend.files.set(`${names.prefix}${path}`, { bytes: file.bytes, contentType: file.contentType, metadata: { origin: 'fixture' }, updated: new Date(Date.UTC(2024, 1, 2)) })
  }
  adapter.backend.setConfig(Object.fromEntries(Object.entries(FIXTURE_CONFIG).map(([k, v]) => [`${names.configPrefix}${k}`, v])))
  // A password account with a UUID (GoTrue's ids) and a PBKDF2 hash (which GoTrue cannot take: must reset).
  const salt = randomBytes(16)
  const user = { uid: names.userId, email: names.email, displayName: 'Live Migrate', photoURL: null, isAnonymous: false, providerId: 'password' }
  adapter.backend.users.set(user.uid, { user, salt, passwordHash: pbkdf2Sync('pw-123456', salt, adapter.backend.passwordIterations, 32, 'sha256') })
  return { adapter, collections: [names.todos, names.lists], storage: { prefixes: [names.prefix] }, config: true, users: true }
}

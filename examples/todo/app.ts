/**
 * The todo app itself. It knows only the neutral portabase API: the same code runs on every adapter.
 */
import { filter, firstValueFrom, type Subscription } from 'rxjs'
import type { PortabaseClient } from '../../src/index.js'

export interface Todo {
  title: string
  done: boolean
  owner: string
  createdAt: Date
  attachment: string | null
}

export type Log = (line: string) => void

export async function runTodoApp(app: PortabaseClient, log: Log): Promise<void> {
  // Remote config: a feature flag with a local default.
  app.config.setDefaults({ showCompleted: true, welcome: 'Welcome!' })
  await app.config.fetchAndActivate().catch((error: Error) => log(`config: using defaults (${error.message})`))
  log(`config: welcome = "${app.config.get('welcome').asString()}", showCompleted = ${app.config.get('showCompleted').asBoolean()}`)

  // Auth: a fresh account each run.
  const email = `demo-${Date.now().toString(36)}@example.com`
  const user = await app.auth.signUp({ email, password: 'correct horse battery' })
  log(`auth: signed up ${user.email} (uid ${user.uid})`)

  // Documents: a per-user list, watched live.
  const todos = app.db.collection<Todo>('todos')
  const mine = todos.where('owner', '==', user.uid).orderBy('createdAt', 'asc')
  const watching: Subscription = mine.watch().subscribe((snapshot) => {
    for (const change of snapshot.changes) log(`  watch: ${change.type} "${change.doc.data.title}"${change.doc.data.done ? ' ✓' : ''}`)
  })

  const titles = ['Buy milk', 'Write the report', 'Call the plumber']
  const refs = []
  for (const [i, title] of titles.entries()) {
    refs.push(await todos.add({ title, done: false, owner: user.uid, createdAt: new Date(Date.UTC(2030, 0, 1, 9, i)), attachment: null }))
  }
  log(`db: added ${refs.length} todos`)

  await refs[0]!.update({ done: true })
  log(`db: completed "${titles[0]}"`)

  // Storage: attach a file to a todo.
  const path = `attachments/${user.uid}/report.txt`
  const upload = app.storage.upload(path, new TextEncoder().encode('Quarterly report, draft 1'), { contentType: 'text/plain' })
  upload.subscribe((p) => log(`  upload: ${p.state} ${Math.round(p.fraction * 100)}%`))
  const file = await upload
  await refs[1]!.update({ attachment: file.path })
  log(`storage: attached ${file.path} (${file.size} bytes)`)

  // Functions: server-side logic with the caller's identity.
  const invite = await app.functions.call<{ email: string }, { invited: string; by: string | null }>('sendInvite', { email: 'friend@example.com' })
  log(`functions: sendInvite → invited ${invite.invited} (by ${invite.by === user.uid ? 'me' : invite.by})`)

  // Wait until the live query has seen the last update, then list.
  await firstValueFrom(mine.watch().pipe(filter((s) => s.docs.some((d) => d.data.attachment !== null))))
  const showCompleted = app.config.get('showCompleted').asBoolean()
  const list = showCompleted ? mine : mine.where('done', '==', false)
  const { docs } = await list.get()
  log(`list (${docs.length}, showCompleted=${showCompleted}):`)
  for (const doc of docs) log(`  [${doc.data.done ? 'x' : ' '}] ${doc.data.title}${doc.data.attachment ? ` 📎 ${doc.data.attachment}` : ''}`)
  log(`count of open todos: ${await todos.where('owner', '==', user.uid).where('done', '==', false).count()}`)

  // Offline-first (npm run example -- --offline): writes were queued locally; wait until the server has them.
  await app.sync.waitForSync()
  log(`sync: ${(await firstValueFrom(app.sync.status$)).pending} writes pending`)

  watching.unsubscribe()
  await app.auth.signOut()
  log('auth: signed out')
}

/**
 * Group commit in the offline engine: local writes made while a commit is under way wait together
 * and share the next durable commit; each is still checked on its own (all or none, in call order)
 * and acknowledged only once that commit is durable.
 */
import { firstValueFrom } from 'rxjs'
import { memory } from '../../adapters/memory/index.js'
import { createClient, type LocalStore, type StoreChange } from '../../src/index.js'
import { offline, memoryStore } from '../../src/offline/index.js'
import { expectError } from '../contract/helpers.js'

/** A store whose commits are counted and can be held until released. */
function heldStore(): { store: LocalStore; commits: StoreChange[][]; hold(): () => void } {
  const inner = memoryStore()
  const commits: StoreChange[][] = []
  let gate: Promise<void> | undefined
  const store: LocalStore = {
    name: 'held',
    open: () => inner.open(),
    entries: (table, options) => inner.entries(table, options),
    close: () => inner.close(),
    async commit(changes) {
      commits.push([...changes])
      if (gate) await gate
      return inner.commit(changes)
    },
  }
  return {
    store,
    commits,
    hold() {
      let release!: () => void
      gate = new Promise((resolve) => (release = resolve))
      return () => {
        gate = undefined
        release()
      }
    },
  }
}

it('writes made during a commit share the next one; none resolves before its commit is durable', async () => {
  const adapter = memory()
  adapter.network.goOffline()
  const { store, commits, hold } = heldStore()
  const app = createClient({ adapter, offline: offline({ store, collections: { c: {} } }) })
  const todos = app.db.collection('c')
  await todos.doc('first').set({ n: 0 })
  const before = commits.length

  const release = hold()
  const settled: string[] = []
  const first = todos.doc('a').set({ n: 1 }).then(() => settled.push('a'))
  // Let the first write reach the store and wait there.
  while (commits.length === before) await new Promise((r) => setTimeout(r, 1))
  const rest = Array.from({ length: 50 }, (_, i) => todos.doc(`b${i}`).set({ n: i }).then(() => settled.push(`b${i}`)))
  await new Promise((r) => setTimeout(r, 20))
  expect(settled).toEqual([])
  expect(commits.length).toBe(before + 1)
  release()
  await Promise.all([first, ...rest])
  // One commit for the first write, one for the 50 that waited behind it.
  expect(commits.length).toBe(before + 2)
  expect(commits[before + 1]!.filter((c) => c.table === 'outbox')).toHaveLength(50)
  expect((await firstValueFrom(app.sync.status$)).pending).toBe(52)
  await app.dispose()
})

it('in a group, a call that fails its check fails alone; the others are committed together', async () => {
  const adapter = memory()
  adapter.network.goOffline()
  const { store, commits, hold } = heldStore()
  const app = createClient({ adapter, offline: offline({ store, collections: { c: {} } }) })
  const todos = app.db.collection('c')
  await todos.doc('x').set({ n: 0 })
  const before = commits.length
  const release = hold()
  const blocker = todos.doc('blocker').set({ n: 0 })
  while (commits.length === before) await new Promise((r) => setTimeout(r, 1))
  // These wait together: the create of an existing id fails; the rest are queued in one commit.
  const created = todos.doc('y').create({ n: 1 })
  const duplicate = expectError(() => todos.doc('x').create({ n: 9 }), 'already-exists', 'create of an existing id in a group')
  const updated = todos.doc('x').update({ n: 2 })
  release()
  await Promise.all([blocker, created, duplicate, updated])
  expect(commits.length).toBe(before + 2)
  expect(commits[before + 1]!.filter((c) => c.table === 'outbox')).toHaveLength(2)
  expect((await todos.doc('x').get())?.data).toEqual({ n: 2 })
  expect((await todos.doc('y').get())?.data).toEqual({ n: 1 })
  await app.dispose()
})

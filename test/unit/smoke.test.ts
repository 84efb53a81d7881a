import { createClient, where, or } from '../../src/index.js'
import { memory } from '../../adapters/memory/index.js'
import { firstValueFrom, take, toArray } from 'rxjs'

test('smoke', async () => {
  const app = createClient({ adapter: memory() })
  const todos = app.db.collection<{ title: string; done: boolean; n: number }>('todos')
  const seen = firstValueFrom(todos.where('done', '==', false).orderBy('n', 'desc').watch().pipe(take(3), toArray()))
  const ref = await todos.add({ title: 'a', done: false, n: 1 })
  await todos.doc('b').set({ title: 'b', done: false, n: 2 })
  const snaps = await seen
  expect(snaps.map((s) => s.docs.map((d) => d.id))).toEqual([[], [ref.id], ['b', ref.id]])
  const page = await todos.orderBy('n').limit(1).get()
  const page2 = await todos.orderBy('n').limit(1).startAfter(page.nextCursor!).get()
  expect(page2.docs[0]!.id).toBe('b')
  expect(await todos.where(or(where('n', '==', 1), where('n', '==', 2))).count()).toBe(2)
  await app.auth.signUp({ email: 'a@b.co', password: 'secret1' })
  expect(app.auth.currentUser?.email).toBe('a@b.co')
  const up = app.storage.upload('x/y.txt', new TextEncoder().encode('hi'))
  const file = await up
  expect(file.size).toBe(2)
  await app.dispose()
})

/**
 * The todo page: a list served from the device (IndexedDB), synced with the server, and the sync
 * state from the client's observables. Plain DOM; the wiring is in client.ts, the backend choice
 * in backend.ts.
 */
import { increment, type Doc, type PortabaseClient, type SyncOutcome } from '../../../src/index.js'
import { pickBackend, type Backend } from './backend.js'
import { openClient } from './client.js'

interface Todo {
  title: string
  done: boolean
  /** +1 clicks: increments, which the server adds up (a write applied twice would show). */
  votes: number
  createdAt: Date
}

/** For the end-to-end tests (test/browser) and the curious: `window.todoWeb` in the console. */
interface TodoWeb {
  app: PortabaseClient
  backend: Backend
  /** Every upload progress fraction shown, in order. */
  progress: number[]
}

declare global {
  interface Window {
    todoWeb?: TodoWeb
  }
}

const byId = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T

async function start(): Promise<void> {
  const backend = await pickBackend(new URLSearchParams(location.search))
  const app = openClient(backend.adapter, backend.storeName)
  const debug: TodoWeb = { app, backend, progress: [] }
  byId('backend').textContent = backend.name

  app.connection$.subscribe((state) => {
    const el = byId('connection')
    el.textContent = state
    el.className = state
  })
  app.sync.status$.subscribe((status) => {
    byId('pending').textContent = String(status.pending)
    byId('syncing').textContent = status.uploading ? 'uploading' : status.downloading ? 'downloading' : 'no'
    byId('conflicts').textContent = String(status.conflicts)
    byId('rejected').textContent = String(status.outcomes.rejected)
    byId('error').textContent = status.error ? `Sync: ${status.error.message}` : ''
  })
  // With `merge` no conflict waits for a decision; a `manual` collection would show a dialog here.
  app.sync.conflicts$.subscribe((conflict) => showOutcome(`conflict on ${conflict.id}: ${conflict.fields.join(', ')}`))
  app.sync.outcomes$.subscribe((outcome: SyncOutcome) => showOutcome(describe(outcome)))

  const todos = app.db.collection<Todo>('todos')
  todos.orderBy('createdAt', 'asc').watch().subscribe({
    next: (snapshot) => render(app, snapshot.docs),
    error: (error: Error) => (byId('error').textContent = error.message),
  })

  byId<HTMLFormElement>('add-form').addEventListener('submit', (event) => {
    event.preventDefault()
    const input = byId<HTMLInputElement>('new-title')
    const title = input.value.trim()
    if (!title) return
    input.value = ''
    todos.add({ title, done: false, votes: 0, createdAt: new Date() }).catch(showError)
  })

  byId<HTMLInputElement>('file').addEventListener('change', async (event) => {
    const file = (event.target as HTMLInputElement).files?.[0]
    if (!file) return
    const bar = byId<HTMLProgressElement>('upload-progress')
    const state = byId('upload-state')
    try {
      const task = app.storage.upload(`attachments/${file.name}`, new Uint8Array(await file.arrayBuffer()), { contentType: file.type || 'application/octet-stream' })
      task.subscribe((progress) => {
        bar.value = progress.fraction
        debug.progress.push(progress.fraction)
        state.textContent = `${progress.state} ${Math.round(progress.fraction * 100)}%`
      })
      const stored = await task
      state.textContent = `uploaded ${stored.path} (${stored.size} bytes)`
    } catch (error) {
      state.textContent = `upload failed: ${(error as Error).message}`
    }
  })

  window.todoWeb = debug
  document.body.dataset.ready = 'true'
}

/** Keyed: rows are updated in place, so a title being edited keeps its focus and text. */
function render(app: PortabaseClient, docs: ReadonlyArray<Doc<Todo>>): void {
  const list = byId<HTMLUListElement>('todos')
  const rows = new Map([...list.children].map((li) => [(li as HTMLElement).dataset.id!, li as HTMLLIElement]))
  docs.forEach((doc, index) => {
    const li = rows.get(doc.id) ?? createRow(app, doc.id)
    rows.delete(doc.id)
    const title = li.querySelector<HTMLInputElement>('input.title')!
    if (document.activeElement !== title) title.value = doc.data.title
    li.querySelector<HTMLInputElement>('input.done')!.checked = doc.data.done
    li.querySelector('.votes')!.textContent = String(doc.data.votes ?? 0)
    li.classList.toggle('pending', doc.meta.hasPendingWrites)
    li.querySelector('.badge')!.textContent = doc.meta.hasPendingWrites ? 'not synced' : ''
    if (list.children[index] !== li) list.insertBefore(li, list.children[index] ?? null)
  })
  for (const stale of rows.values()) stale.remove()
}

function createRow(app: PortabaseClient, id: string): HTMLLIElement {
  const ref = app.db.collection<Todo>('todos').doc(id)
  const li = document.createElement('li')
  li.dataset.id = id
  li.innerHTML = '<input class="done" type="checkbox" /><input class="title" /><span class="badge"></span><span class="votes">0</span><button class="vote" type="button">+1</button><button class="delete" type="button">✕</button>'
  const title = li.querySelector<HTMLInputElement>('input.title')!
  li.querySelector<HTMLInputElement>('input.done')!.addEventListener('change', (event) => {
    ref.update({ done: (event.target as HTMLInputElement).checked }).catch(showError)
  })
  title.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') title.blur()
  })
  title.addEventListener('change', () => {
    ref.update({ title: title.value }).catch(showError)
  })
  li.querySelector('button.vote')!.addEventListener('click', () => {
    ref.update({ votes: increment(1) }).catch(showError)
  })
  li.querySelector('button.delete')!.addEventListener('click', () => {
    ref.delete().catch(showError)
  })
  return li
}

function describe(outcome: SyncOutcome): string {
  const where = `${outcome.collection}/${outcome.id}`
  if (outcome.kind === 'rejected') return `rejected ${where}: ${outcome.error?.message ?? 'refused by the server'}`
  return `${outcome.kind} ${where}: ${outcome.fields.join(', ')}`
}

function showOutcome(text: string): void {
  const li = document.createElement('li')
  li.textContent = text
  byId('outcomes').prepend(li)
}

function showError(error: Error): void {
  byId('error').textContent = error.message
}

start().catch((error: Error) => {
  byId('error').textContent = `Could not start: ${error.message}`
})

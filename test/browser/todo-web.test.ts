/**
 * The web example in real Chromium, on the memory adapter (its "server" lives in the page) and on
 * a real Parse Server (checked from Node over REST with the master key). Expected values come from
 * what the test typed, never from the page. Screenshots: .results/browser/<test name>/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { startParseServer, type ParseTestServer } from '../backends/parse/server.js'
import { addTodo, buildAndServe, editTitle, inRow, launch, openApp, requireChromium, screenshots, shown, waitText, type Site } from './harness.js'

// A real browser driving a page that syncs with a server: allow it time on a loaded 2-core machine
// (a project's `testTimeout` in jest.config.cjs is not applied per project: it is a global option).
jest.setTimeout(120_000)

let site: Site
let browser: Browser
let context: BrowserContext
let store = 0
/** Started with the build, awaited by the Parse tests: its start-up overlaps the memory tests. */
let parseStarting: Promise<ParseTestServer> | undefined

beforeAll(async () => {
  requireChromium()
  parseStarting = startParseServer()
  parseStarting.catch(() => undefined) // awaited (and reported) by the Parse tests
  ;[site, browser] = await Promise.all([buildAndServe(), launch()])
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await site?.close()
  await (await parseStarting?.catch(() => undefined))?.stop()
})

beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 800, height: 700 } })
})

afterEach(async () => {
  await context.close()
})

/** A fresh IndexedDB database per test: tests do not see each other's devices. */
const freshStore = (): string => `e2e-${Date.now().toString(36)}-${++store}`

type ServerTodo = { id: string; title: string; done: boolean; votes: number }
const memoryServer = (page: Page): Promise<ServerTodo[]> => page.evaluate(() => window.todoWeb!.backend.server!.todos())
const byTitle = (todos: ServerTodo[]) => todos.map(({ title, done }) => ({ title, done })).sort((a, b) => a.title.localeCompare(b.title))

describe('memory adapter (the server lives in the page)', () => {
  test('add, edit offline, converge online; a reload shows the data from IndexedDB', async () => {
    const shot = screenshots(expect.getState().currentTestName!)
    const page = await context.newPage()
    const url = `${site.url}?store=${freshStore()}`
    await openApp(page, url)
    await waitText(page, '#connection', 'online')
    await addTodo(page, 'Buy milk')
    await addTodo(page, 'Write the report')
    await waitText(page, '#pending', '0')
    await shot(page, 'added')
    expect(byTitle(await memoryServer(page))).toEqual([
      { title: 'Buy milk', done: false },
      { title: 'Write the report', done: false },
    ])

    await context.setOffline(true)
    await waitText(page, '#connection', 'offline')
    await editTitle(page, 'Buy milk', 'Buy oat milk')
    await (await inRow(page, 'Write the report', 'input.done')).check()
    await waitText(page, '#pending', '2')
    await shot(page, 'edited-offline')
    // Queued on the device, not sent: the server still has the old values.
    expect(byTitle(await memoryServer(page))).toEqual([
      { title: 'Buy milk', done: false },
      { title: 'Write the report', done: false },
    ])
    expect(await page.$$eval('#todos .badge', (badges) => badges.map((b) => b.textContent))).toEqual(['not synced', 'not synced'])

    await context.setOffline(false)
    await waitText(page, '#connection', 'online')
    await waitText(page, '#pending', '0')
    await shot(page, 'online-converged')
    expect(byTitle(await memoryServer(page))).toEqual([
      { title: 'Buy oat milk', done: false },
      { title: 'Write the report', done: true },
    ])

    // A reload starts a new, empty in-page server: what the list shows comes from the device.
    await page.reload()
    await page.waitForSelector('body[data-ready="true"]')
    await page.waitForFunction(() => document.querySelectorAll('#todos li').length === 2)
    await shot(page, 'reloaded')
    expect((await shown(page)).titles).toEqual(['Buy oat milk', 'Write the report'])
    expect(await page.$$eval('#todos input.done', (boxes) => boxes.map((b) => (b as HTMLInputElement).checked))).toEqual([false, true])
    expect(await memoryServer(page)).toEqual([])
  })

  test('an upload shows its progress and reaches the server whole', async () => {
    const shot = screenshots(expect.getState().currentTestName!)
    const page = await context.newPage()
    await openApp(page, `${site.url}?store=${freshStore()}`)
    const bytes = Buffer.alloc(1024 * 1024, 7) // 16 progress steps of 64 KiB on the memory adapter
    await page.setInputFiles('#file', { name: 'report.bin', mimeType: 'application/octet-stream', buffer: bytes })
    await page.waitForFunction(() => window.todoWeb!.progress.some((f) => f > 0 && f < 1))
    await shot(page, 'uploading')
    await page.waitForFunction(() => document.getElementById('upload-state')!.textContent!.startsWith('uploaded'))
    await shot(page, 'uploaded')
    const progress = await page.evaluate(() => window.todoWeb!.progress)
    expect(progress.filter((f) => f > 0 && f < 1).length).toBeGreaterThanOrEqual(10)
    expect(progress.every((f, i) => i === 0 || f >= progress[i - 1]!)).toBe(true)
    expect(progress.at(-1)).toBe(1)
    expect(await page.textContent('#upload-state')).toBe(`uploaded attachments/report.bin (${bytes.length} bytes)`)
    expect(await page.$eval('#upload-progress', (bar) => (bar as HTMLProgressElement).value)).toBe(1)
    expect(await page.evaluate(() => window.todoWeb!.backend.server!.fileSize('attachments/report.bin'))).toBe(bytes.length)
  })
})

describe('Parse Server (the embedded test server)', () => {
  let parse: ParseTestServer

  beforeAll(async () => {
    parse = await parseStarting!
  }, 120_000)

  const pageUrl = (storeName: string): string =>
    `${site.url}?${new URLSearchParams({ backend: 'parse', serverURL: parse.serverURL, appId: parse.appId, javascriptKey: parse.javascriptKey, liveQueryServerURL: parse.liveQueryServerURL, store: storeName })}`

  /** The server's todos whose titles start with `tag`, read from Node with the master key. */
  async function serverTodos(tag: string): Promise<Array<{ title: string; done: boolean; votes: number }>> {
    const where = encodeURIComponent(JSON.stringify({ title: { $regex: `^${tag}` } }))
    const response = await fetch(`${parse.serverURL}/classes/todos?where=${where}&limit=1000`, { headers: { 'X-Parse-Application-Id': parse.appId, 'X-Parse-Master-Key': parse.masterKey } })
    if (!response.ok) throw new Error(`Parse REST: HTTP ${response.status} ${await response.text()}`)
    const { results } = (await response.json()) as { results: Array<{ title: string; done: boolean; votes: number }> }
    return results.map(({ title, done, votes }) => ({ title, done, votes })).sort((a, b) => a.title.localeCompare(b.title))
  }

  test('offline edits survive a reload, then reach the server', async () => {
    const shot = screenshots(expect.getState().currentTestName!)
    const tag = `p1-${Date.now().toString(36)}-`
    const page = await context.newPage()
    const url = pageUrl(freshStore())
    await openApp(page, url)
    await addTodo(page, `${tag}Buy milk`)
    await addTodo(page, `${tag}Write the report`)
    await waitText(page, '#pending', '0')
    await shot(page, 'added')
    expect(await serverTodos(tag)).toEqual([
      { title: `${tag}Buy milk`, done: false, votes: 0 },
      { title: `${tag}Write the report`, done: false, votes: 0 },
    ])

    await context.setOffline(true)
    await waitText(page, '#connection', 'offline')
    await editTitle(page, `${tag}Buy milk`, `${tag}Buy oat milk`)
    await (await inRow(page, `${tag}Write the report`, 'input.done')).check()
    await waitText(page, '#pending', '2')
    await shot(page, 'edited-offline')

    // Reload with the server still out of reach (the browser must be online to load the page).
    const serverOrigin = new URL(parse.serverURL).origin
    await context.route(`${serverOrigin}/**`, (route) => route.abort('internetdisconnected'))
    await context.setOffline(false)
    await page.reload()
    await page.waitForSelector('body[data-ready="true"]')
    await waitText(page, '#pending', '2')
    await page.waitForFunction((t) => [...document.querySelectorAll<HTMLInputElement>('#todos input.title')].some((i) => i.value === t), `${tag}Buy oat milk`)
    await shot(page, 'reloaded-still-queued')
    expect(await serverTodos(tag)).toEqual([
      { title: `${tag}Buy milk`, done: false, votes: 0 },
      { title: `${tag}Write the report`, done: false, votes: 0 },
    ])

    await context.unrouteAll()
    await waitText(page, '#pending', '0', 40_000)
    await waitText(page, '#connection', 'online')
    await shot(page, 'converged')
    expect(await serverTodos(tag)).toEqual([
      { title: `${tag}Buy oat milk`, done: false, votes: 0 },
      { title: `${tag}Write the report`, done: true, votes: 0 },
    ])
  })

  test('two tabs on one store: every write reaches the server exactly once, also after the leader tab closed', async () => {
    const shot = screenshots(expect.getState().currentTestName!)
    const tag = `p2-${Date.now().toString(36)}-`
    const url = pageUrl(freshStore())
    const first = await context.newPage()
    await openApp(first, url) // opened first: the leader
    await addTodo(first, `${tag}shared`)
    await waitText(first, '#pending', '0')
    const second = await context.newPage()
    await openApp(second, url)
    // The second tab shows what the first wrote, from the shared store.
    await inRow(second, `${tag}shared`, 'button.vote')

    // Both tabs click +1 at the same time, and add todos: 2 × 12 increments of one field.
    const clicks = async (page: Page, who: string): Promise<void> => {
      const vote = await inRow(page, `${tag}shared`, 'button.vote')
      for (let i = 0; i < 12; i++) {
        await vote.click()
        if (i % 4 === 0) await addTodo(page, `${tag}${who}-${i}`)
      }
    }
    await Promise.all([clicks(first, 'first'), clicks(second, 'second')])
    await waitText(first, '#pending', '0', 30_000)
    await waitText(second, '#pending', '0', 30_000)
    await inRow(second, `${tag}shared`, '.votes')
    await second.waitForFunction((t) => [...document.querySelectorAll('#todos li')].find((li) => li.querySelector<HTMLInputElement>('input.title')!.value === t)?.querySelector('.votes')?.textContent === '24', `${tag}shared`)
    await shot(first, 'online-first-tab')
    await shot(second, 'online-second-tab')
    const online = [`${tag}first-0`, `${tag}first-4`, `${tag}first-8`, `${tag}second-0`, `${tag}second-4`, `${tag}second-8`]
    expect(await serverTodos(tag)).toEqual(
      [{ title: `${tag}shared`, done: false, votes: 24 }, ...online.map((title) => ({ title, done: false, votes: 0 }))].sort((a, b) => a.title.localeCompare(b.title)),
    )

    // Offline, both tabs queue; then the leader tab closes before anything was sent.
    await context.setOffline(true)
    await waitText(first, '#connection', 'offline')
    await waitText(second, '#connection', 'offline')
    await Promise.all([
      (async () => {
        for (let i = 0; i < 5; i++) await (await inRow(first, `${tag}shared`, 'button.vote')).click()
        await addTodo(first, `${tag}first-offline`)
      })(),
      (async () => {
        for (let i = 0; i < 5; i++) await (await inRow(second, `${tag}shared`, 'button.vote')).click()
        await addTodo(second, `${tag}second-offline`)
      })(),
    ])
    await waitText(second, '#pending', '12') // one outbox: the second tab counts the first tab's writes too
    await shot(second, 'offline-queued-in-both')
    await first.close() // no dispose: as when the user closes the tab
    await context.setOffline(false)
    await waitText(second, '#pending', '0', 30_000)
    await shot(second, 'after-leader-closed')
    expect(await serverTodos(tag)).toEqual(
      [
        { title: `${tag}shared`, done: false, votes: 34 },
        ...[...online, `${tag}first-offline`, `${tag}second-offline`].map((title) => ({ title, done: false, votes: 0 })),
      ].sort((a, b) => a.title.localeCompare(b.title)),
    )
  })
})

/**
 * The web example (examples/todo-web) in real Chromium: built once with vite (in a child process:
 * vite is ESM-only, which jest's module sandbox does not load), served from 127.0.0.1 (IndexedDB
 * and Web Locks need a real http origin), driven by playwright-core. Screenshots go to
 * .results/browser/<test name>/NN-step.png.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { promisify } from 'node:util'
import { chromium, type Browser, type ElementHandle, type Page } from 'playwright-core'

const ROOT = path.resolve(__dirname, '../..')
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Fails loudly: a machine without Chromium must not pass these tests by skipping them. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install -y chromium, as .ci/run does) or set CHROMIUM_PATH`)
  }
}

export interface Site {
  url: string
  close(): Promise<void>
}

/** Builds the example and serves the build on a free port of 127.0.0.1. */
export async function buildAndServe(): Promise<Site> {
  const out = mkdtempSync(path.join(tmpdir(), 'todo-web-'))
  await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', 'examples/todo-web', '--outDir', out, '--logLevel', 'warn'], { cwd: ROOT })
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' }
  const server: Server = createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)
    const file = path.join(out, pathname === '/' ? 'index.html' : pathname)
    if (!file.startsWith(out) || !existsSync(file)) {
      response.writeHead(404).end()
      return
    }
    response.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      rmSync(out, { recursive: true, force: true })
    },
  }
}

export function launch(): Promise<Browser> {
  requireChromium()
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
}

/** Numbered screenshots of one test, in .results/browser/<test name>/. */
export function screenshots(testName: string): (page: Page, step: string) => Promise<void> {
  const dir = path.join(ROOT, '.results/browser', testName.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase())
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  let n = 0
  return async (page, step) => {
    n += 1
    await page.screenshot({ path: path.join(dir, `${String(n).padStart(2, '0')}-${step}.png`), fullPage: true })
  }
}

/** Opens the page and waits until the app started (its observables are wired). */
export async function openApp(page: Page, url: string): Promise<void> {
  await page.goto(url)
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 })
}

export async function addTodo(page: Page, title: string): Promise<void> {
  await page.fill('#new-title', title)
  await page.click('#add')
  await page.waitForFunction((t) => [...document.querySelectorAll<HTMLInputElement>('#todos input.title')].some((i) => i.value === t), title)
}

/** An element of the row showing `title` (input values are not attributes, so found by script). */
export async function inRow(page: Page, title: string, selector: string): Promise<ElementHandle<Element>> {
  const handle = await page.waitForFunction(
    ([t, s]) => [...document.querySelectorAll<HTMLInputElement>('#todos input.title')].find((i) => i.value === t)?.closest('li')?.querySelector(s!),
    [title, selector],
  )
  return handle.asElement()!
}

export async function editTitle(page: Page, from: string, to: string): Promise<void> {
  const input = await inRow(page, from, 'input.title')
  await input.fill(to)
  await input.press('Enter')
}

/** The titles shown, in order, and what the header says. */
export async function shown(page: Page): Promise<{ titles: string[]; pending: string; connection: string }> {
  return page.evaluate(() => ({
    titles: [...document.querySelectorAll<HTMLInputElement>('#todos input.title')].map((i) => i.value),
    pending: document.getElementById('pending')!.textContent!,
    connection: document.getElementById('connection')!.textContent!,
  }))
}

export async function waitText(page: Page, selector: string, text: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction(([s, t]) => document.querySelector(s!)?.textContent === t, [selector, text], { timeout })
}

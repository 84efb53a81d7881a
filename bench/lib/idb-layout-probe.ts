/**
 * What Chromium's IndexedDB costs per record, with no portabase code (bench/RESULTS.md, "Offline at
 * scale in a real browser"): 100k records shaped like the offline store's document rows, written in
 * 200 transactions and read back with getAll, one record per document vs one record per 250
 * documents as JSON text. A fresh browser per run.
 *
 *     npx tsx bench/lib/idb-layout-probe.ts        (Chromium at CHROMIUM_PATH or /usr/bin/chromium)
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium } from 'playwright-core'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const PAGE = `<!doctype html><script>
const idb = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error) })
const done = (tx) => new Promise((res, rej) => { tx.oncomplete = res; tx.onerror = () => rej(tx.error); tx.onabort = () => rej(tx.error) })
async function probe(count, transactions, batched) {
  const name = 'probe-' + Math.random()
  const open = indexedDB.open(name, 1)
  open.onupgradeneeded = () => open.result.createObjectStore('docs')
  const db = await idb(open)
  const rows = Array.from({ length: count }, (_, i) => ['guest/todos/' + String(i).padStart(20, '0'), { d: { title: 'buy milk #' + i, done: i % 3 === 0, priority: i % 5, createdAt: 1893540871056 + i, score: i % 1000, owner: 'user' + (i % 50) }, m: '1796636368371,' + i }])
  const per = count / transactions
  let t = performance.now()
  for (let p = 0; p < transactions; p++) {
    const tx = db.transaction('docs', 'readwrite', { durability: 'strict' })
    const store = tx.objectStore('docs')
    if (batched) for (let i = p * per; i < (p + 1) * per; i += 250) store.put(JSON.stringify(rows.slice(i, i + 250)), rows[i][0])
    else for (let i = p * per; i < (p + 1) * per; i++) store.put(rows[i][1], rows[i][0])
    await done(tx)
  }
  const write = performance.now() - t
  t = performance.now()
  const tx = db.transaction('docs')
  const values = tx.objectStore('docs').getAll()
  await done(tx)
  const read = batched ? values.result.flatMap((text) => JSON.parse(text)) : values.result
  const readMs = performance.now() - t
  db.close()
  await idb(indexedDB.deleteDatabase(name))
  if (read.length !== count) throw new Error('read back ' + read.length + ' of ' + count)
  return { layout: batched ? 'one record per 250 documents (JSON text)' : 'one record per document', writeMs: Math.round(write), readMs: Math.round(readMs) }
}
</script>`

const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE))
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
try {
  for (const batched of [false, true, false, true]) {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    try {
      const page = await browser.newPage()
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
      console.log(JSON.stringify(await page.evaluate((b) => (globalThis as unknown as { probe(n: number, t: number, b: boolean): Promise<unknown> }).probe(100_000, 200, b), batched)))
    } finally {
      await browser.close()
    }
  }
} finally {
  server.close()
}

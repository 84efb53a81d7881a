/**
 * Bounded memory: 1,000,000 small documents exported (generated source → NDJSON backup) in a child
 * process that samples its own RSS every 20 ms. The peak must stay under 200 MB, whatever the
 * number of documents: a run holding them all would need several hundred MB more.
 */
import { createReadStream } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { createInterface } from 'node:readline'
import { generatedId } from './fixtures/generated.js'
import { startCli } from './cli-process.js'

jest.setTimeout(300_000)

const TOTAL = 1_000_000
const PEAK_RSS_LIMIT = 200 * 1024 * 1024

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portabase-migrate-1m-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

it('exports 1M documents with a peak RSS under 200 MB, every document once, in order', async () => {
  const backup = path.join(dir, 'backup')
  const { done } = startCli([backup], { MIGRATE_DOCS: String(TOTAL) }, 'test/migrate/fixtures/rss-child.ts')
  const result = await done
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  const figures = JSON.parse(result.stdout) as { baseline: number; peak: number; durationMs: number; read: number }
  // Reported in the test output: the figures the issue note quotes.
  console.log(`1M documents → NDJSON: ${Math.round(figures.durationMs / 1000)} s, RSS ${Math.round(figures.baseline / 2 ** 20)} MB at start, peak ${Math.round(figures.peak / 2 ** 20)} MB`)
  expect(figures.read).toBe(TOTAL)
  expect(figures.peak).toBeLessThan(PEAK_RSS_LIMIT)

  const manifest = JSON.parse(await readFile(path.join(backup, 'manifest.json'), 'utf8'))
  expect(manifest.collections.items.count).toBe(TOTAL)
  let lines = 0
  let inOrder = true
  for await (const line of createInterface({ input: createReadStream(path.join(backup, 'collections/items.ndjson')), crlfDelay: Infinity })) {
    if (inOrder && !line.startsWith(`{"id":"${generatedId(lines)}"`)) inOrder = false
    lines += 1
  }
  expect(lines).toBe(TOTAL)
  expect(inOrder).toBe(true)
})

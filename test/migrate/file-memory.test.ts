/**
 * Files move chunk-wise: a 256 MiB file generated on disk is copied backup → backup (both sides
 * stream through node:fs) with `--verify` in a child process that samples its own RSS every 20 ms.
 * The peak must stay under 150 MB: a copy holding the file (or hashing it whole) would need more
 * than its 256 MiB. The copy's bytes are then hashed here and compared with the generated file's.
 */
import { createReadStream } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { chunksHash } from '../../src/migrate/chunks.js'
import { startCli } from './cli-process.js'

jest.setTimeout(120_000)

const MIB = 1024 * 1024
const FILE_MIB = 256
const PEAK_RSS_LIMIT = 150 * MIB

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portabase-migrate-file-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

it('copies a 256 MiB file backup → backup with a peak RSS under 150 MB, verified by SHA-256', async () => {
  const { done } = startCli([dir], { MIGRATE_FILE_MIB: String(FILE_MIB) }, 'test/migrate/fixtures/file-rss-child.ts')
  const result = await done
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  const figures = JSON.parse(result.stdout) as { size: number; sha256: string; baseline: number; peak: number; durationMs: number; files: { count: number; bytes: number }; verified: boolean; checked: number }
  console.log(`${FILE_MIB} MiB file backup → backup + verify: ${(figures.durationMs / 1000).toFixed(1)} s, RSS ${Math.round(figures.baseline / MIB)} MB at start, peak ${Math.round(figures.peak / MIB)} MB`)
  expect(figures.files).toEqual({ count: 1, bytes: FILE_MIB * MIB })
  expect(figures.verified).toBe(true)
  expect(figures.checked).toBe(1)
  expect(figures.peak).toBeLessThan(PEAK_RSS_LIMIT)

  const copy = path.join(dir, 'target', 'files', 'videos', 'big.bin')
  expect(await chunksHash(createReadStream(copy))).toBe(figures.sha256)
  const entry = JSON.parse(await readFile(path.join(dir, 'target', 'files.ndjson'), 'utf8')) as { size: number; sha256: string; metadata: object }
  expect(entry).toMatchObject({ size: FILE_MIB * MIB, sha256: figures.sha256, metadata: { origin: 'generated' } })
})

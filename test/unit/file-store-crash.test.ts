/**
 * A real crash: a child process (test/offline/file-store-writer.ts) commits numbered entries as
 * fast as it can and prints each number once commit() resolved; we SIGKILL it at a random moment
 * (mid-append, mid-fsync, mid-compaction: its compactAfterBytes is small), reopen the directory and
 * check that every acknowledged commit is there and that no commit is half there.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileStore } from '../../src/offline/node/index.js'

const ROOT = join(__dirname, '..', '..')
const WRITER = join(ROOT, 'test', 'offline', 'file-store-writer.ts')
const RUNS = 20
const PARALLEL = 4
/** Small, so that many runs are killed during or right around a compaction. */
const COMPACT_AFTER_BYTES = 16 * 1024

interface Run {
  acknowledged: number[]
  /** Commit numbers found after reopening (from a-<i> keys), and whether b-<i> matched each. */
  found: number[]
  halfCommits: number[]
  last: unknown
}

async function crashOnce(): Promise<Run> {
  const directory = await mkdtemp(join(tmpdir(), 'portabase-crash-'))
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, directory, 'write', String(COMPACT_AFTER_BYTES)], {
      cwd: ROOT, // where `--import tsx` resolves
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let output = ''
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the writer acknowledged nothing within 15 s')), 15_000)
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString()
        if (output.includes('\n')) {
          clearTimeout(timer)
          resolve()
        }
      })
      child.once('exit', (code) => reject(new Error(`the writer exited on its own (code ${code})`)))
    })
    // Killed at a random point of its commit loop.
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 250))
    child.kill('SIGKILL')
    await closed // after 'close', stdout has been read to the end

    // Complete lines only: a number cut in half was being printed, not acknowledged to us.
    const acknowledged = output.split('\n').slice(0, -1).map(Number)
    const store = fileStore({ directory })
    await store.open() // also takes over the dead child's lock
    try {
      const docs = new Map(await store.entries('docs'))
      const found: number[] = []
      const halfCommits: number[] = []
      for (const [key, value] of docs) {
        const [side, n] = [key[0], Number(key.slice(2))]
        if (side === 'a') {
          found.push(n)
          const i = (value as { i: number }).i
          const b = docs.get(`b-${n}`) as { i: number } | undefined
          if (i !== n || b?.i !== n) halfCommits.push(n)
        } else if (!docs.has(`a-${n}`)) halfCommits.push(n)
      }
      const meta = new Map(await store.entries('meta'))
      return { acknowledged, found: found.sort((x, y) => x - y), halfCommits, last: meta.get('last') }
    } finally {
      await store.close()
    }
  } finally {
    await rm(directory, { recursive: true, force: true })
  }
}

test(`SIGKILL during commits, ${RUNS} times: every acknowledged commit survives, none is half applied`, async () => {
  const runs: Run[] = []
  for (let started = 0; started < RUNS; started += PARALLEL) {
    runs.push(...(await Promise.all(Array.from({ length: Math.min(PARALLEL, RUNS - started) }, crashOnce))))
  }
  for (const run of runs) {
    const n = run.found.length
    expect(run.halfCommits).toEqual([])
    // Commits run one after another, so what survives is a prefix 0..n-1 of them…
    expect(run.found).toEqual(Array.from({ length: n }, (_, i) => i))
    expect(run.last).toBe(n - 1)
    // …holding every acknowledged one, plus at most the one whose acknowledgement the kill cut off.
    expect(run.acknowledged).toEqual(Array.from({ length: run.acknowledged.length }, (_, i) => i))
    expect(n).toBeGreaterThanOrEqual(run.acknowledged.length)
    expect(n).toBeLessThanOrEqual(run.acknowledged.length + 1)
  }
  const commits = runs.map((run) => run.found.length)
  // Reported, to see the kills land at varied points (and past compactions).
  console.log(`file-store crash test: ${RUNS} runs, commits found per run: ${commits.join(' ')}`)
}, 60_000)

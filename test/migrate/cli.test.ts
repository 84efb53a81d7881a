/**
 * The `portabase` CLI in child processes: export / import round trip with --verify, exit codes,
 * and a run killed with SIGKILL (twice) that --resume finishes with every document written once.
 */
import { createReadStream } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { createInterface } from 'node:readline'
import { docId } from './fixtures.js'
import { fixture, runCli, startCli, waitFor, writtenSoFar } from './cli-process.js'

jest.setTimeout(180_000)

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portabase-migrate-cli-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** How many lines of an NDJSON collection file hold each id. */
async function linesPerId(file: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (line.length === 0) continue
    const { id } = JSON.parse(line) as { id: string }
    counts.set(id, (counts.get(id) ?? 0) + 1)
  }
  return counts
}

describe('portabase CLI', () => {
  it('--help lists migrate, export and import', async () => {
    const result = await runCli(['--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/migrate \[options\]/)
    expect(result.stdout).toMatch(/export \[options\]/)
    expect(result.stdout).toMatch(/import \[options\]/)
    const migrateHelp = await runCli(['migrate', '--help'])
    for (const flag of ['--from', '--to', '--dry-run', '--resume', '--verify', '--checkpoint']) expect(migrateHelp.stdout).toContain(flag)
  })

  it('export then import with --verify: exit 0, plain progress lines when stdout is not a TTY, and the report', async () => {
    const backup = path.join(dir, 'backup')
    const exported = await runCli(['export', '--from', fixture('source.config.ts'), '--out', backup, '--verify', '--checkpoint', path.join(dir, 'cp.json')], { MIGRATE_DOCS: '500' })
    expect(exported.stderr).toBe('')
    expect(exported.code).toBe(0)
    expect(exported.stdout).toMatch(/^todos: 500\/500 \(\d+\/s, done\)$/m)
    expect(exported.stdout).toMatch(/^files: 2 \(\d+\/s, done\)$/m)
    expect(exported.stdout).toContain('Verify: OK')
    expect(exported.stdout).toMatch(/ok {3}todos: source 500 docs/)
    const manifest = JSON.parse(await readFile(path.join(backup, 'manifest.json'), 'utf8'))
    expect(manifest.collections.todos.count).toBe(500)

    const target = path.join(dir, 'memory.json')
    await writeFile(target, JSON.stringify({ adapter: 'memory', options: { passwordIterations: 10_000 } }))
    const imported = await runCli(['import', '--in', backup, '--to', target, '--verify', '--checkpoint', path.join(dir, 'cp2.json'), '--report', path.join(dir, 'report.json')])
    expect(imported.code).toBe(0)
    expect(imported.stdout).toContain('Verify: OK')
    const report = JSON.parse(await readFile(path.join(dir, 'report.json'), 'utf8'))
    expect(report.verify.ok).toBe(true)
    expect(report.users).toMatchObject({ count: 2, withPasswordHash: 1, mustReset: [] })
    expect(report.collections.map((c: { collection: string; written: number }) => [c.collection, c.written])).toEqual([
      ['todos', 500],
      ['lists', 2],
    ])
  })

  it('exit code 1 when --verify finds a difference (a target that lost a document), naming it', async () => {
    const result = await runCli(['migrate', '--from', fixture('source.config.ts'), '--to', fixture('lossy.config.ts'), '--verify', '--no-progress', '--checkpoint', path.join(dir, 'cp.json')], {
      MIGRATE_DOCS: '50',
      MIGRATE_USERS: '0',
    })
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('Verify: FAILED')
    expect(result.stdout).toContain(`DIFF todos: source 50 docs`)
    expect(result.stdout).toContain(`${docId(7)} (missing)`)
  })

  it('exit code 2 and a clear message for a bad config, without its secret', async () => {
    const config = path.join(dir, 'bad.json')
    await writeFile(config, JSON.stringify({ adapter: 'parse', options: { serverURL: 'http://127.0.0.1:9/parse', masterKey: 'do-not-print-me' } }))
    const result = await runCli(['migrate', '--from', config, '--to', config, '--checkpoint', path.join(dir, 'cp.json')])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('A parse endpoint needs options.appId')
    expect(result.stdout + result.stderr).not.toContain('do-not-print-me')
    const missing = await runCli(['migrate', '--from', config])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("required option '--to <config>' not specified")
  })

  it('SIGKILL mid-run, twice, then --resume: every document is in the backup exactly once, and it verifies', async () => {
    const total = 20_000
    const backup = path.join(dir, 'backup')
    const checkpoint = path.join(dir, 'cp.json')
    const args = ['export', '--from', fixture('source.config.ts'), '--out', backup, '--checkpoint', checkpoint, '--page-size', '100', '--no-progress']
    const env = { MIGRATE_DOCS: String(total), MIGRATE_USERS: '0' }

    const killedAt: number[] = []
    for (const [resume, after] of [
      [false, 3_000],
      [true, 11_000],
    ] as const) {
      const { child, done } = startCli(resume ? [...args, '--resume'] : args, env)
      await waitFor(async () => (await writtenSoFar(checkpoint, 'todos')) >= after || child.exitCode !== null, 120_000)
      child.kill('SIGKILL')
      const result = await done
      expect(result.signal).toBe('SIGKILL')
      killedAt.push(await writtenSoFar(checkpoint, 'todos'))
    }
    // Killed before the end both times; the file may hold a page beyond the checkpoint.
    expect(killedAt[0]).toBeLessThan(total)
    expect(killedAt[1]).toBeLessThan(total)

    const finished = await runCli([...args, '--resume', '--verify'], env)
    expect(finished.stderr).toBe('')
    expect(finished.code).toBe(0)
    expect(finished.stdout).toContain('Verify: OK')

    const counts = await linesPerId(path.join(backup, 'collections/todos.ndjson'))
    expect(counts.size).toBe(total)
    expect([...counts.values()].every((n) => n === 1)).toBe(true)
    expect([...counts.keys()].sort()).toEqual(Array.from({ length: total }, (_, i) => docId(i)))
    expect(JSON.parse(await readFile(path.join(backup, 'manifest.json'), 'utf8')).collections.todos.count).toBe(total)
    // A finished run removes its checkpoint.
    await expect(readFile(checkpoint)).rejects.toThrow()
  })
})

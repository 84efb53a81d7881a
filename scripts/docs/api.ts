/**
 * The API reference (docs/api, Markdown) from the TSDoc comments of the package's entry points
 * (typedoc.json).
 *
 *   tsx scripts/docs/api.ts           # regenerates docs/api
 *   tsx scripts/docs/api.ts --check   # exit 1 when docs/api differs from a fresh rendering, or TypeDoc warns
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const COMMITTED = join(ROOT, 'docs/api')
const FRESH = join(ROOT, '.results/api')

function typedoc(args: string[]): void {
  const bin = join(ROOT, 'node_modules/typedoc/bin/typedoc')
  const run = spawnSync(process.execPath, [bin, ...args], { cwd: ROOT, stdio: 'inherit' })
  if (run.status !== 0) process.exit(run.status ?? 1)
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort()
}

function main(): void {
  if (!process.argv.includes('--check')) {
    typedoc([])
    return
  }
  rmSync(FRESH, { recursive: true, force: true })
  // A warning (a broken link, a referenced type left out) fails the check, so warnings stay few and meaningful.
  typedoc(['--out', FRESH, '--treatWarningsAsErrors', '--logLevel', 'Warn'])
  const committed = files(COMMITTED)
  const fresh = files(FRESH)
  const problems = [
    ...fresh.filter((f) => !committed.includes(f)).map((f) => `  missing: docs/api/${f}`),
    ...committed.filter((f) => !fresh.includes(f)).map((f) => `  not generated any more: docs/api/${f}`),
    ...fresh.filter((f) => committed.includes(f) && readFileSync(join(FRESH, f), 'utf8') !== readFileSync(join(COMMITTED, f), 'utf8')).map((f) => `  differs: docs/api/${f}`),
  ]
  if (problems.length > 0) {
    console.error('docs/api is not current with the TSDoc comments. Run `npm run docs` and commit the result.')
    for (const line of problems) console.error(line)
    console.error(`  (this run's rendering: ${relative(ROOT, FRESH)}; compare with: diff -ru docs/api ${relative(ROOT, FRESH)})`)
    process.exit(1)
  }
  rmSync(FRESH, { recursive: true, force: true })
  console.log('docs/api is current.')
}

main()

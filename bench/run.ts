/**
 * `npm run bench` — every suite; `npm run bench -- <suite> [<suite>…]` — only those;
 * `--quick` — fewer samples, results.json untouched (harness check); `--list` — suite names;
 * `--in-process` — run suites in this process (for profiling) instead of one child process each.
 *
 * Each suite runs in a fresh child process (same node flags), so one suite's heap, JIT feedback and
 * leftover timers cannot colour the next one's figures. Prints a table (stdout; progress goes to
 * stderr) and writes bench/results.json.
 * New suites: add a module under bench/suites/ and append it to `suites` below.
 */
import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { toResult, type FigureResult, type Measurement } from './lib/figure.js'
import { collectGarbage, now, settle } from './lib/measure.js'
import { environment, table, writeResults } from './lib/report.js'
import type { Suite, SuiteContext } from './lib/suite.js'
import { bulkWrites } from './suites/bulk-writes.js'
import { fanoutManyQueries } from './suites/fanout-many-queries.js'
import { fanoutSameQuery } from './suites/fanout-same-query.js'
import { linksChain } from './suites/links-chain.js'
import { migrateSuite } from './suites/migrate.js'
import { offlineScale } from './suites/offline-scale.js'
import { offlineScaleBrowser } from './suites/offline-scale-browser.js'
import { offlineSync } from './suites/offline-sync.js'
import { parseOverhead } from './suites/parse-overhead.js'
import { pointReads } from './suites/point-reads.js'
import { queryTop20 } from './suites/query-top20.js'

export const suites: readonly Suite[] = [pointReads, bulkWrites, queryTop20, fanoutSameQuery, fanoutManyQueries, parseOverhead, linksChain, offlineSync, offlineScale, offlineScaleBrowser, migrateSuite]

const here = dirname(fileURLToPath(import.meta.url))

function rxdbVersion(): string {
  try {
    const require = createRequire(import.meta.url)
    const pkg = JSON.parse(readFileSync(require.resolve('rxdb/package.json'), 'utf8')) as { version?: string }
    return pkg.version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

const log = (line: string): void => void process.stderr.write(`${line}\n`)

async function runHere(suite: Suite, ctx: SuiteContext): Promise<Measurement[]> {
  collectGarbage()
  await settle(10)
  return suite.run(ctx)
}

/** Runs one suite in a child process that reports its measurements over IPC. */
function runInChild(suite: Suite, quick: boolean): Promise<Measurement[]> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', suite.name, ...(quick ? ['--quick'] : [])], {
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    let measured: Measurement[] | null = null
    child.on('message', (message) => {
      measured = message as Measurement[]
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code === 0 && measured) resolve(measured)
      else reject(new Error(`suite ${suite.name} failed (exit code ${code})`))
    })
  })
}

async function child(name: string, quick: boolean): Promise<number> {
  const suite = suites.find((s) => s.name === name)
  if (!suite || !process.send) return 2
  const measured = await runHere(suite, { quick, log })
  await new Promise<void>((resolve, reject) => process.send!(measured, (error: Error | null) => (error ? reject(error) : resolve())))
  return 0
}

async function main(argv: readonly string[]): Promise<number> {
  const quick = argv.includes('--quick')
  const childAt = argv.indexOf('--child')
  if (childAt >= 0) return child(argv[childAt + 1] ?? '', quick)
  if (argv.includes('--list')) {
    for (const s of suites) console.log(`${s.name.padEnd(22)} ${s.summary}`)
    return 0
  }
  const names = argv.filter((a) => !a.startsWith('--'))
  const unknown = names.filter((n) => !suites.some((s) => s.name === n))
  if (unknown.length > 0) {
    console.error(`Unknown suite(s): ${unknown.join(', ')}. Known: ${suites.map((s) => s.name).join(', ')}`)
    return 2
  }
  const selected = names.length > 0 ? suites.filter((s) => names.includes(s.name)) : suites
  const inProcess = argv.includes('--in-process')
  if (!globalThis.gc) console.error('note: run with --expose-gc (npm run bench does) so phases start from a collected heap')

  const figures: FigureResult[] = []
  const started = now()
  for (const suite of selected) {
    log(`▶ ${suite.name}: ${suite.summary}`)
    const suiteStart = now()
    const measured = inProcess ? await runHere(suite, { quick, log }) : await runInChild(suite, quick)
    figures.push(...measured.map((m) => toResult(m)))
    log(`  (${((now() - suiteStart) / 1000).toFixed(1)} s)`)
  }

  const env = environment(rxdbVersion())
  const resultsPath = join(here, 'results.json')
  // Quick runs check the harness; their noisier figures never replace measured ones.
  if (!quick) writeResults(resultsPath, figures, env)
  console.log('')
  console.log(`portabase benchmark — ${new Date().toISOString()} — node ${env.node}, ${env.cpu}, ${env.cores} cores, ${env.memory}, rxdb ${env.rxdb}${quick ? ' — QUICK RUN (fewer samples)' : ''}`)
  console.log('')
  console.log(table(figures))
  for (const f of figures) if (f.notes) console.log(`  note ${f.name}: ${f.notes}`)
  console.log('')
  const seconds = ((now() - started) / 1000).toFixed(1)
  console.log(quick ? `Quick run: ${resultsPath} left as it was (${seconds} s).` : `Wrote ${resultsPath} (${figures.length} figures) in ${seconds} s.`)
  return 0
}

main(process.argv.slice(2)).then(
  // RxDB leaves idle timers behind; exit explicitly once the report is written.
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)

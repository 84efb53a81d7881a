// @ts-check
/**
 * Jest reporter: records the results of the shared suites, per target, for docs/compatibility.md
 * (scripts/docs/compatibility.ts renders it; `npm run docs:check` fails when it is not current).
 *
 * A shared suite is a top-level describe named `contract: <target>` (the conformance kit's
 * src/conformance/suite.ts), `contract core (client-side validation): <target>`, `offline suite:
 * <target>` (test/offline/suite.ts) or `sync SPI: <target>` (src/conformance/sync-spi.ts). Describes
 * named `… : <Adapter> only` hold one adapter's own tests, not a shared suite, and are left out, and
 * so are the files under test/conformance/ (a toy third-party adapter proving the shipped kit: no
 * portabase adapter).
 *
 * The results go to `.results/contract.json` (gitignored), one entry per test file: a run replaces
 * the entries of the files it ran and keeps the others, so running one project updates its
 * targets only. Nothing is written by a run that ran no such file. The capabilities each
 * contract target declared are written by the suite itself (the onCapabilities hook test/contract/suite.ts passes) into
 * the directory this reporter names in PORTABASE_RESULTS_CAPABILITIES, and folded in here; test
 * runs without this reporter record nothing.
 */
const { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs')
const { join, relative, resolve, sep } = require('node:path')

/** Test files whose shared suites are not portabase's adapters (relative to the root, `/`). */
const EXCLUDED = ['test/conformance/']

const SUITES = [
  { kind: 'contract', prefix: 'contract: ' },
  { kind: 'core', prefix: 'contract core (client-side validation): ' },
  { kind: 'offline', prefix: 'offline suite: ' },
  { kind: 'sync', prefix: 'sync SPI: ' },
]

/** @param {string} title */
function suiteOf(title) {
  for (const { kind, prefix } of SUITES) {
    if (!title.startsWith(prefix)) continue
    const target = title.slice(prefix.length)
    if (/^\S+ only$/.test(target)) return undefined
    return { kind, target }
  }
  return undefined
}

/** @param {string} status */
function normalise(status) {
  if (status === 'passed' || status === 'failed') return status
  return 'skipped' // pending, skipped, todo, disabled
}

class ContractResultsReporter {
  /**
   * @param {import('@jest/reporters').Config.GlobalConfig} globalConfig
   * @param {{ outputFile?: string }} [options]
   */
  constructor(globalConfig, options = {}) {
    this.rootDir = globalConfig.rootDir
    this.outputFile = resolve(this.rootDir, options.outputFile ?? '.results/contract.json')
    // One directory per run: two runs at once (several projects in parallel) do not mix.
    this.capabilitiesDir = resolve(this.rootDir, `.results/capabilities-${process.pid}`)
    /** @type {Map<string, any>} file (relative, `/`) → entry */
    this.files = new Map()
    // Test workers are started after the reporters, so they inherit this.
    process.env.PORTABASE_RESULTS_CAPABILITIES = this.capabilitiesDir
  }

  onRunStart() {
    rmSync(this.capabilitiesDir, { recursive: true, force: true })
  }

  /** @param {string} path */
  relative(path) {
    return relative(this.rootDir, path).split(sep).join('/')
  }

  /**
   * @param {unknown} _test
   * @param {import('@jest/test-result').TestResult} result
   */
  onTestResult(_test, result) {
    const file = this.relative(result.testFilePath)
    if (EXCLUDED.some((dir) => file.startsWith(dir))) {
      this.files.set(file, null)
      return
    }
    /** @type {Map<string, any>} */
    const suites = new Map()
    for (const assertion of result.testResults) {
      const [top, ...path] = assertion.ancestorTitles
      const suite = top === undefined ? undefined : suiteOf(top)
      if (!suite) continue
      const key = `${suite.kind}\u0000${suite.target}`
      if (!suites.has(key)) suites.set(key, { ...suite, cases: [] })
      suites.get(key).cases.push({ path, title: assertion.title, status: normalise(assertion.status) })
    }
    if (suites.size > 0) this.files.set(file, { suites: [...suites.values()], capabilities: [] })
    else this.files.set(file, null) // ran, and holds no shared suite (any more)
  }

  onRunComplete() {
    /** @type {{ files: Record<string, any> }} */
    let previous = { files: {} }
    try {
      previous = JSON.parse(readFileSync(this.outputFile, 'utf8'))
    } catch {
      // first run, or an unreadable file: start over
    }
    const recorded = previous.files ?? {}
    const changed = [...this.files].some(([file, entry]) => entry !== null || file in recorded)
    if (!changed) {
      rmSync(this.capabilitiesDir, { recursive: true, force: true })
      return
    }
    for (const record of this.readCapabilities()) {
      const entry = this.files.get(this.relative(record.testPath))
      if (entry) entry.capabilities.push({ target: record.target, adapter: record.adapter, capabilities: record.capabilities })
    }
    rmSync(this.capabilitiesDir, { recursive: true, force: true })

    /** @type {Record<string, any>} */
    const files = {}
    for (const [file, entry] of Object.entries(recorded)) {
      if (!this.files.has(file) && existsSync(join(this.rootDir, file))) files[file] = entry
    }
    for (const [file, entry] of this.files) if (entry) files[file] = entry
    const sorted = Object.fromEntries(Object.keys(files).sort().map((file) => [file, files[file]]))

    mkdirSync(resolve(this.outputFile, '..'), { recursive: true })
    const temporary = `${this.outputFile}.${process.pid}.tmp`
    writeFileSync(temporary, `${JSON.stringify({ version: 1, files: sorted }, null, 1)}\n`)
    renameSync(temporary, this.outputFile)
  }

  /** @returns {{ testPath: string, target: string, adapter: string, capabilities: unknown }[]} */
  readCapabilities() {
    if (!existsSync(this.capabilitiesDir)) return []
    return readdirSync(this.capabilitiesDir)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name) => JSON.parse(readFileSync(join(this.capabilitiesDir, name), 'utf8')))
  }
}

module.exports = ContractResultsReporter

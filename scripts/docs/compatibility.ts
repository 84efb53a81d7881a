/**
 * Renders docs/compatibility.md from the shared suites' results of the last test run
 * (.results/contract.json, written by test/reporters/contract-results.cjs): per target, which
 * cases of the contract suite, the offline suite and the sync SPI suite pass, the capabilities the
 * adapter declared there, and where each target runs. Nothing in the page is written by hand.
 *
 *   tsx scripts/docs/compatibility.ts           # writes docs/compatibility.md
 *   tsx scripts/docs/compatibility.ts --check   # exit 1 when docs/compatibility.md is not current
 *
 * The output is deterministic: no timings, no dates; targets sorted by name, sections and cases in
 * the suites' own order.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const RESULTS = join(ROOT, '.results/contract.json')
const OUTPUT = join(ROOT, 'docs/compatibility.md')

type Kind = 'contract' | 'core' | 'offline' | 'sync'
type Status = 'passed' | 'failed' | 'skipped'
interface CaseResult { path: string[]; title: string; status: Status }
interface SuiteResult { kind: Kind; target: string; cases: CaseResult[] }
interface CapabilityRecord { target: string; adapter: string; capabilities: Record<string, unknown> }
interface FileEntry { suites: SuiteResult[]; capabilities: CapabilityRecord[] }
interface Results { version: number; files: Record<string, FileEntry> }

const KINDS: { kind: Kind; title: string; source: string }[] = [
  { kind: 'contract', title: 'Contract suite', source: 'src/conformance/suite.ts' },
  { kind: 'offline', title: 'Offline suite', source: 'test/offline/suite.ts' },
  { kind: 'sync', title: 'Sync SPI suite', source: 'src/conformance/sync-spi.ts' },
  { kind: 'core', title: 'Client-side validation (core, run once)', source: 'src/conformance/suite.ts (runCoreSuite)' },
]

/** One target of one suite kind, merged over the files that run it. */
interface Target {
  name: string
  files: Set<string>
  /** case key (section + path + title) → status */
  cases: Map<string, Status>
}

/** A section is the first describe below the suite's (its cases directly under it: `(suite)`). */
function sectionOf(c: CaseResult): string {
  return c.path[0] ?? '(suite)'
}
function caseLabel(c: CaseResult): string {
  return [...c.path.slice(1), c.title].join(' › ')
}
const SEP = '\u0000'

/** Failed beats skipped beats passed when one case is recorded twice for a target. */
function worse(a: Status | undefined, b: Status): Status {
  const rank = { passed: 0, skipped: 1, failed: 2 }
  return a === undefined || rank[b] > rank[a] ? b : a
}

function adapterOf(target: string): string {
  return target.split(/[\s(]/)[0]!.toLowerCase()
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}

function table(header: string[], rows: string[][], align?: ('l' | 'r' | 'c')[]): string[] {
  const marks = header.map((_, i) => ({ l: '---', r: '---:', c: ':---:' })[align?.[i] ?? 'l'])
  return [`| ${header.map(cell).join(' | ')} |`, `| ${marks.join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)]
}

function count(statuses: Iterable<Status>): { passed: number; total: number; failed: number; skipped: number } {
  let passed = 0, failed = 0, skipped = 0
  for (const s of statuses) {
    if (s === 'passed') passed++
    else if (s === 'failed') failed++
    else skipped++
  }
  return { passed, failed, skipped, total: passed + failed + skipped }
}

function score(statuses: Status[]): string {
  if (statuses.length === 0) return '—'
  const { passed, total, failed, skipped } = count(statuses)
  const notes = [failed ? `${failed} failed` : '', skipped ? `${skipped} skipped` : ''].filter(Boolean)
  return `${passed}/${total}${notes.length ? ` (${notes.join(', ')})` : ''}`
}

const MARK: Record<Status, string> = { passed: '✓', failed: '✗', skipped: '○' }

function formatCapability(value: unknown): string {
  if (value === undefined) return ''
  if (value === true) return 'yes'
  if (value === false) return 'no'
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.map((v) => `\`${cell(String(v))}\``).join(' ')
  if (typeof value === 'string') return `\`${cell(value)}\``
  return `\`${cell(JSON.stringify(value))}\``
}

/** Flattens one level of objects (`valueTypes.bytes`), keeping the capability's own key order. */
function flatten(capabilities: Record<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>()
  for (const [key, value] of Object.entries(capabilities)) {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [sub, v] of Object.entries(value as Record<string, unknown>)) out.set(`${key}.${sub}`, v)
    } else out.set(key, value)
  }
  return out
}

/** Targets of the live suites (test/live: `npm run test:live`, real vendor backends), read from their source. */
function liveTargets(): { file: string; kinds: Kind[]; targets: string[] }[] {
  const dir = join(ROOT, 'test/live')
  if (!existsSync(dir)) return []
  const calls: Record<string, Kind> = { runContractSuite: 'contract', runOfflineSuite: 'offline', runSyncSpiSuite: 'sync' }
  const out: { file: string; kinds: Kind[]; targets: string[] }[] = []
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort()) {
    const source = readFileSync(join(dir, name), 'utf8')
    const kinds = new Set<Kind>()
    const targets = new Set<string>()
    for (const m of source.matchAll(/\b(runContractSuite|runOfflineSuite|runSyncSpiSuite)\(/g)) {
      kinds.add(calls[m[1]!]!)
      const named = /'([^'\n]+ \([^'\n]+\))'/.exec(source.slice(m.index, m.index + 300))
      if (named) targets.add(named[1]!)
    }
    if (kinds.size > 0) out.push({ file: `test/live/${name}`, kinds: KINDS.map((k) => k.kind).filter((k) => kinds.has(k)), targets: [...targets].sort() })
  }
  return out
}

function adapters(): string[] {
  const dir = join(ROOT, 'adapters')
  return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'index.ts'))).map((d) => d.name).sort()
}

export function render(results: Results): string {
  const byKind = new Map<Kind, Map<string, Target>>(KINDS.map((k) => [k.kind, new Map()]))
  /** Per kind: section → ordered case keys, in the order of the target that runs most cases. */
  const capabilities = new Map<string, { adapter: string; values: Map<string, unknown> }>()
  const labels = new Map<string, { section: string; label: string }>()

  for (const [file, entry] of Object.entries(results.files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (const suite of entry.suites) {
      const targets = byKind.get(suite.kind)
      if (!targets) continue
      let target = targets.get(suite.target)
      if (!target) targets.set(suite.target, (target = { name: suite.target, files: new Set(), cases: new Map() }))
      target.files.add(file)
      for (const c of suite.cases) {
        const section = sectionOf(c)
        const label = caseLabel(c)
        const key = `${section}${SEP}${label}`
        labels.set(key, { section, label })
        target.cases.set(key, worse(target.cases.get(key), c.status))
      }
    }
    for (const record of entry.capabilities) {
      if (!capabilities.has(record.target)) capabilities.set(record.target, { adapter: record.adapter, values: flatten(record.capabilities) })
    }
  }

  // Case order: the suites' own, taken from the original case order of the target running the most.
  const order = new Map<Kind, string[]>()
  for (const { kind } of KINDS) {
    const targets = [...byKind.get(kind)!.values()].sort((a, b) => b.cases.size - a.cases.size || (a.name < b.name ? -1 : 1))
    const keys: string[] = []
    const seen = new Set<string>()
    for (const target of targets) {
      for (const file of [...target.files].sort()) {
        for (const suite of results.files[file]!.suites) {
          if (suite.kind !== kind || suite.target !== target.name) continue
          for (const c of suite.cases) {
            const key = `${sectionOf(c)}${SEP}${caseLabel(c)}`
            if (seen.has(key)) continue
            seen.add(key)
            keys.push(key)
          }
        }
      }
    }
    // Group by section, sections in order of first appearance.
    const sections: string[] = []
    for (const key of keys) {
      const section = labels.get(key)!.section
      if (!sections.includes(section)) sections.push(section)
    }
    order.set(kind, sections.flatMap((s) => keys.filter((k) => labels.get(k)!.section === s)))
  }
  const sectionsOf = (kind: Kind): string[] => [...new Set(order.get(kind)!.map((k) => labels.get(k)!.section))]
  const sortedTargets = (kind: Kind): Target[] => [...byKind.get(kind)!.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))

  const lines: string[] = []
  const push = (...more: string[]): void => void lines.push(...more)

  push(
    '# Compatibility matrix',
    '',
    '<!-- Generated by `npm run docs` (scripts/docs/compatibility.ts) from the last test run; do not edit. CI fails when it is not current (`npm run docs:check`). -->',
    '',
    'Which cases of the shared suites pass on which target, and what each adapter declares. The',
    'targets run in `npm test` (the README\'s command, and CI), the live ones listed apart excepted;',
    'this page is rendered from that run\'s results (recorded by `test/reporters/contract-results.cjs`),',
    'not written by hand.',
    'A target is one adapter on one backend: the name says where it runs (in process, on local',
    'emulators or simulators, on embedded PostgreSQL, or at translation level against a fake of the',
    'vendor SDK). ✓ passed, ✗ failed, ○ skipped, blank: not run on that target. A capability-gated',
    'case passes when the adapter does what it declares (see Declared capabilities): the feature',
    'works, or the call fails with `unsupported`.',
    '',
  )

  // Targets: where each one runs.
  push('## Targets', '')
  const allTargets = new Map<string, { adapter: string; kinds: Set<Kind>; files: Set<string> }>()
  for (const { kind } of KINDS) {
    for (const target of sortedTargets(kind)) {
      const row = allTargets.get(target.name) ?? { adapter: capabilities.get(target.name)?.adapter ?? adapterOf(target.name), kinds: new Set(), files: new Set() }
      row.kinds.add(kind)
      target.files.forEach((f) => row.files.add(f))
      allTargets.set(target.name, row)
    }
  }
  const kindTitle = (k: Kind): string => ({ contract: 'contract', core: 'core', offline: 'offline', sync: 'sync SPI' })[k]
  push(
    ...table(
      ['Target', 'Adapter', 'Suites', 'Test files'],
      [...allTargets.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, row]) => [cell(name), `\`${row.adapter}\``, KINDS.filter((k) => row.kinds.has(k.kind)).map((k) => kindTitle(k.kind)).join(', '), [...row.files].sort().map((f) => `\`${f}\``).join('<br>')]),
    ),
    '',
  )

  const live = liveTargets()
  const verified = new Set([...allTargets.values()].map((t) => t.adapter))
  const unverified = adapters().filter((a) => !verified.has(a))
  if (live.length > 0 || unverified.length > 0) {
    push('### Not in `npm test`', '')
    if (unverified.length > 0) {
      const own = unverified.map((a) => (existsSync(join(ROOT, 'test', a)) ? `\`${a}\` (its own tests: \`test/${a}\`)` : `\`${a}\``))
      push(`No target of ${own.join(', ')} runs a shared suite in \`npm test\`; the live targets below do.`, '')
    }
    if (live.length > 0) {
      push('Live targets run only with `npm run test:live` against real vendor backends (not in CI; their results are not recorded here):', '')
      push(...table(['Test file', 'Suites', 'Targets'], live.map((l) => [`\`${l.file}\``, l.kinds.map(kindTitle).join(', '), l.targets.map(cell).join('<br>')])), '')
    }
  }

  // Summary.
  push('## Summary', '')
  const summaryKinds = KINDS.filter((k) => byKind.get(k.kind)!.size > 0)
  push(
    ...table(
      ['Target', ...summaryKinds.map((k) => kindTitle(k.kind))],
      [...allTargets.keys()].sort().map((name) => [cell(name), ...summaryKinds.map((k) => score([...(byKind.get(k.kind)!.get(name)?.cases.values() ?? [])]))]),
      ['l', ...summaryKinds.map(() => 'r' as const)],
    ),
    '',
  )

  // Capabilities declared by each contract target.
  const capTargets = [...capabilities.keys()].sort()
  if (capTargets.length > 0) {
    push('## Declared capabilities', '', 'As each contract target\'s adapter declared them (`adapter.capabilities`, read during the run; see `Capabilities` in [the API reference](api/portabase.md)). The contract suite asserts capability-gated behaviour both ways: the case passes with the capability, and the call fails with `unsupported` without it.', '')
    const keys: string[] = []
    for (const name of capTargets) for (const key of capabilities.get(name)!.values.keys()) if (!keys.includes(key)) keys.push(key)
    push(...table(['Capability', ...capTargets], keys.map((key) => [`\`${key}\``, ...capTargets.map((t) => formatCapability(capabilities.get(t)!.values.get(key)))])), '')
  }

  // Per suite: sections × targets, then every case.
  for (const { kind, title, source } of KINDS) {
    const targets = sortedTargets(kind)
    if (targets.length === 0) continue
    push(`## ${title}`, '', `Cases of \`${source}\`, per section (the suite's describe blocks).`, '')
    const sections = sectionsOf(kind)
    const rows = sections.map((section) => [
      cell(section),
      ...targets.map((t) => {
        const statuses = order.get(kind)!.filter((k) => labels.get(k)!.section === section && t.cases.has(k)).map((k) => t.cases.get(k)!)
        return score(statuses)
      }),
    ])
    rows.push(['**all**', ...targets.map((t) => `**${score([...t.cases.values()])}**`)])
    push(...table(['Section', ...targets.map((t) => t.name)], rows, ['l', ...targets.map(() => 'r' as const)]), '')

    const failing = targets.flatMap((t) => order.get(kind)!.filter((k) => t.cases.has(k) && t.cases.get(k) !== 'passed').map((k) => ({ t, k })))
    if (failing.length > 0) {
      push('Not passing:', '')
      for (const { t, k } of failing) push(`- ${MARK[t.cases.get(k)!]} ${cell(t.name)}: ${cell(labels.get(k)!.section)} › ${cell(labels.get(k)!.label)}`)
      push('')
    }

    push('<details><summary>Every case</summary>', '')
    for (const section of sections) {
      const keys = order.get(kind)!.filter((k) => labels.get(k)!.section === section)
      push(`#### ${cell(section)}`, '')
      push(...table(['Case', ...targets.map((t) => t.name)], keys.map((k) => [cell(labels.get(k)!.label), ...targets.map((t) => (t.cases.has(k) ? MARK[t.cases.get(k)!] : ''))]), ['l', ...targets.map(() => 'c' as const)]), '')
    }
    push('</details>', '')
  }

  return `${lines.join('\n').replace(/\n+$/, '')}\n`
}

/** The first lines of a unified diff (committed → this run), through `diff` where there is one. */
function summariseDiff(expected: string, actual: string): string[] {
  const fresh = join(ROOT, '.results/compatibility.md')
  writeFileSync(fresh, expected)
  const diff = spawnSync('diff', ['-u', '--label', 'docs/compatibility.md (committed)', '--label', 'docs/compatibility.md (this run)', OUTPUT, fresh], { encoding: 'utf8' })
  if (diff.stdout) {
    const lines = diff.stdout.split('\n')
    return [...lines.slice(0, 60), ...(lines.length > 60 ? [`… ${lines.length - 60} more lines (${fresh})`] : [])]
  }
  const a = actual.split('\n'), b = expected.split('\n')
  const first = a.findIndex((line, i) => line !== b[i])
  return [`first difference at line ${(first === -1 ? a.length : first) + 1}; this run's rendering: ${fresh}`]
}

function main(): void {
  const check = process.argv.includes('--check')
  if (!existsSync(RESULTS)) {
    console.error(`No test results at ${RESULTS}: run \`npm test\` (or the jest projects with the shared suites) first.`)
    process.exit(1)
  }
  const results = JSON.parse(readFileSync(RESULTS, 'utf8')) as Results
  const expected = render(results)
  if (!check) {
    writeFileSync(OUTPUT, expected)
    console.log(`Wrote ${OUTPUT}`)
    return
  }
  const actual = existsSync(OUTPUT) ? readFileSync(OUTPUT, 'utf8') : ''
  if (actual === expected) {
    console.log('docs/compatibility.md is current.')
    return
  }
  console.error('docs/compatibility.md does not match the results of this test run. Run `npm run docs` and commit the result.')
  for (const line of summariseDiff(expected, actual)) console.error(line)
  process.exit(1)
}

main()

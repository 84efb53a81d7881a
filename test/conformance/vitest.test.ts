/**
 * The conformance kit on Vitest, checked from Jest: runs vitest/vitest.config.ts (the toy adapter
 * through the built `portabase/conformance`, once with Vitest's globals and once with Vitest's
 * functions injected as `testApi`) in a child process, and asserts from Vitest's JSON report that
 * every case ran and passed under the same titles the kit registers. The expected cases come from
 * the kit itself: the same suite is registered here into a recording `testApi` (no case runs), which
 * is exactly what Jest registers for toy.test.ts.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runContractSuite, type TestApi } from 'portabase/conformance'
import { toyTarget } from './toy-target.js'

const root = resolve(__dirname, '../..')
const VITEST_TIMEOUT_MS = 100_000

/** The full titles (describe path and case title) of the cases `register` adds, without running any. */
function registeredTitles(register: (api: TestApi) => void): string[] {
  const titles: string[] = []
  const path: string[] = []
  const ignore = (): void => {}
  const api: TestApi = {
    describe(name, body) {
      path.push(name)
      try {
        body()
      } finally {
        path.pop()
      }
    },
    test(name) {
      titles.push([...path, name].join(' > '))
    },
    beforeAll: ignore,
    afterAll: ignore,
    afterEach: ignore,
    expect: Object.assign(
      () => {
        throw new Error('expect called while registering')
      },
      { objectContaining: () => undefined, any: () => undefined },
    ) as unknown as TestApi['expect'],
  }
  register(api)
  return titles
}

interface VitestReport {
  success: boolean
  numTotalTests: number
  numPassedTests: number
  testResults: { name: string; status: string; message?: string; assertionResults: { ancestorTitles: string[]; title: string; status: string; failureMessages: string[] }[] }[]
}

function runVitest(outputFile: string): Promise<{ code: number | null; output: string }> {
  const bin = join(root, 'node_modules/.bin/vitest')
  const args = ['run', '--config', 'test/conformance/vitest/vitest.config.ts', '--reporter=json', `--outputFile=${outputFile}`, '--no-color']
  return new Promise((done) => {
    execFile(bin, args, { cwd: root, timeout: VITEST_TIMEOUT_MS, killSignal: 'SIGKILL', env: { ...process.env, CI: 'true' }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
      done({ code, output: `${stdout}\n${stderr}`.slice(-4000) })
    })
  })
}

test(
  'Vitest runs the toy adapter through the built kit, with globals and with an injected testApi: every case the kit registers passes, under the same title',
  async () => {
    const name = (runner: string) => `toy (Vitest ${runner})`
    const expected = {
      globals: registeredTitles((testApi) => runContractSuite(toyTarget(name('globals')), { testApi })),
      injected: registeredTitles((testApi) => runContractSuite(toyTarget(name('injected testApi')), { testApi })),
    }
    expect(expected.globals.length).toBeGreaterThan(0)
    expect(expected.injected).toHaveLength(expected.globals.length)

    const dir = mkdtempSync(join(tmpdir(), 'portabase-vitest-'))
    try {
      const outputFile = join(dir, 'report.json')
      const { code, output } = await runVitest(outputFile)
      let report: VitestReport
      try {
        report = JSON.parse(readFileSync(outputFile, 'utf8')) as VitestReport
      } catch {
        throw new Error(`vitest wrote no report (exit ${code}):\n${output}`)
      }
      const failures = report.testResults.flatMap((file) => [
        ...(file.status === 'passed' ? [] : [`${file.name}: ${file.status} ${file.message ?? ''}`]),
        ...file.assertionResults.filter((c) => c.status !== 'passed').map((c) => `${c.ancestorTitles.join(' > ')} > ${c.title}: ${c.status} ${c.failureMessages.join('\n')}`),
      ])
      expect(failures).toEqual([])
      expect(code).toBe(0)
      expect(report.success).toBe(true)

      const ran = (spec: string) =>
        report.testResults
          .filter((file) => file.name.endsWith(`/vitest/${spec}.spec.ts`))
          .flatMap((file) => file.assertionResults.map((c) => [...c.ancestorTitles, c.title].join(' > ')))
      expect(ran('globals').sort()).toEqual([...expected.globals].sort())
      expect(ran('injected').sort()).toEqual([...expected.injected].sort())
      expect(report.numPassedTests).toBe(expected.globals.length + expected.injected.length)
      expect(report.numTotalTests).toBe(report.numPassedTests)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
  VITEST_TIMEOUT_MS + 20_000,
)

import type { Measurement } from './figure.js'

export interface SuiteContext {
  /** `--quick`: fewer samples, for checking the harness; figures are noisier. */
  quick: boolean
  /** Progress lines (stderr), so stdout stays the report. */
  log: (line: string) => void
}

/**
 * One group of figures. The runner holds a list of suites; `npm run bench -- <name>` runs one.
 * A suite opens and closes everything it uses (clients, RxDB databases), so suites run in any order.
 */
export interface Suite {
  name: string
  summary: string
  run(ctx: SuiteContext): Promise<Measurement[]>
}

/**
 * The contract suite as this repository runs it: the conformance kit's (src/conformance, shipped as
 * `portabase/conformance`), plus the hook that records each target's declared capabilities for
 * docs/compatibility.md. The reporter (test/reporters/contract-results.cjs) names the directory
 * in PORTABASE_RESULTS_CAPABILITIES; runs without it record nothing.
 */
import { randomUUID } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runContractSuite as runKitSuite, type DeclaredCapabilities, type SuiteOptions } from '../../src/conformance/suite.js'
import type { ContractTarget } from './target.js'

export { CORE_SECTIONS, SECTIONS, runCoreSuite, type SectionName, type SuiteOptions } from '../../src/conformance/suite.js'

function recordCapabilities(declared: DeclaredCapabilities): void {
  const dir = process.env.PORTABASE_RESULTS_CAPABILITIES
  if (!dir) return
  mkdirSync(dir, { recursive: true })
  const record = { testPath: expect.getState().testPath, target: declared.target, adapter: declared.adapter, capabilities: declared.capabilities }
  writeFileSync(join(dir, `${randomUUID()}.json`), JSON.stringify(record))
}

export function runContractSuite(target: ContractTarget, options: SuiteOptions = {}): void {
  runKitSuite(target, { ...options, onCapabilities: recordCapabilities })
}

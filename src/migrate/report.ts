/** The end-of-run report as text lines (no secrets: labels, counts, hashes, uids and emails). */
import type { MigrationReport } from './run.js'

/** The id map can hold every account: the text report shows its start, the JSON report all of it. */
const MAX_ID_LINES = 100

export function formatReport(report: MigrationReport): string[] {
  const lines: string[] = []
  const seconds = report.durationMs / 1000
  lines.push(`${report.dryRun ? 'Dry run' : report.resumed ? 'Resumed migration' : 'Migration'}: ${report.from} → ${report.to} in ${seconds.toFixed(1)} s`)
  for (const c of report.collections) {
    const rate = seconds > 0 ? ` (${Math.round(c.read / seconds)} docs/s overall)` : ''
    const skipped = c.skipped > 0 ? `, ${c.skipped} already there after the crash` : ''
    lines.push(`  ${c.collection}: ${c.read} read, ${report.dryRun ? 'would write them' : `${c.written} written${skipped}`}${rate}`)
  }
  lines.push(`  timestamps: ${report.timestamps === 'preserved' ? 'preserved' : 'assigned by the target (not preserved)'}`)
  if (report.files.count > 0) lines.push(`  files: ${report.files.count} (${report.files.bytes} bytes)`)
  if (report.config) lines.push(`  remote config: ${report.config.keys} key(s)`)
  if (report.users) {
    const u = report.users
    lines.push(`  users: ${u.count} (${u.withPasswordHash} with an exported password hash)${u.note ? ` — ${u.note}` : ''}`)
    if (u.mustReset.length > 0) {
      lines.push(`  users who must reset their password (${u.mustReset.length}):`)
      for (const r of u.mustReset) lines.push(`    ${r.uid} ${r.email ?? '(no email)'}: ${r.reason}`)
    }
    if (u.notImported.length > 0) {
      lines.push(`  users NOT imported (${u.notImported.length}):`)
      for (const r of u.notImported) lines.push(`    ${r.uid} ${r.email ?? '(no email)'}: ${r.reason}`)
    }
    const renamed = Object.entries(u.idMap)
    if (renamed.length > 0) {
      lines.push(`  users with a new uid (${renamed.length}; the target assigned them), old → new${renamed.length > MAX_ID_LINES ? `, first ${MAX_ID_LINES} (all in --report's JSON, users.idMap)` : ''}:`)
      for (const [from, to] of renamed.slice(0, MAX_ID_LINES)) lines.push(`    ${from} → ${to}`)
      if (u.uidFields.length > 0) lines.push(`  document fields rewritten to the new uids: ${u.uidFields.join(', ')}`)
    }
    if (u.warning) lines.push(`  WARNING: ${u.warning}`)
  }
  const v = report.verify
  if (v) {
    lines.push(`Verify: ${v.ok ? 'OK' : 'FAILED'}`)
    for (const c of v.collections) {
      lines.push(`  ${c.ok ? 'ok  ' : 'DIFF'} ${c.collection}: source ${c.source.count} docs ${c.source.sha256sum.slice(0, 16)}…, target ${c.target.count} docs ${c.target.sha256sum.slice(0, 16)}…`)
      for (const id of c.differences) lines.push(`       ${id}`)
    }
    if (v.files.checked > 0 || v.files.differences.length > 0) {
      lines.push(`  ${v.files.ok ? 'ok  ' : 'DIFF'} files: ${v.files.checked} checked by SHA-256${v.files.extraInTarget ? `, ${v.files.extraInTarget} extra in the target` : ''}`)
      for (const d of v.files.differences.slice(0, 20)) lines.push(`       ${d.path} (${d.reason})`)
    }
    if (v.config) lines.push(`  ${v.config.ok ? 'ok  ' : 'DIFF'} remote config${v.config.ok ? '' : `: ${v.config.differingKeys.join(', ')}`}`)
    if (v.users) {
      const u = v.users
      const mapped = u.mapped ? ` (${u.mapped} under their new uid)` : ''
      const skipped = u.notImported ? `, ${u.notImported} not imported (listed above)` : ''
      lines.push(`  ${u.ok ? 'ok  ' : 'DIFF'} users: ${u.found} of the source's ${u.source} in the target with the same email and profile${mapped}${skipped}`)
      for (const d of u.differences ?? []) lines.push(`       ${d}`)
    }
  }
  return lines
}

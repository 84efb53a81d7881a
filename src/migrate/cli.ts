#!/usr/bin/env node
/**
 * The `portabase` command: `migrate`, `export`, `import` (docs/migrate.md). Node only.
 *
 * Exit codes: 0 done (and verified, with --verify); 1 done but --verify found differences;
 * 2 the run failed (bad arguments or config, an endpoint error): fix it and run again, with
 * --resume when a checkpoint was written.
 */
import { writeFile } from 'node:fs/promises'
import { Command, InvalidArgumentError, Option } from 'commander'
import { isPortabaseError } from '../errors.js'
import { loadConfigFile, openEndpoint, selectionOf, type EndpointConfig } from './config.js'
import type { Endpoint } from './endpoint.js'
import { backupReader, backupWriter } from './endpoints/backup.js'
import { barProgress, lineProgress } from './progress.js'
import { formatReport } from './report.js'
import { DEFAULT_PAGE_SIZE, migrate, type MigrationReport } from './run.js'

interface RunFlags {
  dryRun?: boolean
  resume?: boolean
  checkpoint?: string
  verify?: boolean
  pageSize: number
  collections?: string[]
  report?: string
  progress: boolean
}

const positiveInt = (value: string): number => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('an integer from 1 to 10000')
  return n
}

function withRunOptions(command: Command, defaultCheckpoint: string): Command {
  return command
    .option('--dry-run', 'read and count everything, write nothing')
    .option('--resume', 'continue an interrupted run from its checkpoint')
    .option('--checkpoint <file>', 'checkpoint file, saved after every page', defaultCheckpoint)
    .option('--verify', 'afterwards, compare counts and content hashes per collection and per file; exit code 1 when they differ')
    .addOption(new Option('--page-size <n>', 'documents per page').argParser(positiveInt).default(DEFAULT_PAGE_SIZE))
    .option('--collections <names>', 'comma-separated collections (overrides the config)', (v: string) => v.split(',').filter(Boolean))
    .option('--report <file>', 'also write the report as JSON')
    .option('--no-progress', 'no progress bars or lines')
}

async function execute(from: Endpoint, to: Endpoint, selectionConfig: EndpointConfig, flags: RunFlags, targetReader?: () => Promise<Endpoint>): Promise<MigrationReport> {
  const tty = process.stdout.isTTY === true
  const progress = !flags.progress ? undefined : tty ? barProgress() : lineProgress()
  try {
    const selection = await selectionOf(selectionConfig, from, { collections: flags.collections })
    const report = await migrate({ from, to, selection, dryRun: flags.dryRun, resume: flags.resume, checkpoint: flags.checkpoint, verify: flags.verify, pageSize: flags.pageSize, progress, targetReader })
    for (const line of formatReport(report)) process.stdout.write(`${line}\n`)
    if (flags.report) await writeFile(flags.report, `${JSON.stringify(report, null, 2)}\n`)
    if (report.verify && !report.verify.ok) process.exitCode = 1
    return report
  } finally {
    progress?.stop()
    await Promise.allSettled([from.close(), to.close()])
  }
}

function program(): Command {
  const cli = new Command('portabase')
    .description('Move an app between backends: documents, files, remote config and users (docs/migrate.md)')
    .showHelpAfterError()
    .exitOverride()

  withRunOptions(
    cli
      .command('migrate')
      .description('copy from one backend to another')
      .requiredOption('--from <config>', 'source config (.js/.mjs/.json)')
      .requiredOption('--to <config>', 'target config'),
    '.portabase-migrate.checkpoint.json',
  ).action(async (flags: RunFlags & { from: string; to: string }) => {
    const [fromConfig, toConfig] = await Promise.all([loadConfigFile(flags.from), loadConfigFile(flags.to)])
    const from = await openEndpoint(fromConfig, 'source')
    const to = await openEndpoint(toConfig, 'target')
    const reader = toConfig.adapter === 'backup' ? () => openEndpoint(toConfig, 'source') : undefined
    await execute(from, to, fromConfig, flags, reader)
  })

  withRunOptions(
    cli
      .command('export')
      .description('write a backup directory (NDJSON per collection, files, config, users, manifest)')
      .requiredOption('--from <config>', 'source config')
      .requiredOption('--out <dir>', 'backup directory (new or empty, or the one to --resume)'),
    '.portabase-export.checkpoint.json',
  ).action(async (flags: RunFlags & { from: string; out: string }) => {
    const fromConfig = await loadConfigFile(flags.from)
    const from = await openEndpoint(fromConfig, 'source')
    await execute(from, backupWriter(flags.out), fromConfig, flags, () => backupReader(flags.out))
  })

  withRunOptions(
    cli
      .command('import')
      .description('restore a backup directory into a backend')
      .requiredOption('--in <dir>', 'backup directory (written by export)')
      .requiredOption('--to <config>', 'target config (its collections/storage/config/users fields narrow what is restored)'),
    '.portabase-import.checkpoint.json',
  ).action(async (flags: RunFlags & { in: string; to: string }) => {
    const toConfig = await loadConfigFile(flags.to)
    const from = await backupReader(flags.in)
    const to = await openEndpoint(toConfig, 'target')
    await execute(from, to, { ...toConfig, adapter: 'backup' }, flags)
  })
  return cli
}

async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv)
  } catch (error) {
    const commanderCode = (error as { code?: unknown }).code
    if (typeof commanderCode === 'string' && commanderCode.startsWith('commander.')) {
      process.exitCode = commanderCode === 'commander.helpDisplayed' || commanderCode === 'commander.version' ? 0 : 2
      return
    }
    // PortabaseError messages carry no secrets; anything else is reported by its message only.
    const message = isPortabaseError(error) ? error.message : error instanceof Error ? error.message : String(error)
    process.stderr.write(`portabase: ${message}\n`)
    process.exitCode = 2
  }
}

void main(process.argv)

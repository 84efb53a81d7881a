/** Runs the `portabase` CLI (src/migrate/cli.ts through tsx) in a child process. */
import { spawn, type ChildProcess } from 'node:child_process'
import * as path from 'node:path'

export const REPO = path.resolve(__dirname, '../..')

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export function startCli(args: readonly string[], env: Record<string, string> = {}, script = 'src/migrate/cli.ts'): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
  return { child, done }
}

export const runCli = (args: readonly string[], env?: Record<string, string>): Promise<CliResult> => startCli(args, env).done

export const fixture = (name: string): string => path.join(REPO, 'test/migrate/fixtures', name)

export { waitFor } from '../contract/helpers.js'

/** How far a checkpoint says a collection got (0 while there is none, or mid-rename). */
export async function writtenSoFar(checkpoint: string, collection: string): Promise<number> {
  const { readFile } = await import('node:fs/promises')
  try {
    return (JSON.parse(await readFile(checkpoint, 'utf8')) as { collections: Record<string, { written: number }> }).collections[collection]?.written ?? 0
  } catch {
    return 0
  }
}

/**
 * Test helper: starts the Firebase auth + functions emulators (the real CLI, `emulators:start`) and the
 * storage emulator (storage-child.ts) on free ports, waits until they are ready, stops them by pid.
 * Both run as child processes, outside jest's module sandbox. Startup failures throw with the tail of
 * the emulator's output, so a test that needs them fails with a clear message.
 */
import { spawn, fork, type ChildProcess } from 'node:child_process'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import * as path from 'node:path'
import { trackStart } from '../abandoned.js'

export const PROJECT_ID = 'demo-portabase'
export const STORAGE_BUCKET = `${PROJECT_ID}.appspot.com`
const HOST = '127.0.0.1'
const START_TIMEOUT_MS = 120_000
const STOP_TIMEOUT_MS = 15_000

export interface FirebaseEmulators {
  projectId: string
  host: string
  authPort: number
  functionsPort: number
  storagePort: number
  storageBucket: string
  stop(): Promise<void>
}

/** This file's directory (CommonJS under ts-jest; the repository layout otherwise). */
function helperDir(): string {
  return typeof __dirname === 'string' ? __dirname : path.resolve('test/backends/firebase')
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, HOST, () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>()
  while (ports.size < n) ports.add(await freePort())
  return [...ports]
}

/** Resolves when `ready(output)` holds; rejects on exit or timeout with the recent output. */
function waitForOutput(child: ChildProcess, what: string, ready: (output: string) => boolean): Promise<void> {
  let output = ''
  return new Promise((resolve, reject) => {
    const tail = (): string => output.split('\n').slice(-25).join('\n')
    const timer = setTimeout(() => finish(new Error(`${what}: not ready within ${START_TIMEOUT_MS / 1000} s. Output:\n${tail()}`)), START_TIMEOUT_MS)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      if (ready(output)) finish()
    }
    const onExit = (code: number | null, signal: string | null): void => finish(new Error(`${what}: exited during start-up (code ${code}, signal ${signal}). Output:\n${tail()}`))
    const finish = (error?: Error): void => {
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      child.stderr?.off('data', onData)
      child.off('exit', onExit)
      if (error) reject(error)
      else resolve()
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', onExit)
  })
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGINT')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
  await exited
  clearTimeout(timer)
}

export function startFirebaseEmulators(): Promise<FirebaseEmulators> {
  return trackStart(startFirebaseEmulatorsNow(), (emulators) => emulators.stop())
}

async function startFirebaseEmulatorsNow(): Promise<FirebaseEmulators> {
  const dir = helperDir()
  const root = path.resolve(dir, '../../..')
  const cli = path.join(root, 'node_modules', '.bin', 'firebase')
  if (!existsSync(cli)) throw new Error(`firebase-tools is not installed (${cli} missing): run npm install`)
  const [authPort, functionsPort, storagePort, hubPort, loggingPort] = (await freePorts(5)) as [number, number, number, number, number]

  // One config per run, next to functions/ (whose path firebase.json gives relative to itself).
  const configPath = path.join(dir, `firebase.${process.pid}.${Date.now()}.json`)
  writeFileSync(
    configPath,
    JSON.stringify({
      functions: [{ source: 'functions', codebase: 'default' }],
      emulators: {
        singleProjectMode: true,
        ui: { enabled: false },
        auth: { host: HOST, port: authPort },
        functions: { host: HOST, port: functionsPort },
        hub: { host: HOST, port: hubPort },
        logging: { host: HOST, port: loggingPort },
      },
    }),
  )

  const children: ChildProcess[] = []
  let stopping = false
  const stop = async (): Promise<void> => {
    stopping = true
    await Promise.all(children.map(stopChild))
    rmSync(configPath, { force: true })
  }
  try {
    // The CLI itself, not npx: npx's pid does not forward SIGINT.
    const firebase = spawn(process.execPath, [cli, 'emulators:start', '--project', PROJECT_ID, '--only', 'auth,functions', '--config', configPath], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FIREBASE_CLI_DISABLE_UPDATE_CHECK: 'true', CI: 'true' },
    })
    children.push(firebase)
    const cliReady = waitForOutput(firebase, 'Firebase auth/functions emulators', (out) => /All emulators ready/i.test(out) && /Loaded functions definitions/i.test(out))

    const storage = fork(path.join(dir, 'storage-child.ts'), [JSON.stringify({ projectId: PROJECT_ID, host: HOST, port: storagePort })], {
      cwd: root,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    })
    children.push(storage)
    const storageReady = new Promise<void>((resolve, reject) => {
      storage.once('message', (m: { type: string; message?: string }) => (m.type === 'ready' ? resolve() : reject(new Error(`Storage emulator: ${m.message}`))))
      storage.once('exit', (code) => reject(new Error(`Storage emulator: exited during start-up (code ${code})`)))
    })
    storage.stdout?.resume()
    // Its last output, for the message should it die mid-file (its clients would then retry for minutes).
    let storageErr = ''
    storage.stderr?.on('data', (chunk: Buffer) => (storageErr = (storageErr + chunk.toString()).slice(-2_000)))
    storage.once('exit', (code, signal) => {
      if (!stopping) process.stderr.write(`Storage emulator (port ${storagePort}) exited unexpectedly (code ${code}, signal ${signal}); its last stderr:\n${storageErr}\n`)
    })

    await Promise.all([cliReady, storageReady])
    firebase.stdout?.resume()
    firebase.stderr?.resume()
  } catch (error) {
    await stop()
    throw error
  }
  return { projectId: PROJECT_ID, host: HOST, authPort, functionsPort, storagePort, storageBucket: STORAGE_BUCKET, stop }
}

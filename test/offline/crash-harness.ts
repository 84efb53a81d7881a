/**
 * The offline crash test (issue #6), for any backend: a child process flushing the outbox is
 * SIGKILLed at random points, RUNS times; after a restart nothing is lost or applied twice.
 * crash.test.ts runs it on Parse, crash-amplify.test.ts on the local Amplify backend.
 *
 * One backend outlives every run. Per run: a fresh collection (with a `seed` document on the
 * server) and a fresh temporary directory for fileStore. The child (crash-child.ts) queues
 * CRASH_WRITES offline, then flushes them online with batchSize 5 (13 chunks: many requests and
 * store commits) and reports its progress on stdout. The kill point is random: mostly a random
 * event of the flush (a fetch, a batch sent or answered, a local settle; see crash-child.ts) plus
 * 0 ms (a third of them) or 0–25 ms (`jitterMs`), some at a random time after the flush started,
 * some after the flush completed. The landings are counted and printed. Then this process opens the
 * same directory (taking over the dead child's lock), flushes and waits for a sync, and the server
 * (read by a plain online client) must hold exactly expectedServerDocs(), the outbox must be empty,
 * and the local cache must equal the server.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { BehaviorSubject, firstValueFrom } from 'rxjs'
import { createClient, type Adapter, type DocumentData, type PortabaseClient } from '../../src/index.js'
import { offline } from '../../src/offline/index.js'
import { fileStore } from '../../src/offline/node/index.js'
import { CRASH_WRITES, expectedServerDocs, SEED, type ChildConfig, type ChildTarget } from './crash-plan.js'

const ROOT = join(__dirname, '..', '..')
const CHILD = join(ROOT, 'test', 'offline', 'crash-child.ts')
const PARALLEL = 3
const BATCH_SIZE = 5
/** Trace events of one flush: per chunk fetch, fetched, send, ack, pending (see crash-child.ts). */
const EVENTS = Math.ceil(CRASH_WRITES.length / BATCH_SIZE) * 5

export interface CrashTarget {
  /** Shown in the test name and the summary: `Parse`, `Amplify`. */
  name: string
  runs: number
  /** Starts the backend (once for every run). */
  setup(): Promise<void>
  teardown(): Promise<void>
  /** A new adapter on the backend, signed out. */
  adapter(): Adapter
  /** What the child needs to reach the backend. */
  childTarget(): ChildTarget
  /** The collection of run `index`: fresh, empty. */
  collection(index: number): string
  /**
   * The longest delay of a kill after its trace event (a third of them have none). Default 25 ms:
   * Parse answers a sync write in one /batch request; an Amplify one is a read and a write per
   * document, so its kills need a wider window to land between the writes of one call.
   */
  jitterMs?: number
}

type Landing = 'before the flush' | 'request in flight' | 'answered, not yet settled locally' | 'between requests' | 'after the flush'

interface RunResult {
  run: number
  collection: string
  plan: string
  landing: Landing
  /** The child's stdout lines, for the failure message. */
  lines: string[]
  /** Writes still in the outbox when this process reopened it. */
  pendingAtRestart: number
  /** Of those, the ones the restart found already applied (by writeId) and settled without sending them. */
  foundApplied: number
  server: Record<string, DocumentData>
  local: Record<string, DocumentData>
  outbox: number
  pendingAfter: number
}

const docsOf = async (app: PortabaseClient, collection: string): Promise<Record<string, DocumentData>> =>
  Object.fromEntries((await app.db.collection(collection).get()).docs.map((d) => [d.id, d.data]))

/** Where the kill landed, from the child's complete output (it was dead when stdout closed). */
function landingOf(lines: readonly string[]): Landing {
  const phase2 = lines.indexOf('phase2')
  const flush = lines.slice(phase2 + 1)
  if (flush.includes('flushed') || flush.includes('pending 0')) return 'after the flush'
  if (!flush.some((l) => l.startsWith('send '))) return 'before the flush'
  const last = [...flush].reverse().find((l) => /^(send|ack|pending|fetch|fetched)\b/.test(l))!
  if (last.startsWith('send ')) return 'request in flight'
  if (last.startsWith('ack ')) return 'answered, not yet settled locally'
  return 'between requests'
}

export function runCrashTest(target: CrashTarget): void {
  let reader: PortabaseClient

  beforeAll(async () => {
    await target.setup()
    reader = createClient({ adapter: target.adapter() })
  })

  afterAll(async () => {
    await reader?.dispose()
    await target.teardown()
  })

  async function crashRun(index: number): Promise<RunResult> {
    const collection = target.collection(index)
    const directory = await mkdtemp(join(tmpdir(), 'portabase-offline-crash-'))
    let child: ChildProcess | undefined
    try {
      await reader.db.collection(collection).doc('seed').set(SEED)
      const config: ChildConfig = { ...target.childTarget(), directory, collection, batchSize: BATCH_SIZE }
      const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(config)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
      child = proc
      const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()))

      // The kill point: 75 % a random trace event of the flush (+ 0–25 ms), 15 % a random time after
      // the flush started, 10 % a random time after it completed.
      const dice = Math.random()
      // A third of the event kills are immediate, to hit the short window between an answer and its local commit.
      const trigger = dice < 0.75 ? { event: Math.floor(Math.random() * EVENTS), jitter: Math.random() < 1 / 3 ? 0 : Math.random() * (target.jitterMs ?? 25) } : null
      const afterStart = dice >= 0.75 && dice < 0.9 ? Math.random() * 600 : null
      const afterFlush = dice >= 0.9 ? Math.random() * 150 : null
      const plan = trigger ? `event ${trigger.event} + ${trigger.jitter.toFixed(0)} ms` : afterStart !== null ? `${afterStart.toFixed(0)} ms after phase2` : `${afterFlush!.toFixed(0)} ms after flushed`

      let buffer = ''
      const lines: string[] = []
      let events = 0
      let timer: ReturnType<typeof setTimeout> | undefined
      let killed = false
      const kill = (delay: number): void => {
        if (timer || killed) return
        timer = setTimeout(() => {
          killed = true
          proc.kill('SIGKILL')
        }, delay)
      }
      const failed = new Promise<never>((_, reject) => {
        const guard = setTimeout(() => reject(new Error(`run ${index}: not killed within 60 s: ${lines.join(' | ')}`)), 60_000)
        void closed.then(() => clearTimeout(guard))
        proc.once('exit', (code, signal) => {
          if (signal !== 'SIGKILL') reject(new Error(`run ${index}: the child exited on its own (code ${code}): ${lines.join(' | ')}`))
        })
      })
      failed.catch(() => undefined)
      proc.stdout!.on('data', (chunk: Buffer) => {
        buffer += chunk.toString()
        let nl: number
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl)
          buffer = buffer.slice(nl + 1)
          lines.push(line)
          if (line === 'phase2' && afterStart !== null) kill(afterStart)
          if (line === 'flushed' && afterFlush !== null) kill(afterFlush)
          if (trigger && lines.includes('phase2') && /^(fetch|fetched|send|ack|pending)\b/.test(line) && line !== `pending ${CRASH_WRITES.length}`) {
            if (events++ === trigger.event) kill(trigger.jitter)
          }
          // An event index past the end of this flush: the kill lands after it.
          if (trigger && line === 'synced') kill(trigger.jitter)
        }
      })
      await Promise.race([closed, failed])
      clearTimeout(timer)
      const childError = lines.find((l) => l.startsWith('error'))
      if (childError) throw new Error(`run ${index}: the child reported ${childError}: ${lines.join(' | ')}`)
      if (!lines.includes('phase2')) throw new Error(`run ${index}: killed before phase 2: ${lines.join(' | ')}`)

      // Restart, in this process: the dead child's lock is taken over. Writes sent are counted.
      const adapter = target.adapter()
      const sync = adapter.sync!
      let sent = 0
      const counted: Adapter = Object.create(adapter, {
        sync: {
          value: {
            fetch: sync.fetch.bind(sync),
            changes: sync.changes.bind(sync),
            write: (...args: Parameters<typeof sync.write>) => {
              sent += args[0].length
              return sync.write(...args)
            },
          },
        },
      })
      // online$ false until the outbox was counted: no round starts before.
      const online = new BehaviorSubject(false)
      const app = createClient({
        adapter: counted,
        online$: online,
        offline: offline({ store: fileStore({ directory }), collections: { [collection]: {} }, batchSize: BATCH_SIZE, retryDelayMs: { initial: 50, max: 200 } }),
      })
      let local: Record<string, DocumentData>
      let pendingAfter: number
      let pendingAtRestart: number
      try {
        pendingAtRestart = (await firstValueFrom(app.sync.status$)).pending
        online.next(true)
        await app.sync.flush()
        await app.sync.waitForSync()
        local = await docsOf(app, collection)
        pendingAfter = (await firstValueFrom(app.sync.status$)).pending
      } finally {
        await app.dispose()
      }
      const store = fileStore({ directory })
      await store.open()
      const outbox = (await store.entries('outbox')).length
      await store.close()
      const foundApplied = pendingAtRestart - sent
      return { run: index, collection, plan, landing: landingOf(lines), lines, pendingAtRestart, foundApplied, server: await docsOf(reader, collection), local, outbox, pendingAfter }
    } finally {
      // A run that failed before its kill must not leave the child behind.
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await rm(directory, { recursive: true, force: true })
    }
  }

  test(`SIGKILL during an outbox flush to ${target.name}, ${target.runs} runs: after a restart every write is applied exactly once`, async () => {
    const started = Date.now()
    const results: RunResult[] = []
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < target.runs) {
        const index = next++
        results.push(await crashRun(index))
      }
    }
    await Promise.all(Array.from({ length: Math.min(PARALLEL, target.runs) }, worker))
    results.sort((a, b) => a.run - b.run)

    const expected = expectedServerDocs()
    const failures = results.filter((r) => !isDeepStrictEqual(r.server, expected) || !isDeepStrictEqual(r.local, expected) || r.outbox !== 0 || r.pendingAfter !== 0)
    const landings = new Map<Landing, number>()
    for (const r of results) landings.set(r.landing, (landings.get(r.landing) ?? 0) + 1)
    const lostAcks = results.filter((r) => r.foundApplied > 0)
    const midFlush = results.filter((r) => r.landing !== 'before the flush' && r.landing !== 'after the flush').length
    console.log(
      [
        `offline crash test (${target.name}): ${results.length - failures.length}/${results.length} runs correct in ${((Date.now() - started) / 1000).toFixed(1)} s; ${CRASH_WRITES.length} writes per run, batchSize ${BATCH_SIZE}`,
        `kills that landed mid-flush: ${midFlush} of ${results.length}`,
        ...[...landings].map(([landing, n]) => `  ${landing}: ${n}`),
        `writes left in the outbox at restart, per run: ${results.map((r) => r.pendingAtRestart).join(' ')}`,
        `runs whose restart found writes already applied on the server (acknowledgement lost to the kill) and settled them without resending: ${lostAcks.length} (${lostAcks.reduce((n, r) => n + r.foundApplied, 0)} writes)`,
      ].join('\n'),
    )
    for (const r of results) {
      const context = `run ${r.run} (${r.collection}, kill at ${r.plan}, landed ${r.landing}): ${r.lines.join(' | ')}`
      expect({ context, server: sorted(r.server) }).toEqual({ context, server: sorted(expected) })
      expect({ context, local: sorted(r.local) }).toEqual({ context, local: sorted(expected) })
      expect({ context, outbox: r.outbox, pending: r.pendingAfter }).toEqual({ context, outbox: 0, pending: 0 })
    }
    expect(results).toHaveLength(target.runs)
  })
}

function sorted(docs: Record<string, DocumentData>): Record<string, DocumentData> {
  return Object.fromEntries(Object.entries(docs).sort(([a], [b]) => (a < b ? -1 : 1)))
}

/**
 * Child process for test/unit/file-store-crash.test.ts and the cross-process lock tests:
 *
 *   node --import tsx test/offline/file-store-writer.ts <directory> write [compactAfterBytes]
 *     opens the file store and commits numbered entries forever, printing each number once its
 *     commit() resolved (was acknowledged). Commit i writes docs a-i and b-i and meta "last" = i.
 *   node --import tsx test/offline/file-store-writer.ts <directory> hold
 *     opens the file store, prints "open", and keeps it open until killed.
 */
import { fileStore } from '../../src/offline/node/index.js'

const [directory, mode = 'write', compactAfter] = process.argv.slice(2)
if (!directory) throw new Error('usage: file-store-writer.ts <directory> write|hold [compactAfterBytes]')

const store = fileStore({ directory, compactAfterBytes: compactAfter === undefined ? undefined : Number(compactAfter) })

async function main(): Promise<void> {
  await store.open()
  if (mode === 'hold') {
    process.stdout.write('open\n')
    setInterval(() => undefined, 60_000)
    return
  }
  for (let i = 0; ; i++) {
    // Values of varying size, so compactions (and crashes during them) happen at varying points.
    const pad = 'x'.repeat((i * 37) % 300)
    await store.commit([
      { table: 'docs', key: `a-${i}`, value: { i, pad } },
      { table: 'docs', key: `b-${i}`, value: { i } },
      { table: 'meta', key: 'last', value: i },
    ])
    process.stdout.write(`${i}\n`)
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`file-store-writer: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})

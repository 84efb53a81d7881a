/**
 * Deterministic migration fixtures: the expected values every round trip is checked against.
 * `fixtureDocs` is the reference (not anything the migration produced).
 */
import type { MemoryAdapter } from '../../adapters/memory/index.js'
import type { DocumentData } from '../../src/types.js'
import { Bytes, GeoPoint, Reference } from '../../src/value-types.js'

export const FIXTURE_EMAIL = 'alice@example.com'
export const FIXTURE_PASSWORD = 'correct horse battery 1'
export const FIXTURE_CONFIG = { theme: 'dark', maxItems: 50, beta: true } as const
export const FIXTURE_FILES: Record<string, { bytes: Uint8Array; contentType: string }> = {
  'avatars/alice.png': { bytes: Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256), contentType: 'image/png' },
  'avatars/bob.txt': { bytes: new TextEncoder().encode('hello bob'), contentType: 'text/plain' },
  'other/skip.txt': { bytes: new TextEncoder().encode('not selected'), contentType: 'text/plain' },
}

export const docId = (i: number): string => `doc${String(i).padStart(7, '0')}`

/** `n` documents holding every value kind (Bytes only where the target stores them: not Parse). */
export function fixtureDocs(n: number, options: { bytes?: boolean } = {}): Record<string, DocumentData> {
  const docs: Record<string, DocumentData> = {}
  for (let i = 0; i < n; i++) {
    docs[docId(i)] = {
      title: `Item ${i} — ü`,
      n: i,
      ratio: i / 7,
      done: i % 3 === 0,
      due: new Date(Date.UTC(2024, 0, 1) + i * 60_000),
      tags: [`t${i % 5}`, 'x'],
      nested: { level: i % 7, note: i % 2 === 1 ? null : 'even', when: new Date(Date.UTC(2023, 5, 1, 0, 0, i % 60)) },
      empty: null,
      place: new GeoPoint(48.1 + (i % 10) / 100, 11.5),
      owner: new Reference('people', `u${i % 10}`),
      ...(options.bytes === false ? {} : { blob: Bytes.fromUint8Array(Uint8Array.of(i % 256, 0, 255)) }),
    }
  }
  return docs
}

export const FIXTURE_LISTS: Record<string, DocumentData> = {
  inbox: { name: 'Inbox', order: 1 },
  later: { name: 'Later', order: 2, archived: false },
}

/** Seeds a memory source: collections todos and lists, files, config, a password user and an anonymous one. */
export async function seedSource(adapter: MemoryAdapter, options: { docs: number; bytes?: boolean; users?: boolean }): Promise<void> {
  adapter.backend.seed('todos', fixtureDocs(options.docs, { bytes: options.bytes }))
  adapter.backend.seed('lists', FIXTURE_LISTS)
  for (const [path, file] of Object.entries(FIXTURE_FILES)) {
    adapter.backend.files.set(path, { bytes: file.bytes, contentType: file.contentType, metadata: { origin: 'fixture' }, updated: new Date(Date.UTC(2024, 1, 2)) })
  }
  adapter.backend.setConfig({ ...FIXTURE_CONFIG })
  if (options.users !== false) {
    await adapter.auth.signUp({ email: FIXTURE_EMAIL, password: FIXTURE_PASSWORD })
    await adapter.auth.signOut()
    await adapter.auth.signInAnonymously()
    await adapter.auth.signOut()
  }
}

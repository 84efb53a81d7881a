/**
 * The engine's id maps (run.ts, verify.ts, checkpoint.ts, uid-map.ts) on memory endpoints. The
 * target is a memory backend wrapped to behave like a vendor that assigns its own uids (as Cognito
 * and GoTrue do): a test double of that behaviour, not of any vendor. What this proves: users move
 * first when `uidFields` is set; documents are written, reconciled on resume and verified with those
 * fields rewritten; the map survives a crash in the checkpoint; verify matches users through it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { memory, type MemoryAdapter } from '../../adapters/memory/index.js'
import type { Endpoint, UserImportResult } from '../../src/migrate/endpoint.js'
import { memoryEndpoint } from '../../src/migrate/endpoints/memory.js'
import { formatReport } from '../../src/migrate/report.js'
import { migrate } from '../../src/migrate/run.js'
import type { Selection } from '../../src/migrate/selection.js'
import { remapDoc } from '../../src/migrate/uid-map.js'
import { FIXTURE_EMAIL, FIXTURE_PASSWORD } from './fixtures.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portabase-idmap-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A memory source: alice (password), an anonymous account, and notes naming their owners. */
async function source(): Promise<{ adapter: MemoryAdapter; alice: string; anonymous: string }> {
  const adapter = memory()
  await adapter.auth.signUp({ email: FIXTURE_EMAIL, password: FIXTURE_PASSWORD })
  await adapter.auth.updateProfile({ displayName: 'Alice' })
  await adapter.auth.signOut()
  await adapter.auth.signInAnonymously()
  await adapter.auth.signOut()
  const alice = adapter.backend.uidByEmail.get(FIXTURE_EMAIL)!
  const anonymous = [...adapter.backend.users.values()].find((u) => u.user.isAnonymous)!.user.uid
  const notes: Record<string, { text: string; owner: string; by?: string }> = {}
  for (let i = 0; i < 25; i++) notes[`n${String(i).padStart(2, '0')}`] = { text: `note ${i}`, owner: i % 2 === 0 ? alice : 'someone-else', by: alice }
  adapter.backend.seed('notes', notes)
  return { adapter, alice, anonymous }
}

/** A memory target that gives every imported account the uid `new-<uid>` and refuses anonymous ones. */
function assigningTarget(adapter: MemoryAdapter, options: { uidFields?: string[]; log?: string[]; failAfterPages?: number } = {}): Endpoint {
  const inner = memoryEndpoint(adapter)
  let pages = 0
  return {
    ...inner,
    label: 'memory (assigns uids)',
    uidFields: options.uidFields,
    documents: {
      ...inner.documents,
      async writePage(collection, docs) {
        if (options.failAfterPages !== undefined && pages++ >= options.failAfterPages) throw new Error('crash')
        options.log?.push(`docs ${collection}`)
        await inner.documents.writePage!(collection, docs)
      },
    },
    users: {
      list: inner.users!.list,
      async import(users): Promise<UserImportResult> {
        options.log?.push('users')
        const kept = users.filter((u) => !u.isAnonymous)
        const result = await inner.users!.import!(kept.map((u) => ({ ...u, uid: `new-${u.uid}` })))
        return {
          ...result,
          mustReset: result.mustReset.map((m) => ({ ...m, uid: m.uid.slice(4) })),
          notImported: users.filter((u) => u.isAnonymous).map((u) => ({ uid: u.uid, email: null, reason: 'anonymous' })),
          idMap: Object.fromEntries(kept.map((u) => [u.uid, `new-${u.uid}`])),
        }
      },
    },
  }
}

const SELECTION: Selection = { collections: ['notes'], storagePrefixes: [], configKeys: null, users: true }

describe('id maps (memory endpoints; the target assigns uids)', () => {
  it('remapDoc rewrites the named top-level string fields found in the map, nothing else', () => {
    const doc = { id: 'd', data: { owner: 'a', by: 'a', other: 'b', nested: { owner: 'a' } }, meta: { updateTime: new Date(0), version: '1', fromCache: false, hasPendingWrites: false } }
    expect(remapDoc(doc, ['owner', 'other'], { a: 'A' }).data).toEqual({ owner: 'A', by: 'a', other: 'b', nested: { owner: 'a' } })
    expect(remapDoc(doc, ['owner'], {})).toBe(doc)
  })

  it('with uidFields: users first, owner fields rewritten, verify matches users through the map and documents as rewritten', async () => {
    const { adapter, alice, anonymous } = await source()
    const target = memory()
    const log: string[] = []
    const report = await migrate({ from: memoryEndpoint(adapter), to: assigningTarget(target, { uidFields: ['owner'], log }), selection: SELECTION, verify: true, pageSize: 10 })
    expect(log).toEqual(['users', 'docs notes', 'docs notes', 'docs notes'])
    expect(report.users).toMatchObject({ count: 2, idMap: { [alice]: `new-${alice}` }, notImported: [{ uid: anonymous, reason: 'anonymous' }], uidFields: ['owner'] })
    expect(report.users!.warning).toBeUndefined()
    const stored = target.backend.collection('notes')
    expect(stored.get('n00')!.data).toEqual({ text: 'note 0', owner: `new-${alice}`, by: alice })
    expect(stored.get('n01')!.data).toEqual({ text: 'note 1', owner: 'someone-else', by: alice })
    expect(report.verify).toMatchObject({ ok: true, users: { ok: true, source: 2, found: 1, mapped: 1, notImported: 1 } })
    const text = formatReport(report).join('\n')
    expect(text).toContain(`users with a new uid (1; the target assigned them), old → new:\n    ${alice} → new-${alice}\n  document fields rewritten to the new uids: owner`)
    expect(text).toContain(`users NOT imported (1):\n    ${anonymous} (no email): anonymous`)
    expect(text).toContain("ok   users: 1 of the source's 2 in the target with the same email and profile (1 under their new uid), 1 not imported (listed above)")
  })

  it('without uidFields: documents keep the old uids, the report warns; verify still matches users through the map', async () => {
    const { adapter, alice } = await source()
    const target = memory()
    const log: string[] = []
    const report = await migrate({ from: memoryEndpoint(adapter), to: assigningTarget(target, { log }), selection: SELECTION, verify: true })
    expect(log).toEqual(['docs notes', 'users'])
    expect(target.backend.collection('notes').get('n00')!.data.owner).toBe(alice)
    expect(report.users!.warning).toMatch(/^1 account\(s\) got a new uid: documents naming their old uids/)
    expect(formatReport(report).join('\n')).toContain('WARNING: 1 account(s) got a new uid')
    expect(report.verify?.ok).toBe(true)
  })

  it('a crash mid-documents keeps the id map in the checkpoint; --resume rewrites with it, reconciles, imports no user again, verifies', async () => {
    const { adapter, alice } = await source()
    const target = memory()
    const checkpoint = path.join(dir, 'crash.json')
    const log: string[] = []
    await expect(migrate({ from: memoryEndpoint(adapter), to: assigningTarget(target, { uidFields: ['owner'], log, failAfterPages: 1 }), selection: SELECTION, checkpoint, pageSize: 10 })).rejects.toThrow('crash')
    const saved = JSON.parse(await readFile(checkpoint, 'utf8')) as { users: { done: boolean; idMap: Record<string, string> }; identity: string }
    expect(saved.users).toMatchObject({ done: true, idMap: { [alice]: `new-${alice}` } })
    expect(JSON.parse(saved.identity)).toMatchObject({ uidFields: ['owner'] })
    expect(target.backend.collection('notes').size).toBe(10)

    const resumed = await migrate({ from: memoryEndpoint(adapter), to: assigningTarget(target, { uidFields: ['owner'], log }), selection: SELECTION, checkpoint, resume: true, verify: true, pageSize: 10 })
    expect(log.filter((l) => l === 'users')).toHaveLength(1)
    expect(resumed.users!.idMap).toEqual({ [alice]: `new-${alice}` })
    expect(resumed.collections[0]).toMatchObject({ read: 25, written: 25, skipped: 0 })
    expect(target.backend.collection('notes').get('n24')!.data.owner).toBe(`new-${alice}`)
    expect(resumed.verify?.ok).toBe(true)
  })

  it('a resumed page already written with rewritten owners is reconciled as the same (not written again)', async () => {
    const { adapter } = await source()
    const target = memory()
    const checkpoint = path.join(dir, 'reconcile.json')
    // The crash hits after the second page reached the target but before its checkpoint: simulated by
    // writing page 2 by hand after a crash on it.
    const to = assigningTarget(target, { uidFields: ['owner'], failAfterPages: 1 })
    await expect(migrate({ from: memoryEndpoint(adapter), to, selection: SELECTION, checkpoint, pageSize: 10 })).rejects.toThrow('crash')
    const full = memory()
    await migrate({ from: memoryEndpoint(adapter), to: assigningTarget(full, { uidFields: ['owner'] }), selection: SELECTION, pageSize: 10 })
    const page2 = [...full.backend.collection('notes').values()].slice(10, 20)
    await memoryEndpoint(target).documents.writePage!('notes', page2)
    const resumed = await migrate({ from: memoryEndpoint(adapter), to: assigningTarget(target, { uidFields: ['owner'] }), selection: SELECTION, checkpoint, resume: true, verify: true, pageSize: 10 })
    expect(resumed.collections[0]).toMatchObject({ skipped: 10, written: 15 })
    expect(resumed.verify?.ok).toBe(true)
  })

  it('verify names a user missing under its mapped uid, or with another profile', async () => {
    const { adapter, alice, anonymous } = await source()
    const target = memory()
    const to = assigningTarget(target)
    const report = await migrate({ from: memoryEndpoint(adapter), to, selection: { ...SELECTION, collections: [] } })
    expect(report.users!.idMap).toEqual({ [alice]: `new-${alice}` })
    target.backend.users.get(`new-${alice}`)!.user = { ...target.backend.users.get(`new-${alice}`)!.user, displayName: 'Not Alice' }
    const again = await migrate({ from: memoryEndpoint(adapter), to: { ...to, users: { list: to.users!.list, import: async () => ({ imported: 0, mustReset: [], idMap: { [alice]: `new-${alice}` }, notImported: [] }) } }, selection: { ...SELECTION, collections: [] }, verify: true })
    expect(again.verify?.users).toMatchObject({ ok: false, source: 2, found: 0 })
    expect(again.verify!.users!.differences!.sort()).toEqual([`${alice} → new-${alice} (different email or profile)`, `${anonymous} (missing)`].sort())
    expect(again.verify?.ok).toBe(false)
  })

  it('uidFields without users in the run is refused', async () => {
    const { adapter } = await source()
    await expect(migrate({ from: memoryEndpoint(adapter), to: assigningTarget(memory(), { uidFields: ['owner'] }), selection: { ...SELECTION, users: false } })).rejects.toMatchObject({ code: 'invalid-argument' })
    await expect(migrate({ from: memoryEndpoint(adapter), to: assigningTarget(memory(), { uidFields: ['a.b'] }), selection: SELECTION })).rejects.toMatchObject({ code: 'invalid-argument' })
  })
})

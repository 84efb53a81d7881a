/**
 * The vendor limits the adapter declares (`capabilities.limits`), asserted both ways: at the
 * declared limit the call works on the backend, one over it the client refuses it with
 * `invalid-argument` (provider: the adapter) before anything is written. A limit not declared is
 * no limit: the same calls over the lowest limit any vendor has go through. Expected values
 * come from the declaration and the fixtures, never from the adapter's answers. (Without a declared
 * batch limit, the 501-write batch is checked to reach the adapter whole, not applied: see there.)
 */
import type { Adapter, CollectionRef, DocumentsService, FilterOp, PortabaseError, Value, WriteOp } from '../index.js'
import { idsOf, seed, sorted } from './data.js'
import type { SuiteEnv } from './env.js'
import { expectError } from './helpers.js'
import { describe, expect, it } from './runner.js'

/** Without a declared `maxBatchWrites`, a batch of this size (one over Firestore's 500) must reach the adapter whole. */
export const UNDECLARED_BATCH_WRITES = 501
/** Without a declared `maxInValues`, lists of this length (one over Firestore's 30) must run. */
export const UNDECLARED_IN_VALUES = 31
/** Names one vendor (Parse) keeps: an adapter that does not declare them must receive writes using them. */
export const PROBE_RESERVED_NAMES: readonly string[] = ['objectId', 'ACL']

const LIST_OPS: readonly FilterOp[] = ['in', 'not-in', 'array-contains-any']

export function limitTests(env: SuiteEnv): void {
  async function freshCollection() {
    const app = await env.client()
    return { app, col: app.db.collection(env.target.freshCollection()) }
  }

  function expectOverLimit(error: PortabaseError, limit: string): void {
    expect(error.provider).toBe(env.adapterName)
    expect(error.details).toMatchObject({ limit })
  }

  describe('limits: declared by the adapter', () => {
    it('maxBatchWrites: a batch of the declared size is applied and one write more is refused with invalid-argument (none declared: a batch of 501 writes reaches the adapter in one call)', async () => {
      const max = env.caps.limits.maxBatchWrites
      if (max === undefined) {
        // No limit: the client hands the whole batch to the adapter in one call. The adapter's
        // answer is stubbed here: applying 501 writes is the backend's business (and takes most of
        // a minute on some local simulators).
        const calls: number[] = []
        const probe = env.clientFor(interceptWrites(await env.target.createAdapter(), (ops) => calls.push(ops.length)))
        const col = probe.db.collection(env.target.freshCollection())
        await probe.db.batch((b) => {
          for (let i = 0; i < UNDECLARED_BATCH_WRITES; i++) b.set(col.doc(`d${i}`), { i })
        })
        expect(calls).toEqual([UNDECLARED_BATCH_WRITES])
        return
      }
      const { app, col } = await freshCollection()
      await app.db.batch((b) => {
        for (let i = 0; i < max; i++) b.set(col.doc(`d${i}`), { i })
      })
      expect(await col.count()).toBe(max)
      expect((await col.doc(`d${max - 1}`).get())?.data).toEqual({ i: max - 1 })

      const over = app.db.collection(env.target.freshCollection())
      const error = await expectError(
        () =>
          app.db.batch((b) => {
            for (let i = 0; i <= max; i++) b.set(over.doc(`d${i}`), { i })
          }),
        'invalid-argument',
        `a batch of ${max + 1} writes`,
      )
      expectOverLimit(error, 'maxBatchWrites')
      expect(await over.count()).toBe(0)
    })

    it('maxInValues: in, not-in and array-contains-any take lists of the declared length and refuse one value more with invalid-argument (none declared: 31 values run)', async () => {
      const max = env.caps.limits.maxInValues
      const size = max ?? UNDECLARED_IN_VALUES
      const { col } = await freshCollection()
      // n = 0, 1, 2 and one tag each; each list holds `size` values: 0 … size-1 (tags v0 … v(size-1); not-in: 100 …).
      const docs = { a: { n: 0, tags: ['v0'] }, b: { n: 1, tags: ['v1'] }, c: { n: 2, tags: ['other'] } }
      await seed(col as CollectionRef, docs)
      const numbers = Array.from({ length: size }, (_, i) => i)
      const tags = numbers.map((i) => `v${i}`)
      const lists: Record<string, { values: Value[]; expected: string[] }> = {
        in: { values: numbers, expected: Object.keys(docs).filter((id) => numbers.includes(docs[id as keyof typeof docs].n)) },
        'not-in': { values: numbers.map((i) => i + 100), expected: Object.keys(docs) },
        'array-contains-any': { values: tags, expected: Object.keys(docs).filter((id) => docs[id as keyof typeof docs].tags.some((t) => tags.includes(t))) },
      }
      const fieldOf = (op: FilterOp): string => (op === 'array-contains-any' ? 'tags' : 'n')
      for (const op of LIST_OPS) {
        const { values, expected } = lists[op]!
        const query = col.where(fieldOf(op), op, values)
        if (!env.caps.queryOperators.includes(op)) {
          await expectError(() => query.get(), 'unsupported', `'${op}' (not declared in queryOperators)`)
          continue
        }
        expect(sorted(idsOf((await query.get()).docs))).toEqual(sorted(expected))
        if (max === undefined) continue
        const error = await expectError(() => col.where(fieldOf(op), op, [...values, op === 'array-contains-any' ? 'one-more' : -1]).get(), 'invalid-argument', `'${op}' with ${max + 1} values`)
        expectOverLimit(error, 'maxInValues')
      }
      if (max === undefined) expect(env.caps.limits.maxInValues).toBeUndefined()
    })

    it('reservedFieldNames: each declared name is refused with invalid-argument in writes and queries, before writing (names not declared reach the adapter)', async () => {
      const reserved = env.caps.limits.reservedFieldNames ?? []
      const { app, col } = await freshCollection()
      for (const name of reserved) {
        expectOverLimit(await expectError(() => col.doc('d').set({ [name]: 1 }), 'invalid-argument', `set() with field ${name}`), 'reservedFieldNames')
        expectOverLimit(await expectError(() => col.add({ [name]: 1 }), 'invalid-argument', `add() with field ${name}`), 'reservedFieldNames')
        expectOverLimit(await expectError(() => app.db.batch((b) => void b.set(col.doc('d'), { [name]: 1 })), 'invalid-argument', `a batch with field ${name}`), 'reservedFieldNames')
        expectOverLimit(await expectError(() => col.where(name, '==', 1).get(), 'invalid-argument', `where('${name}')`), 'reservedFieldNames')
        expectOverLimit(await expectError(() => col.orderBy(name).get(), 'invalid-argument', `orderBy('${name}')`), 'reservedFieldNames')
      }
      expect(await col.count()).toBe(0)
      if (reserved.length > 0) {
        await col.doc('d').set({ n: 1 })
        for (const name of reserved) {
          expectOverLimit(await expectError(() => col.doc('d').update({ [name]: 1 }), 'invalid-argument', `update() of field ${name}`), 'reservedFieldNames')
        }
        expect((await col.doc('d').get())?.data).toEqual({ n: 1 })
      }

      // The client holds no vendor's list: a name this adapter does not reserve is passed on to it
      // (the adapter's answer is stubbed: what the backend does with it is its own business).
      const free = PROBE_RESERVED_NAMES.filter((name) => !reserved.includes(name))
      const reached: string[] = []
      const probe = env.clientFor(interceptWrites(await env.target.createAdapter(), (ops) => ops.forEach((op) => reached.push(...Object.keys('data' in op ? op.data : {})))))
      const probed = probe.db.collection(env.target.freshCollection())
      for (const name of free) await probed.doc('p').set({ [name]: 1 })
      expect(reached).toEqual(free)
    })
  })
}

/** The adapter, with `documents.write` reporting the ops of every call and answering as if it had applied them. */
function interceptWrites(adapter: Adapter, onWrite: (ops: readonly WriteOp[]) => void): Adapter {
  const write: DocumentsService['write'] = async (ops) => onWrite(ops)
  return Object.create(adapter, { documents: { value: Object.create(adapter.documents, { write: { value: write } }) } }) as Adapter
}

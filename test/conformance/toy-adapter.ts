/**
 * A toy third-party adapter, written only against the public `portabase/conformance` exports (and
 * rxjs), as an adapter author outside this repository would: documents in a Map on a shared
 * "server", anonymous sign-in, and little else. It declares what it does, including small limits,
 * so the contract suite runs its positive cases where it can and asserts the client's refusals
 * (`unsupported`, over-limit `invalid-argument`) everywhere else. docs/conformance.md walks through it.
 */
import { BehaviorSubject, throwError, type Observable } from 'rxjs'
import {
  PortabaseError,
  applyWrite,
  declareCapabilities,
  runQuery,
  type Adapter,
  type AuthService,
  type Capabilities,
  type ConfigService,
  type Doc,
  type DocumentData,
  type DocumentsService,
  type FunctionsService,
  type Query,
  type StorageService,
  type User,
  type WriteOp,
  type WriteOptions,
} from 'portabase/conformance'

const PROVIDER = 'toy'

/** The backend every toy adapter (every "device") talks to. */
export interface ToyServer {
  readonly collections: Map<string, Map<string, Doc>>
  /** The collection whose documents only their `owner` may read and write (the suite's fixture). */
  readonly ownedCollection: string
  users: number
  versions: number
  lastWrite: number
}

export function createToyServer(ownedCollection = 'owned'): ToyServer {
  return { collections: new Map(), ownedCollection, users: 0, versions: 0, lastWrite: 0 }
}

/** Anonymous auth, documents without realtime or sentinels, a few query operators, and Toy's limits. */
export const TOY_CAPABILITIES: Capabilities = declareCapabilities({
  anonymousAuth: true,
  queryOperators: ['==', '!=', '<', '<=', '>', '>=', 'in'],
  mixedFieldTypes: true,
  valueTypes: { geoPoint: 'queryable', reference: 'stored', bytes: 'none' },
  limits: { maxBatchWrites: 20, maxInValues: 10, reservedFieldNames: ['toyMeta'] },
})

const fail = (code: PortabaseError['code'], message: string): PortabaseError => new PortabaseError(code, message, { provider: PROVIDER })
const refuse = (what: string) => (): Promise<never> => Promise.reject(fail('unsupported', `${what} is not supported by the toy adapter`))

export function toy(server: ToyServer): Adapter {
  const user$ = new BehaviorSubject<User | null>(null)
  const uid = (): string | null => user$.value?.uid ?? null

  const auth: AuthService = {
    user$,
    currentUser: () => user$.value,
    async signInAnonymously() {
      const user: User = { uid: `toy${++server.users}`, email: null, displayName: null, photoURL: null, isAnonymous: true, providerId: 'anonymous' }
      user$.next(user)
      return user
    },
    async signOut() {
      user$.next(null)
    },
    getIdToken: async () => (user$.value ? `token-${user$.value.uid}` : null),
    signUp: refuse('signUp'),
    signIn: refuse('signIn'),
    signInWithOAuth: refuse('signInWithOAuth'),
    sendPasswordReset: refuse('sendPasswordReset'),
    updateProfile: refuse('updateProfile'),
  }

  const collection = (name: string): Map<string, Doc> => {
    let docs = server.collections.get(name)
    if (!docs) server.collections.set(name, (docs = new Map()))
    return docs
  }
  /** Owner-only access on the owned collection; every other collection is open. */
  const mayAccess = (name: string, data: DocumentData | undefined): boolean => name !== server.ownedCollection || (uid() !== null && data?.owner === uid())
  const assertReadable = (name: string, docs: readonly Doc[]): void => {
    if (docs.some((doc) => !mayAccess(name, doc.data))) throw fail('permission-denied', `Access rules deny reading ${name}`)
  }
  const matching = (name: string, query: Query): Doc[] => runQuery([...collection(name).values()], { ...query, limit: undefined, startAfter: undefined })

  const documents: DocumentsService = {
    async get(name, id) {
      const doc = collection(name).get(id) ?? null
      if (doc) assertReadable(name, [doc])
      return doc
    },
    async query(name, query) {
      const docs = runQuery([...collection(name).values()], query)
      assertReadable(name, docs)
      return docs
    },
    async count(name, query) {
      const docs = matching(name, query)
      assertReadable(name, docs)
      return docs.length
    },
    // Not atomic (transactions: false): in order, the first failure stops the rest.
    async write(ops: readonly WriteOp[], _options: WriteOptions) {
      for (const op of ops) {
        const docs = collection(op.collection)
        const existing = docs.get(op.id)
        const allowed = existing ? mayAccess(op.collection, existing.data) : op.type === 'delete' || mayAccess(op.collection, op.data as DocumentData)
        if (!allowed) throw fail('permission-denied', `Access rules deny writing ${op.collection}/${op.id}`)
        if (op.type === 'delete') {
          docs.delete(op.id)
          continue
        }
        if (op.type === 'create' && existing) throw fail('already-exists', `${op.collection}/${op.id} exists`)
        if (op.type === 'update' && !existing) throw fail('not-found', `${op.collection}/${op.id} does not exist`)
        const now = Math.max(Date.now(), server.lastWrite + 1)
        server.lastWrite = now
        const data = applyWrite(existing?.data, op, new Date(now))
        docs.set(op.id, { id: op.id, data, meta: { updateTime: new Date(now), version: String(++server.versions), fromCache: false, hasPendingWrites: false } })
      }
    },
    watch: () => throwError(() => fail('unsupported', 'Live queries are not supported by the toy adapter')),
  }

  const storage: StorageService = {
    upload: refuse('Storage'),
    download: refuse('Storage'),
    getUrl: refuse('Storage'),
    list: refuse('Storage'),
    delete: refuse('Storage'),
    getMetadata: refuse('Storage'),
  }
  const functions: FunctionsService = { call: refuse('Functions') }
  const config: ConfigService = { fetch: refuse('Remote config') }
  const connection$: Observable<'online'> = new BehaviorSubject('online' as const)

  return {
    name: PROVIDER,
    capabilities: TOY_CAPABILITIES,
    auth,
    documents,
    storage,
    functions,
    config,
    connection$,
    async dispose() {
      user$.complete()
    },
  }
}

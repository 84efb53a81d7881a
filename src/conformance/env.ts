/**
 * What every contract test file shares: the target, its capabilities (known only once an adapter
 * exists), and clients/recorders that are cleaned up after each test.
 */
import type { Observable } from 'rxjs'
import { createClient, type Adapter, type Capabilities, type PortabaseClient, type User } from '../index.js'
import { Recorder, uniqueEmail, uniquePassword } from './helpers.js'
import type { ContractTarget } from './target.js'
import { afterEach, beforeAll } from './runner.js'

export interface SignedIn {
  app: PortabaseClient
  user: User
  /** Null when the user had to be anonymous (no email/password auth). */
  email: string | null
  password: string | null
}

export interface SuiteEnv {
  readonly target: ContractTarget
  /** The adapter's declared capabilities; read in `beforeAll`. */
  readonly caps: Capabilities
  /** `adapter.name`: the `provider` of errors the adapter raises. */
  readonly adapterName: string
  /** A client on a new adapter (a fresh signed-out device), disposed after the test. */
  client(): Promise<PortabaseClient>
  /** A client over a given adapter (e.g. a wrapped one), disposed after the test. */
  clientFor(adapter: Adapter): PortabaseClient
  /** A client signed in as a brand-new user (email/password, else anonymous). */
  signedIn(): Promise<SignedIn>
  /** Records a stream; stopped after the test. */
  record<T>(source: Observable<T>): Recorder<T>
}

export function createEnv(target: ContractTarget): SuiteEnv {
  let caps: Capabilities | undefined
  let adapterName: string | undefined
  const clients: PortabaseClient[] = []
  const recorders: Recorder<unknown>[] = []

  beforeAll(async () => {
    const probe = await target.createAdapter()
    caps = probe.capabilities
    adapterName = probe.name
    await probe.dispose()
  })

  afterEach(async () => {
    recorders.splice(0).forEach((r) => r.stop())
    await Promise.all(clients.splice(0).map((c) => c.dispose()))
  })

  const env: SuiteEnv = {
    target,
    get caps(): Capabilities {
      if (!caps) throw new Error('Capabilities are read in beforeAll; use env.caps inside a test')
      return caps
    },
    get adapterName(): string {
      if (adapterName === undefined) throw new Error('adapterName is read in beforeAll; use env.adapterName inside a test')
      return adapterName
    },
    async client() {
      return env.clientFor(await target.createAdapter())
    },
    clientFor(adapter) {
      const app = createClient({ adapter })
      clients.push(app)
      return app
    },
    async signedIn() {
      const app = await env.client()
      if (env.caps.emailPasswordAuth) {
        const email = uniqueEmail()
        const password = uniquePassword()
        const user = await app.auth.signUp({ email, password })
        return { app, user, email, password }
      }
      if (env.caps.anonymousAuth) return { app, user: await app.auth.signInAnonymously(), email: null, password: null }
      throw new Error(`${target.name}: tests that need a signed-in user need email/password or anonymous auth`)
    },
    record<T>(source: Observable<T>) {
      const recorder = new Recorder(source)
      recorders.push(recorder as Recorder<unknown>)
      return recorder
    },
  }
  return env
}

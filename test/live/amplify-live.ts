/**
 * The live Amplify target (`npm run test:live -- amplify`): a deployed Gen 2 backend built from
 * test/live/amplify (the fixture pool, the contract's functions, the config model), given by
 *
 *   AMPLIFY_OUTPUTS          the path of its amplify_outputs.json (`npx ampx sandbox --once` writes it)
 *   AMPLIFY_ADMIN_EMAIL      a confirmed user of its pool in the `portabaseAdmins` group,
 *   AMPLIFY_ADMIN_PASSWORD   who writes the remote config (setup: FIXTURE_CONFIG; the config section)
 *
 * (see adapters/amplify/README.md, "Live target"). Nothing here runs against a simulator: real
 * Cognito (SRP sign-in), AppSync, DynamoDB, Lambda, S3 with identity-pool credentials. Without the
 * variables, setup throws and every test fails saying what is missing.
 *
 * Models exist only as deployed, so the pool is fixed (test/live/amplify-fixtures.ts) and reused:
 * each group of sections starts by emptying it (every item deleted through the API key, tombstones
 * included), then hands out `f1`, `f2`… afresh.
 */
import { readFile } from 'node:fs/promises'
import { signIn, fetchAuthSession, signOut } from 'aws-amplify/auth'
import { WebSocket as NodeWebSocket } from 'ws'
import { amplify } from '../../adapters/amplify/index.js'
import { createAdapterContext, SessionStore } from '../../adapters/amplify/context.js'
import { attributeOf, CONFIG_ADMIN_GROUP, CONFIG_MODEL, indexNameOf, modelNameOf, queryFieldOf } from '../../adapters/amplify/schema.js'
import type { ConfigScalar } from '../../src/types.js'
import { ORDERINGS } from '../contract/amplify-target.js'
import { FIXTURE_CONFIG, type ContractTarget } from '../contract/target.js'
import { LIVE_FUNCTIONS, LIVE_ORDERINGS, LIVE_OWNED, LIVE_POOL, LIVE_PREFIX, LIVE_STORAGE_PREFIX, liveCollections } from './amplify-fixtures.js'

interface LiveOutputs {
  auth?: { user_pool_id?: string; aws_region?: string }
  data?: { url?: string; api_key?: string; model_introspection?: Introspection }
  storage?: { bucket_name?: string }
}

interface Introspection {
  models?: Record<string, { fields?: Record<string, unknown>; attributes?: Array<{ type: string; properties?: { name?: string } }> }>
  queries?: Record<string, unknown>
}

export interface LiveAmplify {
  outputs: LiveOutputs
  admin: { email: string; password: string }
}

const README = 'adapters/amplify/README.md, "Live target"'

/** The variables, read and checked; throws with what is missing. */
export async function liveAmplify(): Promise<LiveAmplify> {
  const names = ['AMPLIFY_OUTPUTS', 'AMPLIFY_ADMIN_EMAIL', 'AMPLIFY_ADMIN_PASSWORD'] as const
  const missing = names.filter((n) => !process.env[n])
  if (missing.length > 0) {
    throw new Error(`The live Amplify target needs ${missing.join(', ')}: a Gen 2 backend deployed from test/live/amplify and a config admin in its pool (see ${README})`)
  }
  const path = process.env.AMPLIFY_OUTPUTS!
  let outputs: LiveOutputs
  try {
    outputs = JSON.parse(await readFile(path, 'utf8')) as LiveOutputs
  } catch (error) {
    throw new Error(`AMPLIFY_OUTPUTS=${path}: not a readable amplify_outputs.json (${error instanceof Error ? error.message : String(error)})`)
  }
  if (!outputs.data?.url || !outputs.data.api_key || !outputs.auth?.user_pool_id || !outputs.storage?.bucket_name) {
    throw new Error(`AMPLIFY_OUTPUTS=${path}: the outputs need auth, data with an API key, and storage (the backend of test/live/amplify; see ${README})`)
  }
  return { outputs, admin: { email: process.env.AMPLIFY_ADMIN_EMAIL!, password: process.env.AMPLIFY_ADMIN_PASSWORD! } }
}

/**
 * What the deployed schema must have for this run, from the outputs' model introspection: every
 * pool model with its fields and ordering indexes, `owned`, the functions, the config model. A
 * backend deployed from older fixtures fails here, saying to redeploy.
 */
export function checkDeployedSchema(outputs: LiveOutputs): void {
  if (JSON.stringify(LIVE_ORDERINGS) !== JSON.stringify(ORDERINGS)) {
    throw new Error('test/live/amplify-fixtures.ts LIVE_ORDERINGS differs from the contract\'s ORDERINGS (test/contract/amplify-target.ts): align them and redeploy test/live/amplify')
  }
  const introspection = outputs.data?.model_introspection
  const problems: string[] = []
  for (const c of liveCollections()) {
    const model = introspection?.models?.[modelNameOf(c)]
    if (!model) {
      problems.push(`no model ${modelNameOf(c)} (collection ${c.name})`)
      continue
    }
    for (const field of Object.keys(c.fields)) {
      const attribute = attributeOf(field, c.access)
      if (!model.fields?.[attribute]) problems.push(`${modelNameOf(c)} has no field ${attribute}`)
    }
    const indexes = new Set((model.attributes ?? []).filter((a) => a.type === 'key').map((a) => a.properties?.name))
    for (const ordering of c.orderBy ?? []) if (!indexes.has(indexNameOf(ordering))) problems.push(`${modelNameOf(c)} has no index ${indexNameOf(ordering)}`)
  }
  for (const name of LIVE_FUNCTIONS) if (!introspection?.queries?.[name]) problems.push(`no query ${name}`)
  if (!introspection?.models?.[CONFIG_MODEL]) problems.push(`no model ${CONFIG_MODEL}`)
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '')
    throw new Error(`The deployed backend is not the live fixtures' (${shown}): redeploy test/live/amplify (${README})`)
  }
}

/** One GraphQL request with the API key; throws on any error. */
async function apiKeyRequest(outputs: LiveOutputs, query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await fetch(outputs.data!.url!, { method: 'POST', headers: { 'Content-Type': 'application/json', 'x-api-key': outputs.data!.api_key! }, body: JSON.stringify({ query, variables }) })
  const body = (await response.json()) as { data?: Record<string, unknown> | null; errors?: unknown[] }
  if (!response.ok || body.errors?.length) throw new Error(`live Amplify: ${JSON.stringify(body.errors ?? response.status)}`)
  return body.data ?? {}
}

/** Deletes every item of the pool's models (documents and tombstones), 8 deletes at a time. */
export async function emptyPool(outputs: LiveOutputs): Promise<void> {
  for (const c of liveCollections()) {
    if (c.name === LIVE_OWNED.name) continue // owner-only: other users' documents, never read by a new user
    const model = modelNameOf(c)
    const field = queryFieldOf(model, 'pbById')
    const list = `query PbLiveIds($nextToken: String) { ${field}(pbPart: "all", limit: 1000, nextToken: $nextToken) { items { id } nextToken } }`
    const remove = `mutation PbLiveDelete($input: Delete${model}Input!) { delete${model}(input: $input) { id } }`
    let nextToken: string | null = null
    do {
      const page = (await apiKeyRequest(outputs, list, { nextToken }))[field] as { items: ({ id: string } | null)[]; nextToken: string | null }
      const ids = page.items.flatMap((item) => (item ? [item.id] : []))
      for (let i = 0; i < ids.length; i += 8) await Promise.all(ids.slice(i, i + 8).map((id) => apiKeyRequest(outputs, remove, { input: { id } })))
      nextToken = page.nextToken
    } while (nextToken)
  }
}

/**
 * The remote config's admin: a member of `portabaseAdmins` signed in with aws-amplify (SRP) on a
 * context of its own, writing through GraphQL mutations so listening clients hear of the changes.
 */
export class LiveConfigAdmin {
  private readonly store = new SessionStore()
  private readonly ctx

  /** `options`: only to try this harness on the local simulators (cognito-local: its endpoint, no SRP). */
  constructor(
    private readonly live: LiveAmplify,
    private readonly options: { userPoolEndpoint?: string; authFlowType?: 'USER_SRP_AUTH' | 'USER_PASSWORD_AUTH' } = {},
  ) {
    this.ctx = createAdapterContext({ outputs: live.outputs, userPoolEndpoint: options.userPoolEndpoint }, this.store).ctx
  }

  private async token(): Promise<string> {
    let session = await fetchAuthSession(this.ctx)
    if (!session.tokens) {
      const result = await signIn(this.ctx, { username: this.live.admin.email, password: this.live.admin.password, options: { authFlowType: this.options.authFlowType ?? 'USER_SRP_AUTH' } })
      if (!result.isSignedIn) throw new Error(`live Amplify: the config admin cannot sign in (next step ${result.nextStep.signInStep}): confirm the user and set a permanent password (${README})`)
      session = await fetchAuthSession(this.ctx)
    }
    const groups = session.tokens?.accessToken.payload['cognito:groups']
    if (!Array.isArray(groups) || !groups.includes(CONFIG_ADMIN_GROUP)) throw new Error(`live Amplify: ${this.live.admin.email} is not in the ${CONFIG_ADMIN_GROUP} group (${README})`)
    return session.tokens!.accessToken.toString()
  }

  private async request(query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> {
    const response = await fetch(this.live.outputs.data!.url!, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: await this.token() }, body: JSON.stringify({ query, variables }) })
    const body = (await response.json()) as { data?: Record<string, unknown> | null; errors?: unknown[] }
    if (!response.ok || body.errors?.length) throw new Error(`live Amplify: config admin: ${JSON.stringify(body.errors ?? response.status)}`)
    return body.data ?? {}
  }

  /** Makes the served config exactly `values`: extra keys deleted, changed ones written. */
  async set(values: Record<string, unknown>): Promise<void> {
    const stored = new Map<string, unknown>()
    let nextToken: string | null = null
    do {
      const data = await this.request(`query ($nextToken: String) { list${CONFIG_MODEL}s(limit: 1000, nextToken: $nextToken) { items { key value } nextToken } }`, { nextToken })
      const page = data[`list${CONFIG_MODEL}s`] as { items: { key: string; value: string | null }[]; nextToken: string | null }
      for (const item of page.items) stored.set(item.key, item.value === null ? null : JSON.parse(item.value))
      nextToken = page.nextToken
    } while (nextToken)
    for (const key of stored.keys()) {
      if (!(key in values)) await this.request(`mutation ($input: Delete${CONFIG_MODEL}Input!) { delete${CONFIG_MODEL}(input: $input) { key } }`, { input: { key } })
    }
    for (const [key, value] of Object.entries(values)) {
      if (stored.has(key) && JSON.stringify(stored.get(key)) === JSON.stringify(value ?? null)) continue
      const [op, type] = stored.has(key) ? ['update', 'Update'] : ['create', 'Create']
      await this.request(`mutation ($input: ${type}${CONFIG_MODEL}Input!) { ${op}${CONFIG_MODEL}(input: $input) { key } }`, { input: { key, value: JSON.stringify(value) } })
    }
  }

  async close(): Promise<void> {
    await signOut(this.ctx).catch(() => undefined)
  }
}

/**
 * A contract target on the live backend. Its setup checks the variables and the deployed schema,
 * empties the pool, and writes FIXTURE_CONFIG; `freshCollection` hands out the pool's collections.
 */
export function liveAmplifyTarget(name: string): ContractTarget {
  let live: LiveAmplify | undefined
  let admin: LiveConfigAdmin | undefined
  let used = 0
  const ready = (): LiveAmplify => {
    if (!live) throw new Error('The live Amplify backend is not set up (setup failed; see the error above)')
    return live
  }
  return {
    name,
    orderings: LIVE_ORDERINGS,
    async setup() {
      live = await liveAmplify()
      // aws-amplify's subscriptions (watch, config updates) need a WebSocket: Node 22 has one, Node 20 not.
      if (typeof globalThis.WebSocket === 'undefined') Object.defineProperty(globalThis, 'WebSocket', { value: NodeWebSocket, configurable: true, writable: true })
      checkDeployedSchema(live.outputs)
      admin = new LiveConfigAdmin(live)
      await Promise.all([emptyPool(live.outputs), admin.set({ ...FIXTURE_CONFIG })])
      used = 0
    },
    async teardown() {
      await admin?.close()
    },
    async createAdapter() {
      // Real AWS: SRP sign-in, identity-pool credentials for S3, no endpoints or shims.
      return amplify({ outputs: ready().outputs, collections: liveCollections(), storage: { prefix: LIVE_STORAGE_PREFIX } })
    },
    freshCollection(): string {
      if (used >= LIVE_POOL) throw new Error(`The live run used all ${LIVE_POOL} pool collections of this group; raise LIVE_POOL (test/live/amplify-fixtures.ts) and redeploy`)
      return `${LIVE_PREFIX}${++used}`
    },
    ownedCollection: () => LIVE_OWNED.name,
    async setConfig(values: Record<string, ConfigScalar>) {
      if (!admin) throw new Error('The live Amplify backend is not set up (setup failed; see the error above)')
      await admin.set(values)
    },
  }
}

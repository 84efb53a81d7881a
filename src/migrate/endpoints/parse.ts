/**
 * Parse Server as a migration endpoint, over its REST API with the master key (the admin access a
 * migration needs: it reads and writes past ACLs and class-level permissions).
 *
 * Documents are read by keyset on `objectId` and written in `/batch` requests of 50: a create per
 * document, and for ids that already exist (a resumed or repeated run) a replacing PUT, so writes
 * have set semantics. Objects are encoded exactly as the parse adapter encodes them (its codec and
 * write plans), so the adapter reads them back unchanged. Parse assigns `createdAt`/`updatedAt`
 * itself, unless a create comes with its *maintenance key* (parse-server's RestWrite.js: "allow
 * customizing createdAt and updatedAt when using maintenance key", creates only; an update always
 * gets the server's time). So with `maintenanceKey` documents are created with `createdAt` =
 * `updatedAt` = the source's `updateTime`, and ids already there are deleted and created again
 * rather than updated. Maintenance-key requests pass ACLs and class-level permissions as the master
 * key does, and parse-server takes that key first when a request carries both.
 *
 * Users: Parse Server never returns `_hashed_password` over REST, not even to the master key, and
 * refuses to set it (`Invalid field name: _hashed_password`), so password hashes can move neither
 * out nor in. Accounts move with their objectId, email, displayName and photoURL; password
 * accounts imported here get a random password nobody knows and are reported as must-reset.
 * Files go through the parse adapter (its `PortabaseFile` path class) with the javascriptKey.
 */
import { PortabaseError } from '../../errors.js'
import type { Adapter } from '../../spi.js'
import type { ConfigScalar, Doc } from '../../types.js'
import { decodeDoc, type ParseObjectJSON } from '../../../adapters/parse/codec.js'
import { BATCH_LIMIT, classPath, objectPath, planCreate, planReplace, type PlannedRequest } from '../../../adapters/parse/documents.js'
import { ParseCode } from '../../../adapters/parse/errors.js'
import type { Endpoint, MigratedUser, UserImportResult } from '../endpoint.js'
import { adapterFiles } from './adapter.js'

export interface ParseEndpointOptions {
  serverURL: string
  appId: string
  /** Required: the migration reads and writes with it. Sent only in the `X-Parse-Master-Key` header. */
  masterKey: string
  /** For files (through the parse adapter), when the server requires one. */
  javascriptKey?: string
  /** The parse adapter's files class. Default `PortabaseFile`. */
  filesClass?: string
  /**
   * Parse Server's `maintenanceKey`: documents keep the source's `updateTime` as `createdAt` and
   * `updatedAt`. Sent only in the `X-Parse-Maintenance-Key` header of document writes.
   */
  maintenanceKey?: string
}

const PROVIDER = 'parse'
type ParseFailure = { code?: number; error?: string }

export function parseEndpoint(options: ParseEndpointOptions, loadAdapter: () => Promise<Adapter>): Endpoint {
  for (const key of ['serverURL', 'appId', 'masterKey'] as const) {
    if (typeof options?.[key] !== 'string' || options[key].length === 0) throw new PortabaseError('invalid-argument', `A parse endpoint needs options.${key}`, { details: { option: key } })
  }
  const { maintenanceKey } = options
  if (maintenanceKey !== undefined && (typeof maintenanceKey !== 'string' || maintenanceKey.length === 0)) {
    throw new PortabaseError('invalid-argument', 'A parse endpoint needs options.maintenanceKey as a non-empty string when given', { details: { option: 'maintenanceKey' } })
  }
  const maintenance = maintenanceKey ? { 'X-Parse-Maintenance-Key': maintenanceKey } : undefined
  if (!/^https?:\/\//i.test(options.serverURL)) throw new PortabaseError('invalid-argument', 'A parse endpoint needs options.serverURL as an http(s) URL')
  const base = options.serverURL.replace(/\/+$/, '')
  const mount = new URL(base).pathname.replace(/\/+$/, '')
  const headers = { 'X-Parse-Application-Id': options.appId, 'X-Parse-Master-Key': options.masterKey, 'Content-Type': 'application/json' }

  async function request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<T> {
    let response: Response
    try {
      response = await fetch(`${base}/${path}`, { method, headers: { ...headers, ...extraHeaders }, body: body === undefined ? undefined : JSON.stringify(body) })
    } catch (error) {
      throw new PortabaseError('unavailable', `Parse Server at ${base} is unreachable`, { provider: PROVIDER, cause: error })
    }
    const json = (await response.json().catch(() => ({}))) as T & ParseFailure
    if (!response.ok) throw failure(json, `${method} ${path.split('?')[0]}`, response.status)
    return json
  }

  const find = (collection: string, params: Record<string, unknown>): Promise<{ results: ParseObjectJSON[]; count?: number }> => {
    const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]))
    return request('GET', `${classPath(collection)}?${query}`)
  }

  /** Sends planned requests in /batch requests; the per-request outcomes, in order. */
  async function batch(requests: readonly PlannedRequest[], extraHeaders?: Record<string, string>): Promise<(ParseFailure | null)[]> {
    const outcomes: (ParseFailure | null)[] = []
    for (let i = 0; i < requests.length; i += BATCH_LIMIT) {
      const group = requests.slice(i, i + BATCH_LIMIT)
      const body = { requests: group.map((r) => ({ method: r.method, path: `${mount}/${r.path}`, body: r.body })) }
      const answers = await request<{ success?: { createdAt?: unknown }; error?: ParseFailure }[]>('POST', 'batch', body, extraHeaders)
      group.forEach((r, n) => {
        const answer = answers[n]
        if (answer?.success === undefined) return outcomes.push(answer?.error ?? { error: 'no answer' })
        // A wrong maintenance key falls back to the master key, which silently assigns the server's time.
        const sent = (r.body?.createdAt as { iso?: string } | undefined)?.iso
        if (sent !== undefined && answer.success.createdAt !== sent) throw keyIgnored()
        outcomes.push(null)
      })
    }
    return outcomes
  }

  /** A create, with the source's time as `createdAt`/`updatedAt` when the maintenance key is set. */
  function create(collection: string, doc: Doc): PlannedRequest {
    const planned = planCreate(collection, doc.id, doc.data, null)
    if (!maintenance) return planned
    const time = { __type: 'Date', iso: new Date(doc.meta.updateTime).toISOString() }
    return { ...planned, body: { ...planned.body, createdAt: time, updatedAt: time } }
  }

  async function readByIds(collection: string, ids: readonly string[]): Promise<Map<string, ParseObjectJSON>> {
    const found = new Map<string, ParseObjectJSON>()
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500)
      const { results } = await find(collection, { where: { objectId: { $in: chunk } }, limit: chunk.length })
      for (const json of results) found.set(String(json.objectId), json)
    }
    return found
  }

  let files: ReturnType<typeof adapterFiles> | undefined
  let adapter: Adapter | undefined
  const filesAccess = () => {
    files ??= adapterFiles(async () => (adapter ??= await loadAdapter()))
    return files
  }

  return {
    label: `parse (${base}, app ${options.appId})`,
    capabilities: { timestamps: maintenance ? 'preserved' : 'server-assigned', resume: 'reconcile' },
    documents: {
      async readPage(collection, cursor, limit) {
        const where = cursor === null ? {} : { objectId: { $gt: cursor } }
        const { results } = await find(collection, { where, order: 'objectId', limit })
        const docs = results.map((json) => decodeDoc(json))
        return { docs, cursor: docs.length < limit ? null : docs[docs.length - 1]!.id }
      },
      async count(collection) {
        // With a filter: a master-key count without one is the planner's estimate.
        const { count } = await find(collection, { where: { objectId: { $exists: true } }, count: 1, limit: 0 })
        return count
      },
      async writePage(collection, docs) {
        const outcomes = await batch(docs.map((doc) => create(collection, doc)), maintenance)
        const taken = docs.filter((_, i) => outcomes[i]?.code === ParseCode.DUPLICATE_VALUE)
        const failed = outcomes.findIndex((o) => o !== null && o.code !== ParseCode.DUPLICATE_VALUE)
        if (failed >= 0) throw failure(outcomes[failed]!, `write ${collection}/${docs[failed]!.id}`)
        if (taken.length === 0) return
        if (maintenance) {
          // An update cannot set updatedAt: delete and create again (a crash in between: resume rewrites the page).
          const deleted = await batch(taken.map((doc): PlannedRequest => ({ method: 'DELETE', collection, id: doc.id, path: objectPath(collection, doc.id) })))
          const gone = deleted.findIndex((o) => o !== null && o.code !== ParseCode.OBJECT_NOT_FOUND)
          if (gone >= 0) throw failure(deleted[gone]!, `write ${collection}/${taken[gone]!.id}`)
          const recreated = await batch(taken.map((doc) => create(collection, doc)), maintenance)
          const bad = recreated.findIndex((o) => o !== null)
          if (bad >= 0) throw failure(recreated[bad]!, `write ${collection}/${taken[bad]!.id}`)
          return
        }
        // Already there (a resumed run, or a target written before): replace them.
        const stored = await readByIds(collection, taken.map((d) => d.id))
        const replaced = await batch(taken.map((doc) => (stored.has(doc.id) ? planReplace(collection, doc.id, doc.data, stored.get(doc.id)!, null) : planCreate(collection, doc.id, doc.data, null))))
        const bad = replaced.findIndex((o) => o !== null)
        if (bad >= 0) throw failure(replaced[bad]!, `write ${collection}/${taken[bad]!.id}`)
      },
      async readByIds(collection, ids) {
        const found = await readByIds(collection, ids)
        return new Map([...found].map(([id, json]) => [id, decodeDoc(json)]))
      },
    },
    files: {
      list: (prefix, cursor, limit) => filesAccess().list(prefix, cursor, limit),
      download: (path) => filesAccess().download(path),
      // Through the adapter: whole files (Parse's REST file API takes one body).
      upload: (file, chunks) => filesAccess().upload(file, chunks),
    },
    config: {
      async read() {
        const { params = {} } = await request<{ params?: Record<string, unknown> }>('GET', 'config')
        return Object.fromEntries(Object.entries(params).filter((entry): entry is [string, ConfigScalar] => ['string', 'number', 'boolean'].includes(typeof entry[1])))
      },
      async write(values) {
        await request('PUT', 'config', { params: values })
      },
    },
    users: {
      async list(cursor, limit) {
        const where = cursor === null ? {} : { objectId: { $gt: cursor } }
        const { results } = await find('_User', { where, order: 'objectId', limit })
        const users = results.map(userOf)
        return { users, cursor: users.length < limit ? null : users[users.length - 1]!.uid }
      },
      async import(users) {
        const result: UserImportResult = { imported: 0, mustReset: [] }
        const existing = await readByIds('_User', users.map((u) => u.uid))
        for (const user of users) {
          const profile = { email: user.email, displayName: user.displayName, photoURL: user.photoURL }
          if (existing.has(user.uid)) {
            await request('PUT', `classes/_User/${encodeURIComponent(user.uid)}`, { ...profile, ...(user.email ? { username: user.email } : {}) })
          } else {
            const credentials = user.isAnonymous || !user.email ? { authData: { anonymous: { id: crypto.randomUUID() } } } : { username: user.email, password: unusablePassword() }
            const created = await request<{ sessionToken?: string }>('POST', 'users', { objectId: user.uid, ...profile, ...credentials })
            // Sign-up opens a session; the migration has no use for it.
            if (created.sessionToken) await request('POST', 'logout', {}, { 'X-Parse-Session-Token': created.sessionToken }).catch(() => undefined)
          }
          result.imported += 1
          if (!user.isAnonymous && user.email) {
            result.mustReset.push({ uid: user.uid, email: user.email, reason: 'Parse Server accepts no password hash over its REST API' })
          }
        }
        return result
      },
    },
    async close() {
      await adapter?.dispose()
    },
  }
}

/** A Parse `_User` as REST JSON → a migrated user. The hash is never in it (see the module comment). */
function userOf(json: ParseObjectJSON): MigratedUser {
  const authData = (json.authData ?? {}) as Record<string, unknown>
  const isAnonymous = authData.anonymous !== undefined && authData.anonymous !== null
  const text = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null)
  return {
    uid: String(json.objectId),
    email: text(json.email) ?? (isAnonymous ? null : text(json.username)),
    displayName: text(json.displayName),
    photoURL: text(json.photoURL),
    isAnonymous,
    providerId: isAnonymous ? 'anonymous' : 'password',
  }
}

/** 32 random bytes, never stored or shown anywhere: the account needs a password reset. */
function unusablePassword(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')
}

function keyIgnored(): PortabaseError {
  return new PortabaseError('permission-denied', 'Parse Server ignored options.maintenanceKey (not its maintenance key, or not allowed from this IP: maintenanceKeyIps) and assigned createdAt itself', { provider: PROVIDER, details: { option: 'maintenanceKey' } })
}

function failure(json: ParseFailure, what: string, status?: number): PortabaseError {
  const code = json.code === ParseCode.OBJECT_NOT_FOUND ? 'not-found' : json.code === 119 || status === 403 || status === 401 ? 'permission-denied' : status !== undefined && status >= 500 ? 'unavailable' : 'invalid-argument'
  return new PortabaseError(code, `Parse Server refused ${what}: ${json.error ?? `HTTP ${status ?? '?'}`}`, { provider: PROVIDER, details: { parseCode: json.code } })
}

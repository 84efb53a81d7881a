/**
 * A Firebase project as a migration endpoint, through firebase-admin (an optional peer, loaded on
 * first use: firebase-admin.ts) with a service account, so it reads and writes past security rules.
 *
 * Documents: keyset pages ordered by document id, written in batches of 500 `set`s (set semantics:
 * a repeated page rewrites the same documents), with the firebase adapter's value mapping
 * (firebase-codec.ts). Firestore assigns update times itself: timestamps are not preserved.
 * Files: the project's Cloud Storage bucket (`storageBucket`), listed by prefix with page tokens,
 * custom metadata kept. Remote config: the template's parameters' default values (parameter groups
 * included), written as strings with a `valueType` (NUMBER, BOOLEAN, STRING) and read back typed by
 * it; conditional values are kept. Users: firebase-users.ts.
 */
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { PortabaseError } from '../../errors.js'
import type { ConfigScalar, StoredFile } from '../../types.js'
import { mapErrors } from '../chunks.js'
import type { Endpoint } from '../endpoint.js'
import { loadFirebaseAdmin, type FirebaseAdmin, type FirebaseAdminOptions, type FirebaseBucket } from './firebase-admin.js'
import { AdminFirestoreCodec, METADATA_FIELD } from './firebase-codec.js'
import { adminError, guardAdmin } from './firebase-errors.js'
import { assertScryptParameters, importFirebaseUsers, listFirebaseUsers, type FirebaseScryptParameters } from './firebase-users.js'
import type { RemoteConfigParameter, RemoteConfigTemplate } from 'firebase-admin/remote-config'

export interface FirebaseEndpointOptions extends FirebaseAdminOptions {
  /** The project's password hash parameters: exported hashes carry them; imported scrypt hashes without them use them. */
  scrypt?: FirebaseScryptParameters
  /** Stamp written documents with the firebase adapter's `_portabase` field, as `firestore({ offline })` collections need. */
  writeMetadata?: boolean
}

const WRITE_BATCH = 500
const READ_BATCH = 300
const HOST_PORT = /^[^\s:/]+:\d{1,5}$/

function validate(options: FirebaseEndpointOptions): void {
  const need = (ok: boolean, option: string, what: string): void => {
    if (!ok) throw new PortabaseError('invalid-argument', `A firebase endpoint needs options.${option} ${what}`, { details: { option } })
  }
  need(typeof options?.projectId === 'string' && options.projectId.length > 0, 'projectId', 'as a string')
  const account = options.serviceAccount
  need(account === undefined || (typeof account === 'string' && account.length > 0) || (typeof account === 'object' && account !== null), 'serviceAccount', 'as a JSON file path or the parsed JSON object')
  need(options.storageBucket === undefined || (typeof options.storageBucket === 'string' && options.storageBucket.length > 0), 'storageBucket', 'as a bucket name')
  need(options.databaseId === undefined || typeof options.databaseId === 'string', 'databaseId', 'as a string')
  need(options.writeMetadata === undefined || typeof options.writeMetadata === 'boolean', 'writeMetadata', 'as true or false')
  const emulators = options.emulators ?? {}
  need(typeof emulators === 'object' && emulators !== null, 'emulators', 'as { auth, storage, firestore }')
  for (const [name, value] of Object.entries(emulators)) need(['auth', 'storage', 'firestore'].includes(name) && typeof value === 'string' && HOST_PORT.test(value), `emulators.${name}`, "as 'host:port'")
  if (options.scrypt !== undefined) assertScryptParameters(options.scrypt)
}

export function firebaseEndpoint(options: FirebaseEndpointOptions, sdk?: FirebaseAdmin): Endpoint {
  validate(options)
  const admin = sdk ?? loadFirebaseAdmin(options)
  let codec: Promise<{ firestore: Awaited<ReturnType<FirebaseAdmin['firestore']>>; codec: AdminFirestoreCodec }> | undefined
  const store = () =>
    (codec ??= admin.firestore().then((firestore) => ({ firestore, codec: new AdminFirestoreCodec(firestore.db, firestore.values) })))
  const where = options.emulators && Object.keys(options.emulators).length > 0 ? ', emulators' : ''

  return {
    label: `firebase (project ${options.projectId}${where})`,
    capabilities: { timestamps: 'server-assigned', resume: 'reconcile' },
    documents: {
      readPage: (collection, cursor, limit) =>
        guardAdmin(`reading ${collection}`, async () => {
          const { firestore, codec } = await store()
          let query = firestore.db.collection(collection).orderBy(firestore.values.FieldPath.documentId()).limit(limit)
          if (cursor !== null) query = query.startAfter(cursor)
          const docs = (await query.get()).docs.map((snapshot) => codec.toDoc(snapshot))
          return { docs, cursor: docs.length < limit ? null : docs[docs.length - 1]!.id }
        }),
      count: (collection) =>
        guardAdmin(`counting ${collection}`, async () => {
          const { firestore } = await store()
          return (await firestore.db.collection(collection).count().get()).data().count
        }),
      listCollections: () => guardAdmin('listing collections', async () => (await (await store()).firestore.db.listCollections()).map((c) => c.id)),
      writePage: (collection, docs) =>
        guardAdmin(`writing ${collection}`, async () => {
          const { firestore, codec } = await store()
          const { db, values } = firestore
          for (let i = 0; i < docs.length; i += WRITE_BATCH) {
            const batch = db.batch()
            for (const doc of docs.slice(i, i + WRITE_BATCH)) {
              const data = codec.toData(doc.data)
              if (options.writeMetadata) data[METADATA_FIELD] = { updatedAt: values.FieldValue.serverTimestamp(), writeId: null }
              batch.set(db.collection(collection).doc(doc.id), data)
            }
            await batch.commit()
          }
        }),
      readByIds: (collection, ids) =>
        guardAdmin(`reading ${collection} by id`, async () => {
          const { firestore, codec } = await store()
          const found = new Map<string, ReturnType<AdminFirestoreCodec['toDoc']>>()
          for (let i = 0; i < ids.length; i += READ_BATCH) {
            const refs = ids.slice(i, i + READ_BATCH).map((id) => firestore.db.collection(collection).doc(id))
            if (refs.length === 0) continue
            for (const snapshot of await firestore.db.getAll(...refs)) if (snapshot.exists) found.set(snapshot.id, codec.toDoc(snapshot))
          }
          return found
        }),
    },
    files: {
      list: (prefix, cursor, limit) =>
        guardAdmin(`listing files under '${prefix}'`, async () => {
          const bucket = await admin.bucket()
          const [files, next] = await bucket.getFiles({ prefix, maxResults: limit, autoPaginate: false, ...(cursor ? { pageToken: cursor } : {}) })
          // Console "folders" are empty objects named `dir/`: not files.
          const items = files.filter((file) => !file.name.endsWith('/')).map((file) => storedFileOf(file))
          return { items, cursor: (next as { pageToken?: string } | null)?.pageToken ?? null }
        }),
      // Streamed both ways: a copy holds chunks, not files (the object's errors come while reading).
      download: (path) =>
        guardAdmin(`downloading ${path}`, async () => mapErrors((await admin.bucket()).file(path).createReadStream(), (error) => adminError(error, `downloading ${path}`))),
      upload: (file, chunks) =>
        guardAdmin(`uploading ${file.path}`, async () => {
          const target = (await admin.bucket()).file(file.path)
          await pipeline(Readable.from(chunks), target.createWriteStream({ resumable: false, contentType: file.contentType, metadata: { contentType: file.contentType, metadata: { ...file.metadata } } }))
        }),
    },
    config: {
      read: () =>
        guardAdmin('reading the Remote Config template', async () => {
          const values: Record<string, ConfigScalar> = {}
          for (const [key, parameter] of parametersOf(await (await admin.remoteConfig()).getTemplate())) {
            const value = defaultOf(parameter)
            if (value !== undefined) values[key] = value
          }
          return values
        }),
      write: (values) =>
        guardAdmin('publishing the Remote Config template', async () => {
          const rc = await admin.remoteConfig()
          const template = await rc.getTemplate()
          const existing = new Map(parametersOf(template))
          for (const [key, value] of Object.entries(values)) {
            const parameter = existing.get(key)
            const next = { ...parameter, defaultValue: { value: String(value) }, valueType: typeof value === 'number' ? 'NUMBER' : typeof value === 'boolean' ? 'BOOLEAN' : 'STRING' } as const
            // A parameter stays where it is (a group's, or top-level).
            if (parameter) Object.assign(parameter, next)
            else template.parameters[key] = next
          }
          // Published with the template's ETag: a concurrent change makes this fail (conflict) rather than be overwritten.
          await rc.publishTemplate(template)
        }),
    },
    users: {
      list: async (cursor, limit) => listFirebaseUsers(await admin.auth(), cursor, limit, options.scrypt),
      import: async (users) => importFirebaseUsers(await admin.auth(), users, options.scrypt),
    },
    close: () => admin.close(),
  }
}

type GcsFile = ReturnType<FirebaseBucket['file']>

function storedFileOf(file: GcsFile): StoredFile {
  const { size, contentType, updated, metadata } = file.metadata
  const custom = Object.entries(metadata ?? {}).filter((entry): entry is [string, string | number | boolean] => entry[1] !== null && entry[1] !== undefined)
  return {
    path: file.name,
    size: Number(size ?? 0),
    contentType: contentType ?? 'application/octet-stream',
    updated: new Date(updated ?? 0),
    metadata: Object.fromEntries(custom.map(([k, v]) => [k, String(v)])),
  }
}

/** Every parameter of a template, top-level and in groups, as the objects to edit in place. */
function parametersOf(template: RemoteConfigTemplate): [string, RemoteConfigParameter][] {
  const groups = Object.values(template.parameterGroups ?? {}).flatMap((group) => Object.entries(group.parameters ?? {}))
  return [...Object.entries(template.parameters ?? {}), ...groups]
}

/** A parameter's default as a neutral scalar, typed by its valueType; undefined for "use in-app default". */
function defaultOf(parameter: RemoteConfigParameter): ConfigScalar | undefined {
  const value = parameter.defaultValue && 'value' in parameter.defaultValue ? parameter.defaultValue.value : undefined
  if (typeof value !== 'string') return undefined
  if (parameter.valueType === 'NUMBER' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value)
  if (parameter.valueType === 'BOOLEAN' && (value === 'true' || value === 'false')) return value === 'true'
  return value
}

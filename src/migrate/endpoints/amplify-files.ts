/**
 * Amplify Storage files straight on S3 with the admin's credentials (past the `defineStorage`
 * access rules): the bucket from `amplify_outputs.json`, keys under the adapter's `prefix`, user
 * metadata in the adapter's encoding (storage.ts: `portabase-keys`, RFC 2047 words), so the
 * adapter reads migrated files back as written. Listing costs one LIST plus one HEAD per file (S3's
 * list has no content type nor metadata), as the adapter's does.
 */
import { Readable } from 'node:stream'
import { PortabaseError } from '../../errors.js'
import type { StoredFile } from '../../types.js'
import { decodeMetadata, encodeMetadata } from '../../../adapters/amplify/storage.js'
import { mapErrors, oneChunk } from '../chunks.js'
import type { FileReader, FileWriter } from '../endpoint.js'
import { awsError, type loadS3 } from './amplify-aws.js'
import type { AmplifyOutputsLike } from './amplify.js'

type S3Access = Awaited<ReturnType<typeof loadS3>>

function bucketOf(outputs: AmplifyOutputsLike, name: string | undefined): string {
  const storage = outputs.storage
  const bucket = name === undefined ? storage?.bucket_name : storage?.buckets?.find((b) => b.name === name)?.bucket_name
  if (!bucket) {
    throw new PortabaseError('failed-precondition', name === undefined ? 'Amplify migration: the outputs have no storage bucket (defineStorage)' : `Amplify migration: no bucket named ${name} in outputs.storage.buckets`, { provider: 'amplify' })
  }
  return bucket
}

export function amplifyFiles(load: () => Promise<S3Access>, outputs: AmplifyOutputsLike, options: { prefix?: string; bucket?: string } = {}): FileReader & FileWriter {
  const prefix = options.prefix ?? ''
  const key = (path: string): string => `${prefix}${path}`
  async function call<T>(what: string, run: (s3: S3Access, bucket: string) => Promise<T>): Promise<T> {
    const bucket = bucketOf(outputs, options.bucket)
    try {
      return await run(await load(), bucket)
    } catch (error) {
      throw awsError(error, what)
    }
  }
  return {
    list: (path, cursor, limit) =>
      call(`ListObjectsV2 ${key(path)}`, async ({ sdk, client }, Bucket) => {
        const page = await client.send(new sdk.ListObjectsV2Command({ Bucket, Prefix: key(path), MaxKeys: limit, ContinuationToken: cursor ?? undefined }))
        const items: StoredFile[] = []
        for (const object of page.Contents ?? []) {
          // The S3 console's zero-byte "folder" markers are not files.
          if (!object.Key || object.Key.endsWith('/')) continue
          const head = await client.send(new sdk.HeadObjectCommand({ Bucket, Key: object.Key }))
          items.push({
            path: object.Key.slice(prefix.length),
            size: Number(head.ContentLength ?? object.Size ?? 0),
            contentType: head.ContentType ?? 'application/octet-stream',
            updated: head.LastModified ?? object.LastModified ?? new Date(0),
            metadata: decodeMetadata(head.Metadata ?? {}),
          })
        }
        return { items, cursor: page.IsTruncated && page.NextContinuationToken ? page.NextContinuationToken : null }
      }),
    // Streamed both ways: GetObject's body (a Node Readable) chunk by chunk; PutObject from the
    // chunks with the length the listing gave (S3 needs it up front for a streamed body).
    download: (path) =>
      call(`GetObject ${key(path)}`, async ({ sdk, client }, Bucket) => {
        const object = await client.send(new sdk.GetObjectCommand({ Bucket, Key: key(path) }))
        const body = object.Body
        if (!body) return oneChunk(new Uint8Array())
        if (!(Symbol.asyncIterator in body)) return oneChunk(await body.transformToByteArray())
        return mapErrors(body as AsyncIterable<Uint8Array>, (error) => awsError(error, `GetObject ${key(path)}`))
      }),
    upload: (file, chunks) =>
      call(`PutObject ${key(file.path)}`, async ({ sdk, client }, Bucket) => {
        await client.send(new sdk.PutObjectCommand({ Bucket, Key: key(file.path), Body: Readable.from(chunks), ContentLength: file.size, ContentType: file.contentType, Metadata: encodeMetadata(file.metadata ?? {}) }))
      }),
  }
}

/**
 * S3, locally: s3rver 3 on 127.0.0.1 and a free port, with one bucket, its files in a fresh temp
 * dir (removed by stop()).
 *
 * - `allowMismatchedSignatures`: clients sign for `<bucket>.s3.<region>.amazonaws.com` (see the
 *   fetch rewrite in shims.ts) and with whatever credentials they have; s3rver still requires a
 *   signature but does not fail on a mismatch.
 * - Path-style URLs (`http://127.0.0.1:<port>/<bucket>/<key>`) are what the rewrite produces.
 * - Two fixes so ListObjectsV2 answers as S3 does (see fixListing): keys in UTF-8 binary order, and
 *   continuation tokens on Node ≥ 17.
 */
import crypto from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import S3rver from 's3rver';

export interface S3Local {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  bucket: string;
  /** s3rver's own credentials (any signature is accepted anyway). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

export async function startS3(options: { bucket?: string } = {}): Promise<S3Local> {
  const bucket = options.bucket ?? 'amplify-local-bucket';
  const directory = await mkdtemp(path.join(tmpdir(), 'portabase-s3-'));
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    allowMismatchedSignatures: true,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  fixListing(s3rver as unknown as { store: ListingStore });
  let server: Server;
  try {
    await s3rver.run();
    server = (s3rver as unknown as { httpServer: Server }).httpServer;
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bucket,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    stop: () =>
      (stopping ??= (async () => {
        await new Promise<void>((resolve) => {
          if (!server.listening) return resolve();
          server.close(() => resolve()); // also ends s3rver's logger
          server.closeAllConnections();
        });
        await rm(directory, { recursive: true, force: true });
      })()),
  };
}

interface ListOptions {
  delimiter?: string;
  startAfter?: string;
  prefix?: string;
  maxKeys?: number;
}
interface ListingStore {
  listObjects(bucket: string, options: ListOptions): Promise<{ objects: Array<{ key: string }>; commonPrefixes: string[]; isTruncated: boolean }>;
}

/**
 * s3rver 3.7 gaps in ListObjectsV2 (without a delimiter, as aws-amplify's `list` and `remove` send it):
 * - order: it walks its files in `readdir` order (hash order on ext4), not S3's UTF-8 binary key
 *   order, and stops after `max-keys` of them, so pages are neither ordered nor complete. Here every
 *   key after `startAfter` is read, sorted, and cut to `max-keys`.
 * - continuation tokens: it encrypts them with DES, which OpenSSL 3 (Node ≥ 17) refuses without the
 *   legacy provider, so any truncated list failed with `InternalError`. Where DES is unavailable,
 *   'des' becomes the identity (the token is its 8-byte IV then `region/bucket/lastKey`, base64).
 */
function fixListing(s3rver: { store: ListingStore }): void {
  const store = s3rver.store;
  const list = store.listObjects.bind(store);
  store.listObjects = async (bucket, options) => {
    if (options.delimiter) return list(bucket, options);
    const max = options.maxKeys ?? 1000;
    const all = await list(bucket, { ...options, maxKeys: Infinity });
    const sorted = all.objects.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    return { objects: sorted.slice(0, max), commonPrefixes: [], isTruncated: sorted.length > max };
  };
  try {
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
  } catch {
    const identity = () => ({ update: (data: string | Buffer) => Buffer.from(data), final: () => Buffer.alloc(0) });
    const { createCipheriv, createDecipheriv } = crypto;
    Object.assign(crypto, {
      createCipheriv: (algorithm: string, ...rest: unknown[]) => (algorithm === 'des' ? identity() : (createCipheriv as (...a: unknown[]) => unknown)(algorithm, ...rest)),
      createDecipheriv: (algorithm: string, ...rest: unknown[]) => (algorithm === 'des' ? identity() : (createDecipheriv as (...a: unknown[]) => unknown)(algorithm, ...rest)),
    });
  }
}

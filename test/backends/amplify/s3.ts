/**
 * S3, locally: s3rver 3 on 127.0.0.1 and a free port, with one bucket, its files in a fresh temp
 * dir (removed by stop()).
 *
 * - `allowMismatchedSignatures`: clients sign for `<bucket>.s3.<region>.amazonaws.com` (see the
 *   fetch rewrite in shims.ts) and with whatever credentials they have; s3rver still requires a
 *   signature but does not fail on a mismatch.
 * - Path-style URLs (`http://127.0.0.1:<port>/<bucket>/<key>`) are what the rewrite produces.
 */
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

/**
 * Files move chunk by chunk (`AsyncIterable<Uint8Array>`; a Node Readable is one), so a copy
 * between two streaming endpoints holds a chunk, not a file. Endpoints whose vendor API takes or
 * returns a whole body wrap it as one chunk (`oneChunk`) or gather the chunks (`collect`).
 */
import { createHash } from 'node:crypto'

export type Chunks = AsyncIterable<Uint8Array>

/** A whole body as a stream of one chunk. */
export async function* oneChunk(bytes: Uint8Array): Chunks {
  yield bytes
}

/** Every chunk in one fresh array: for APIs that take a whole body (the file is then held once). */
export async function collect(chunks: Chunks): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let size = 0
  for await (const chunk of chunks) {
    parts.push(chunk)
    size += chunk.byteLength
  }
  const out = new Uint8Array(size)
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.byteLength
  }
  return out
}

/** The SHA-256 and size of what passed through, updated chunk by chunk. */
export class ByteDigest {
  private readonly hash = createHash('sha256')
  bytes = 0

  add(chunk: Uint8Array): void {
    this.hash.update(chunk)
    this.bytes += chunk.byteLength
  }

  /** The hex digest; call once, after the stream ended. */
  hex(): string {
    return this.hash.digest('hex')
  }
}

/** The chunks unchanged, each added to `digest` on its way. */
export async function* through(chunks: Chunks, digest: ByteDigest): Chunks {
  for await (const chunk of chunks) {
    digest.add(chunk)
    yield chunk
  }
}

/** SHA-256 (hex) of a stream, read to its end. */
export async function chunksHash(chunks: Chunks): Promise<string> {
  const digest = new ByteDigest()
  for await (const chunk of chunks) digest.add(chunk)
  return digest.hex()
}

/** Reads a stream to its end, keeping nothing (a dry run still reads what it would copy). */
export async function drain(chunks: Chunks): Promise<void> {
  const iterator = chunks[Symbol.asyncIterator]()
  let step = await iterator.next()
  while (!step.done) step = await iterator.next()
}

/** The chunks unchanged, a failure while reading them mapped (a vendor error → PortabaseError). */
export async function* mapErrors(chunks: Chunks, map: (error: unknown) => Error): Chunks {
  try {
    for await (const chunk of chunks) yield chunk
  } catch (error) {
    throw map(error)
  }
}

import { createHash, randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { headerLength, parseManifest, type Manifest } from '@ocm-fl/common/model/safetensors.js';
import { FiniteCheck, manifestMismatch } from './manifest-match.js';

/** A refused upload: the HTTP status to answer and a reason a trainer author can act on. */
export class UpdateRejected extends Error {
  override name = 'UpdateRejected';
  constructor(
    readonly status: 400 | 413,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ReceiveUpdateOptions {
  readonly source: AsyncIterable<Uint8Array>;
  /** Manifest of the global model; the update must have the same layout. */
  readonly expected: Manifest;
  readonly dir: string;
  /** Final file name inside `dir`. */
  readonly fileName: string;
  readonly maxBytes: number;
}

export interface ReceivedUpdate {
  readonly path: string;
  readonly bytes: number;
  /** `sha256:<hex>` of the bytes received. */
  readonly digest: string;
}

/**
 * Stream an update to `dir/fileName`: written to a temporary file as it arrives (never held
 * whole in memory), hashed and validated on the way, fsynced, then renamed into place. On any
 * failure the temporary file is removed, so the final name only ever holds a complete,
 * verified update.
 */
export async function receiveUpdate(opts: ReceiveUpdateOptions): Promise<ReceivedUpdate> {
  const tmp = join(opts.dir, `.update-${randomBytes(6).toString('hex')}.partial`);
  const fh = await open(tmp, 'wx', 0o600);
  let closed = false;
  try {
    const got = await streamInto(fh, opts);
    await fh.sync();
    await fh.close();
    closed = true;
    const path = join(opts.dir, opts.fileName);
    await rename(tmp, path);
    await syncDir(opts.dir);
    return { path, ...got };
  } catch (e) {
    if (!closed) await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

async function streamInto(
  fh: FileHandle,
  opts: ReceiveUpdateOptions,
): Promise<{ bytes: number; digest: string }> {
  const hash = createHash('sha256');
  const check = new FiniteCheck(opts.expected.tensors);
  let head: Buffer[] = [];
  let total = 0;
  let manifest: Manifest | undefined;
  for await (const raw of opts.source) {
    const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    const start = total;
    total += chunk.length;
    if (total > opts.maxBytes) throw new UpdateRejected(413, `update exceeds ${opts.maxBytes} bytes`);
    if (manifest && total > manifest.dataStart + manifest.dataBytes)
      throw new UpdateRejected(
        400,
        `update has bytes after the last tensor (manifest says ${manifest.dataStart + manifest.dataBytes})`,
      );
    hash.update(chunk);
    await writeAll(fh, chunk);
    if (!manifest) {
      head.push(chunk);
      manifest = tryManifest(head, opts);
      if (!manifest) continue;
      head = [];
      if (total > manifest.dataStart + manifest.dataBytes)
        throw new UpdateRejected(
          400,
          `update has bytes after the last tensor (manifest says ${manifest.dataStart + manifest.dataBytes})`,
        );
    }
    const from = Math.max(0, manifest.dataStart - start);
    if (from < chunk.length) {
      const bad = check.feed(chunk.subarray(from));
      if (bad) throw new UpdateRejected(400, bad);
    }
  }
  if (!manifest)
    throw new UpdateRejected(400, `update truncated: ${total} bytes, no complete safetensors header`);
  const want = manifest.dataStart + manifest.dataBytes;
  if (total < want) throw new UpdateRejected(400, `update truncated: ${total} bytes, manifest says ${want}`);
  return { bytes: total, digest: `sha256:${hash.digest('hex')}` };
}

/** The manifest once the header bytes are all in; throws 400/413 on a bad or mismatched one. */
function tryManifest(head: Buffer[], opts: ReceiveUpdateOptions): Manifest | undefined {
  const have = head.reduce((n, b) => n + b.length, 0);
  if (have < 8) return undefined;
  const buf = head.length === 1 ? (head[0] as Buffer) : Buffer.concat(head);
  let m: Manifest;
  try {
    const n = headerLength(buf);
    if (8 + n > opts.maxBytes)
      throw new UpdateRejected(413, `update header of ${n} bytes exceeds ${opts.maxBytes} bytes`);
    if (have < 8 + n) return undefined;
    m = parseManifest(buf);
  } catch (e) {
    if (e instanceof UpdateRejected) throw e;
    throw new UpdateRejected(400, `not a safetensors file: ${(e as Error).message}`, { cause: e });
  }
  const why = manifestMismatch(opts.expected, m);
  if (why) throw new UpdateRejected(400, `update does not match the global model: ${why}`);
  if (m.dataStart + m.dataBytes > opts.maxBytes)
    throw new UpdateRejected(
      413,
      `update of ${m.dataStart + m.dataBytes} bytes exceeds ${opts.maxBytes} bytes`,
    );
  return m;
}

async function writeAll(fh: FileHandle, chunk: Buffer): Promise<void> {
  let off = 0;
  while (off < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
    off += bytesWritten;
  }
}

/** fsync the directory so the rename survives a crash; not every filesystem allows it. */
async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r').catch(() => undefined);
  if (!d) return;
  await d.sync().catch(() => undefined);
  await d.close();
}

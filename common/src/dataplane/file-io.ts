/** Durable file writes (temp file, fsync, rename, fsync dir) and streaming digests. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** fsync a directory so a rename inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A sibling temp name, unique per process and call, on the same filesystem as `dest`. */
export function tempPathFor(dest: string): string {
  return path.join(
    path.dirname(dest),
    `.${path.basename(dest)}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2, 8)}.tmp`,
  );
}

/** fsync `tmp`, rename it over `dest`, fsync the directory. */
export async function commitFile(tmp: string, dest: string): Promise<void> {
  const fh = await open(tmp, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, dest);
  await fsyncDir(path.dirname(dest));
}

/** Write `data` to `dest` atomically: readers see the old file or the new one, never a mix. */
export async function writeFileAtomic(dest: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = tempPathFor(dest);
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
    } finally {
      await fh.close();
    }
    await commitFile(tmp, dest);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new Error(`writing ${dest} failed`, { cause: e });
  }
}

/** Lowercase hex SHA-256 of a file (or its first `end` bytes), read as a stream. */
export async function sha256File(file: string, end?: number): Promise<string> {
  const hash = createHash('sha256');
  if (end === 0) return hash.digest('hex');
  const stream = createReadStream(file, {
    highWaterMark: 1 << 20,
    ...(end === undefined ? {} : { end: end - 1 }),
  });
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Copy a file durably (used to publish `last` / `final` from a round checkpoint). */
export async function copyFileAtomic(src: string, dest: string): Promise<void> {
  const tmp = tempPathFor(dest);
  try {
    await copyFile(src, tmp);
    await commitFile(tmp, dest);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new Error(`copying ${src} to ${dest} failed`, { cause: e });
  }
}

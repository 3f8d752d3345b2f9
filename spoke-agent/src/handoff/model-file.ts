import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { headerLength, parseManifest, type Manifest } from '@ocm-fl/common/model/safetensors.js';
import type { TaskModel } from './types.js';

export interface ModelFile {
  readonly path: string;
  readonly manifest: Manifest;
  readonly description: TaskModel;
}

/** Hash a file by streaming it; `sha256:<hex>`. */
export async function fileDigest(path: string): Promise<{ digest: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const c of createReadStream(path)) {
    hash.update(c as Buffer);
    bytes += (c as Buffer).length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, bytes };
}

/** Read only the header of a safetensors file and describe it; throws when it is not one. */
export async function readModelFile(path: string): Promise<ModelFile> {
  const fh = await open(path, 'r');
  let manifest: Manifest;
  try {
    const prefix = Buffer.alloc(8);
    await fh.read(prefix, 0, 8, 0);
    const n = headerLength(prefix);
    const head = Buffer.alloc(8 + n);
    await fh.read(head, 0, head.length, 0);
    manifest = parseManifest(head);
  } catch (e) {
    throw new Error(`global model ${path} is not a valid safetensors file`, { cause: e });
  } finally {
    await fh.close();
  }
  const { digest, bytes } = await fileDigest(path);
  if (bytes !== manifest.dataStart + manifest.dataBytes)
    throw new Error(
      `global model ${path} has ${bytes} bytes, its manifest says ${manifest.dataStart + manifest.dataBytes}`,
    );
  const dtypes = new Set(manifest.tensors.map((t) => t.dtype));
  const description: TaskModel = {
    format: 'safetensors',
    bytes,
    digest,
    dtype: dtypes.size === 1 ? [...dtypes][0]! : 'mixed',
    tensors: manifest.tensors.map((t) => ({
      name: t.name,
      dtype: t.dtype,
      shape: t.shape,
      dataOffsets: [t.begin, t.end],
    })),
  };
  return { path, manifest, description };
}

/**
 * Images for runc pods: pulled by name from a registry with skopeo into one OCI layout, unpacked
 * once per manifest digest with umoci into a read-only rootfs that every container of that
 * image shares (each container gets its own overlay upper layer, see runc-container.ts).
 *
 * `mirrors` maps a registry host to where it is really served, as containers-registries.conf
 * mirrors do: `{ 'quay.io': '127.0.0.1:5000' }` makes `quay.io/org/x:v1` come from the local
 * registry. A reference whose host is not mapped is pulled from that host as written (plain
 * HTTP is allowed only for 127.0.0.1). Pull policy is IfNotPresent per store: a reference is
 * pulled once, a failed pull is retried on the next request.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The parts of an OCI image config a kubelet reads. */
export interface ImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  User?: string;
  WorkingDir?: string;
}

export interface PulledImage {
  ref: string;
  /** Where it was pulled from (after the mirror rewrite). */
  source: string;
  digest: string;
  rootfs: string;
  config: ImageConfig;
}

export class ImagePullError extends Error {
  override name = 'ImagePullError';
}

/** `quay.io/org/x:v1` with `{ 'quay.io': 'h:5000' }` → `h:5000/org/x:v1`. */
export function mirrorRef(ref: string, mirrors: Readonly<Record<string, string>>): string {
  const slash = ref.indexOf('/');
  const host = slash > 0 ? ref.slice(0, slash) : '';
  const to = mirrors[host];
  return to ? `${to}${ref.slice(slash)}` : ref;
}

interface OciIndex {
  manifests: { digest: string; annotations?: Record<string, string> }[];
}

export class ImageStore {
  private readonly pulls = new Map<string, Promise<PulledImage>>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly mirrors: Readonly<Record<string, string>> = {},
    /** Unpacked root filesystems by digest; may be shared by several stores (processes). */
    private readonly unpackedDir = join(dir, 'unpacked'),
  ) {}

  pull(ref: string): Promise<PulledImage> {
    let p = this.pulls.get(ref);
    if (!p) {
      // One skopeo/umoci at a time: they share the layout's index.json.
      p = this.chain.then(() => this.doPull(ref));
      this.chain = p.catch(() => undefined);
      this.pulls.set(ref, p);
      p.catch(() => this.pulls.delete(ref));
    }
    return p;
  }

  private async doPull(ref: string): Promise<PulledImage> {
    const source = mirrorRef(ref, this.mirrors);
    const layout = join(this.dir, 'oci');
    const tag = createHash('sha256').update(source).digest('hex').slice(0, 20);
    await mkdir(layout, { recursive: true });
    const insecure = source.startsWith('127.0.0.1:') || source.startsWith('localhost:');
    try {
      await exec(
        'skopeo',
        [
          'copy',
          '--quiet',
          ...(insecure ? ['--src-tls-verify=false'] : []),
          `docker://${source}`,
          `oci:${layout}:${tag}`,
        ],
        { timeout: 120_000 },
      );
    } catch (e) {
      const detail = ((e as { stderr?: string }).stderr ?? (e as Error).message).trim().split('\n').pop();
      throw new ImagePullError(`failed to pull image "${ref}" from ${source}: ${detail}`, { cause: e });
    }
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as OciIndex;
    const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
    if (!entry) throw new ImagePullError(`pulled "${ref}" but the OCI layout has no tag ${tag}`);
    const digest = entry.digest;
    const bundle = join(this.unpackedDir, digest.replace(':', '-'));
    if (!existsSync(join(bundle, 'rootfs'))) {
      const tmp = `${bundle}.tmp-${process.pid}`;
      await rm(tmp, { recursive: true, force: true });
      await mkdir(this.unpackedDir, { recursive: true });
      await exec('umoci', ['unpack', '--image', `${layout}:${tag}`, tmp], { timeout: 300_000 });
      // Another process may have unpacked the same digest meanwhile: keep the first.
      await rename(tmp, bundle).catch(() => rm(tmp, { recursive: true, force: true }));
    }
    const manifest = JSON.parse(await this.blob(digest)) as { config: { digest: string } };
    const image = JSON.parse(await this.blob(manifest.config.digest)) as { config?: ImageConfig };
    return { ref, source, digest, rootfs: join(bundle, 'rootfs'), config: image.config ?? {} };
  }

  private blob(digest: string): Promise<string> {
    const [alg, hex] = digest.split(':');
    return readFile(join(this.dir, 'oci', 'blobs', alg ?? '', hex ?? ''), 'utf8');
  }
}

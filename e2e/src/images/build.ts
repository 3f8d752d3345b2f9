/**
 * `make images`: build every Dockerfile of the catalog with buildah, offline, from base images
 * made on this host, push them to the local registry and record `out/images.json`
 * (reference → manifest digest).
 *
 * Offline: each `FROM` image is committed locally under its exact name (`node:20-bookworm` …)
 * from a rootfs made by `e2e/scripts/images/host-rootfs.sh`, and `bud --pull=never` never asks a
 * registry for it; the Dockerfiles are unchanged, so `docker build` with the real bases works too.
 * `npm ci` in a build stage reads the host's npm cache through a copy-on-write build volume.
 *
 * Cached: an image is rebuilt only when its inputs (Dockerfile, the files of the build context,
 * the base image ids) changed; otherwise the run is a no-op. buildah's own layer cache makes a
 * rebuild after a source change skip the `npm ci` step.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { discoverImages, type ImageEntry } from './catalog.js';
import { contextHash } from './context-hash.js';
import { startRegistry } from './registry.js';

const run = promisify(execFile);

export interface Paths {
  repoRoot: string;
  /** buildah storage and build stamps. */
  cacheDir: string;
  /** Storage directory of the local registry. */
  registryDir: string;
  out: string;
}

export function defaultPaths(repoRoot: string): Paths {
  return {
    repoRoot,
    cacheDir: join(repoRoot, '.cache/containers'),
    registryDir: join(repoRoot, '.cache/registry'),
    out: join(repoRoot, 'out/images.json'),
  };
}

export const buildahArgs = (cacheDir: string): string[] => [
  '--root',
  join(cacheDir, 'storage'),
  '--runroot',
  join(cacheDir, 'run'),
  '--storage-driver',
  'overlay',
];

async function buildah(p: Paths, args: string[]): Promise<string> {
  const { stdout } = await run('buildah', [...buildahArgs(p.cacheDir), ...args], {
    maxBuffer: 64 << 20,
    env: { ...process.env, BUILDAH_ISOLATION: 'chroot' },
  });
  return stdout.trim();
}

async function imageId(p: Paths, ref: string): Promise<string | undefined> {
  try {
    return await buildah(p, ['inspect', '--type', 'image', '--format', '{{.FromImageID}}', ref]);
  } catch {
    return undefined;
  }
}

/** Which rootfs recipe makes a base image; a base with none is an error naming it. */
function recipeFor(base: string): string | undefined {
  if (/^docker\.io\/library\/node:20[-\w.]*$/.test(base)) return 'node';
  if (/^docker\.io\/library\/python:3[-\w.]*$/.test(base)) return 'python';
  return undefined;
}

async function ensureBase(p: Paths, base: string, log: (s: string) => void): Promise<string> {
  const recipe = recipeFor(base);
  if (!recipe)
    throw new Error(`no local recipe for base image ${base}: add one to e2e/src/images/build.ts (recipeFor)`);
  const script = join(p.repoRoot, 'e2e/scripts/images/host-rootfs.sh');
  const key = createHash('sha256')
    .update(readFileSync(script))
    .update(recipe)
    .update(process.version)
    .digest('hex')
    .slice(0, 16);
  const labelKey = 'io.ocm-fl.base-key';
  try {
    const have = await buildah(p, [
      'inspect',
      '--type',
      'image',
      '--format',
      `{{index .ImageAnnotations "${labelKey}"}}`,
      base,
    ]);
    if (have === key) return (await imageId(p, base)) ?? '';
  } catch {
    // not there yet
  }
  const t0 = Date.now();
  const rootfs = join(p.cacheDir, `rootfs-${recipe}`);
  await run('bash', [script, rootfs, recipe], { maxBuffer: 16 << 20 });
  const c = await buildah(p, ['from', 'scratch']);
  await buildah(p, ['copy', c, rootfs, '/']);
  await buildah(p, [
    'config',
    '--env',
    'PATH=/usr/local/bin:/usr/bin:/bin',
    '--annotation',
    `${labelKey}=${key}`,
    c,
  ]);
  await buildah(p, ['commit', '--rm', '-q', c, base]);
  log(`base ${base} from the host (${recipe}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return (await imageId(p, base)) ?? '';
}

interface Stamp {
  inputs: string;
  imageId: string;
}

async function buildOne(
  p: Paths,
  img: ImageEntry,
  baseIds: string[],
  log: (s: string) => void,
): Promise<boolean> {
  const stampFile = join(p.cacheDir, 'stamps', `${img.dir.replaceAll('/', '_')}.json`);
  const inputs = createHash('sha256')
    .update(readFileSync(join(p.repoRoot, img.dockerfile)))
    .update(baseIds.join(','))
    .update(await contextHash(p.repoRoot))
    .digest('hex');
  const stamp = existsSync(stampFile) ? (JSON.parse(readFileSync(stampFile, 'utf8')) as Stamp) : undefined;
  const current = await imageId(p, img.ref);
  if (stamp?.inputs === inputs && current === stamp.imageId) return false;
  const t0 = Date.now();
  const npmCache = join(homedir(), '.npm');
  await buildah(p, [
    'bud',
    '--pull=never',
    '--layers',
    '--quiet',
    ...(existsSync(npmCache) ? ['--volume', `${npmCache}:/root/.npm:O`] : []),
    '-f',
    img.dockerfile,
    '-t',
    img.ref,
    p.repoRoot,
  ]).catch((e: Error & { stderr?: string }) => {
    throw new Error(`building ${img.ref} from ${img.dockerfile} failed:\n${e.stderr ?? e.message}`, {
      cause: e,
    });
  });
  mkdirSync(join(p.cacheDir, 'stamps'), { recursive: true });
  writeFileSync(stampFile, JSON.stringify({ inputs, imageId: (await imageId(p, img.ref)) ?? '' }));
  log(`built ${img.ref} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return true;
}

/** `quay.io/org/name:tag` → `<registry>/org/name:tag`: the same path on the local registry. */
export const onRegistry = (ref: string, host: string): string =>
  `${host}/${ref.split('/').slice(1).join('/')}`;

/** The manifest digest the registry serves for `ref`, if any. */
async function registryDigest(host: string, ref: string): Promise<string | undefined> {
  const [path = '', tag = 'latest'] = ref.split('/').slice(1).join('/').split(':');
  const r = await fetch(`http://${host}/v2/${path}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
  }).catch(() => undefined);
  return r?.ok ? (r.headers.get('docker-content-digest') ?? undefined) : undefined;
}

/** Whether the local image is still the one recorded with `digest` (by the stamp's image id). */
async function localDigest(p: Paths, ref: string, digest: string | undefined): Promise<string | undefined> {
  const img = discoverImages(p.repoRoot).find((i) => i.ref === ref);
  if (!img || !digest) return undefined;
  const stampFile = join(p.cacheDir, 'stamps', `${img.dir.replaceAll('/', '_')}.json`);
  if (!existsSync(stampFile)) return undefined;
  const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as Stamp & { pushed?: string };
  return stamp.pushed === digest && stamp.imageId === (await imageId(p, ref)) ? digest : undefined;
}

export async function buildImages(
  p: Paths,
  log: (s: string) => void = (s) => console.log(s),
  /** Build only these references (a test that needs one image); the others keep their record. */
  only?: readonly string[],
): Promise<{ digests: Record<string, string>; failed: Error[] }> {
  const images = discoverImages(p.repoRoot).filter((i) => !only || only.includes(i.ref));
  const baseIds = new Map<string, string>();
  for (const b of new Set(images.flatMap((i) => i.bases))) baseIds.set(b, await ensureBase(p, b, log));
  let built = 0;
  // One broken Dockerfile does not stop the others: they are built, pushed and recorded, and
  // the run fails at the end naming it.
  const failed: Error[] = [];
  for (const img of images)
    try {
      if (
        await buildOne(
          p,
          img,
          img.bases.map((b) => baseIds.get(b) ?? ''),
          log,
        )
      )
        built++;
    } catch (e) {
      failed.push(e as Error);
    }
  const ok = images.filter((i) => !failed.some((e) => e.message.includes(` ${i.ref} `)));
  const registry = await startRegistry(p.registryDir, p.cacheDir);
  const digests: Record<string, string> = {};
  const previous = existsSync(p.out)
    ? (JSON.parse(readFileSync(p.out, 'utf8')) as Record<string, string>)
    : {};
  try {
    for (const img of ok) {
      // Already there (same digest as recorded, e.g. nothing was rebuilt): no push.
      const have = await registryDigest(registry.host, img.ref);
      if (have && have === previous[img.ref] && have === (await localDigest(p, img.ref, previous[img.ref]))) {
        digests[img.ref] = have;
        continue;
      }
      const digestFile = join(p.cacheDir, 'digest');
      await buildah(p, [
        'push',
        '--quiet',
        '--tls-verify=false',
        '--digestfile',
        digestFile,
        img.ref,
        `docker://${onRegistry(img.ref, registry.host)}`,
      ]);
      digests[img.ref] = readFileSync(digestFile, 'utf8').trim();
      const stampFile = join(p.cacheDir, 'stamps', `${img.dir.replaceAll('/', '_')}.json`);
      if (existsSync(stampFile))
        writeFileSync(
          stampFile,
          JSON.stringify({
            ...(JSON.parse(readFileSync(stampFile, 'utf8')) as Stamp),
            pushed: digests[img.ref],
          }),
        );
    }
  } finally {
    await registry.stop();
  }
  mkdirSync(join(p.out, '..'), { recursive: true });
  const recorded = only ? { ...previous, ...digests } : digests;
  writeFileSync(p.out, `${JSON.stringify(recorded, null, 2)}\n`);
  log(built ? `${built} of ${images.length} images built` : `all ${ok.length} images up to date`);
  return { digests, failed };
}

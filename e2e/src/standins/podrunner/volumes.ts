/**
 * Pod volumes as local directories. ConfigMap and Secret volumes are written like the kubelet's
 * atomic writer: files live in a timestamped `..<ts>` directory, `..data` is a symlink to it,
 * and each key is a symlink `key → ..data/key`; an update writes a new directory and swaps
 * `..data` with one rename, so a reader never sees a half-written set (the spoke agent
 * hot-reloads its certificate this way). emptyDir is a plain directory, hostPath the host
 * directory itself, a PVC a directory shared by all pods of the cluster under `pvcRoot`.
 * Each mountPath becomes a symlink under the pod root to its volume (or subPath).
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readlink, rename, rm, symlink, writeFile, readdir, lstat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ContainerConfigError } from './container-env.js';
import type { Container, Volume } from './types.js';

export interface VolumeSources {
  configMap: (name: string) => Record<string, string> | undefined;
  secret: (name: string) => Record<string, string> | undefined;
}

/** Files a ConfigMap/Secret volume shows (key or item path → content), or undefined when the source is missing. */
export function projectedFiles(v: Volume, src: VolumeSources): Record<string, string> | undefined {
  const ref = v.configMap
    ? {
        data: src.configMap(v.configMap.name),
        items: v.configMap.items,
        optional: v.configMap.optional,
        what: `configmap "${v.configMap.name}"`,
      }
    : v.secret
      ? {
          data: src.secret(v.secret.secretName),
          items: v.secret.items,
          optional: v.secret.optional,
          what: `secret "${v.secret.secretName}"`,
        }
      : undefined;
  if (!ref) return undefined;
  const { data, items, optional, what } = ref;
  if (!data) {
    if (optional) return {};
    throw new ContainerConfigError(`${what} not found`);
  }
  if (!items) return { ...data };
  const out: Record<string, string> = {};
  for (const it of items) {
    if (!(it.key in data)) throw new ContainerConfigError(`${what}: couldn't find key ${it.key}`);
    out[it.path] = data[it.key] ?? '';
  }
  return out;
}

export const filesHash = (files: Record<string, string>): string =>
  createHash('sha256')
    .update(JSON.stringify(Object.entries(files).sort()))
    .digest('hex');

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** Write `files` into `dir` atomically (kubelet AtomicWriter layout). */
export async function writeAtomic(dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const ts = `..${new Date().toISOString().replace(/[:.]/g, '_')}.${process.hrtime.bigint()}`;
  const tsDir = join(dir, ts);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(tsDir, path)), { recursive: true });
    // 0644 as the kubelet's defaultMode: a container running as a non-root user reads them.
    await writeFile(join(tsDir, path), content, { mode: 0o644 });
  }
  await mkdir(tsDir, { recursive: true });
  const dataLink = join(dir, '..data');
  const old = (await exists(dataLink)) ? await readlink(dataLink) : undefined;
  await symlink(ts, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), dataLink);
  for (const top of new Set(Object.keys(files).map((p) => p.split('/')[0] ?? p))) {
    const link = join(dir, top);
    if (!(await exists(link))) await symlink(join('..data', top), link);
  }
  // Drop keys that disappeared, then the previous generation.
  for (const entry of await readdir(dir)) {
    if (entry.startsWith('..')) continue;
    if (!Object.keys(files).some((p) => (p.split('/')[0] ?? p) === entry))
      await rm(join(dir, entry), { force: true });
  }
  if (old && old !== ts) await rm(join(dir, old), { recursive: true, force: true });
}

export interface VolumeLayout {
  /** Volume name → local directory. */
  dirs: Map<string, string>;
  /** Volume name → hash of the projected files (ConfigMap/Secret), to notice changes. */
  hashes: Map<string, string>;
}

/** Create or refresh every volume of the pod; returns where each lives. */
export async function materializeVolumes(
  podDir: string,
  pvcRoot: string,
  volumes: readonly Volume[],
  src: VolumeSources,
  previous?: VolumeLayout,
): Promise<VolumeLayout> {
  const layout: VolumeLayout = { dirs: new Map(), hashes: new Map() };
  for (const v of volumes) {
    let dir = join(podDir, 'volumes', v.name);
    if (v.configMap || v.secret) {
      const files = projectedFiles(v, src) ?? {};
      const hash = filesHash(files);
      if (previous?.hashes.get(v.name) !== hash) await writeAtomic(dir, files);
      layout.hashes.set(v.name, hash);
    } else if (v.hostPath) dir = v.hostPath.path;
    else if (v.persistentVolumeClaim) dir = join(pvcRoot, v.persistentVolumeClaim.claimName);
    else if (!v.emptyDir)
      throw new ContainerConfigError(
        `volume ${v.name}: only configMap, secret, emptyDir, hostPath and persistentVolumeClaim are supported`,
      );
    await mkdir(dir, { recursive: true });
    // emptyDir and PVC directories are world-writable as the kubelet makes emptyDirs, so a
    // container with any runAsUser can write them.
    if (v.emptyDir || v.persistentVolumeClaim) await chmod(dir, 0o777);
    layout.dirs.set(v.name, dir);
  }
  return layout;
}

/** Make each of the container's mountPaths (under the pod root) point at its volume. */
export async function mountContainer(podRoot: string, c: Container, layout: VolumeLayout): Promise<void> {
  for (const m of c.volumeMounts ?? []) {
    const dir = layout.dirs.get(m.name);
    if (!dir) throw new ContainerConfigError(`volumeMount ${m.name}: no such volume`);
    const target = m.subPath ? join(dir, m.subPath) : dir;
    const at = join(podRoot, m.mountPath);
    if (await exists(at)) continue;
    await mkdir(dirname(at), { recursive: true });
    await symlink(target, at);
  }
}

/**
 * The runc pod runtime as a unit: whether this host can run it (root, runc/skopeo/umoci,
 * overlayfs) and starting/closing it (a host slot plus an image store).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HostSlot } from './host-slot.js';
import { ImageStore } from './image-store.js';
import { RuncLauncher } from './runc-launcher.js';

const exec = promisify(execFile);

/** Why runc cannot run pods here, or undefined when it can. */
export async function runcUnavailable(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `runc needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'runc pods need root (network namespaces, overlay mounts)';
  // buildah and docker-registry too: the images these pods run come from `make images`.
  const tools: [string, string][] = [
    ['runc', '--version'],
    ['skopeo', '--version'],
    ['umoci', '--version'],
    ['ip', '-V'],
    ['buildah', '--version'],
    ['docker-registry', '--version'],
  ];
  for (const [tool, flag] of tools) {
    try {
      await exec(tool, [flag]);
    } catch {
      return `${tool} is not installed (e2e/scripts/system-deps.sh installs it)`;
    }
  }
  if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) return 'the kernel has no overlayfs';
  return undefined;
}

export interface RuncRuntime {
  launcher: RuncLauncher;
  slot: HostSlot;
  /** Remove every container, mount and namespace of this runtime. */
  close(): Promise<void>;
}

/**
 * `cacheDir` keeps unpacked image root filesystems across runs (by digest); `mirrors` maps
 * registry hosts to the local registry (see image-store.ts).
 */
export async function startRuncRuntime(o: {
  cacheDir: string;
  mirrors: Record<string, string>;
}): Promise<RuncRuntime> {
  const slot = await HostSlot.claim();
  const pulls = join(o.cacheDir, `pull-${process.pid}-${slot.n}`);
  const store = new ImageStore(pulls, o.mirrors, join(o.cacheDir, 'unpacked'));
  return {
    launcher: new RuncLauncher(slot, store),
    slot,
    close: async () => {
      await slot.release();
      await rm(pulls, { recursive: true, force: true });
    },
  };
}

/**
 * Choosing the pod runtime: runc when this host can run it (root, runc/skopeo/umoci installed,
 * overlayfs, network namespaces), local processes otherwise; `FL_POD_RUNTIME=runc|process`
 * forces one. Whatever is chosen is reported with its reason, so every run says which mode it used.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HostSlot } from './host-slot.js';
import { ImageStore } from './image-store.js';
import { RuncLauncher } from './runc-launcher.js';

const exec = promisify(execFile);

export type RuntimeMode = 'runc' | 'process';

/** Why runc cannot run pods here, or undefined when it can. */
export async function runcUnavailable(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `runc needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'runc pods need root (network namespaces, overlay mounts)';
  for (const tool of ['runc', 'skopeo', 'umoci', 'ip']) {
    try {
      await exec(tool, ['--version']);
    } catch {
      if (tool !== 'ip' || (!existsSync('/usr/sbin/ip') && !existsSync('/sbin/ip')))
        return `${tool} is not installed (e2e/scripts/system-deps.sh installs it)`;
    }
  }
  if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) return 'the kernel has no overlayfs';
  return undefined;
}

export interface RuntimeChoice {
  mode: RuntimeMode;
  reason: string;
}

/** `FL_POD_RUNTIME` (runc|process|auto) against what the host can do; default `fallback`. */
export async function chooseRuntime(
  requested = process.env.FL_POD_RUNTIME,
  fallback: RuntimeMode = 'process',
): Promise<RuntimeChoice> {
  const want = requested && requested !== 'auto' ? requested : fallback;
  if (want !== 'runc' && want !== 'process')
    throw new Error(`FL_POD_RUNTIME must be runc, process or auto, not "${want}"`);
  if (want === 'process')
    return { mode: 'process', reason: requested === 'process' ? 'FL_POD_RUNTIME=process' : 'default' };
  const why = await runcUnavailable();
  if (why && requested === 'runc') throw new Error(`FL_POD_RUNTIME=runc but ${why}`);
  return why
    ? { mode: 'process', reason: why }
    : { mode: 'runc', reason: requested === 'runc' ? 'FL_POD_RUNTIME=runc' : 'default' };
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

/**
 * The host resources one process's runc pods use, claimed as a numbered slot N so concurrent
 * processes (a test run and a demo) never collide and a crashed process's leftovers can be
 * found and removed by the next one:
 *   bridge `flbr<N>` 10.213.N.1/24, netns `fl<N>-<k>` with veth `flv<N>-<k>` on the bridge
 *   and the pod at 10.213.N.<k>; runc state under `/run/ocm-fl/<N>/runc`, container root
 *   filesystems (overlay mounts) under `/run/ocm-fl/<N>/rootfs`, owner pid in `/run/ocm-fl/<N>/pid`.
 * Pods of one slot reach each other over the bridge; the host reaches every pod IP.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
export const STATE_ROOT = '/run/ocm-fl';

export interface PodNetwork {
  /** netns name (`ip netns exec <ns>`), its path, the pod's IP and the host end of its veth. */
  ns: string;
  nsPath: string;
  ip: string;
  hostVeth: string;
}

async function ip(...args: string[]): Promise<void> {
  await exec('ip', args);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Remove everything slot `n` left on the host: runc containers, overlay mounts, netns, bridge. */
export async function sweepSlot(n: number): Promise<void> {
  const dir = join(STATE_ROOT, String(n));
  const runcRoot = join(dir, 'runc');
  if (existsSync(runcRoot))
    for (const id of readdirSync(runcRoot))
      await exec('runc', ['--root', runcRoot, 'delete', '--force', id]).catch(() => undefined);
  const rootfs = join(dir, 'rootfs');
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(`${rootfs}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await exec('umount', ['-l', m]).catch(() => undefined);
  const { stdout } = await exec('ip', ['netns', 'list']).catch(() => ({ stdout: '' }));
  for (const ns of stdout.split('\n').map((l) => l.split(' ')[0] ?? ''))
    if (ns.startsWith(`fl${n}-`)) await ip('netns', 'delete', ns).catch(() => undefined);
  await ip('link', 'delete', `flbr${n}`).catch(() => undefined);
  // runc removes each container's cgroup but not the slot's parent (`/ocm-fl/<n>` per controller).
  for (const parent of cgroupParents(n)) {
    await rmdir(parent).catch(() => undefined);
    await rmdir(dirname(parent)).catch(() => undefined); // `/ocm-fl` too, once no slot uses it
  }
  await rm(dir, { recursive: true, force: true });
}

/** The slot's cgroup directories (cgroup v1 controllers or the v2 unified tree) that exist. */
export function cgroupParents(n: number): string[] {
  const root = '/sys/fs/cgroup';
  const trees = existsSync(join(root, 'cgroup.controllers'))
    ? [root]
    : readdirSync(root).map((c) => join(root, c));
  return trees.map((t) => join(t, 'ocm-fl', String(n))).filter((d) => existsSync(d));
}

/** Sweep every slot whose owner process is gone. */
export async function sweepDeadSlots(): Promise<void> {
  const { stdout } = await exec('ip', ['-o', 'link', 'show', 'type', 'bridge']).catch(() => ({ stdout: '' }));
  const fromBridges = [...stdout.matchAll(/\bflbr(\d+)\b/g)].map((m) => Number(m[1]));
  const fromDirs = existsSync(STATE_ROOT)
    ? readdirSync(STATE_ROOT)
        .filter((d) => /^\d+$/.test(d))
        .map(Number)
    : [];
  for (const n of new Set([...fromBridges, ...fromDirs])) {
    const pidFile = join(STATE_ROOT, String(n), 'pid');
    const owner = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
    if (!owner || !alive(owner)) await sweepSlot(n);
  }
}

export class HostSlot {
  private readonly used = new Set<number>();
  private constructor(readonly n: number) {}

  get dir(): string {
    return join(STATE_ROOT, String(this.n));
  }
  get runcRoot(): string {
    return join(this.dir, 'runc');
  }
  get rootfsDir(): string {
    return join(this.dir, 'rootfs');
  }
  get bridge(): string {
    return `flbr${this.n}`;
  }
  get gateway(): string {
    return `10.213.${this.n}.1`;
  }

  /** Claim a free slot: creating the bridge is the atomic claim (it fails if the name exists). */
  static async claim(): Promise<HostSlot> {
    await sweepDeadSlots();
    for (let n = 1 + (process.pid % 200), tries = 0; tries < 250; n = (n % 250) + 1, tries++) {
      try {
        await ip('link', 'add', `flbr${n}`, 'type', 'bridge');
      } catch {
        continue;
      }
      const slot = new HostSlot(n);
      await mkdir(slot.runcRoot, { recursive: true });
      await mkdir(slot.rootfsDir, { recursive: true });
      await writeFile(join(slot.dir, 'pid'), String(process.pid));
      await ip('addr', 'add', `${slot.gateway}/24`, 'dev', slot.bridge);
      await ip('link', 'set', slot.bridge, 'up');
      return slot;
    }
    throw new Error('no free host slot for runc pods (250 bridges flbr* in use)');
  }

  /** A network namespace with its own IP on the slot's bridge. */
  async addPod(): Promise<PodNetwork> {
    let k = 2;
    while (this.used.has(k)) k++;
    if (k > 254) throw new Error(`slot ${this.n}: no free pod IP`);
    this.used.add(k);
    const ns = `fl${this.n}-${k}`;
    const hostVeth = `flv${this.n}-${k}`;
    const podIp = `10.213.${this.n}.${k}`;
    try {
      await ip('netns', 'add', ns);
      await ip('link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', `${hostVeth}p`);
      await ip('link', 'set', `${hostVeth}p`, 'netns', ns);
      await ip('-n', ns, 'link', 'set', `${hostVeth}p`, 'name', 'eth0');
      await ip('-n', ns, 'addr', 'add', `${podIp}/24`, 'dev', 'eth0');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      await ip('-n', ns, 'link', 'set', 'eth0', 'up');
      await ip('-n', ns, 'route', 'add', 'default', 'via', this.gateway);
      await ip('link', 'set', hostVeth, 'master', this.bridge);
      await ip('link', 'set', hostVeth, 'up');
    } catch (e) {
      await this.removePod({ ns, nsPath: '', ip: podIp, hostVeth });
      throw new Error(`cannot set up the network namespace of a pod: ${(e as Error).message}`, { cause: e });
    }
    return { ns, nsPath: `/var/run/netns/${ns}`, ip: podIp, hostVeth };
  }

  async removePod(net: PodNetwork): Promise<void> {
    await ip('link', 'delete', net.hostVeth).catch(() => undefined);
    await ip('netns', 'delete', net.ns).catch(() => undefined);
    this.used.delete(Number(net.ns.split('-').pop()));
  }

  async release(): Promise<void> {
    await sweepSlot(this.n);
  }
}

/**
 * Network cut for fault injection: take the host end of a pod's veth down (all its traffic
 * to the host and other pods stops; the pod keeps its address and routes) or bring it back.
 */
export async function setPodLink(net: PodNetwork, up: boolean): Promise<void> {
  await ip('link', 'set', net.hostVeth, up ? 'up' : 'down');
}

/**
 * A container as runc runs it (pure): the process (argv, env, cwd, user) by the kubelet's rules
 * over the image config, and the OCI runtime spec around it.
 *
 * Kubelet rules: `command` replaces the image ENTRYPOINT (and drops its CMD), `args` replaces
 * CMD; `$(VAR)` in both expands from the container's env; env is the image ENV overridden by the
 * pod spec's; `workingDir` over the image WorkingDir (default `/`); the user is the container's
 * `runAsUser`, else the pod's, else the image USER; `runAsNonRoot` refuses uid 0.
 */
import { ContainerConfigError, expandVars } from '../container-env.js';
import type { Container, Pod } from '../types.js';
import type { ImageConfig } from './image-store.js';

export interface ProcessSpec {
  args: string[];
  env: Record<string, string>;
  cwd: string;
  uid: number;
  gid: number;
}

export interface Mount {
  destination: string;
  source: string;
  readOnly?: boolean;
}

/** `/etc/passwd` lines as `name → [uid, gid]`. */
export function parsePasswd(text: string): Map<string, [number, number]> {
  const m = new Map<string, [number, number]>();
  for (const l of text.split('\n')) {
    const [name, , uid, gid] = l.split(':');
    if (name && uid && gid) m.set(name, [Number(uid), Number(gid)]);
  }
  return m;
}

/** The image USER (`65532`, `65532:65532`, `nonroot`, `nonroot:nonroot`) as numbers. */
export function imageUser(user: string | undefined, passwd: Map<string, [number, number]>): [number, number] {
  if (!user) return [0, 0];
  const [u = '', g] = user.split(':');
  const byName = passwd.get(u);
  const uid = /^\d+$/.test(u) ? Number(u) : byName?.[0];
  if (uid === undefined)
    throw new ContainerConfigError(`image user "${u}" is not in the image's /etc/passwd`);
  const gid = g === undefined ? (byName?.[1] ?? uid) : /^\d+$/.test(g) ? Number(g) : undefined;
  if (gid === undefined) throw new ContainerConfigError(`image group "${g}" is not numeric`);
  return [uid, gid];
}

export const parseImageEnv = (env: readonly string[] | undefined): Record<string, string> =>
  Object.fromEntries(
    (env ?? []).map((kv) => {
      const i = kv.indexOf('=');
      return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
    }),
  );

export function processSpec(
  pod: Pod,
  c: Container,
  image: ImageConfig,
  podEnv: Readonly<Record<string, string>>,
  passwd: Map<string, [number, number]>,
): ProcessSpec {
  const env = { ...parseImageEnv(image.Env), ...podEnv, HOSTNAME: pod.metadata.name ?? '' };
  const expand = (s: string): string => expandVars(s, env);
  const args = c.command?.length
    ? [...c.command.map(expand), ...(c.args ?? []).map(expand)]
    : [...(image.Entrypoint ?? []), ...(c.args ? c.args.map(expand) : (image.Cmd ?? []))];
  if (args.length === 0)
    throw new ContainerConfigError(`container ${c.name}: no command given and the image has none`);
  const [imgUid, imgGid] = imageUser(image.User, passwd);
  const sc = c.securityContext ?? {};
  const psc = pod.spec?.securityContext ?? {};
  const uid = sc.runAsUser ?? psc.runAsUser ?? imgUid;
  // A runAsUser without runAsGroup takes that user's group from the image's passwd, else 0.
  const uidGroup = [...passwd.values()].find(([u]) => u === uid)?.[1] ?? 0;
  const gid = sc.runAsGroup ?? psc.runAsGroup ?? (uid === imgUid ? imgGid : uidGroup);
  if ((sc.runAsNonRoot ?? psc.runAsNonRoot) && uid === 0)
    throw new ContainerConfigError(`container ${c.name} has runAsNonRoot and image will run as root`);
  return { args, env, cwd: c.workingDir ?? (image.WorkingDir || '/'), uid, gid };
}

/** Kubernetes memory quantity → bytes (`64Mi`, `1G`, `1e6`, `500000`). */
export function memoryBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q.trim());
  if (!m) throw new ContainerConfigError(`invalid memory quantity "${q}"`);
  const mult: Record<string, number> = {
    '': 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
  };
  return Math.round(Number(m[1]) * (mult[m[2] ?? ''] ?? 1));
}

// Docker's default capability set, given to root processes; others get none effective.
const DEFAULT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

export interface SpecInput {
  process: ProcessSpec;
  container: Container;
  hostname: string;
  /** The container's root filesystem (its overlay mount). */
  rootfs: string;
  netnsPath: string;
  mounts: readonly Mount[];
  cgroupsPath: string;
}

export function runtimeSpec(i: SpecInput): Record<string, unknown> {
  const { process: p, container: c } = i;
  const root = p.uid === 0;
  const caps = root ? DEFAULT_CAPS : [];
  const limit = c.resources?.limits?.memory;
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: { uid: p.uid, gid: p.gid },
      args: p.args,
      env: Object.entries({
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        ...p.env,
      }).map(([k, v]) => `${k}=${v}`),
      cwd: p.cwd,
      capabilities: {
        bounding: DEFAULT_CAPS,
        effective: caps,
        permitted: caps,
        inheritable: [],
        ambient: [],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 4096, soft: 4096 }],
      noNewPrivileges: c.securityContext?.allowPrivilegeEscalation === false || !root,
    },
    root: { path: i.rootfs, readonly: c.securityContext?.readOnlyRootFilesystem === true },
    hostname: i.hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
      },
      {
        destination: '/dev/mqueue',
        type: 'mqueue',
        source: 'mqueue',
        options: ['nosuid', 'noexec', 'nodev'],
      },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      ...i.mounts.map((m) => ({
        destination: m.destination,
        type: 'bind',
        source: m.source,
        options: ['rbind', 'rprivate', m.readOnly ? 'ro' : 'rw'],
      })),
    ],
    linux: {
      namespaces: [
        { type: 'pid' },
        { type: 'network', path: i.netnsPath },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
      ],
      cgroupsPath: i.cgroupsPath,
      resources: {
        devices: [{ allow: false, access: 'rwm' }],
        pids: { limit: 4096 },
        ...(limit ? { memory: { limit: memoryBytes(limit), swap: memoryBytes(limit) } } : {}),
      },
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

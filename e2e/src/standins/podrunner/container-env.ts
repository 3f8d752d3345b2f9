/**
 * How a container becomes a local process (pure): argv, environment and working directory.
 *
 * Paths: each pod has a root directory (`POD_ROOT`, also in the env) under which every
 * volumeMount's mountPath exists, so `/etc/fl-agent/ca` is `<POD_ROOT>/etc/fl-agent/ca`. The
 * runner rewrites every argument and env value that is a mounted path (exactly, below it, or
 * after `=` as in `--cert=/etc/x/tls.crt`) to its local place; programs therefore take paths
 * from args/env and need nothing else. Network: each pod gets its own loopback address
 * (127.x.y.z on Linux) as `status.podIP`, passed as env `POD_IP`; programs should listen on it
 * (or on port 0) so pods using the same containerPort do not collide. API credentials: a pod
 * that mounts its service-account token (the default) gets `KUBECONFIG` instead.
 */
import { containerArgv, type ImageSpec } from './images.js';
import type { Container, EnvVar, Pod } from './types.js';

export class ContainerConfigError extends Error {
  override name = 'ContainerConfigError';
}

export interface LaunchContext {
  podRoot: string;
  podIP: string;
  image: ImageSpec;
  configMap: (name: string) => Record<string, string> | undefined;
  /** Decoded secret data. */
  secret: (name: string) => Record<string, string> | undefined;
  /**
   * The tier-1 form of the mounted service-account token: a kubeconfig for this cluster's API
   * server, given as env `KUBECONFIG` unless the pod sets `automountServiceAccountToken: false`.
   */
  serviceAccountKubeconfig?: string;
}

/** What the container's env is resolved from. */
export type EnvContext = Omit<LaunchContext, 'image' | 'podRoot'>;

export interface Launch {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

/**
 * Rewrites absolute paths under the container's mount points into the pod root. Paths under
 * `imageDir` (the image's own files: its local install directory) stay as they are, so a
 * program installed below a mount point such as /tmp still starts.
 */
export function pathRewriter(podRoot: string, c: Container, imageDir?: string): (s: string) => string {
  const mounts = (c.volumeMounts ?? [])
    .map((m) => m.mountPath.replace(/\/+$/, ''))
    .sort((a, b) => b.length - a.length);
  const own = imageDir?.replace(/\/+$/, '');
  const one = (s: string): string | undefined => {
    if (own && (s === own || s.startsWith(`${own}/`))) return undefined;
    const hit = mounts.find((mp) => s === mp || s.startsWith(`${mp}/`));
    return hit === undefined ? undefined : `${podRoot}${s}`;
  };
  return (s) => {
    const direct = one(s);
    if (direct !== undefined) return direct;
    const eq = s.indexOf('=');
    if (eq > 0) {
      const after = one(s.slice(eq + 1));
      if (after !== undefined) return `${s.slice(0, eq + 1)}${after}`;
    }
    return s;
  };
}

function fieldValue(pod: Pod, podIP: string, path: string): string {
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (label)
    return (label[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[label[2] ?? ''] ?? '';
  const values: Record<string, string | undefined> = {
    'metadata.name': pod.metadata.name,
    'metadata.namespace': pod.metadata.namespace,
    'metadata.uid': pod.metadata.uid,
    'spec.nodeName': 'embedded-node',
    'spec.serviceAccountName': pod.spec?.serviceAccountName ?? 'default',
    'status.podIP': podIP,
    'status.hostIP': '127.0.0.1',
  };
  if (!(path in values)) throw new ContainerConfigError(`unsupported fieldRef ${path}`);
  return values[path] ?? '';
}

function keyRef(
  kind: string,
  data: Record<string, string> | undefined,
  ref: { name: string; key: string; optional?: boolean },
): string | undefined {
  if (!data) {
    if (ref.optional) return undefined;
    throw new ContainerConfigError(`${kind} "${ref.name}" not found`);
  }
  if (!(ref.key in data)) {
    if (ref.optional) return undefined;
    throw new ContainerConfigError(`couldn't find key ${ref.key} in ${kind} ${ref.name}`);
  }
  return data[ref.key];
}

function envValue(pod: Pod, e: EnvVar, ctx: EnvContext): string | undefined {
  const vf = e.valueFrom;
  if (!vf) return e.value ?? '';
  if (vf.configMapKeyRef)
    return keyRef('configmap', ctx.configMap(vf.configMapKeyRef.name), vf.configMapKeyRef);
  if (vf.secretKeyRef) return keyRef('secret', ctx.secret(vf.secretKeyRef.name), vf.secretKeyRef);
  if (vf.fieldRef) return fieldValue(pod, ctx.podIP, vf.fieldRef.fieldPath);
  return ''; // resourceFieldRef: no limits enforced here
}

/** Expand `$(VAR)` references as the kubelet does; `$$(VAR)` escapes. */
export function expandVars(s: string, env: Readonly<Record<string, string>>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && name in env ? (env[name] ?? '') : m;
  });
}

/**
 * The container's own environment as the kubelet resolves it (envFrom, then env with `$(VAR)`
 * expansion), each value passed through `rewrite`; without the image's ENV.
 */
export function containerEnv(
  pod: Pod,
  c: Container,
  ctx: EnvContext,
  rewrite: (s: string) => string = (s) => s,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const src of c.envFrom ?? []) {
    const name = src.configMapRef?.name ?? src.secretRef?.name ?? '';
    const data = src.configMapRef ? ctx.configMap(name) : ctx.secret(name);
    if (!data) {
      if (src.configMapRef?.optional || src.secretRef?.optional) continue;
      throw new ContainerConfigError(`${src.configMapRef ? 'configmap' : 'secret'} "${name}" not found`);
    }
    for (const [k, v] of Object.entries(data)) env[`${src.prefix ?? ''}${k}`] = v;
  }
  for (const e of c.env ?? []) {
    const v = envValue(pod, e, ctx);
    if (v !== undefined) env[e.name] = expandVars(v, env);
  }
  for (const k of Object.keys(env)) env[k] = rewrite(env[k] ?? '');
  return env;
}

export function containerLaunch(pod: Pod, c: Container, ctx: LaunchContext): Launch {
  const rewrite = pathRewriter(ctx.podRoot, c, ctx.image.cwd);
  // The image's own ENV describes the image, not the pod: it is never rewritten.
  const env = containerEnv(pod, c, ctx, rewrite);
  for (const [k, v] of Object.entries(ctx.image.env ?? {})) env[k] ??= v;
  env.POD_ROOT = ctx.podRoot;
  env.POD_IP ??= ctx.podIP;
  if (ctx.serviceAccountKubeconfig && pod.spec?.automountServiceAccountToken !== false)
    env.KUBECONFIG ??= ctx.serviceAccountKubeconfig;
  env.HOSTNAME = pod.metadata.name ?? '';
  const expand = (s: string): string => rewrite(expandVars(s, env));
  const argv = containerArgv(ctx.image, c.command?.map(expand), c.args?.map(expand));
  // An in-image workingDir that is not a mount does not exist here: use the image's local cwd.
  const wd = c.workingDir ? rewrite(c.workingDir) : undefined;
  const cwd = wd !== undefined && wd !== c.workingDir ? wd : (ctx.image.cwd ?? ctx.podRoot);
  return { argv, env, cwd };
}

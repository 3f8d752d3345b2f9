/**
 * What the real-tier scenarios need from `e2e/real/start.sh`: the env file it writes, clients
 * for the admin, for a ServiceAccount token and for a klusterlet identity (client certificate
 * signed by the API server's client CA, so the real API server authenticates it), and a runner
 * for the real binaries (kubectl, helm, clusteradm, openssl).
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '@ocm-fl/common/kube/client.js';

const execFileP = promisify(execFile);

export interface RealEnv {
  apiUrl: string;
  kubeconfig: string;
  pki: string;
  bin: string;
  run: string;
}

/**
 * Reads `<runDir>/env` of one control plane started by start.sh: by default `$REAL_RUN`
 * (default `.cache/real/run` under the repository root).
 */
export async function loadRealEnv(runDir?: string): Promise<RealEnv> {
  const file = path.join(runDir ?? process.env.REAL_RUN ?? path.resolve('.cache/real/run'), 'env');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`no real control plane: ${file} missing (run e2e/real/start.sh)`, { cause: e });
  }
  const v = Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const need = (k: string): string => {
    const x = v[k];
    if (!x) throw new Error(`${file}: ${k} missing`);
    return x;
  };
  return {
    apiUrl: need('REAL_API_URL'),
    kubeconfig: need('REAL_KUBECONFIG'),
    pki: need('REAL_PKI'),
    bin: need('REAL_BIN'),
    run: need('REAL_RUN'),
  };
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a program; on a non-zero exit the error message carries its output. */
export async function run(file: string, args: readonly string[], input?: string): Promise<RunResult> {
  try {
    const child = execFileP(file, args, { maxBuffer: 64 << 20 });
    if (input !== undefined) {
      child.child.stdin?.end(input);
    }
    const { stdout, stderr } = await child;
    return { stdout, stderr };
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${path.basename(file)} ${args.join(' ')} failed: ${err.stderr ?? ''}${err.stdout ?? ''}`,
      {
        cause: e,
      },
    );
  }
}

export const adminClient = (env: RealEnv): KubeClient => KubeClient.fromFile(env.kubeconfig);

function kubeConfigFor(
  env: RealEnv,
  user: { token?: string; certFile?: string; keyFile?: string },
): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: 'real', server: env.apiUrl, caFile: path.join(env.pki, 'ca.crt'), skipTLSVerify: false },
    ],
    users: [{ name: 'u', ...user }],
    contexts: [{ name: 'real', cluster: 'real', user: 'u' }],
    currentContext: 'real',
  });
  return kc;
}

/** A token of ServiceAccount `namespace/name` from the TokenRequest API. */
export async function serviceAccountToken(env: RealEnv, namespace: string, name: string): Promise<string> {
  const { stdout } = await run('kubectl', [
    '--kubeconfig',
    env.kubeconfig,
    'create',
    'token',
    name,
    '-n',
    namespace,
    '--duration',
    '2h',
  ]);
  return stdout.trim();
}

/** A client acting as ServiceAccount `namespace/name`. */
export async function serviceAccountClient(
  env: RealEnv,
  namespace: string,
  name: string,
): Promise<KubeClient> {
  return KubeClient.fromKubeConfig(
    kubeConfigFor(env, { token: await serviceAccountToken(env, namespace, name) }),
  );
}

/** Writes a kubeconfig file for a token (for code that takes a kubeconfig path). */
export async function writeTokenKubeconfig(env: RealEnv, file: string, token: string): Promise<void> {
  await writeFile(file, kubeConfigFor(env, { token }).exportConfig(), { mode: 0o600 });
}

export interface CertIdentity {
  client: KubeClient;
  user: string;
  groups: string[];
}

/**
 * A client authenticated by a certificate from the API server's client CA. The klusterlet's
 * hub identity is user `system:open-cluster-management:<cluster>:<agent-id>` in groups
 * `system:open-cluster-management:<cluster>` and `system:open-cluster-management:managed-clusters`.
 */
export async function certClient(
  env: RealEnv,
  name: string,
  user: string,
  groups: string[],
): Promise<CertIdentity> {
  const dir = path.join(env.run, 'identities');
  await mkdir(dir, { recursive: true });
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const crt = path.join(dir, `${name}.crt`);
  const ext = path.join(dir, `${name}.ext`);
  await writeFile(ext, 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n');
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  // openssl req -subj refuses CNs over 64 characters; klusterlet user names stay below that.
  const subj = `/CN=${user}${groups.map((g) => `/O=${g}`).join('')}`;
  await run('openssl', ['req', '-new', '-key', key, '-subj', subj, '-out', csr]);
  const ca = path.join(env.pki, 'ca');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    ext,
    '-out',
    crt,
  ]);
  return {
    client: KubeClient.fromKubeConfig(kubeConfigFor(env, { certFile: crt, keyFile: key })),
    user,
    groups,
  };
}

export const klusterletUser = (cluster: string, agentId: string): string =>
  `system:open-cluster-management:${cluster}:${agentId}`;
export const klusterletGroups = (cluster: string): string[] => [
  `system:open-cluster-management:${cluster}`,
  'system:open-cluster-management:managed-clusters',
];

/** Polls until `fn` returns a truthy value; the bound only stops a hang. */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  ms = 60_000,
): Promise<T> {
  const until = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`, { cause: last });
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface Proc {
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts a real binary in the background, output in `<run>/logs/<name>.log`; stop() kills that PID. */
export async function startProcess(
  env: RealEnv,
  name: string,
  cmd: { file: string; args: readonly string[]; env?: Record<string, string> },
): Promise<Proc> {
  const { spawn } = await import('node:child_process');
  const { openSync } = await import('node:fs');
  const out = openSync(path.join(env.run, 'logs', `${name}.log`), 'a');
  const { file, args } = cmd;
  const child = spawn(file, args, { stdio: ['ignore', out, out], env: { ...process.env, ...cmd.env } });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  if (child.pid === undefined) throw new Error(`${name}: could not start ${file}`);
  return {
    pid: child.pid,
    async stop(): Promise<void> {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** A free loopback port (for binaries that need an explicit listen address). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}
